import Avro
import IcebergModel

/// The key-value metadata Java writes into a manifest's Avro header.
public struct ManifestHeader: Sendable, Hashable {
    public var formatVersion: Int?
    public var partitionSpecID: Int?
    public var schemaID: Int?
    public var content: ManifestContent?
}

/// Manifest files: the Avro container of `manifest_entry` records.
public enum Manifest {
    public static func header(_ metadata: [String: [UInt8]]) -> ManifestHeader {
        func int(_ key: String) -> Int? { metadata[key].flatMap { Int(String(decoding: $0, as: UTF8.self)) } }
        var content: ManifestContent?
        switch metadata["content"].map({ String(decoding: $0, as: UTF8.self) }) {
        case "data": content = .data
        case "deletes": content = .deletes
        default: content = nil
        }
        return ManifestHeader(formatVersion: int("format-version"), partitionSpecID: int("partition-spec-id"), schemaID: int("schema-id"), content: content)
    }

    /// Reads every entry (DELETED ones too) by field id, with the partition tuple typed by the
    /// manifest's spec (`file.partitionSpecID`; a negative id means "take it from the header",
    /// as for v1 snapshots that list manifests inline). Snapshot ids and sequence numbers are
    /// inherited from `file` as the spec says; v1 manifests read with sequence number 0.
    public static func read(_ bytes: [UInt8], file: ManifestFile, specs: [Int: PartitionSpec], schema: IcebergSchema) throws(IcebergDataError) -> [ManifestEntry] {
        let container: (header: AvroHeader, records: [AvroValue])
        do { container = try AvroContainerReader.readAll(bytes) } catch { throw .avro(error) }
        let info = header(container.header.metadata)
        let specID = file.partitionSpecID >= 0 ? file.partitionSpecID : (info.partitionSpecID ?? 0)

        let entryIndex = try AvroFieldIndex(container.header.schema)
        guard let fileSchema = entryIndex.schema(2) else { throw .malformed("manifest_entry has no data_file") }
        let fileIndex = try AvroFieldIndex(fileSchema)
        let partition = try PartitionLayout(writer: fileIndex.schema(102), spec: specs[specID], schema: schema)

        var out: [ManifestEntry] = []
        out.reserveCapacity(container.records.count)
        var nextRowID = file.firstRowID
        for record in container.records {
            guard let e = record.recordFields else { throw .malformed("manifest_entry is not a record") }
            guard let statusValue = entryIndex.value(0, in: e).int, let status = ManifestEntryStatus(rawValue: statusValue) else {
                throw .malformed("manifest_entry has no valid status")
            }
            guard let d = entryIndex.value(2, in: e).recordFields else { throw .malformed("data_file is not a record") }
            var dataFile = try readDataFile(d, index: fileIndex, partition: partition, specID: specID)
            var sequenceNumber = entryIndex.value(3, in: e).int64
            var fileSequenceNumber = entryIndex.value(4, in: e).int64
            if status == .added || file.sequenceNumber == 0 {
                // ADDED entries inherit; v1 manifests (list sequence number 0) read as 0.
                sequenceNumber = sequenceNumber ?? file.sequenceNumber
                fileSequenceNumber = fileSequenceNumber ?? file.sequenceNumber
            }
            if dataFile.content == .data, dataFile.firstRowID == nil, let next = nextRowID {
                dataFile.firstRowID = next
                nextRowID = next &+ dataFile.recordCount
            }
            out.append(ManifestEntry(
                status: status,
                snapshotID: entryIndex.value(1, in: e).int64 ?? file.addedSnapshotID,
                sequenceNumber: sequenceNumber, fileSequenceNumber: fileSequenceNumber, dataFile: dataFile))
        }
        return out
    }

