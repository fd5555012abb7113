import Avro
import IcebergModel

/// Manifest list files: the Avro container of `manifest_file` records a snapshot points at.
public enum ManifestList {
    /// Reads a manifest list by field id. v1 lists have no content or sequence numbers: they read as
    /// data manifests with sequence number 0.
    public static func read(_ bytes: [UInt8], formatVersion: Int) throws(IcebergDataError) -> [ManifestFile] {
        let container: (header: AvroHeader, records: [AvroValue])
        do { container = try AvroContainerReader.readAll(bytes) } catch { throw .avro(error) }
        let index = try AvroFieldIndex(container.header.schema)
        let summaryIndex: AvroFieldIndex? = index.schema(507).flatMap { schema in
            if case .array(let items) = schema.type { return try? AvroFieldIndex(items) }
            return nil
        }
        var out: [ManifestFile] = []
        out.reserveCapacity(container.records.count)
        for record in container.records {
            guard let fields = record.recordFields else { throw .malformed("manifest_file is not a record") }
            out.append(try manifestFile(fields, index: index, summaryIndex: summaryIndex, formatVersion: formatVersion))
        }
        return out
    }

    static func manifestFile(_ f: [AvroValue], index: AvroFieldIndex, summaryIndex: AvroFieldIndex?, formatVersion: Int) throws(IcebergDataError) -> ManifestFile {
        guard let path = index.value(500, in: f).string else { throw .malformed("manifest_file has no manifest_path") }
        guard let length = index.value(501, in: f).int64 else { throw .malformed("manifest_file has no manifest_length") }
        guard let specID = index.value(502, in: f).int else { throw .malformed("manifest_file has no partition_spec_id") }
        let contentValue = index.value(517, in: f).int ?? 0
        guard let content = ManifestContent(rawValue: contentValue) else { throw .malformed("unknown manifest content \(contentValue)") }
        let sequenceNumber = index.value(515, in: f).int64 ?? 0
        var partitions: [PartitionFieldSummary]?
        switch index.value(507, in: f) {
        case .null: partitions = nil
        case .array(let items):
            guard let summaryIndex else { throw .malformed("partitions has no field_summary schema") }
            var list: [PartitionFieldSummary] = []
            list.reserveCapacity(items.count)
            for item in items {
                guard let s = item.recordFields else { throw .malformed("field_summary is not a record") }
                let lower = summaryIndex.value(510, in: s)
                let upper = summaryIndex.value(511, in: s)
                list.append(PartitionFieldSummary(
                    containsNull: summaryIndex.value(509, in: s).bool ?? true,
                    containsNaN: summaryIndex.value(518, in: s).bool,
                    lowerBound: lower.byteArray, upperBound: upper.byteArray))
            }
            partitions = list
        default: throw .malformed("partitions is not a list")
        }
        return ManifestFile(
            path: path, length: length, partitionSpecID: specID, content: content,
            sequenceNumber: sequenceNumber,
            minSequenceNumber: index.value(516, in: f).int64 ?? sequenceNumber,
            addedSnapshotID: index.value(503, in: f).int64 ?? -1,
            addedFilesCount: index.value(504, in: f).int,
            existingFilesCount: index.value(505, in: f).int,
            deletedFilesCount: index.value(506, in: f).int,
            addedRowsCount: index.value(512, in: f).int64,
            existingRowsCount: index.value(513, in: f).int64,
            deletedRowsCount: index.value(514, in: f).int64,
            partitions: partitions,
            keyMetadata: index.value(519, in: f).byteArray,
            firstRowID: index.value(520, in: f).int64)
    }

    /// Assigns `first_row_id` to data manifests that have none (v3), starting at `start` and
    /// advancing by each assigned manifest's added + existing rows. Returns the next free row id.
    public static func assigningFirstRowIDs(_ manifests: [ManifestFile], startingAt start: Int64) -> (manifests: [ManifestFile], nextRowID: Int64) {
        var next = start
        var out = manifests
        for i in out.indices where out[i].content == .data && out[i].firstRowID == nil {
            out[i].firstRowID = next
            next &+= (out[i].addedRowsCount ?? 0) &+ (out[i].existingRowsCount ?? 0)
        }
        return (out, next)
    }

