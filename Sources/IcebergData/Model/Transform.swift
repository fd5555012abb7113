/// A partition transform (spec "Partition Transforms").
public enum Transform: Sendable, Hashable, CustomStringConvertible {
    case identity, bucket(Int), truncate(Int), year, month, day, hour, void, unknown(String)

    public init(_ text: String) {
        let t = text.lowercased().filter { $0 != " " }
        switch t {
        case "identity": self = .identity
        case "year", "years": self = .year
        case "month", "months": self = .month
        case "day", "days": self = .day
        case "hour", "hours": self = .hour
        case "void": self = .void
        default:
            if t.hasPrefix("bucket["), t.hasSuffix("]"), let n = Int(t.dropFirst(7).dropLast()), n > 0 {
                self = .bucket(n)
            } else if t.hasPrefix("truncate["), t.hasSuffix("]"), let n = Int(t.dropFirst(9).dropLast()), n > 0 {
                self = .truncate(n)
            } else {
                self = .unknown(text)
            }
        }
    }

    public var description: String {
        switch self {
        case .identity: return "identity"
        case .bucket(let n): return "bucket[\(n)]"
        case .truncate(let w): return "truncate[\(w)]"
        case .year: return "year"
        case .month: return "month"
        case .day: return "day"
        case .hour: return "hour"
        case .void: return "void"
        case .unknown(let text): return text
        }
    }

    /// Whether the transform can be applied to values of `source`.
    public func canTransform(_ source: IcebergType) -> Bool {
        switch self {
        case .identity: return source.isPrimitive
        case .void: return true
        case .unknown: return false
        case .bucket:
            switch source {
            case .int, .long, .decimal, .date, .time, .timestamp, .timestamptz, .timestampNs, .timestamptzNs, .string, .uuid, .fixed, .binary: return true
            default: return false
            }
        case .truncate:
            switch source {
            case .int, .long, .decimal, .string, .binary: return true
            default: return false
            }
        case .year, .month, .day:
            switch source {
            case .date, .timestamp, .timestamptz, .timestampNs, .timestamptzNs: return true
            default: return false
            }
        case .hour:
            switch source {
            case .timestamp, .timestamptz, .timestampNs, .timestamptzNs: return true
            default: return false
            }
        }
    }

    public func resultType(source: IcebergType) -> IcebergType {
        switch self {
        case .identity, .truncate, .void, .unknown: return source
        case .bucket, .year, .month, .hour: return .int
        case .day: return .date
        }
    }

    /// Whether transformed values keep the order of the source values (so ranges project).
    var preservesOrder: Bool {
        switch self {
        case .identity, .truncate, .year, .month, .day, .hour: return true
        default: return false
        }
    }

    public func apply(_ value: IcebergValue) -> IcebergValue {
        if value.isNull { return .null }
        switch self {
        case .identity: return value
        case .void, .unknown: return .null
        case .bucket(let n): return bucket(value, n)
        case .truncate(let w): return truncate(value, w)
        case .year, .month, .day, .hour: return temporal(value)
        }
    }

    /// The 32-bit hash the bucket transform uses; nil for types it does not apply to.
    public static func hash(_ value: IcebergValue) -> Int32? {
        switch value {
        case .int(let v): return Murmur3.hashLong(Int64(v))
        case .long(let v): return Murmur3.hashLong(v)
        case .date(let v): return Murmur3.hashLong(Int64(v))
        case .time(let v), .timestamp(let v), .timestamptz(let v): return Murmur3.hashLong(v)
        case .timestampNs(let v), .timestamptzNs(let v): return Murmur3.hashLong(CivilTime.floorDiv(v, 1000))
        case .decimal(let u, _): return Murmur3.hash(Decimal128.minimalBytes(u))
        case .string(let s): return Murmur3.hash(s.utf8)
        case .uuid(let b), .fixed(let b), .binary(let b): return Murmur3.hash(b)
        default: return nil
        }
    }

    private func bucket(_ value: IcebergValue, _ n: Int) -> IcebergValue {
        guard n > 0, let h = Self.hash(value) else { return .null }
        return .int(Int32((Int(h) & Int(Int32.max)) % n))
    }

    private func truncate(_ value: IcebergValue, _ w: Int) -> IcebergValue {
        guard w > 0 else { return .null }
        switch value {
        case .int(let v):
            let width = Int64(w)
            return .int(Int32(truncatingIfNeeded: Int64(v) - CivilTime.floorMod(Int64(v), width)))
        case .long(let v):
            let width = Int64(w)
            let (r, o) = v.subtractingReportingOverflow(CivilTime.floorMod(v, width))
            return o ? .long(v) : .long(r)
        case .decimal(let u, let s):
            let width = Int128(w)
            var m = u % width
            if m < 0 { m += width }
            let (r, o) = u.subtractingReportingOverflow(m)
            return .decimal(unscaled: o ? u : r, scale: s)
        case .string(let text):
            var count = 0
            var end = text.unicodeScalars.startIndex
            for i in text.unicodeScalars.indices {
                if count == w { end = i; return .string(String(text.unicodeScalars[..<end])) }
                count += 1
            }
            return value
        case .binary(let b): return b.count <= w ? value : .binary(Array(b[..<w]))
        case .fixed(let b): return b.count <= w ? value : .fixed(Array(b[..<w]))
        default: return .null
        }
    }

    private func temporal(_ value: IcebergValue) -> IcebergValue {
        let days: Int64
        let hours: Int64?
        switch value {
        case .date(let d): days = Int64(d); hours = nil
        case .timestamp(let us), .timestamptz(let us):
            days = CivilTime.floorDiv(us, CivilTime.microsPerDay)
            hours = CivilTime.floorDiv(us, 3_600_000_000)
        case .timestampNs(let ns), .timestamptzNs(let ns):
            days = CivilTime.floorDiv(ns, CivilTime.nanosPerDay)
            hours = CivilTime.floorDiv(ns, 3_600_000_000_000)
        default: return .null
        }
        switch self {
        case .day: return .date(Int32(clamping: days))
        case .hour:
            guard let hours else { return .null }
            return .int(Int32(clamping: hours))
        case .year: return .int(Int32(clamping: CivilTime.civil(days: days).year - 1970))
        case .month:
            let c = CivilTime.civil(days: days)
            return .int(Int32(clamping: (c.year - 1970) * 12 + c.month - 1))
        default: return .null
        }
    }

    /// The partition-path text of a transformed value (Java's `toHumanString`).
    public func humanString(_ value: IcebergValue, sourceType: IcebergType? = nil) -> String {
        if value.isNull { return "null" }
        switch (self, value) {
        case (.year, .int(let y)): return CivilTime.pad(Int64(y) + 1970, 4)
        case (.month, .int(let m)):
            let y = CivilTime.floorDiv(Int64(m), 12) + 1970
            return "\(CivilTime.pad(y, 4))-\(CivilTime.pad(CivilTime.floorMod(Int64(m), 12) + 1, 2))"
        case (.day, .date(let d)): return CivilTime.dateText(Int64(d))
        case (.day, .int(let d)): return CivilTime.dateText(Int64(d))
        case (.hour, .int(let h)):
            let days = CivilTime.floorDiv(Int64(h), 24)
            return CivilTime.dateText(days) + "-" + CivilTime.pad(CivilTime.floorMod(Int64(h), 24), 2)
        default: return value.humanText
        }
    }
}
