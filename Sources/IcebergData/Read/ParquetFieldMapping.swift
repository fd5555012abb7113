import Parquet

/// Which Parquet field holds an Iceberg field: by field id when the file carries ids (every
/// Iceberg writer does), else by the table's name mapping, else — for tables without a mapping —
/// by name (beyond the spec, which reads such columns as null; pyiceberg refuses the file).
struct ParquetFieldMapping: Sendable {
    /// Iceberg field id → Parquet names, from `schema.name-mapping.default`.
    let nameMapping: [Int: [String]]
    /// Files from outside any table (ingest): columns by name, whatever ids they carry.
    var byName = false

    func childIndex(of field: IcebergField, in group: ParquetSchemaNode) -> Int? {
        if byName { return group.children.firstIndex { $0.name == field.name } }
        if let index = group.children.firstIndex(where: { $0.fieldID.map(Int.init) == field.id }) { return index }
        guard !group.children.contains(where: { $0.fieldID != nil }) else { return nil }
        let names = nameMapping.isEmpty ? [field.name] : nameMapping[field.id] ?? []
        return group.children.firstIndex { names.contains($0.name) }
    }

    /// The element node of a list-typed Parquet field (three-level and legacy two-level forms).
    static func listElement(_ node: ParquetSchemaNode) -> ParquetSchemaNode? {
        if node.repetition == .repeated && node.logicalType != .list { return node.withRepetition(.required) }
        guard let repeated = node.children.first else { return nil }
        if repeated.physicalType != nil { return repeated.withRepetition(.required) }
        if repeated.children.count == 1 && repeated.name != "array" && repeated.name != node.name + "_tuple" {
            return repeated.children[0]
        }
        return repeated.withRepetition(.required)
    }

    static func mapEntry(_ node: ParquetSchemaNode) -> (key: ParquetSchemaNode, value: ParquetSchemaNode)? {
        guard let entry = node.children.first, entry.children.count == 2 else { return nil }
        return (entry.children[0], entry.children[1])
    }

    /// Converts a value read from `node` into `type`, matching nested struct fields by id too, so
    /// renamed, reordered, added and dropped nested fields read as the table's schema says.
    func convert(_ value: ParquetValue, node: ParquetSchemaNode, type: IcebergType) throws(IcebergDataError) -> IcebergValue {
        if case .null = value { return .null }
        switch type {
        case .structType(let fields):
            guard case .record(let values) = value else { throw .malformed("a struct column holds \(value)") }
            return .structValue(
                try fields.map { field throws(IcebergDataError) -> IcebergValue in
                    guard let index = childIndex(of: field, in: node), index < values.count else { return .null }
                    return try convert(values[index], node: node.children[index], type: field.type)
                })
        case .list(_, _, let elementType):
            guard case .list(let values) = value else { throw .malformed("a list column holds \(value)") }
            guard let element = Self.listElement(node) else { throw .malformed("list field \(node.name) has no element") }
            return .list(try values.map { v throws(IcebergDataError) in try convert(v, node: element, type: elementType) })
        case .map(_, let keyType, _, _, let valueType):
            guard case .map(let entries) = value else { throw .malformed("a map column holds \(value)") }
            guard let (keyNode, valueNode) = Self.mapEntry(node) else { throw .malformed("map field \(node.name) has no key_value") }
            return .map(
                try entries.map { entry throws(IcebergDataError) in
                    IcebergMapEntry(key: try convert(entry.key, node: keyNode, type: keyType), value: try convert(entry.value, node: valueNode, type: valueType))
                })
        default:
            return try IcebergValue(value, as: type)
        }
    }
}

extension ParquetSchemaNode {
    func withRepetition(_ repetition: Repetition) -> ParquetSchemaNode {
        var copy = self
        copy.repetition = repetition
        return copy
    }
}

extension ParquetSchemaNode {
    func withoutFieldIDs() -> ParquetSchemaNode {
        var copy = self
        copy.fieldID = nil
        copy.children = children.map { $0.withoutFieldIDs() }
        return copy
    }
}
