/// Non-null values of one leaf in their physical form (only the array of the leaf's type is used).
struct PhysicalValues: Sendable {
    var bools: [Bool] = []
    var int32s: [Int32] = []
    var int64s: [Int64] = []
    var floats: [Float] = []
    var doubles: [Double] = []
    var bytes: [[UInt8]] = []

    mutating func removeAll() {
        bools.removeAll(keepingCapacity: true)
        int32s.removeAll(keepingCapacity: true)
        int64s.removeAll(keepingCapacity: true)
        floats.removeAll(keepingCapacity: true)
        doubles.removeAll(keepingCapacity: true)
        bytes.removeAll(keepingCapacity: true)
    }
}

/// `ParquetValue` → physical value for the writer.
enum PhysicalConversion {
    static func int64(_ v: ParquetValue) -> Int64? {
        switch v {
        case .int32(let x), .date(let x): return Int64(x)
        case .int64(let x): return x
        case .time(let x, _), .timestamp(let x, _, _): return x
        case .decimal(let u, _): return Int64(exactly: u)
        default: return nil
        }
    }

    /// Minimal big-endian two's complement bytes of a decimal's unscaled value.
    static func decimalBytes(_ u: Int128, width: Int?) -> [UInt8]? {
        let bits = UInt128(bitPattern: u)
        var full: [UInt8] = []
        full.reserveCapacity(16)
        for i in (0..<16).reversed() { full.append(UInt8(truncatingIfNeeded: bits >> (UInt128(i) * 8))) }
        let fill: UInt8 = u < 0 ? 0xFF : 0
        var start = 0
        while start < 15 && full[start] == fill && (full[start + 1] & 0x80 != 0) == (fill == 0xFF) { start += 1 }
        let minimal = Array(full[start...])
        guard let width else { return minimal }
        guard minimal.count <= width else { return nil }
        return Array(repeating: fill, count: width - minimal.count) + minimal
    }

    static func append(_ v: ParquetValue, to values: inout PhysicalValues, node: ParquetSchemaNode) throws(ParquetError) -> Int {
        func mismatch() -> ParquetError { .invalidArgument("value \(v) does not fit column \(node.name) of type \(String(describing: node.physicalType))") }
        switch node.physicalType {
        case .boolean?:
            guard case .boolean(let b) = v else { throw mismatch() }
            values.bools.append(b)
            return 1
        case .int32?:
            guard let x = int64(v), let y = Int32(exactly: x) else {
                if let x = int64(v), x >= 0, x <= Int64(UInt32.max), case .integer(_, false)? = node.logicalType {
                    values.int32s.append(Int32(bitPattern: UInt32(x)))
                    return 4
                }
                throw mismatch()
            }
            values.int32s.append(y)
            return 4
        case .int64?:
            guard let x = int64(v) else { throw mismatch() }
            values.int64s.append(x)
            return 8
        case .float?:
            switch v {
            case .float(let f): values.floats.append(f)
            case .double(let d): values.floats.append(Float(d))
            default: throw mismatch()
            }
            return 4
        case .double?:
            switch v {
            case .double(let d): values.doubles.append(d)
            case .float(let f): values.doubles.append(Double(f))
            default: throw mismatch()
            }
            return 8
        case .byteArray?:
            let b: [UInt8]
            switch v {
            case .string(let s): b = Array(s.utf8)
            case .binary(let x), .uuid(let x): b = x
            case .decimal(let u, _): b = decimalBytes(u, width: nil) ?? []
            default: throw mismatch()
            }
            values.bytes.append(b)
            return b.count + 4
        case .fixedLenByteArray?:
            let width = Int(node.typeLength ?? 0)
            let b: [UInt8]
            switch v {
            case .string(let s): b = Array(s.utf8)
            case .binary(let x), .uuid(let x): b = x
            case .decimal(let u, _):
                guard let d = decimalBytes(u, width: width) else { throw mismatch() }
                b = d
            case .float(let f) where width == 2 && node.logicalType == .float16:
                let h = floatToHalf(f)
                b = [UInt8(truncatingIfNeeded: h), UInt8(h >> 8)]
            default: throw mismatch()
            }
            guard b.count == width else { throw .invalidArgument("\(b.count) bytes for FIXED_LEN_BYTE_ARRAY(\(width)) column \(node.name)") }
            values.bytes.append(b)
            return width
        case .int96?: throw .unsupported("writing INT96")
        case nil: throw mismatch()
        }
    }

    /// Round-to-nearest-even float → IEEE half bits.
    static func floatToHalf(_ f: Float) -> UInt16 {
        let bits = f.bitPattern
        let sign = UInt16((bits >> 16) & 0x8000)
        let exp = Int((bits >> 23) & 0xFF)
        var mant = bits & 0x7F_FFFF
        if exp == 0xFF { return sign | 0x7C00 | (mant != 0 ? 0x200 : 0) }
        let e = exp - 127 + 15
        if e >= 31 { return sign | 0x7C00 }
        if e <= 0 {
            if e < -10 { return sign }
            mant |= 0x80_0000
            let shift = UInt32(14 - e)
            var h = mant >> shift
            let rem = mant & ((1 << shift) - 1)
            let half = UInt32(1) << (shift - 1)
            if rem > half || (rem == half && h & 1 == 1) { h += 1 }
            return sign | UInt16(h)
        }
        var h = UInt32(e) << 10 | mant >> 13
        let rem = mant & 0x1FFF
        if rem > 0x1000 || (rem == 0x1000 && h & 1 == 1) { h += 1 }
        return sign | UInt16(h)
    }
}
