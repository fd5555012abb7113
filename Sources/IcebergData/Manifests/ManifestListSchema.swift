import Avro
import IcebergModel

/// The Avro schemas of `manifest_file` (manifest lists) with the spec's field ids, per format version.
enum ManifestListSchema {
    static func fieldSummary() -> AvroSchema {
        AvroSchema(.record(AvroRecordSchema(name: "r508", namespace: nil, fields: [
            AvroField(name: "contains_null", schema: AvroSchema(.boolean), fieldID: 509),
            optional("contains_nan", .boolean, 518),
            optional("lower_bound", .bytes, 510),
            optional("upper_bound", .bytes, 511),
        ])))
    }

    static func schema(formatVersion: Int) -> AvroSchema {
        var fields: [AvroField] = [
            AvroField(name: "manifest_path", schema: AvroSchema(.string), fieldID: 500),
            AvroField(name: "manifest_length", schema: AvroSchema(.long), fieldID: 501),
            AvroField(name: "partition_spec_id", schema: AvroSchema(.int), fieldID: 502),
        ]
        if formatVersion >= 2 {
            fields += [
                AvroField(name: "content", schema: AvroSchema(.int), fieldID: 517),
                AvroField(name: "sequence_number", schema: AvroSchema(.long), fieldID: 515),
                AvroField(name: "min_sequence_number", schema: AvroSchema(.long), fieldID: 516),
            ]
        }
        fields.append(AvroField(name: "added_snapshot_id", schema: AvroSchema(.long), fieldID: 503))
        let counts: [(String, AvroType, Int)] = [
            ("added_files_count", .int, 504), ("existing_files_count", .int, 505), ("deleted_files_count", .int, 506),
            ("added_rows_count", .long, 512), ("existing_rows_count", .long, 513), ("deleted_rows_count", .long, 514),
        ]
        let partitions = AvroField(
            name: "partitions",
            schema: AvroSchema(.union([AvroSchema(.null), AvroSchema(.array(fieldSummary()), properties: ["element-id": 508])])),
            fieldID: 507, defaultValue: .null)
        if formatVersion >= 2 {
            fields += counts.map { AvroField(name: $0.0, schema: AvroSchema($0.1), fieldID: $0.2) }
            fields.append(partitions)
        } else {
            // v1 (as Java writes it): optional counts, partitions between file and row counts.
            fields += counts.prefix(3).map { optional($0.0, $0.1, $0.2) }
            fields.append(partitions)
            fields += counts.suffix(3).map { optional($0.0, $0.1, $0.2) }
        }
        fields.append(optional("key_metadata", .bytes, 519))
        if formatVersion >= 3 { fields.append(optional("first_row_id", .long, 520)) }
        return AvroSchema(.record(AvroRecordSchema(name: "manifest_file", namespace: nil, fields: fields)))
    }

    static func optional(_ name: String, _ type: AvroType, _ id: Int) -> AvroField {
        AvroField(name: name, schema: AvroSchema(.union([AvroSchema(.null), AvroSchema(type)])), fieldID: id, defaultValue: .null)
    }
}
