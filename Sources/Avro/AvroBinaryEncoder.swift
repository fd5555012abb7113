extension AvroBinary {
    /// Encodes one value of the schema.
    public static func encode(_ value: AvroValue, as schema: AvroSchema) throws(AvroError) -> [UInt8] {
        var out: [UInt8] = []
        try encode(value, as: schema, into: &out)
        return out
    }

    /// Appends the encoding of one value; on error `out` may hold part of it.
    public static func encode(_ value: AvroValue, as schema: AvroSchema, into out: inout [UInt8]) throws(AvroError) {
        try encodeValue(value, schema, &out, depth: 0)
    }

    static func encodeValue(_ value: AvroValue, _ schema: AvroSchema, _ out: inout [UInt8], depth: Int) throws(AvroError) {
        guard depth < AvroSchema.maxDepth else { throw .limitExceeded("values nested too deep") }
        switch (value, schema.type) {
        case (_, .union(let branches)):
            guard let index = value.branchIndex(in: branches) else { throw .mismatch("no union branch fits \(value.kindName)") }
            writeLong(Int64(index), to: &out)
            try encodeValue(value, branches[index], &out, depth: depth + 1)
        case (.null, .null): break
        case (.boolean(let v), .boolean): out.append(v ? 1 : 0)
        case (.int(let v), .int): writeLong(Int64(v), to: &out)
        case (.int(let v), .long): writeLong(Int64(v), to: &out)
        case (.long(let v), .long): writeLong(v, to: &out)
        case (.float(let v), .float): writeFixedWidth(UInt64(v.bitPattern), 4, to: &out)
        case (.float(let v), .double): writeFixedWidth(Double(v).bitPattern, 8, to: &out)
        case (.int(let v), .double): writeFixedWidth(Double(v).bitPattern, 8, to: &out)
        case (.double(let v), .double): writeFixedWidth(v.bitPattern, 8, to: &out)
        case (.bytes(let v), .bytes):
            writeLong(Int64(v.count), to: &out)
            out.append(contentsOf: v)
        case (.string(let v), .string):
            writeLong(Int64(v.utf8.count), to: &out)
            out.append(contentsOf: v.utf8)
        case (.fixed(let v), .fixed(let name, let size)):
            guard v.count == size else { throw .mismatch("fixed \(name) needs \(size) bytes, got \(v.count)") }
            out.append(contentsOf: v)
        case (.enumeration(let index), .enumeration(let name, let symbols)):
            guard index >= 0, index < symbols.count else { throw .mismatch("enum \(name) has no symbol \(index)") }
            writeLong(Int64(index), to: &out)
        case (.array(let values), .array(let items)):
            if !values.isEmpty {
                writeLong(Int64(values.count), to: &out)
                for element in values { try encodeValue(element, items, &out, depth: depth + 1) }
            }
            out.append(0)
        case (.map(let values), .map(let valueSchema)):
            if !values.isEmpty {
                writeLong(Int64(values.count), to: &out)
                for key in values.keys.sorted() {
                    writeLong(Int64(key.utf8.count), to: &out)
                    out.append(contentsOf: key.utf8)
                    if let element = values[key] { try encodeValue(element, valueSchema, &out, depth: depth + 1) }
                }
            }
            out.append(0)
        case (.record(let values), .record(let record)):
            guard values.count == record.fields.count else {
                throw .mismatch("record \(record.name) has \(record.fields.count) fields, got \(values.count) values")
            }
            for (element, field) in zip(values, record.fields) { try encodeValue(element, field.schema, &out, depth: depth + 1) }
        default:
            throw .mismatch("cannot write \(value.kindName) as \(schema.unionKey)")
        }
    }

    static func writeLong(_ value: Int64, to out: inout [UInt8]) {
        var zigzag = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        while zigzag >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: zigzag) | 0x80)
            zigzag >>= 7
        }
        out.append(UInt8(zigzag))
    }

    static func writeFixedWidth(_ value: UInt64, _ width: Int, to out: inout [UInt8]) {
        for offset in 0..<width { out.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(offset)))) }
    }
}

extension AvroValue {
    var kindName: String {
        switch self {
        case .null: "null"
        case .boolean: "boolean"
        case .int: "int"
        case .long: "long"
        case .float: "float"
        case .double: "double"
        case .bytes: "bytes"
        case .string: "string"
        case .fixed: "fixed"
        case .enumeration: "enum"
        case .array: "array"
        case .map: "map"
        case .record: "record"
        }
    }
}
