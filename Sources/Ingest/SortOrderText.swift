public import IcebergData
public import IcebergModel

/// "id, ts DESC, name ASC NULLS LAST, bucket(16, id)" → an Iceberg sort order JSON object
/// {"order-id": 1, "fields": [{"transform": "identity", "source-id": 1, "direction": "asc", "null-order": "nulls-first"}, …]}
/// (asc → nulls-first, desc → nulls-last by default, as Spark does). An empty text gives the unsorted order (id 0).
public enum SortOrderText {
    public static func parse(_ text: String, schema: IcebergSchema) throws(IngestError) -> JSONValue {
        let clause = "sort order"
        var fields: [JSONValue] = []
        for term in try TermParser.terms(text, clause: clause) {
            let (transform, column) = try TermParser.transform(term, clause: clause)
            let source = try TermParser.source(column, transform, schema: schema, term: term, clause: clause)
            let words = term.trailing.map { $0.lowercased() }
            var i = 0
            var descending = false
            if i < words.count, words[i] == "asc" || words[i] == "desc" {
                descending = words[i] == "desc"
                i += 1
            }
            var nullsFirst = !descending
            if i + 1 < words.count, words[i] == "nulls", words[i + 1] == "first" || words[i + 1] == "last" {
                nullsFirst = words[i + 1] == "first"
                i += 2
            }
            guard i == words.count else { throw .invalid("\(clause): unexpected \"\(term.trailing[i...].joined(separator: " "))\" in \"\(term.text)\"") }
            fields.append([
                "transform": .string(transform.description), "source-id": .int(Int64(source.id)),
                "direction": descending ? "desc" : "asc", "null-order": nullsFirst ? "nulls-first" : "nulls-last",
            ])
        }
        return ["order-id": fields.isEmpty ? 0 : 1, "fields": .array(fields)]
    }
}
