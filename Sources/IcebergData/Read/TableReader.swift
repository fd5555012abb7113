import IcebergModel
import Parquet

/// Streams the live rows of a table snapshot: plans the files, then reads each data file one row
/// group at a time, dropping rows that position deletes, deletion vectors or equality deletes
/// remove and rows the filter rejects. Memory holds one row group of the projected columns plus
/// the delete sets of the file being read.
public final class TableReader {
    public let metadata: TableMetadata
    public let snapshotID: Int64?
    /// The snapshot asked for (time travel), nil for the current one: the scan binds the filter
    /// to the same schema as the reader.
    let explicitSnapshotID: Int64?
    let caseSensitive: Bool
    /// The schema rows are read with: the snapshot's own for time travel, else the current one.
    public let schema: IcebergSchema
    /// The columns each row holds, in order.
    public let columns: [IcebergField]
    public let filter: Expression
    let bound: BoundExpression
    let evaluator: RowEvaluator
    let metricsPruner: MetricsPruner
    let mapping: ParquetFieldMapping
    let limits: ParquetLimits
    /// Rows of position-delete files already read, by path: one delete file serves many data files.
    var positionDeleteCache: [String: [String: [Int64]]] = [:]
    var equalityDeleteCache: [String: Set<[IcebergValue]>] = [:]
    var cachedPositions = 0
    var cachedKeys = 0

    public private(set) var stats = ReadStats()

    public struct ReadStats: Sendable {
        public var dataFiles = 0
        public var rowGroupsRead = 0
        public var rowGroupsSkipped = 0
        public var bytesRead: Int64 = 0
        public var rowsDeleted = 0
        public var rowsFiltered = 0
        public init() {}
    }

    public init(
        metadata: TableMetadata, snapshotID: Int64? = nil, columns names: [String]? = nil, filter: Expression = .alwaysTrue,
        caseSensitive: Bool = true, limits: ParquetLimits = .init()
    ) throws(IcebergDataError) {
        self.metadata = metadata
        self.snapshotID = snapshotID ?? metadata.currentSnapshotID
        self.explicitSnapshotID = snapshotID
        self.caseSensitive = caseSensitive
        let schema = try Self.readSchema(metadata, explicitSnapshot: snapshotID)
        self.schema = schema
        if let names {
            columns = try names.map { name throws(IcebergDataError) in
                guard let field = schema.fields.first(where: { caseSensitive ? $0.name == name : $0.name.lowercased() == name.lowercased() }) else {
                    throw .invalid("no column \"\(name)\" in the table (columns: \(schema.fields.map(\.name).joined(separator: ", ")))")
                }
                return field
            }
        } else {
            columns = schema.fields
        }
        self.filter = filter
        bound = try BoundExpression(filter, schema: schema, caseSensitive: caseSensitive)
        evaluator = RowEvaluator(bound)
        metricsPruner = MetricsPruner(bound, schema: schema)
        mapping = ParquetFieldMapping(
            nameMapping: Self.nameMapping(metadata.properties["schema.name-mapping.default"]),
            byName: metadata.properties[VirtualTable.columnsByNameProperty] == "true")
        self.limits = limits
    }

    public static func readSchema(_ metadata: TableMetadata, explicitSnapshot: Int64?) throws(IcebergDataError) -> IcebergSchema {
        var schemaID = metadata.currentSchemaID
        if let explicitSnapshot {
            guard let snapshot = metadata.snapshot(explicitSnapshot) else { throw .invalid("the table has no snapshot \(explicitSnapshot)") }
            if let id = snapshot["schema-id"]?.intValue { schemaID = id }
        }
        guard let json = metadata.schemas.first(where: { $0["schema-id"]?.intValue == schemaID }) ?? metadata.schemas.last else {
            throw .malformed("the table metadata has no schema")
        }
        return try IcebergSchema(json: json)
    }

