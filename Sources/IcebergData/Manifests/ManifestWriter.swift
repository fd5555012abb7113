import Avro
import IcebergModel

/// Writes one manifest (data or deletes, one partition spec) as Java does: deflate, with the
/// header metadata `schema`, `schema-id`, `partition-spec`, `partition-spec-id`, `format-version`
/// and `content`; and computes the manifest list entry (counts and partition summaries).
public struct ManifestWriter: Sendable {
    public let formatVersion: Int
    public let spec: PartitionSpec
    public let content: ManifestContent
    public let snapshotID: Int64
    let partitionType: [IcebergField]
    var writer: AvroContainerWriter
    var bytes: [UInt8]
    var summaries: [PartitionSummaryBuilder]
    var addedFiles = 0, existingFiles = 0, deletedFiles = 0
    var addedRows: Int64 = 0, existingRows: Int64 = 0, deletedRows: Int64 = 0
    var minSequenceNumber: Int64?
    var hasInheritingEntry = false

    public init(formatVersion: Int, spec: PartitionSpec, schema: IcebergSchema, content: ManifestContent = .data, snapshotID: Int64) throws(IcebergDataError) {
        guard (1...3).contains(formatVersion) else { throw .unsupported("format version \(formatVersion)") }
        guard formatVersion >= 2 || content == .data else { throw .invalid("v1 manifests hold only data files") }
        self.formatVersion = formatVersion
        self.spec = spec
        self.content = content
        self.snapshotID = snapshotID
        partitionType = spec.partitionType(schema)
        summaries = partitionType.map { PartitionSummaryBuilder(type: $0.type) }
        var metadata: [String: [UInt8]] = [
            "schema": schema.json.jsonBytes,
            "partition-spec": (spec.json["fields"] ?? .array([])).jsonBytes,
            "partition-spec-id": Array(String(spec.specID).utf8),
            "format-version": Array(String(formatVersion).utf8),
        ]
        if formatVersion >= 2 {
            metadata["schema-id"] = Array(String(schema.schemaID).utf8)
            metadata["content"] = Array(content.name.utf8)
        }
        writer = AvroContainerWriter(
            schema: ManifestEntrySchema.schema(partitionType: partitionType, formatVersion: formatVersion),
            codec: .deflate, metadata: metadata)
        bytes = writer.start()
    }

    public mutating func add(_ entry: ManifestEntry) throws(IcebergDataError) {
        let file = entry.dataFile
        guard file.partition.count == partitionType.count else {
            throw .invalid("\(file.filePath): partition has \(file.partition.count) values, the spec \(partitionType.count)")
        }
        guard (file.content == .data) == (content == .data) else { throw .invalid("\(file.filePath): wrong content for a \(content.name) manifest") }
        switch entry.status {
        case .added: addedFiles += 1; addedRows &+= file.recordCount
        case .existing: existingFiles += 1; existingRows &+= file.recordCount
        case .deleted: deletedFiles += 1; deletedRows &+= file.recordCount
        }
        if entry.status != .deleted {
            if let seq = entry.sequenceNumber { minSequenceNumber = Swift.min(minSequenceNumber ?? seq, seq) } else { hasInheritingEntry = true }
        }
        for i in summaries.indices { summaries[i].update(file.partition[i]) }
        do { bytes += try writer.append(record(entry)) } catch { throw .avro(error) }
    }

    /// The container bytes and the manifest list entry for them. `sequenceNumber` is the one the
    /// list will give this manifest (`ManifestFile.unassignedSequenceNumber` lets the list writer assign it).
    public mutating func finish(path: String, sequenceNumber: Int64 = ManifestFile.unassignedSequenceNumber) throws(IcebergDataError) -> (bytes: [UInt8], manifest: ManifestFile) {
        do { bytes += try writer.finish() } catch { throw .avro(error) }
        var minSeq = minSequenceNumber ?? sequenceNumber
        if hasInheritingEntry { minSeq = Swift.min(minSeq, sequenceNumber) }
        if sequenceNumber == ManifestFile.unassignedSequenceNumber && hasInheritingEntry { minSeq = sequenceNumber }
        let manifest = ManifestFile(
            path: path, length: Int64(bytes.count), partitionSpecID: spec.specID, content: content,
            sequenceNumber: formatVersion >= 2 ? sequenceNumber : 0, minSequenceNumber: formatVersion >= 2 ? minSeq : 0,
            addedSnapshotID: snapshotID,
            addedFilesCount: addedFiles, existingFilesCount: existingFiles, deletedFilesCount: deletedFiles,
            addedRowsCount: addedRows, existingRowsCount: existingRows, deletedRowsCount: deletedRows,
            partitions: summaries.map(\.summary))
        return (bytes, manifest)
    }

