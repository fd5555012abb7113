public import IcebergData
public import IcebergModel

/// Text and JSON values converted to a schema's types; a value that does not fit throws .invalid naming the column
/// and the value (the CLI records it as a reject with the line number).
public enum RowConverter {
    /// `header` names the record's fields; schema columns absent from the header are NULL; header names absent from
    /// the schema throw unless `ignoreExtra` (so do non-NULL fields past the header's end).
    public static func row(_ record: TextRecord, header: [String], schema: IcebergSchema, ignoreExtra: Bool = false) throws(IngestError) -> [IcebergValue] {
        try TextRowConverter(header: header, schema: schema, ignoreExtra: ignoreExtra).row(record)
    }

    /// Object members by column name (exact, else ignoring case); nested objects likewise.
    public static func row(_ object: [String: JSONValue], schema: IcebergSchema, ignoreExtra: Bool = false) throws(IngestError) -> [IcebergValue] {
        try ValueConversion.structValues(object, schema.fields, prefix: "", ignoreExtra: ignoreExtra, depth: 0)
    }
}

/// `RowConverter.row(_:header:schema:)` with the header matched to the schema once, for a whole file.
public struct TextRowConverter: Sendable {
    public let schema: IcebergSchema
    public let header: [String]
    public let ignoreExtra: Bool
    /// For each schema column, the index of its header field.
    private let sources: [Int?]

    public init(header: [String], schema: IcebergSchema, ignoreExtra: Bool = false) throws(IngestError) {
        self.schema = schema
        self.header = header
        self.ignoreExtra = ignoreExtra
        var byName: [String: Int] = [:]
        var byLowerName: [String: Int] = [:]
        for (i, name) in header.enumerated() {
            guard byName[name] == nil else { throw .invalid("column \(name) appears twice in the header") }
            byName[name] = i
            if byLowerName[name.lowercased()] == nil { byLowerName[name.lowercased()] = i }
        }
        var used = Set<Int>()
        var sources: [Int?] = []
        sources.reserveCapacity(schema.fields.count)
        for f in schema.fields {
            let index = byName[f.name] ?? byLowerName[f.name.lowercased()]
            if let index { used.insert(index) }
            sources.append(index)
        }
        if !ignoreExtra, let extra = header.indices.first(where: { !used.contains($0) }) {
            throw .invalid("column \(header[extra]) is not in the table schema")
        }
        self.sources = sources
    }

    public func row(_ record: TextRecord) throws(IngestError) -> [IcebergValue] {
        if !ignoreExtra && record.fields.count > header.count, record.fields[header.count...].contains(where: { $0 != nil }) {
            throw .invalid("line \(record.line) has \(record.fields.count) fields but the header has \(header.count)")
        }
        var out: [IcebergValue] = []
        out.reserveCapacity(sources.count)
        for (f, source) in zip(schema.fields, sources) {
            var value = IcebergValue.null
            if let source, source < record.fields.count, let text = record.fields[source] {
                value = try ValueConversion.fromText(text, f.type, column: f.name, depth: 0)
            }
            try ValueConversion.checkRequired(value, f, f.name)
            out.append(value)
        }
        return out
    }
}
