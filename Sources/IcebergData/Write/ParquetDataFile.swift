import Parquet

/// A Parquet file described as an Iceberg data file: its columns matched to the table schema (by
/// field id, else name mapping, else name), metrics from the footer's statistics, and the
/// partition its rows belong to — derived from the statistics, so a file whose rows span
/// partitions is refused (as pyiceberg's add_files does).
public enum ParquetDataFile {
    /// A file from outside any table (a query over files), described with its columns matched by name.
    static func describeByName(path: String, size: Int64, footer: ParquetFileMetadata, schema: IcebergSchema) throws(IcebergDataError) -> DataFile {
        var stripped = footer
        stripped.schema = footer.schema.withoutFieldIDs()
        var mapping: [Int: [String]] = [:]
        for field in schema.fields { mapping[field.id] = [field.name] }
        return try describe(path: path, size: size, footer: stripped, schema: schema, spec: PartitionSpec(specID: 0, fields: []), nameMapping: mapping)
    }

    /// Counts from a footer anyone may have written: summed without trapping.
    static func sum(_ a: Int64, _ b: Int64) throws(IcebergDataError) -> Int64 {
        let (result, overflow) = a.addingReportingOverflow(b)
        guard !overflow, b >= 0 else { throw .malformed("counts in the footer overflow") }
        return result
    }

    public static func describe(
        path: String, size: Int64, footer: ParquetFileMetadata, schema: IcebergSchema, spec: PartitionSpec,
        nameMapping: [Int: [String]] = [:]
    ) throws(IcebergDataError) -> DataFile {
        let mapping = ParquetFieldMapping(nameMapping: nameMapping)
        var columnSizes: [Int: Int64] = [:]
        var valueCounts: [Int: Int64] = [:]
        var nullCounts: [Int: Int64] = [:]
        var lower: [Int: IcebergValue] = [:]
        var upper: [Int: IcebergValue] = [:]
        var nullCountKnown: Set<Int> = []
        var boundsUnknown: Set<Int> = []

        // Field ids written for another table would bind the wrong columns in every engine.
        for child in footer.schema.children {
            guard let id = child.fieldID else { continue }
            guard let field = schema.fields.first(where: { $0.id == Int(id) }), field.name == child.name || (nameMapping[field.id] ?? []).contains(child.name) else {
                throw .invalid("\(path): column \(child.name) carries field id \(id), which is not that column in this table")
            }
        }
        for field in schema.fields where field.required {
            guard mapping.childIndex(of: field, in: footer.schema) != nil else {
                throw .invalid("\(path) has no column for required field \(field.name) (id \(field.id))")
            }
        }
        // Leaves of top-level primitive fields and of primitive fields in (nested) structs.
        var leafFields: [[String]: IcebergField] = [:]
        func collect(_ fields: [IcebergField], group: ParquetSchemaNode, path: [String]) {
            for field in fields {
                guard let index = mapping.childIndex(of: field, in: group) else { continue }
                let node = group.children[index]
                if case .structType(let children) = field.type {
                    collect(children, group: node, path: path + [node.name])
                } else if field.type.isPrimitive {
                    leafFields[path + [node.name]] = field
                }
            }
        }
        collect(schema.fields, group: footer.schema, path: [])

        for group in footer.rowGroups {
            for chunk in group.columns {
                guard let field = leafFields[chunk.descriptor.path] else { continue }
                let id = field.id
                columnSizes[id] = try sum(columnSizes[id, default: 0], Int64(chunk.byteRange.count))
                valueCounts[id] = try sum(valueCounts[id, default: 0], chunk.numValues)
                if let nulls = chunk.statistics?.nullCount {
                    guard nulls >= 0, nulls <= chunk.numValues else { throw .malformed("\(path): a null count of \(nulls) for \(chunk.numValues) values") }
                    nullCounts[id] = try sum(nullCounts[id, default: 0], nulls)
                    nullCountKnown.insert(id)
                } else {
                    boundsUnknown.insert(id)
                }
                guard field.type != .float, field.type != .double,
                    let statistics = chunk.statistics, let min = statistics.min, let max = statistics.max,
                    let low = try? IcebergValue(min, as: field.type), let high = try? IcebergValue(max, as: field.type)
                else {
                    // A row group without bounds (all NULL is fine: no values to bound).
                    if chunk.statistics?.nullCount != chunk.numValues { boundsUnknown.insert(id) }
                    continue
                }
                if let current = lower[id], let order = IcebergValue.compare(low, current), order >= 0 {} else { lower[id] = low }
                if let current = upper[id], let order = IcebergValue.compare(high, current), order <= 0 {} else { upper[id] = high }
            }
        }
        for id in boundsUnknown {
            lower[id] = nil
            upper[id] = nil
        }
        for id in Set(nullCounts.keys).subtracting(nullCountKnown) { nullCounts[id] = nil }

        var partition: [IcebergValue] = []
        for field in spec.fields {
            if case .void = field.transform {
                partition.append(.null)
                continue
            }
            guard let source = schema.field(id: field.sourceID) else { throw .invalid("partition source field \(field.sourceID) is not in the schema") }
            let nulls = nullCounts[source.id] ?? 0
            let values = valueCounts[source.id] ?? 0
            if values > 0 && nulls == values {
                partition.append(.null)
                continue
            }
            guard nulls == 0, let low = lower[source.id], let high = upper[source.id] else {
                throw .invalid("\(path): the partition of \(source.name) cannot be derived (no statistics, or NULLs beside values)")
            }
            switch field.transform {
            case .identity, .truncate, .year, .month, .day, .hour: break
            case .bucket:
                // Buckets do not keep order: only a single value tells the bucket.
                guard low == high else { throw .invalid("\(path): the bucket of \(source.name) cannot be derived from a range of values") }
            case .unknown(let name): throw .unsupported("partition transform \(name) is unknown: files cannot be committed to this spec")
            case .void: break
            }
            let first = field.transform.apply(low)
            guard first == field.transform.apply(high) else {
                throw .invalid("\(path) holds rows of more than one partition (\(field.name) from \(low.jsonText) to \(high.jsonText))")
            }
            partition.append(first)
        }
        return DataFile(
            filePath: path, fileFormat: "PARQUET", specID: spec.specID, partition: partition, recordCount: footer.numRows,
            fileSizeInBytes: size, valueCounts: valueCounts, nullValueCounts: nullCounts,
            lowerBounds: lower.mapValues { BoundTruncation.lower($0).toBound() },
            upperBounds: upper.compactMapValues { BoundTruncation.upper($0)?.toBound() }, columnSizes: columnSizes,
            splitOffsets: footer.rowGroups.compactMap { $0.columns.map(\.byteRange.lowerBound).min() }.sorted())
    }
}
