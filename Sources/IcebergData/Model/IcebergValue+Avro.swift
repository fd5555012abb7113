public import Avro

extension IcebergValue {
    /// An Avro value (as decoded, unions already resolved to their branch) read as an Iceberg type.
    /// Maps may be Avro maps (string keys) or arrays of key/value records (Iceberg's form for other keys).
    public init(_ avro: AvroValue, as type: IcebergType) throws(IcebergDataError) {
        self = try Self.fromAvro(avro, type, depth: 0)
    }

    static func fromAvro(_ a: AvroValue, _ type: IcebergType, depth: Int) throws(IcebergDataError) -> IcebergValue {
        guard depth <= IcebergType.maxDepth else { throw .malformed("value nested deeper than \(IcebergType.maxDepth)") }
        if case .null = a { return .null }
        func mismatch() -> IcebergDataError { .invalid("Avro value cannot be read as \(type.primitiveName ?? "a nested type")") }
        func long() throws(IcebergDataError) -> Int64 {
            switch a {
            case .long(let v): return v
            case .int(let v): return Int64(v)
            default: throw mismatch()
            }
        }
        switch type {
        case .unknown: return .null
        case .boolean:
            guard case .boolean(let v) = a else { throw mismatch() }
            return .boolean(v)
        case .int:
            guard case .int(let v) = a else { throw mismatch() }
            return .int(v)
        case .long: return .long(try long())
        case .float:
            guard case .float(let v) = a else { throw mismatch() }
            return .float(v)
        case .double:
            switch a {
            case .double(let v): return .double(v)
            case .float(let v): return .double(Double(v))
            default: throw mismatch()
            }
        case .decimal(_, let scale):
            switch a {
            case .bytes(let b), .fixed(let b):
                guard let u = Decimal128.fromBytes(b) else { throw .malformed("decimal of \(b.count) bytes") }
                return .decimal(unscaled: u, scale: scale)
            default: throw mismatch()
            }
        case .date:
            guard case .int(let v) = a else { throw mismatch() }
            return .date(v)
        case .time: return .time(try long())
        case .timestamp, .timestamptz, .timestampNs, .timestamptzNs:
            var v: Int64
            if case .int(let days) = a {  // a date promoted to a timestamp
                let perDay = (type == .timestampNs || type == .timestamptzNs) ? CivilTime.nanosPerDay : CivilTime.microsPerDay
                v = try checkedMul(Int64(days), perDay)
            } else {
                v = try long()
            }
            return .timestamp(v, as: type)
        case .string:
            switch a {
            case .string(let s): return .string(s)
            case .bytes(let b):
                guard let s = String(validating: b, as: UTF8.self) else { throw .malformed("string holds invalid UTF-8") }
                return .string(s)
            default: throw mismatch()
            }
        case .uuid:
            switch a {
            case .fixed(let b) where b.count == 16, .bytes(let b) where b.count == 16: return .uuid(b)
            case .string(let s):
                guard let b = LiteralText.uuid(s) else { throw mismatch() }
                return .uuid(b)
            default: throw mismatch()
            }
        case .fixed(let n):
            switch a {
            case .fixed(let b) where b.count == n, .bytes(let b) where b.count == n: return .fixed(b)
            default: throw mismatch()
            }
        case .binary:
            switch a {
            case .bytes(let b), .fixed(let b): return .binary(b)
            default: throw mismatch()
            }
        case .structType(let fields):
            guard case .record(let values) = a, values.count == fields.count else { throw mismatch() }
            var out: [IcebergValue] = []
            out.reserveCapacity(values.count)
            for (v, f) in zip(values, fields) { out.append(try fromAvro(v, f.type, depth: depth + 1)) }
            return .structValue(out)
        case .list(_, _, let element):
            guard case .array(let values) = a else { throw mismatch() }
            var out: [IcebergValue] = []
            out.reserveCapacity(values.count)
            for v in values { out.append(try fromAvro(v, element, depth: depth + 1)) }
            return .list(out)
        case .map(_, let keyType, _, _, let valueType):
            var out: [IcebergMapEntry] = []
            switch a {
            case .map(let dict):
                out.reserveCapacity(dict.count)
                for (k, v) in dict.sorted(by: { IcebergValue.compareBytes($0.key.utf8, $1.key.utf8) < 0 }) {
                    out.append(
                        IcebergMapEntry(key: try fromAvro(.string(k), keyType, depth: depth + 1), value: try fromAvro(v, valueType, depth: depth + 1)))
                }
            case .array(let records):
                out.reserveCapacity(records.count)
                for r in records {
                    guard case .record(let kv) = r, kv.count == 2 else { throw mismatch() }
                    out.append(IcebergMapEntry(key: try fromAvro(kv[0], keyType, depth: depth + 1), value: try fromAvro(kv[1], valueType, depth: depth + 1)))
                }
            default: throw mismatch()
            }
            return .map(out)
        }
    }