    /// Writes a manifest list as Java does (deflate, metadata `snapshot-id`, `parent-snapshot-id`,
    /// `sequence-number`, `format-version`, and for v3 `first-row-id`). Manifests with an unassigned
    /// sequence number get `sequenceNumber`; in v3, data manifests without a first row id get one
    /// from `firstRowID` onward.
    public static func write(
        _ manifests: [ManifestFile], formatVersion: Int, snapshotID: Int64, parentSnapshotID: Int64?,
        sequenceNumber: Int64, firstRowID: Int64? = nil
    ) throws(IcebergDataError) -> [UInt8] {
        guard (1...3).contains(formatVersion) else { throw .unsupported("format version \(formatVersion)") }
        var list = manifests
        for i in list.indices {
            if list[i].sequenceNumber == ManifestFile.unassignedSequenceNumber { list[i].sequenceNumber = sequenceNumber }
            if list[i].minSequenceNumber == ManifestFile.unassignedSequenceNumber { list[i].minSequenceNumber = sequenceNumber }
        }
        var metadata: [String: [UInt8]] = [
            "snapshot-id": Array(String(snapshotID).utf8),
            "parent-snapshot-id": Array((parentSnapshotID.map { String($0) } ?? "null").utf8),
            "format-version": Array(String(formatVersion).utf8),
        ]
        if formatVersion >= 2 { metadata["sequence-number"] = Array(String(sequenceNumber).utf8) }
        if formatVersion >= 3, let firstRowID {
            list = assigningFirstRowIDs(list, startingAt: firstRowID).manifests
            metadata["first-row-id"] = Array(String(firstRowID).utf8)
        }
        var writer = AvroContainerWriter(schema: ManifestListSchema.schema(formatVersion: formatVersion), codec: .deflate, metadata: metadata)
        var out = writer.start()
        do {
            for m in list { out += try writer.append(record(m, formatVersion: formatVersion)) }
            out += try writer.finish()
        } catch { throw .avro(error) }
        return out
    }

    static func record(_ m: ManifestFile, formatVersion: Int) -> AvroValue {
        func opt(_ v: Int?) -> AvroValue { v.map { .int(Int32(clamping: $0)) } ?? .null }
        func opt(_ v: Int64?) -> AvroValue { v.map { .long($0) } ?? .null }
        func req(_ v: Int?) -> AvroValue { .int(Int32(clamping: v ?? 0)) }
        func req(_ v: Int64?) -> AvroValue { .long(v ?? 0) }
        let partitions: AvroValue = m.partitions.map { list in
            .array(list.map { s in
                .record([.boolean(s.containsNull), s.containsNaN.map { .boolean($0) } ?? .null,
                         s.lowerBound.map { .bytes($0) } ?? .null, s.upperBound.map { .bytes($0) } ?? .null])
            })
        } ?? .null
        var f: [AvroValue] = [.string(m.path), .long(m.length), .int(Int32(clamping: m.partitionSpecID))]
        if formatVersion >= 2 {
            f += [.int(Int32(m.content.rawValue)), .long(m.sequenceNumber), .long(m.minSequenceNumber)]
        }
        f.append(.long(m.addedSnapshotID))
        if formatVersion >= 2 {
            f += [req(m.addedFilesCount), req(m.existingFilesCount), req(m.deletedFilesCount),
                  req(m.addedRowsCount), req(m.existingRowsCount), req(m.deletedRowsCount), partitions]
        } else {
            f += [opt(m.addedFilesCount), opt(m.existingFilesCount), opt(m.deletedFilesCount), partitions,
                  opt(m.addedRowsCount), opt(m.existingRowsCount), opt(m.deletedRowsCount)]
        }
        f.append(m.keyMetadata.map { .bytes($0) } ?? .null)
        if formatVersion >= 3 { f.append(opt(m.content == .data ? m.firstRowID : nil)) }
        return .record(f)
    }
}