    func record(_ entry: ManifestEntry) -> AvroValue {
        let f = entry.dataFile
        func optLong(_ v: Int64?) -> AvroValue { v.map { .long($0) } ?? .null }
        func intMap(_ m: [Int: Int64]) -> AvroValue {
            m.isEmpty ? .null : .array(m.keys.sorted().map { .record([.int(Int32(truncatingIfNeeded: $0)), .long(m[$0] ?? 0)]) })
        }
        func boundMap(_ m: [Int: [UInt8]]) -> AvroValue {
            m.isEmpty ? .null : .array(m.keys.sorted().map { .record([.int(Int32(truncatingIfNeeded: $0)), .bytes(m[$0] ?? [])]) })
        }
        let partition = AvroValue.record(zip(f.partition, partitionType).map { value, field in
            value == .null ? .null : value.avroValue(as: field.type)
        })
        var d: [AvroValue] = []
        if formatVersion >= 2 { d.append(.int(Int32(f.content.rawValue))) }
        d += [.string(f.filePath), .string(f.fileFormat), partition, .long(f.recordCount), .long(f.fileSizeInBytes)]
        if formatVersion == 1 { d.append(.long(64 << 20)) }   // block_size_in_bytes: Java's default
        d += [
            intMap(f.columnSizes), intMap(f.metrics.valueCounts), intMap(f.metrics.nullValueCounts), intMap(f.metrics.nanValueCounts),
            boundMap(f.metrics.lowerBounds), boundMap(f.metrics.upperBounds),
            f.keyMetadata.map { .bytes($0) } ?? .null,
            f.splitOffsets.map { .array($0.map { .long($0) }) } ?? .null,
        ]
        if formatVersion >= 2 {
            d.append(f.equalityIDs.isEmpty ? .null : .array(f.equalityIDs.map { .int(Int32(truncatingIfNeeded: $0)) }))
        }
        d.append(f.sortOrderID.map { .int(Int32(truncatingIfNeeded: $0)) } ?? .null)
        if formatVersion >= 3 { d.append(optLong(f.firstRowID)) }
        if formatVersion >= 2 { d.append(f.referencedDataFile.map { .string($0) } ?? .null) }
        if formatVersion >= 3 { d += [optLong(f.contentOffset), optLong(f.contentSizeInBytes)] }
        var e: [AvroValue] = [.int(Int32(entry.status.rawValue)), optLong(entry.snapshotID ?? snapshotID)]
        if formatVersion >= 2 { e += [optLong(entry.sequenceNumber), optLong(entry.fileSequenceNumber)] }
        e.append(.record(d))
        return .record(e)
    }
}

/// Accumulates a `field_summary` over the partition values of one field.
struct PartitionSummaryBuilder: Sendable {
    let type: IcebergType
    var containsNull = false
    var containsNaN = false
    var lower: IcebergValue?
    var upper: IcebergValue?

    init(type: IcebergType) { self.type = type }

    mutating func update(_ value: IcebergValue) {
        switch value {
        case .null: containsNull = true; return
        case .float(let x) where x.isNaN: containsNaN = true; return
        case .double(let x) where x.isNaN: containsNaN = true; return
        default: break
        }
        if let l = lower, let c = IcebergValue.compare(value, l), c >= 0 {} else { lower = value }
        if let u = upper, let c = IcebergValue.compare(value, u), c <= 0 {} else { upper = value }
    }

    var summary: PartitionFieldSummary {
        let floating: Bool
        switch type {
        case .float, .double: floating = true
        default: floating = false
        }
        return PartitionFieldSummary(
            containsNull: containsNull, containsNaN: floating ? containsNaN : false,
            lowerBound: lower?.toBound(), upperBound: upper?.toBound())
    }
}
