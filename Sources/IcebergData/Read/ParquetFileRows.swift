import Parquet

/// Plain Parquet files (not yet part of a table) read as rows of an Iceberg schema, columns
/// matched by name: what `floe ingest` lands from Parquet sources.
public enum ParquetFileRows {
    /// Every row, one row group in memory at a time; columns the file lacks are NULL.
    public static func read(
        path: String, size: Int64, io: some TableFileIO, schema: IcebergSchema, limits: ParquetLimits = .init(), _ body: ([IcebergValue]) throws -> Void
    ) async throws {
        let parquet = try await ParquetFooterReader.read(path: path, size: size, io: io).metadata
        let mapping = ParquetFieldMapping(nameMapping: [:], byName: true)
        let present = schema.fields.compactMap { field in mapping.childIndex(of: field, in: parquet.schema).map { (field, $0) } }
        let slots = Dictionary(uniqueKeysWithValues: present.enumerated().map { ($1.0.id, $0) })
        let projection = ParquetProjection(topLevelFields: present.map(\.1))
        for index in parquet.rowGroups.indices {
            let chunks = try await ChunkFetcher.fetch(leaves: projection.leafIndices(in: parquet), of: parquet.rowGroups[index], path: path, fileSize: size, io: io)
            for row in try ParquetRowGroupReader.readRows(parquet, rowGroup: index, projection: projection, chunks: chunks, limits: limits) {
                var values: [IcebergValue] = []
                values.reserveCapacity(schema.fields.count)
                for field in schema.fields {
                    guard let slot = slots[field.id], slot < row.count else {
                        values.append(.null)
                        continue
                    }
                    values.append(try mapping.convert(row[slot], node: parquet.schema.children[present[slot].1], type: field.type))
                }
                try body(values)
            }
        }
    }

    /// The Iceberg schema of a Parquet file's columns (fresh ids from 1), for tables created from one.
    public static func schema(of parquet: ParquetFileMetadata) throws(IcebergDataError) -> IcebergSchema {
        var next = 0
        func id() -> Int {
            next += 1
            return next
        }
        var topIDs: [Int] = []
        for _ in parquet.schema.children { topIDs.append(id()) }
        func type(_ node: ParquetSchemaNode, depth: Int) throws(IcebergDataError) -> IcebergType {
            guard depth < IcebergType.maxDepth else { throw .unsupported("Parquet schema nested too deep") }
            if node.physicalType == nil {
                if node.logicalType == .list, let element = ParquetFieldMapping.listElement(node) {
                    let elementID = id()
                    return .list(elementID: elementID, elementRequired: element.repetition == .required, element: try type(element, depth: depth + 1))
                }
                if node.logicalType == .map, let (key, value) = ParquetFieldMapping.mapEntry(node) {
                    let keyID = id()
                    let valueID = id()
                    return .map(keyID: keyID, key: try type(key, depth: depth + 1), valueID: valueID, valueRequired: value.repetition == .required, value: try type(value, depth: depth + 1))
                }
                let ids = node.children.map { _ in id() }
                return .structType(try zip(ids, node.children).map { childID, child throws(IcebergDataError) in
                    IcebergField(id: childID, name: child.name, required: child.repetition == .required, type: try type(child, depth: depth + 1))
                })
            }
            switch node.logicalType {
            case .string?, .enumeration?, .json?: return .string
            case .decimal(let precision, let scale)?: return .decimal(precision: Int(precision), scale: Int(scale))
            case .date?: return .date
            case .time?: return .time
            case .timestamp(let utc, let unit)?: return unit == .nanos ? (utc ? .timestamptzNs : .timestampNs) : (utc ? .timestamptz : .timestamp)
            case .uuid?: return .uuid
            case .integer(let bits, _)?: return bits == 64 ? .long : .int
            case .float16?: return .float
            default: break
            }
            switch node.physicalType {
            case .boolean?: return .boolean
            case .int32?: return .int
            case .int64?: return .long
            case .int96?: return .timestampNs
            case .float?: return .float
            case .double?: return .double
            case .fixedLenByteArray?: return .fixed(Int(node.typeLength ?? 0))
            default: return .binary
            }
        }
        var fields: [IcebergField] = []
        for (index, child) in parquet.schema.children.enumerated() {
            var childType = try type(child, depth: 0)
            if child.repetition == .repeated { childType = .list(elementID: id(), elementRequired: true, element: childType) }
            fields.append(IcebergField(id: topIDs[index], name: child.name, required: false, type: childType))
        }
        return IcebergSchema(schemaID: 0, fields: fields)
    }
}
