import Avro
import IcebergModel

/// The Avro schema of `manifest_entry` with the spec's field ids, for a partition type and format
/// version, laid out as Java writes it.
enum ManifestEntrySchema {
    static func schema(partitionType: [IcebergField], formatVersion: Int) -> AvroSchema {
        func opt(_ name: String, _ schema: AvroSchema, _ id: Int) -> AvroField {
            AvroField(name: name, schema: AvroSchema(.union([AvroSchema(.null), schema])), fieldID: id, defaultValue: .null)
        }
        func intMap(_ name: String, _ id: Int, key: Int, value: Int, _ valueType: AvroType) -> AvroField {
            let entry = AvroSchema(.record(AvroRecordSchema(name: "k\(key)_v\(value)", namespace: nil, fields: [
                AvroField(name: "key", schema: AvroSchema(.int), fieldID: key),
                AvroField(name: "value", schema: AvroSchema(valueType), fieldID: value),
            ])))
            return opt(name, AvroSchema(.array(entry), logicalType: "map"), id)
        }
        func list(_ name: String, _ id: Int, element: Int, _ type: AvroType) -> AvroField {
            opt(name, AvroSchema(.array(AvroSchema(type)), properties: ["element-id": .int(Int64(element))]), id)
        }
        let partition = AvroSchema(.record(AvroRecordSchema(name: "r102", namespace: nil, fields: partitionType.map { field in
            let safe = AvroNames.sanitize(field.name)
            return AvroField(name: safe, schema: AvroSchema(.union([AvroSchema(.null), PartitionAvroType.schema(field.type)])),
                      fieldID: field.id, defaultValue: .null, properties: safe == field.name ? [:] : ["iceberg-field-name": .string(field.name)])
        })))
        var file: [AvroField] = []
        if formatVersion >= 2 { file.append(AvroField(name: "content", schema: AvroSchema(.int), fieldID: 134)) }
        file += [
            AvroField(name: "file_path", schema: AvroSchema(.string), fieldID: 100),
            AvroField(name: "file_format", schema: AvroSchema(.string), fieldID: 101),
            AvroField(name: "partition", schema: partition, fieldID: 102),
            AvroField(name: "record_count", schema: AvroSchema(.long), fieldID: 103),
            AvroField(name: "file_size_in_bytes", schema: AvroSchema(.long), fieldID: 104),
        ]
        if formatVersion == 1 { file.append(AvroField(name: "block_size_in_bytes", schema: AvroSchema(.long), fieldID: 105)) }
        file += [
            intMap("column_sizes", 108, key: 117, value: 118, .long),
            intMap("value_counts", 109, key: 119, value: 120, .long),
            intMap("null_value_counts", 110, key: 121, value: 122, .long),
            intMap("nan_value_counts", 137, key: 138, value: 139, .long),
            intMap("lower_bounds", 125, key: 126, value: 127, .bytes),
            intMap("upper_bounds", 128, key: 129, value: 130, .bytes),
            opt("key_metadata", AvroSchema(.bytes), 131),
            list("split_offsets", 132, element: 133, .long),
        ]
        if formatVersion >= 2 { file.append(list("equality_ids", 135, element: 136, .int)) }
        file.append(opt("sort_order_id", AvroSchema(.int), 140))
        if formatVersion >= 3 { file.append(opt("first_row_id", AvroSchema(.long), 142)) }
        if formatVersion >= 2 { file.append(opt("referenced_data_file", AvroSchema(.string), 143)) }
        if formatVersion >= 3 {
            file.append(opt("content_offset", AvroSchema(.long), 144))
            file.append(opt("content_size_in_bytes", AvroSchema(.long), 145))
        }
        var entry: [AvroField] = [
            AvroField(name: "status", schema: AvroSchema(.int), fieldID: 0),
            opt("snapshot_id", AvroSchema(.long), 1),
        ]
        if formatVersion >= 2 {
            entry.append(opt("sequence_number", AvroSchema(.long), 3))
            entry.append(opt("file_sequence_number", AvroSchema(.long), 4))
        }
        entry.append(AvroField(name: "data_file", schema: AvroSchema(.record(AvroRecordSchema(name: "r2", namespace: nil, fields: file))), fieldID: 2))
        return AvroSchema(.record(AvroRecordSchema(name: "manifest_entry", namespace: nil, fields: entry)))
    }
}
