public import Parquet

extension IcebergValue {
    /// A Parquet value read as an Iceberg type, with the promotions the spec allows
    /// (int→long, float→double, decimal scale widening, date→timestamp) and unit conversions (ms/ns→µs, INT96).
    public init(_ parquet: ParquetValue, as type: IcebergType) throws(IcebergDataError) {
        self = try Self.fromParquet(parquet, type, depth: 0)
    }

    static func fromParquet(_ p: ParquetValue, _ type: IcebergType, depth: Int) throws(IcebergDataError) -> IcebergValue {
        guard depth <= IcebergType.maxDepth else { throw .malformed("value nested deeper than \(IcebergType.maxDepth)") }
        if case .null = p { return .null }
        func mismatch() -> IcebergDataError { .invalid("Parquet value \(p) cannot be read as \(type.primitiveName ?? "a nested type")") }
        func scaled(_ v: Int64, _ unit: TimeUnit, toNanos: Bool) throws(IcebergDataError) -> Int64 {
            switch (unit, toNanos) {
            case (.micros, false), (.nanos, true): return v
            case (.millis, false): return try checkedMul(v, 1000)
            case (.millis, true): return try checkedMul(v, 1_000_000)
            case (.micros, true): return try checkedMul(v, 1000)
            case (.nanos, false): return CivilTime.floorDiv(v, 1000)
            }
        }
        switch type {
        case .unknown: return .null
        case .boolean:
            guard case .boolean(let v) = p else { throw mismatch() }
            return .boolean(v)
        case .int:
            switch p {
            case .int32(let v): return .int(v)
            case .int64(let v):
                guard let n = Int32(exactly: v) else { throw mismatch() }
                return .int(n)
            default: throw mismatch()
            }
        case .long:
            switch p {
            case .int32(let v): return .long(Int64(v))
            case .int64(let v): return .long(v)
            default: throw mismatch()
            }
        case .float:
            guard case .float(let v) = p else { throw mismatch() }
            return .float(v)
        case .double:
            switch p {
            case .float(let v): return .double(Double(v))
            case .double(let v): return .double(v)
            default: throw mismatch()
            }
        case .decimal(_, let scale):
            let unscaled: Int128
            let from: Int
            switch p {
            case .decimal(let u, let s): unscaled = u; from = Int(s)
            case .int32(let v): unscaled = Int128(v); from = scale
            case .int64(let v): unscaled = Int128(v); from = scale
            case .binary(let b):
                guard let u = Decimal128.fromBytes(b) else { throw mismatch() }
                unscaled = u; from = scale
            default: throw mismatch()
            }
            guard let r = Decimal128.rescale(unscaled, from: from, to: scale) else { throw mismatch() }
            return .decimal(unscaled: r, scale: scale)
        case .date:
            switch p {
            case .date(let d), .int32(let d): return .date(d)
            default: throw mismatch()
            }
        case .time:
            switch p {
            case .time(let v, let unit): return .time(try scaled(v, unit, toNanos: false))
            case .int64(let v): return .time(v)
            case .int32(let v): return .time(Int64(v) * 1000)  // TIME_MILLIS
            default: throw mismatch()
            }
        case .timestamp, .timestamptz, .timestampNs, .timestamptzNs:
            let nanos = type == .timestampNs || type == .timestamptzNs
            let v: Int64
            switch p {
            case .timestamp(let raw, let unit, _): v = try scaled(raw, unit, toNanos: nanos)
            case .int64(let raw): v = raw
            case .date(let d): v = try checkedMul(Int64(d), nanos ? CivilTime.nanosPerDay : CivilTime.microsPerDay)
            default: throw mismatch()
            }
            return .timestamp(v, as: type)
        case .string:
            switch p {
            case .string(let s): return .string(s)
            case .binary(let b):
                guard let s = String(validating: b, as: UTF8.self) else { throw .malformed("string column holds invalid UTF-8") }
                return .string(s)
            default: throw mismatch()
            }
        case .uuid:
            switch p {
            case .uuid(let b) where b.count == 16: return .uuid(b)
            case .binary(let b) where b.count == 16: return .uuid(b)
            default: throw mismatch()
            }
        case .fixed(let n):
            switch p {
            case .binary(let b) where b.count == n: return .fixed(b)
            case .uuid(let b) where b.count == n: return .fixed(b)
            default: throw mismatch()
            }
        case .binary:
            switch p {
            case .binary(let b), .uuid(let b): return .binary(b)
            case .string(let s): return .binary(Array(s.utf8))
            default: throw mismatch()
            }
        case .structType(let fields):
            guard case .record(let values) = p else { throw mismatch() }
            guard values.count == fields.count else { throw .invalid("struct of \(values.count) values for \(fields.count) fields") }
            var out: [IcebergValue] = []
            out.reserveCapacity(values.count)
            for (v, f) in zip(values, fields) { out.append(try fromParquet(v, f.type, depth: depth + 1)) }
            return .structValue(out)
        case .list(_, _, let element):
            guard case .list(let values) = p else { throw mismatch() }
            var out: [IcebergValue] = []
            out.reserveCapacity(values.count)
            for v in values { out.append(try fromParquet(v, element, depth: depth + 1)) }
            return .list(out)
        case .map(_, let keyType, _, _, let valueType):
            guard case .map(let entries) = p else { throw mismatch() }
            var out: [IcebergMapEntry] = []
            out.reserveCapacity(entries.count)
            for e in entries {
                out.append(IcebergMapEntry(key: try fromParquet(e.key, keyType, depth: depth + 1), value: try fromParquet(e.value, valueType, depth: depth + 1)))
            }
            return .map(out)
        }
    }

    static func checkedMul(_ a: Int64, _ b: Int64) throws(IcebergDataError) -> Int64 {
        let (r, o) = a.multipliedReportingOverflow(by: b)
        guard !o else { throw .invalid("time value \(a) out of range") }
        return r
    }

    /// The Parquet value that stores this value (logical types as Iceberg writes them).
    public var parquetValue: ParquetValue {
        switch self {
        case .null: return .null
        case .boolean(let v): return .boolean(v)
        case .int(let v): return .int32(v)
        case .long(let v): return .int64(v)
        case .float(let v): return .float(v)
        case .double(let v): return .double(v)
        case .decimal(let u, let s): return .decimal(unscaled: u, scale: Int32(clamping: s))
        case .date(let d): return .date(d)
        case .time(let v): return .time(v, .micros)
        case .timestamp(let v): return .timestamp(v, .micros, utc: false)
        case .timestamptz(let v): return .timestamp(v, .micros, utc: true)
        case .timestampNs(let v): return .timestamp(v, .nanos, utc: false)
        case .timestamptzNs(let v): return .timestamp(v, .nanos, utc: true)
        case .string(let s): return .string(s)
        case .uuid(let b): return .uuid(b)
        case .fixed(let b), .binary(let b): return .binary(b)
        case .structValue(let values): return .record(values.map(\.parquetValue))
        case .list(let values): return .list(values.map(\.parquetValue))
        case .map(let entries): return .map(entries.map { ParquetMapEntry(key: $0.key.parquetValue, value: $0.value.parquetValue) })
        }
    }
}
