import IcebergModel

extension AvroValue {
    /// The value a field's JSON default stands for under the field's schema (bytes and fixed as
    /// strings of code points 0-255; a union's default as its first branch, or any branch that fits).
    public init(defaultJSON json: JSONValue, schema: AvroSchema) throws(AvroError) {
        self = try Self.fromDefault(json, schema, depth: 0)
    }

    private static func fromDefault(_ json: JSONValue, _ schema: AvroSchema, depth: Int) throws(AvroError) -> AvroValue {
        guard depth < AvroSchema.maxDepth else { throw .invalidSchema("default nested too deep") }
        func bad() -> AvroError { .invalidSchema("default \(AvroJSONText.string(json)) does not fit \(schema.unionKey)") }
        switch (schema.type, json) {
        case (.union(let branches), _):
            for branch in branches {
                if let value = try? fromDefault(json, branch, depth: depth + 1) { return value }
            }
            throw bad()
        case (.null, .null): return .null
        case (.boolean, .bool(let v)): return .boolean(v)
        case (.int, _):
            guard let v = json.intValue, let narrow = Int32(exactly: v) else { throw bad() }
            return .int(narrow)
        case (.long, _):
            guard let v = json.intValue else { throw bad() }
            return .long(v)
        case (.float, .int(let v)): return .float(Float(v))
        case (.float, .double(let v)): return .float(Float(v))
        case (.float, .string(let v)): guard let f = Float(v) else { throw bad() }; return .float(f)
        case (.double, .int(let v)): return .double(Double(v))
        case (.double, .double(let v)): return .double(v)
        case (.double, .string(let v)): guard let d = Double(v) else { throw bad() }; return .double(d)
        case (.string, .string(let v)): return .string(v)
        case (.bytes, .string(let v)):
            guard let bytes = latin1(v) else { throw bad() }
            return .bytes(bytes)
        case (.fixed(_, let size), .string(let v)):
            guard let bytes = latin1(v), bytes.count == size else { throw bad() }
            return .fixed(bytes)
        case (.enumeration(_, let symbols), .string(let v)):
            guard let index = symbols.firstIndex(of: v) else { throw bad() }
            return .enumeration(index)
        case (.array(let items), .array(let elements)):
            var values: [AvroValue] = []
            values.reserveCapacity(elements.count)
            for element in elements { values.append(try fromDefault(element, items, depth: depth + 1)) }
            return .array(values)
        case (.map(let valueSchema), .object(let members)):
            var values: [String: AvroValue] = [:]
            for (key, member) in members { values[key] = try fromDefault(member, valueSchema, depth: depth + 1) }
            return .map(values)
        case (.record(let record), .object(let members)):
            var values: [AvroValue] = []
            values.reserveCapacity(record.fields.count)
            for field in record.fields {
                if let member = members[field.name] {
                    values.append(try fromDefault(member, field.schema, depth: depth + 1))
                } else if let fieldDefault = field.defaultValue {
                    values.append(try fromDefault(fieldDefault, field.schema, depth: depth + 1))
                } else if field.schema.isNullable {
                    values.append(.null)
                } else {
                    throw bad()
                }
            }
            return .record(values)
        default:
            throw bad()
        }
    }

    private static func latin1(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            guard scalar.value <= 0xFF else { return nil }
            out.append(UInt8(scalar.value))
        }
        return out
    }
}

extension AvroJSONText {
    static func string(_ value: JSONValue) -> String { String(decoding: bytes(value), as: UTF8.self) }
}