    /// `schema.name-mapping.default`: `[{"field-id": 1, "names": ["id"], "fields": […]}, …]`,
    /// nested entries included (field ids are unique, so one flat map holds them all).
    public static func nameMapping(_ text: String?) -> [Int: [String]] {
        guard let text, let entries = try? JSONText.parse(text).arrayValue else { return [:] }
        var mapping: [Int: [String]] = [:]
        func collect(_ entries: [JSONValue], depth: Int) {
            guard depth < IcebergType.maxDepth else { return }
            for entry in entries {
                if let id = entry["field-id"]?.intValue, let names = entry["names"]?.arrayValue {
                    mapping[Int(id)] = names.compactMap(\.stringValue)
                }
                if let nested = entry["fields"]?.arrayValue { collect(nested, depth: depth + 1) }
            }
        }
        collect(entries, depth: 0)
        return mapping
    }

    public func planFiles(io: some TableFileIO) async throws -> [FileScanTask] {
        guard let snapshotID else { return [] }
        return try await TableScan(metadata: metadata, snapshotID: explicitSnapshotID, filter: filter, caseSensitive: caseSensitive).planFiles(io: io)
    }

    /// Every live row of the planned files, in file order; `emit` answers false to stop early.
    public func rows(io: some TableFileIO, _ emit: ([IcebergValue]) throws -> Bool) async throws {
        try await rows(of: try await planFiles(io: io), io: io, emit)
    }

    /// The live rows of files planned already (by `planFiles` or a `TableScan` of the same snapshot).
    public func rows(of tasks: [FileScanTask], io: some TableFileIO, _ emit: ([IcebergValue]) throws -> Bool) async throws {
        for task in tasks {
            guard try await read(task, io: io, emit) else { return }
        }
    }

    /// The live rows of one file; answers false when `emit` asked to stop.
    public func read(_ task: FileScanTask, io: some TableFileIO, _ emit: ([IcebergValue]) throws -> Bool) async throws -> Bool {
        let file = task.dataFile
        guard file.fileFormat.uppercased() == "PARQUET" else {
            throw IcebergDataError.unsupported("\(file.filePath): \(file.fileFormat) data files are not read (Parquet only)")
        }
        stats.dataFiles += 1
        let deletes = try await deleteSets(for: task, io: io)
        let footer = try await ParquetFooterReader.read(path: file.filePath, size: file.fileSizeInBytes, io: io)
        stats.bytesRead += footer.bytesRead
        let parquet = footer.metadata

        // Top-level fields to read: the output columns, the filter's and the equality deletes'.
        var neededIDs = Set(columns.map(\.id))
        for id in bound.referencedFieldIDs.union(deletes.equalityFieldIDs) {
            if let top = schema.topLevelAncestor(of: id) { neededIDs.insert(top) }
        }
        let needed = schema.fields.filter { neededIDs.contains($0.id) }
        var fileIndexOf: [Int: Int] = [:]
        for field in needed {
            if let index = mapping.childIndex(of: field, in: parquet.schema) { fileIndexOf[field.id] = index }
        }
        let present = needed.filter { fileIndexOf[$0.id] != nil }
        let projection = ParquetProjection(topLevelFields: present.map { fileIndexOf[$0.id]! })
        let leaves = projection.leafIndices(in: parquet)

        // Where each top-level value comes from: a slot of the decoded row, or a constant of this
        // file (identity partition value, initial default, NULL) for columns the file lacks.
        let slotOf = Dictionary(uniqueKeysWithValues: present.enumerated().map { ($1.id, $0) })
        let nodes = present.map { parquet.schema.children[fileIndexOf[$0.id]!] }
        var constants: [Int: IcebergValue] = [:]
        for field in schema.fields where slotOf[field.id] == nil { constants[field.id] = constant(of: field, task: task) }
        let output = columns.map { field in slotOf[field.id].map(OutputSource.slot) ?? .constant(constants[field.id] ?? .null) }
        let needsLookup = !bound.isAlwaysTrue || !deletes.equality.isEmpty
        let filtering = !bound.isAlwaysTrue

        var rowStart: Int64 = 0
        for (groupIndex, group) in parquet.rowGroups.enumerated() {
            let groupStart = rowStart
            let (next, overflow) = rowStart.addingReportingOverflow(group.numRows)
            guard !overflow, next <= parquet.numRows || parquet.numRows == 0 else {
                throw IcebergDataError.malformed("\(file.filePath): row groups claim more rows than the file")
            }
            rowStart = next
            if !mightMatch(group, parquet: parquet, fileIndexOf: fileIndexOf) {
                stats.rowGroupsSkipped += 1
                continue
            }
            stats.rowGroupsRead += 1
            var rows: [[ParquetValue]] = []
            if !present.isEmpty {
                let chunks = try await ChunkFetcher.fetch(leaves: leaves, of: group, path: file.filePath, fileSize: file.fileSizeInBytes, io: io)
                stats.bytesRead += chunks.values.reduce(0) { $0 + Int64($1.count) }
                rows = try ParquetRowGroupReader.readRows(parquet, rowGroup: groupIndex, projection: projection, chunks: chunks, limits: limits)
            }
            // Without wanted columns in the file, its rows are all constants: streamed, not built.
            let count = present.isEmpty ? group.numRows : Int64(rows.count)
            var values: [IcebergValue] = []
            values.reserveCapacity(present.count)
            for offset in 0..<count {
                if deletes.isDeleted(groupStart + offset) {
                    stats.rowsDeleted += 1
                    continue
                }
                values.removeAll(keepingCapacity: true)
                if !present.isEmpty {
                    let row = rows[Int(offset)]
                    for column in 0..<min(row.count, present.count) {
                        values.append(try mapping.convert(row[column], node: nodes[column], type: present[column].type))
                    }
                }
                if needsLookup {
                    let current = values
                    let lookup = { (id: Int) -> IcebergValue in self.value(of: id, slots: slotOf, values: current, constants: constants) }
                    if deletes.removes(lookup) {
                        stats.rowsDeleted += 1
                        continue
                    }
                    if filtering && !evaluator.matches(lookup) {
                        stats.rowsFiltered += 1
                        continue
                    }
                }
                let emitted = output.map { source -> IcebergValue in
                    switch source {
                    case .slot(let slot): return slot < values.count ? values[slot] : .null
                    case .constant(let value): return value
                    }
                }
                guard try emit(emitted) else { return false }
            }
        }
        return true
    }

