/// Reads Avro's binary primitives from borrowed bytes. Every read checks the remaining input first;
/// `truncated` tells a caller that wants more input apart from other malformations.
struct AvroBinaryCursor {
    let bytes: UnsafeBufferPointer<UInt8>
    var position: Int
    private(set) var truncated = false
    /// Items that encode to no bytes (nulls, empty records) still allowed in what this cursor
    /// decodes: their counts cannot be checked against the input, so they share one budget.
    var emptyItemBudget = AvroBinary.maxEmptyItems

    init(_ bytes: UnsafeBufferPointer<UInt8>, position: Int = 0) {
        self.bytes = bytes
        self.position = position
    }

    var remaining: Int { bytes.count - position }
    var isAtEnd: Bool { position >= bytes.count }

    mutating func endOfInput() -> AvroError {
        truncated = true
        return .malformed("unexpected end of input")
    }

    mutating func readByte() throws(AvroError) -> UInt8 {
        guard position < bytes.count else { throw endOfInput() }
        let byte = bytes[position]
        position += 1
        return byte
    }

    /// A zig-zag varint of at most 10 bytes whose value fits in 64 bits.
    mutating func readLong() throws(AvroError) -> Int64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < bytes.count else { throw endOfInput() }
            let byte = bytes[position]
            position += 1
            if shift == 63 && byte > 1 { throw .malformed("varint overflows 64 bits") }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { break }
            shift += 7
        }
        return Int64(bitPattern: (result >> 1) ^ (0 &- (result & 1)))
    }

    mutating func readInt() throws(AvroError) -> Int32 {
        let value = try readLong()
        guard let narrow = Int32(exactly: value) else { throw .malformed("int out of range") }
        return narrow
    }

    mutating func readBoolean() throws(AvroError) -> Bool {
        switch try readByte() {
        case 0: return false
        case 1: return true
        default: throw .malformed("boolean byte is neither 0 nor 1")
        }
    }

    mutating func readFixedWidth(_ width: Int) throws(AvroError) -> UInt64 {
        guard remaining >= width else { throw endOfInput() }
        var value: UInt64 = 0
        for offset in 0..<width { value |= UInt64(bytes[position + offset]) << (8 * UInt64(offset)) }
        position += width
        return value
    }

    mutating func readFloat() throws(AvroError) -> Float { Float(bitPattern: UInt32(truncatingIfNeeded: try readFixedWidth(4))) }
    mutating func readDouble() throws(AvroError) -> Double { Double(bitPattern: try readFixedWidth(8)) }

    /// A length prefix, checked against the remaining input before anything is allocated.
    mutating func readLength() throws(AvroError) -> Int {
        let length = try readLong()
        guard length >= 0 else { throw .malformed("negative length") }
        guard length <= Int64(remaining) else { throw endOfInput() }
        return Int(length)
    }

    mutating func readRaw(_ count: Int) throws(AvroError) -> [UInt8] {
        guard count >= 0, count <= remaining else { throw endOfInput() }
        let out = Array(UnsafeBufferPointer(rebasing: bytes[position..<(position + count)]))
        position += count
        return out
    }

    mutating func skip(_ count: Int) throws(AvroError) {
        guard count >= 0, count <= remaining else { throw endOfInput() }
        position += count
    }

    mutating func readBytes() throws(AvroError) -> [UInt8] { try readRaw(try readLength()) }

    mutating func readString() throws(AvroError) -> String {
        let count = try readLength()
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[position..<(position + count)]), as: UTF8.self)
        position += count
        return text
    }

    /// The item count of the next array or map block: 0 ends the value; a negative count is followed
    /// by the block's size in bytes, which is only checked.
    mutating func readBlockCount() throws(AvroError) -> Int {
        let count = try readLong()
        if count >= 0 { return Int(count) }
        guard count != .min else { throw .malformed("block count out of range") }
        let size = try readLong()
        guard size >= 0, size <= Int64(remaining) else { throw size < 0 ? .malformed("negative block size") : endOfInput() }
        return Int(-count)
    }
}
