/// Turns physical values of one column into `ParquetValue`s by its logical type.
struct ValueConverter: Sendable {
    enum Kind: Sendable { case plain, date, time(TimeUnit), timestamp(TimeUnit, utc: Bool), decimal(scale: Int32), string, uuid, float16, alwaysNull }
    let physical: PhysicalType
    let kind: Kind

    init(_ node: ParquetSchemaNode) {
        physical = node.physicalType ?? .byteArray
        switch node.logicalType {
        case .string?, .enumeration?, .json?: kind = physical == .byteArray || physical == .fixedLenByteArray ? .string : .plain
        case .date?: kind = physical == .int32 ? .date : .plain
        case .time(_, let unit)?: kind = .time(unit)
        case .timestamp(let utc, let unit)?: kind = physical == .int64 || physical == .int32 ? .timestamp(unit, utc: utc) : .plain
        case .decimal(_, let scale)?: kind = .decimal(scale: scale)
        case .uuid?: kind = physical == .fixedLenByteArray ? .uuid : .plain
        case .float16?: kind = physical == .fixedLenByteArray ? .float16 : .plain
        case .unknown?: kind = .alwaysNull
        default:
            if node.logicalType == nil, node.convertedType == 5 { kind = .decimal(scale: node.scale ?? 0) } else { kind = .plain }
        }
    }

    @inline(__always)
    func int32(_ v: Int32) -> ParquetValue {
        switch kind {
        case .date: return .date(v)
        case .time(let u): return .time(Int64(v), u)
        case .timestamp(let u, let utc): return .timestamp(Int64(v), u, utc: utc)
        case .decimal(let s): return .decimal(unscaled: Int128(v), scale: s)
        case .alwaysNull: return .null
        default: return .int32(v)
        }
    }

    @inline(__always)
    func int64(_ v: Int64) -> ParquetValue {
        switch kind {
        case .time(let u): return .time(v, u)
        case .timestamp(let u, let utc): return .timestamp(v, u, utc: utc)
        case .decimal(let s): return .decimal(unscaled: Int128(v), scale: s)
        case .alwaysNull: return .null
        default: return .int64(v)
        }
    }

    /// INT96: 8-byte LE nanoseconds of the day, then 4-byte LE Julian day.
    func int96(_ bytes: UnsafeRawBufferPointer, _ at: Int) -> ParquetValue {
        var nanos: UInt64 = 0
        for i in 0..<8 { nanos |= UInt64(bytes[at + i]) << (8 * UInt64(i)) }
        var day: UInt32 = 0
        for i in 0..<4 { day |= UInt32(bytes[at + 8 + i]) << (8 * UInt32(i)) }
        let days = Int64(day) &- 2_440_588
        return .timestamp(days &* 86_400_000_000_000 &+ Int64(bitPattern: nanos), .nanos, utc: false)
    }

    func bytes(_ b: UnsafeRawBufferPointer) throws(ParquetError) -> ParquetValue {
        switch kind {
        case .string: return .string(String(decoding: b, as: UTF8.self))
        case .decimal(let s): return .decimal(unscaled: try Self.bigEndianInt128(b), scale: s)
        case .uuid: return b.count == 16 ? .uuid(Array(b)) : .binary(Array(b))
        case .float16:
            guard b.count == 2 else { return .binary(Array(b)) }
            return .float(Self.halfToFloat(UInt16(b[0]) | UInt16(b[1]) << 8))
        case .alwaysNull: return .null
        default: return .binary(Array(b))
        }
    }

    /// Big-endian two's complement; longer than 16 bytes only when the extra bytes are sign extension.
    static func bigEndianInt128(_ b: UnsafeRawBufferPointer) throws(ParquetError) -> Int128 {
        if b.isEmpty { return 0 }
        var start = 0
        if b.count > 16 {
            let fill: UInt8 = b[0] & 0x80 != 0 ? 0xFF : 0
            start = b.count - 16
            for i in 0..<start where b[i] != fill { throw .unsupported("decimal wider than 16 bytes") }
            if (b[start] & 0x80 != 0) != (fill == 0xFF) { throw .unsupported("decimal wider than 16 bytes") }
        }
        var v: UInt128 = b[start] & 0x80 != 0 ? ~0 : 0
        for i in start..<b.count { v = v << 8 | UInt128(b[i]) }
        return Int128(bitPattern: v)
    }

    static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h >> 15) << 31
        let exp = Int((h >> 10) & 0x1F)
        let mant = UInt32(h & 0x3FF)
        if exp == 0 {
            let v = Float(mant) * Float(sign: .plus, exponent: -24, significand: 1)
            return sign != 0 ? -v : v
        }
        if exp == 31 { return Float(bitPattern: sign | 0x7F80_0000 | mant << 13) }
        return Float(bitPattern: sign | UInt32(exp - 15 + 127) << 23 | mant << 13)
    }
}