    enum OutputSource {
        case slot(Int)
        case constant(IcebergValue)
    }

    /// A field's value in a row: from its slot, nested through its struct parents, else the
    /// file's constant for it.
    func value(of id: Int, slots: [Int: Int], values: [IcebergValue], constants: [Int: IcebergValue]) -> IcebergValue {
        if let slot = slots[id] { return slot < values.count ? values[slot] : .null }
        if let path = schema.structPath(to: id), path.count > 1, let top = slots[path[0].id], top < values.count {
            return IcebergSchema.descend(values[top], along: path)
        }
        return constants[id] ?? .null
    }

    /// The value of a top-level column a file lacks: its identity partition value (files migrated
    /// from Hive lack their partition columns), else its initial default, else null.
    func constant(of field: IcebergField, task: FileScanTask) -> IcebergValue {
        if let index = task.spec.fields.firstIndex(where: { $0.sourceID == field.id && $0.transform == .identity }),
            index < task.dataFile.partition.count, task.dataFile.partition[index] != .null
        {
            return task.dataFile.partition[index]
        }
        if let initial = field.initialDefault, let value = try? IcebergValue(json: initial, as: field.type) { return value }
        return .null
    }

    /// Row-group skipping: the statistics of top-level primitive columns as Iceberg metrics.
    func mightMatch(_ group: ParquetRowGroupInfo, parquet: ParquetFileMetadata, fileIndexOf: [Int: Int]) -> Bool {
        guard !bound.referencedFieldIDs.isEmpty else { return true }
        var metrics = FileMetrics(recordCount: group.numRows, valueCounts: [:], nullValueCounts: [:], nanValueCounts: [:], lowerBounds: [:], upperBounds: [:])
        for id in bound.referencedFieldIDs {
            guard let field = schema.fields.first(where: { $0.id == id }), field.type.isPrimitive, let index = fileIndexOf[id] else { continue }
            let name = parquet.schema.children[index].name
            guard let chunk = group.columns.first(where: { $0.descriptor.path == [name] }), let statistics = chunk.statistics else { continue }
            metrics.valueCounts[id] = chunk.numValues
            if let nulls = statistics.nullCount { metrics.nullValueCounts[id] = nulls }
            if field.type != .float && field.type != .double {
                if let min = statistics.min, let value = try? IcebergValue(min, as: field.type) { metrics.lowerBounds[id] = value.toBound() }
                if let max = statistics.max, let value = try? IcebergValue(max, as: field.type) { metrics.upperBounds[id] = value.toBound() }
            }
        }
        return metricsPruner.mightMatch(metrics)
    }
}

