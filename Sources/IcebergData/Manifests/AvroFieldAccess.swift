import Avro

/// Reads the fields of a writer's record by Iceberg field id, so that manifests written by older
/// or newer writers (fields added, removed or reordered) are read alike: a field the writer did
/// not write reads as null.
struct AvroFieldIndex: Sendable {
    private var positions: [Int: Int] = [:]
    private var schemas: [Int: AvroSchema] = [:]

    init(_ schema: AvroSchema) throws(IcebergDataError) {
        guard case .record(let record) = schema.unwrappingOptional.type else {
            throw .malformed("expected an Avro record schema")
        }
        for (index, field) in record.fields.enumerated() {
            guard let id = field.fieldID else { continue }
            positions[id] = index
            schemas[id] = field.schema.unwrappingOptional
        }
    }

    func schema(_ id: Int) -> AvroSchema? { schemas[id] }

    func value(_ id: Int, in record: [AvroValue]) -> AvroValue {
        guard let index = positions[id], index < record.count else { return .null }
        return record[index]
    }
}

extension AvroSchema {
    /// The non-null branch of an optional union (`["null", T]`), or the schema itself.
    var unwrappingOptional: AvroSchema {
        guard case .union(let branches) = type else { return self }
        for branch in branches where branch.type != .null { return branch }
        return self
    }
}

extension AvroValue {
    var recordFields: [AvroValue]? { if case .record(let f) = self { return f } else { return nil } }
    var isNull: Bool { self == .null }

    var int64: Int64? {
        switch self {
        case .int(let v): return Int64(v)
        case .long(let v): return v
        default: return nil
        }
    }

    var int: Int? { int64.flatMap { Int(exactly: $0) } }

    var string: String? { if case .string(let s) = self { return s } else { return nil } }

    var bool: Bool? { if case .boolean(let b) = self { return b } else { return nil } }

    var byteArray: [UInt8]? {
        switch self {
        case .bytes(let b), .fixed(let b): return b
        default: return nil
        }
    }

    var elements: [AvroValue]? { if case .array(let a) = self { return a } else { return nil } }

    /// An Iceberg map with int keys: an array of `{key, value}` records (logical type "map"),
    /// or a plain Avro map whose string keys are decimal ids.
    func intKeyedMap<V>(_ convert: (AvroValue) -> V?) throws(IcebergDataError) -> [Int: V]? {
        switch self {
        case .null: return nil
        case .array(let items):
            var out: [Int: V] = [:]
            out.reserveCapacity(items.count)
            for item in items {
                guard case .record(let kv) = item, kv.count >= 2, let key = kv[0].int, let value = convert(kv[1]) else {
                    throw .malformed("map entry is not a {key, value} record")
                }
                out[key] = value
            }
            return out
        case .map(let entries):
            var out: [Int: V] = [:]
            out.reserveCapacity(entries.count)
            for (k, v) in entries {
                guard let key = Int(k), let value = convert(v) else { throw .malformed("map key is not an int") }
                out[key] = value
            }
            return out
        default:
            throw .malformed("expected a map")
        }
    }
}

extension IcebergDataError {
    static func avro(_ error: AvroError) -> IcebergDataError { .malformed("avro: \(error)") }
}
