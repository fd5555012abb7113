public import IcebergData

/// "day(ts), bucket(16, id), truncate(4, name), region, identity(region), year(ts), month(ts), hour(ts), void(x)" → a
/// spec with field ids from 1000, names as Iceberg's Java/Spark name them (ts_day, id_bucket, name_trunc, region,
/// ts_year, ts_month, ts_hour, x_null; `… AS name` overrides); errors name the bad part; transforms are checked
/// against the source type. An empty text gives an unpartitioned spec.
public enum PartitionSpecText {
    public static func parse(_ text: String, schema: IcebergSchema, specID: Int = 0) throws(IngestError) -> PartitionSpec {
        let clause = "partition spec"
        var fields: [PartitionField] = []
        var names = Set<String>()
        var seen = Set<String>()
        let columnNames = Set(schema.fields.map(\.name))
        for term in try TermParser.terms(text, clause: clause) {
            let (transform, column) = try TermParser.transform(term, clause: clause)
            let source = try TermParser.source(column, transform, schema: schema, term: term, clause: clause)
            var name: String
            switch transform {
            case .identity: name = source.name
            case .bucket: name = source.name + "_bucket"
            case .truncate: name = source.name + "_trunc"
            case .year: name = source.name + "_year"
            case .month: name = source.name + "_month"
            case .day: name = source.name + "_day"
            case .hour: name = source.name + "_hour"
            case .void, .unknown: name = source.name + "_null"
            }
            switch term.trailing.count {
            case 0: break
            case 2 where term.trailing[0].lowercased() == "as": name = term.trailing[1]
            default: throw .invalid("\(clause): unexpected \"\(term.trailing.joined(separator: " "))\" in \"\(term.text)\"")
            }
            guard !name.isEmpty, names.insert(name).inserted else { throw .invalid("\(clause): partition name \(name) is used twice (\"\(term.text)\")") }
            if transform != .identity && columnNames.contains(name) {
                throw .invalid("\(clause): partition name \(name) would shadow a table column (\"\(term.text)\")")
            }
            guard seen.insert("\(source.id)/\(transform)").inserted else {
                throw .invalid("\(clause): \"\(term.text)\" repeats a partition field")
            }
            fields.append(PartitionField(sourceID: source.id, fieldID: 1000 + fields.count, name: name, transform: transform))
        }
        return PartitionSpec(specID: specID, fields: fields)
    }
}