/// Reads a Parquet footer with at most two ranged reads: the tail, then the rest when the
/// footer is longer than the tail.
public enum ParquetFooterReader {
    static let tailGuess: Int64 = 64 << 10
    /// Largest footer read: a few MiB even for files with thousands of columns and row groups.
    static let maxFooterBytes = 64 << 20

    public static func read(path: String, size: Int64, io: some TableFileIO) async throws -> (metadata: ParquetFileMetadata, bytesRead: Int64) {
        guard size >= 12 else { throw IcebergDataError.malformed("\(path) is \(size) bytes, too short for Parquet") }
        let tailStart = max(0, size - tailGuess)
        var tail = try await io.read(path, range: tailStart..<size)
        var bytesRead = Int64(tail.count)
        guard tail.count == Int(size - tailStart) else { throw IcebergDataError.malformed("\(path) is shorter than its recorded size \(size)") }
        let length = try ParquetFooter.metadataLength(trailer: Array(tail.suffix(ParquetFooter.trailerLength)))
        guard length <= maxFooterBytes else { throw IcebergDataError.malformed("\(path): footer of \(length) bytes (at most \(maxFooterBytes))") }
        let footerStart = size - Int64(ParquetFooter.trailerLength) - Int64(length)
        guard footerStart >= 4 else { throw IcebergDataError.malformed("\(path): footer length \(length) exceeds the file") }
        if footerStart < tailStart {
            let head = try await io.read(path, range: footerStart..<tailStart)
            guard head.count == Int(tailStart - footerStart) else { throw IcebergDataError.malformed("\(path): short read of its footer") }
            bytesRead += Int64(head.count)
            tail = head + tail
            return (try ParquetFooter.parse(Array(tail[0..<length])), bytesRead)
        }
        let from = Int(footerStart - tailStart)
        return (try ParquetFooter.parse(Array(tail[from..<(from + length)])), bytesRead)
    }
}

/// Fetches the column chunks of a row group, merging them into one ranged read when they lie
/// close together (the common case: all columns of a small file).
enum ChunkFetcher {
    static let mergeGap: Int64 = 1 << 20

    static func fetch(leaves: [Int], of group: ParquetRowGroupInfo, path: String, fileSize: Int64, io: some TableFileIO) async throws -> [Int: [UInt8]] {
        let ranges = leaves.compactMap { leaf -> (Int, Range<Int64>)? in
            guard leaf < group.columns.count else { return nil }
            return (leaf, group.columns[leaf].byteRange)
        }.sorted { $0.1.lowerBound < $1.1.lowerBound }
        // Column chunks are disjoint parts of the file: more bytes than the file means a lying footer.
        var total: Int64 = 0
        for (_, range) in ranges {
            guard range.lowerBound >= 0, range.upperBound <= fileSize else { throw IcebergDataError.malformed("\(path): a column chunk lies outside the file") }
            total += Int64(range.count)
            guard total <= fileSize else { throw IcebergDataError.malformed("\(path): column chunks overlap") }
        }
        var chunks: [Int: [UInt8]] = [:]
        var index = 0
        while index < ranges.count {
            var end = index
            var span = ranges[index].1
            while end + 1 < ranges.count, ranges[end + 1].1.lowerBound <= span.upperBound + mergeGap {
                end += 1
                span = span.lowerBound..<max(span.upperBound, ranges[end].1.upperBound)
            }
            let bytes = try await io.read(path, range: span)
            guard bytes.count == span.count else { throw IcebergDataError.malformed("\(path): short read") }
            for (leaf, range) in ranges[index...end] {
                let from = Int(range.lowerBound - span.lowerBound)
                chunks[leaf] = Array(bytes[from..<(from + range.count)])
            }
            index = end + 1
        }
        return chunks
    }
}