    /// The Avro value Iceberg writes for this value of `type` (decimal as fixed of the precision's size,
    /// uuid as fixed[16], maps with non-string keys as arrays of key/value records).
    public func avroValue(as type: IcebergType) -> AvroValue { avro(type, depth: 0) }

    private func avro(_ type: IcebergType, depth: Int) -> AvroValue {
        guard depth <= IcebergType.maxDepth else { return .null }
        switch (self, type) {
        case (.null, _): return .null
        case (.boolean(let v), _): return .boolean(v)
        case (.int(let v), .long): return .long(Int64(v))
        case (.int(let v), _): return .int(v)
        case (.long(let v), .int): return .int(Int32(truncatingIfNeeded: v))
        case (.long(let v), _): return .long(v)
        case (.float(let v), .double): return .double(Double(v))
        case (.float(let v), _): return .float(v)
        case (.double(let v), .float): return .float(Float(v))
        case (.double(let v), _): return .double(v)
        case (.decimal(let u, let s), .decimal(let precision, let scale)):
            let unscaled = Decimal128.rescale(u, from: s, to: scale) ?? u
            return .fixed(Decimal128.fixedBytes(unscaled, size: Decimal128.byteSize(precision: precision)) ?? Decimal128.minimalBytes(unscaled))
        case (.decimal(let u, _), _): return .bytes(Decimal128.minimalBytes(u))
        case (.date(let d), _): return .int(d)
        case (.time(let v), _), (.timestamp(let v), _), (.timestamptz(let v), _), (.timestampNs(let v), _), (.timestamptzNs(let v), _): return .long(v)
        case (.string(let s), _): return .string(s)
        case (.uuid(let b), _): return .fixed(b)
        case (.fixed(let b), _): return .fixed(b)
        case (.binary(let b), .fixed): return .fixed(b)
        case (.binary(let b), _): return .bytes(b)
        case (.structValue(let values), .structType(let fields)):
            var out: [AvroValue] = []
            out.reserveCapacity(values.count)
            for (i, v) in values.enumerated() { out.append(v.avro(i < fields.count ? fields[i].type : .unknown, depth: depth + 1)) }
            return .record(out)
        case (.structValue(let values), _): return .record(values.map { $0.avro(.unknown, depth: depth + 1) })
        case (.list(let values), .list(_, _, let element)): return .array(values.map { $0.avro(element, depth: depth + 1) })
        case (.list(let values), _): return .array(values.map { $0.avro(.unknown, depth: depth + 1) })
        case (.map(let entries), .map(_, let keyType, _, _, let valueType)):
            if keyType == .string {
                var dict: [String: AvroValue] = [:]
                dict.reserveCapacity(entries.count)
                for e in entries { if case .string(let k) = e.key { dict[k] = e.value.avro(valueType, depth: depth + 1) } }
                return .map(dict)
            }
            return .array(entries.map { .record([$0.key.avro(keyType, depth: depth + 1), $0.value.avro(valueType, depth: depth + 1)]) })
        case (.map(let entries), _):
            return .array(entries.map { .record([$0.key.avro(.unknown, depth: depth + 1), $0.value.avro(.unknown, depth: depth + 1)]) })
        }
    }
}
