/// Single-value binary serialization (spec Appendix D), used for column bounds and partition summaries.
extension IcebergValue {
    /// The value's Appendix D bytes; empty for null and for nested values (which have no serialization).
    public func toBound() -> [UInt8] {
        switch self {
        case .null, .structValue, .list, .map: return []
        case .boolean(let v): return [v ? 1 : 0]
        case .int(let v): return Self.littleEndian(UInt64(UInt32(bitPattern: v)), 4)
        case .date(let v): return Self.littleEndian(UInt64(UInt32(bitPattern: v)), 4)
        case .long(let v), .time(let v), .timestamp(let v), .timestamptz(let v), .timestampNs(let v), .timestamptzNs(let v):
            return Self.littleEndian(UInt64(bitPattern: v), 8)
        case .float(let v): return Self.littleEndian(UInt64(v.bitPattern), 4)
        case .double(let v): return Self.littleEndian(v.bitPattern, 8)
        case .decimal(let u, _): return Decimal128.minimalBytes(u)
        case .string(let s): return Array(s.utf8)
        case .uuid(let b), .fixed(let b), .binary(let b): return b
        }
    }

    /// Reads Appendix D bytes as `type`. Accepts the narrower encodings of promoted types
    /// (int bounds read as long, float as double, date as timestamp).
    public init(bound: [UInt8], as type: IcebergType) throws(IcebergDataError) {
        func expect(_ n: Int) throws(IcebergDataError) {
            guard bound.count == n else { throw .malformed("\(type.primitiveName ?? "nested") bound of \(bound.count) bytes") }
        }
        switch type {
        case .boolean:
            try expect(1)
            self = .boolean(bound[0] != 0)
        case .int:
            try expect(4)
            self = .int(Int32(truncatingIfNeeded: Self.readLE(bound, 4)))
        case .long:
            if bound.count == 4 {
                self = .long(Int64(Int32(truncatingIfNeeded: Self.readLE(bound, 4))))
            } else {
                try expect(8)
                self = .long(Int64(bitPattern: Self.readLE(bound, 8)))
            }
        case .float:
            try expect(4)
            self = .float(Float(bitPattern: UInt32(truncatingIfNeeded: Self.readLE(bound, 4))))
        case .double:
            if bound.count == 4 {
                self = .double(Double(Float(bitPattern: UInt32(truncatingIfNeeded: Self.readLE(bound, 4)))))
            } else {
                try expect(8)
                self = .double(Double(bitPattern: Self.readLE(bound, 8)))
            }
        case .date:
            try expect(4)
            self = .date(Int32(truncatingIfNeeded: Self.readLE(bound, 4)))
        case .time:
            try expect(8)
            self = .time(Int64(bitPattern: Self.readLE(bound, 8)))
        case .timestamp, .timestamptz, .timestampNs, .timestamptzNs:
            let v: Int64
            if bound.count == 4 {
                // A date column promoted to a timestamp keeps its day bounds.
                let days = Int64(Int32(truncatingIfNeeded: Self.readLE(bound, 4)))
                let perDay = (type == .timestampNs || type == .timestamptzNs) ? CivilTime.nanosPerDay : CivilTime.microsPerDay
                v = days * perDay
            } else {
                try expect(8)
                v = Int64(bitPattern: Self.readLE(bound, 8))
            }
            switch type {
            case .timestamp: self = .timestamp(v)
            case .timestamptz: self = .timestamptz(v)
            case .timestampNs: self = .timestampNs(v)
            default: self = .timestamptzNs(v)
            }
        case .string:
            guard let s = String(validating: bound, as: UTF8.self) else { throw .malformed("string bound is not UTF-8") }
            self = .string(s)
        case .uuid:
            try expect(16)
            self = .uuid(bound)
        case .fixed: self = .fixed(bound)
        case .binary: self = .binary(bound)
        case .decimal(_, let scale):
            guard let u = Decimal128.fromBytes(bound) else { throw .malformed("decimal bound of \(bound.count) bytes") }
            self = .decimal(unscaled: u, scale: scale)
        case .unknown: self = .null
        case .structType, .list, .map: throw .unsupported("bounds of nested types")
        }
    }

    static func littleEndian(_ v: UInt64, _ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        for i in 0..<count { out[i] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(i))) }
        return out
    }

    static func readLE(_ b: [UInt8], _ count: Int) -> UInt64 {
        var v: UInt64 = 0
        for i in 0..<min(count, b.count) { v |= UInt64(b[i]) << (8 * UInt64(i)) }
        return v
    }
}
