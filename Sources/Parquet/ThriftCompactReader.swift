/// Compact-protocol wire types (the low nibble of a field header).
enum ThriftType: UInt8 {
    case stop = 0, boolTrue = 1, boolFalse = 2, byte = 3, i16 = 4, i32 = 5, i64 = 6, double = 7
    case binary = 8, list = 9, set = 10, map = 11, structure = 12
}

/// Reads Thrift compact protocol from a byte array; every read is bounds-checked.
struct ThriftCompactReader {
    let bytes: [UInt8]
    var position: Int
    let end: Int
    static let maxSkipDepth = 32

    init(_ bytes: [UInt8], from start: Int = 0, end: Int? = nil) {
        self.bytes = bytes
        self.position = start
        self.end = min(end ?? bytes.count, bytes.count)
    }

    var remaining: Int { end - position }

    mutating func readByte() throws(ParquetError) -> UInt8 {
        guard position < end else { throw .malformed("thrift: unexpected end of input") }
        let b = bytes[position]
        position += 1
        return b
    }

    mutating func readVarint() throws(ParquetError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try readByte()
            if shift == 63 && b > 1 { throw .malformed("thrift: varint overflow") }
            result |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
            if shift > 63 { throw .malformed("thrift: varint too long") }
        }
    }

    mutating func readI64() throws(ParquetError) -> Int64 {
        let v = try readVarint()
        return Int64(bitPattern: (v >> 1) ^ (0 &- (v & 1)))
    }

    mutating func readI32() throws(ParquetError) -> Int32 {
        let v = try readI64()
        guard let r = Int32(exactly: v) else { throw .malformed("thrift: i32 out of range") }
        return r
    }

    mutating func readI16() throws(ParquetError) -> Int16 {
        let v = try readI64()
        guard let r = Int16(exactly: v) else { throw .malformed("thrift: i16 out of range") }
        return r
    }

    mutating func readDouble() throws(ParquetError) -> Double {
        guard remaining >= 8 else { throw .malformed("thrift: truncated double") }
        var bits: UInt64 = 0
        for i in 0..<8 { bits |= UInt64(bytes[position + i]) << (8 * UInt64(i)) }
        position += 8
        return Double(bitPattern: bits)
    }

    mutating func readBinary() throws(ParquetError) -> [UInt8] {
        let length = try readVarint()
        guard length <= UInt64(remaining) else { throw .malformed("thrift: binary length past end") }
        let n = Int(length)
        let r = Array(bytes[position..<position + n])
        position += n
        return r
    }

    mutating func readString() throws(ParquetError) -> String {
        String(decoding: try readBinary(), as: UTF8.self)
    }

    /// The next field header of a struct, or nil at its STOP. `lastID` carries the delta base.
    mutating func readFieldHeader(_ lastID: inout Int16) throws(ParquetError) -> (id: Int16, type: ThriftType)? {
        let b = try readByte()
        if b == 0 { return nil }
        guard let type = ThriftType(rawValue: b & 0x0F), type != .stop else { throw .malformed("thrift: bad field type \(b & 0x0F)") }
        let delta = Int16(b >> 4)
        let id: Int16
        if delta == 0 {
            id = try readI16()
        } else {
            let (sum, overflow) = lastID.addingReportingOverflow(delta)
            guard !overflow else { throw .malformed("thrift: field id overflow") }
            id = sum
        }
        lastID = id
        return (id, type)
    }

    /// A list or set header: element count (bounded by the remaining bytes) and element type.
    mutating func readListHeader() throws(ParquetError) -> (count: Int, type: ThriftType) {
        let b = try readByte()
        var count = UInt64(b >> 4)
        if count == 15 { count = try readVarint() }
        guard let type = ThriftType(rawValue: b & 0x0F) else { throw .malformed("thrift: bad list element type") }
        // Every element takes at least one byte, except bools which still take one in a list.
        guard count <= UInt64(remaining) else { throw .malformed("thrift: list count past end") }
        return (Int(count), type)
    }

    /// Reads a bool that is a struct field: its value is in the field type.
    func boolField(_ type: ThriftType) throws(ParquetError) -> Bool {
        switch type {
        case .boolTrue: return true
        case .boolFalse: return false
        default: throw .malformed("thrift: expected bool")
        }
    }

    mutating func skip(_ type: ThriftType, depth: Int = 0) throws(ParquetError) {
        guard depth < Self.maxSkipDepth else { throw .malformed("thrift: nesting too deep") }
        switch type {
        case .stop: throw .malformed("thrift: unexpected stop")
        case .boolTrue, .boolFalse: return
        case .byte: _ = try readByte()
        case .i16, .i32, .i64: _ = try readVarint()
        case .double:
            guard remaining >= 8 else { throw .malformed("thrift: truncated double") }
            position += 8
        case .binary:
            let length = try readVarint()
            guard length <= UInt64(remaining) else { throw .malformed("thrift: binary length past end") }
            position += Int(length)
        case .list, .set:
            let (count, elementType) = try readListHeader()
            for _ in 0..<count {
                if elementType == .boolTrue || elementType == .boolFalse { _ = try readByte() } else { try skip(elementType, depth: depth + 1) }
            }
        case .map:
            let count = try readVarint()
            if count == 0 { return }
            guard count <= UInt64(remaining) else { throw .malformed("thrift: map count past end") }
            let kv = try readByte()
            guard let kt = ThriftType(rawValue: kv >> 4), let vt = ThriftType(rawValue: kv & 0x0F) else { throw .malformed("thrift: bad map types") }
            for _ in 0..<Int(count) {
                if kt == .boolTrue || kt == .boolFalse { _ = try readByte() } else { try skip(kt, depth: depth + 1) }
                if vt == .boolTrue || vt == .boolFalse { _ = try readByte() } else { try skip(vt, depth: depth + 1) }
            }
        case .structure:
            var last: Int16 = 0
            while let (_, t) = try readFieldHeader(&last) { try skip(t, depth: depth + 1) }
        }
    }

    /// Skips a struct-valued field whose content is irrelevant (e.g. an empty marker struct).
    mutating func skipStruct() throws(ParquetError) { try skip(.structure) }

    mutating func expect(_ type: ThriftType, _ wanted: ThriftType) throws(ParquetError) {
        guard type == wanted else { throw .malformed("thrift: field type \(type) where \(wanted) expected") }
    }

    mutating func readI32List() throws(ParquetError) -> [Int32] {
        let (count, t) = try readListHeader()
        try expect(t, .i32)
        var r: [Int32] = []
        r.reserveCapacity(count)
        for _ in 0..<count { r.append(try readI32()) }
        return r
    }

    mutating func readStringList() throws(ParquetError) -> [String] {
        let (count, t) = try readListHeader()
        try expect(t, .binary)
        var r: [String] = []
        r.reserveCapacity(count)
        for _ in 0..<count { r.append(try readString()) }
        return r
    }
}