    static func readDataFile(_ d: [AvroValue], index: AvroFieldIndex, partition: PartitionLayout, specID: Int) throws(IcebergDataError) -> DataFile {
        let contentValue = index.value(134, in: d).int ?? 0
        guard let content = DataFileContent(rawValue: contentValue) else { throw .malformed("unknown data_file content \(contentValue)") }
        guard let path = index.value(100, in: d).string else { throw .malformed("data_file has no file_path") }
        guard let format = index.value(101, in: d).string else { throw .malformed("data_file has no file_format") }
        guard let recordCount = index.value(103, in: d).int64 else { throw .malformed("data_file has no record_count") }
        guard let size = index.value(104, in: d).int64 else { throw .malformed("data_file has no file_size_in_bytes") }
        let longs: (AvroValue) -> Int64? = { $0.int64 }
        let bytes: (AvroValue) -> [UInt8]? = { $0.byteArray }
        func longList(_ v: AvroValue) throws(IcebergDataError) -> [Int64]? {
            guard !v.isNull else { return nil }
            guard let items = v.elements else { throw .malformed("expected a list of longs") }
            var out: [Int64] = []
            out.reserveCapacity(items.count)
            for item in items {
                guard let x = item.int64 else { throw .malformed("expected a list of longs") }
                out.append(x)
            }
            return out
        }
        return DataFile(
            content: content, filePath: path, fileFormat: format, specID: specID,
            partition: try partition.values(index.value(102, in: d)),
            recordCount: recordCount, fileSizeInBytes: size,
            valueCounts: try index.value(109, in: d).intKeyedMap(longs) ?? [:],
            nullValueCounts: try index.value(110, in: d).intKeyedMap(longs) ?? [:],
            nanValueCounts: try index.value(137, in: d).intKeyedMap(longs) ?? [:],
            lowerBounds: try index.value(125, in: d).intKeyedMap(bytes) ?? [:],
            upperBounds: try index.value(128, in: d).intKeyedMap(bytes) ?? [:],
            columnSizes: try index.value(108, in: d).intKeyedMap(longs) ?? [:],
            keyMetadata: index.value(131, in: d).byteArray,
            splitOffsets: try longList(index.value(132, in: d)),
            equalityIDs: try longList(index.value(135, in: d))?.map { Int(truncatingIfNeeded: $0) } ?? [],
            sortOrderID: index.value(140, in: d).int,
            firstRowID: index.value(142, in: d).int64,
            referencedDataFile: index.value(143, in: d).string,
            contentOffset: index.value(144, in: d).int64,
            contentSizeInBytes: index.value(145, in: d).int64)
    }
}

/// How to turn the writer's partition record into the spec's partition tuple: each spec field is
/// found by field id (by position for writers without ids) and converted to its result type.
struct PartitionLayout: Sendable {
    var positions: [Int?]
    var types: [IcebergType]

    init(writer: AvroSchema?, spec: PartitionSpec?, schema: IcebergSchema) throws(IcebergDataError) {
        var writerFields: [AvroField] = []
        if let writer {
            guard case .record(let record) = writer.unwrappingOptional.type else { throw .malformed("partition is not a record") }
            writerFields = record.fields
        }
        if let spec {
            let fields = spec.partitionType(schema)
            types = fields.map(\.type)
            positions = fields.enumerated().map { (i, field) in
                if let at = writerFields.firstIndex(where: { $0.fieldID == field.id }) { return at }
                if writerFields.allSatisfy({ $0.fieldID == nil }), i < writerFields.count { return i }
                return nil
            }
        } else {
            // The spec is unknown to the table metadata: take the writer's own partition type.
            types = writerFields.map { PartitionAvroType.icebergType($0.schema) }
            positions = Array(writerFields.indices)
        }
    }

    func values(_ value: AvroValue) throws(IcebergDataError) -> [IcebergValue] {
        guard !types.isEmpty else { return [] }
        guard let fields = value.recordFields else { throw .malformed("partition is not a record") }
        var out: [IcebergValue] = []
        out.reserveCapacity(types.count)
        for (position, type) in zip(positions, types) {
            guard let position, position < fields.count, !fields[position].isNull else { out.append(.null); continue }
            out.append(try IcebergValue(fields[position], as: type))
        }
        return out
    }
}
