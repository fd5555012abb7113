extension AvroValue {
    /// Whether this value is of the schema's kind as decoded (a record with as many fields, a fixed of the size ...).
    func matches(_ schema: AvroSchema) -> Bool {
        switch (self, schema.type) {
        case (.null, .null), (.boolean, .boolean), (.int, .int), (.long, .long), (.float, .float), (.double, .double),
            (.bytes, .bytes), (.string, .string), (.array, .array), (.map, .map):
            return true
        case (.fixed(let bytes), .fixed(_, let size)): return bytes.count == size
        case (.enumeration(let index), .enumeration(_, let symbols)): return index >= 0 && index < symbols.count
        case (.record(let values), .record(let record)): return values.count == record.fields.count
        default: return false
        }
    }

    /// Whether the encoder can write this value as the schema's kind without loss.
    func widens(to schema: AvroSchema) -> Bool {
        switch (self, schema.type) {
        case (.int, .long), (.int, .double), (.float, .double): return true
        default: return false
        }
    }

    /// The first union branch of this value's kind, else the first it widens to.
    func branchIndex(in branches: [AvroSchema]) -> Int? {
        if let exact = branches.firstIndex(where: { matches($0) }) { return exact }
        return branches.firstIndex(where: { widens(to: $0) })
    }
}
