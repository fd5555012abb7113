import Avro
import IcebergModel
import Parquet
import Testing

@testable import IcebergData

/// Files in memory, by path: what a table reader and writer see through TableFileIO.
final class MemoryIO: TableFileIO, @unchecked Sendable {
    var files: [String: [UInt8]] = [:]
    func read(_ path: String) async throws -> [UInt8] {
        guard let bytes = files[path] else { throw IcebergDataError.invalid("no file \(path)") }
        return bytes
    }
    func read(_ path: String, range: Range<Int64>) async throws -> [UInt8] {
        let bytes = try await read(path)
        guard range.lowerBound >= 0, range.upperBound <= Int64(bytes.count) else { return Array(bytes[Int(max(0, range.lowerBound))...]) }
        return Array(bytes[Int(range.lowerBound)..<Int(range.upperBound)])
    }
    func size(_ path: String) async throws -> Int64 { Int64(try await read(path).count) }
}

/// A table in memory: `id long, region string` partitioned by identity(region), written with
/// Floe's own Parquet writer, manifest writer and manifest list writer.
struct MemoryTable {
    let io = MemoryIO()
    let schema = IcebergSchema(schemaID: 0, fields: [
        IcebergField(id: 1, name: "id", required: false, type: .long), IcebergField(id: 2, name: "region", required: false, type: .string),
    ])
    let spec = PartitionSpec(specID: 0, fields: [PartitionField(sourceID: 2, fieldID: 1000, name: "region", transform: .identity)])

    /// A Parquet file holding only `id` (as Hive-migrated files lack their partition columns).
    func idsOnlyFile(_ ids: [Int64]) throws -> [UInt8] {
        var writer = try ParquetWriter(
            schema: .group("table", .required, [.primitive("id", .int64, .optional, fieldID: 1)]), options: ParquetWriterOptions())
        return writer.start() + (try writer.write(ids.map { [.int64($0)] })) + (try writer.finish())
    }

    func metadata(formatVersion: Int, files: [(path: String, region: String, ids: [Int64])], deletes: [DataFile] = []) throws -> TableMetadata {
        var manifestWriter = try ManifestWriter(formatVersion: formatVersion, spec: spec, schema: schema, snapshotID: 7)
        for file in files {
            let bytes = try idsOnlyFile(file.ids)
            io.files[file.path] = bytes
            try manifestWriter.add(ManifestEntry(status: .added, snapshotID: 7, dataFile: DataFile(
                filePath: file.path, fileFormat: "PARQUET", specID: 0, partition: [.string(file.region)],
                recordCount: Int64(file.ids.count), fileSizeInBytes: Int64(bytes.count))))
        }
        let (manifestBytes, manifest) = try manifestWriter.finish(path: "s3://b/t/metadata/m0.avro", sequenceNumber: 1)
        io.files[manifest.path] = manifestBytes
        var manifests = [manifest]
        if !deletes.isEmpty {
            var deleteWriter = try ManifestWriter(formatVersion: formatVersion, spec: spec, schema: schema, content: .deletes, snapshotID: 7)
            for delete in deletes { try deleteWriter.add(ManifestEntry(status: .added, snapshotID: 7, dataFile: delete)) }
            let (bytes, deleteManifest) = try deleteWriter.finish(path: "s3://b/t/metadata/d0.avro", sequenceNumber: 1)
            io.files[deleteManifest.path] = bytes
            manifests.append(deleteManifest)
        }
        io.files["s3://b/t/metadata/snap-7.avro"] = try ManifestList.write(
            manifests, formatVersion: formatVersion, snapshotID: 7, parentSnapshotID: nil, sequenceNumber: 1, firstRowID: formatVersion >= 3 ? 0 : nil)
        var json: [String: JSONValue] = [
            "format-version": .int(Int64(formatVersion)), "table-uuid": "00000000-0000-0000-0000-000000000001", "location": "s3://b/t",
            "last-sequence-number": 1, "last-updated-ms": 1, "last-column-id": 2, "current-schema-id": 0, "schemas": [schema.json],
            "default-spec-id": 0, "partition-specs": [spec.json], "last-partition-id": 1000, "default-sort-order-id": 0,
            "sort-orders": [["order-id": 0, "fields": []]], "properties": [:], "current-snapshot-id": 7,
            "snapshots": [["snapshot-id": 7, "sequence-number": 1, "timestamp-ms": 1, "manifest-list": "s3://b/t/metadata/snap-7.avro",
                           "summary": ["operation": "append"], "schema-id": 0]],
            "refs": ["main": ["snapshot-id": 7, "type": "branch"]],
        ]
        if formatVersion >= 3 { json["next-row-id"] = 0 }
        return try TableMetadata(json: .object(json))
    }

    func rows(_ metadata: TableMetadata, filter: Expression = .alwaysTrue) async throws -> [[IcebergValue]] {
        let reader = try TableReader(metadata: metadata, filter: filter)
        var rows: [[IcebergValue]] = []
        try await reader.rows(io: io) { row in
            rows.append(row)
            return true
        }
        return rows.sorted { IcebergValue.compare($0[0], $1[0]) ?? 0 < 0 }
    }
}

@Suite struct TableReaderTests {
    @Test func identityPartitionValuesFillColumnsTheFilesLack() async throws {
        let table = MemoryTable()
        let metadata = try table.metadata(formatVersion: 2, files: [("s3://b/t/data/eu.parquet", "eu", [1, 2]), ("s3://b/t/data/us.parquet", "us", [3])])
        #expect(try await table.rows(metadata) == [[.long(1), .string("eu")], [.long(2), .string("eu")], [.long(3), .string("us")]])
        #expect(try await table.rows(metadata, filter: try ExpressionParser.parse("region = 'us'")) == [[.long(3), .string("us")]])
    }

    @Test func deletionVectorWithImpossibleOffsetsIsRefusedNotTrapped() async throws {
        let table = MemoryTable()
        let dv = DataFile(
            content: .positionDeletes, filePath: "s3://b/t/data/dv.puffin", fileFormat: "PUFFIN", specID: 0, partition: [.string("eu")],
            recordCount: 1, fileSizeInBytes: 100, referencedDataFile: "s3://b/t/data/eu.parquet", contentOffset: Int64.max, contentSizeInBytes: 10)
        let metadata = try table.metadata(formatVersion: 3, files: [("s3://b/t/data/eu.parquet", "eu", [1, 2])], deletes: [dv])
        await #expect(throws: IcebergDataError.self) { try await table.rows(metadata) }
    }

    @Test func filesOutsideTheTableLocationAreNotRead() async throws {
        // A committer planted another table's file in this table's manifest: the confined reader refuses it.
        let table = MemoryTable()
        table.io.files["s3://b/other/secret.parquet"] = try table.idsOnlyFile([42])
        let metadata = try table.metadata(formatVersion: 2, files: [("s3://b/t/data/eu.parquet", "eu", [1])])
        var manifest = try ManifestWriter(formatVersion: 2, spec: table.spec, schema: table.schema, snapshotID: 7)
        for (path, size) in [("s3://b/t/data/eu.parquet", table.io.files["s3://b/t/data/eu.parquet"]!.count), ("s3://b/other/secret.parquet", table.io.files["s3://b/other/secret.parquet"]!.count)] {
            try manifest.add(ManifestEntry(status: .added, snapshotID: 7, dataFile: DataFile(
                filePath: path, fileFormat: "PARQUET", specID: 0, partition: [.string("eu")], recordCount: 1, fileSizeInBytes: Int64(size))))
        }
        let (bytes, entry) = try manifest.finish(path: "s3://b/t/metadata/m0.avro", sequenceNumber: 1)
        table.io.files[entry.path] = bytes
        table.io.files["s3://b/t/metadata/snap-7.avro"] = try ManifestList.write([entry], formatVersion: 2, snapshotID: 7, parentSnapshotID: nil, sequenceNumber: 1)
        let reader = try TableReader(metadata: metadata)
        await #expect(throws: IcebergDataError.self) {
            try await reader.rows(io: ConfinedFileIO(table.io, location: "s3://b/t")) { _ in true }
        }
        #expect(ConfinedFileIO.contains("s3://b/t", "s3a://b/t/data/x.parquet"))
        #expect(ConfinedFileIO.contains("s3://b/t/", "s3://b/t/data/x.parquet"))
        #expect(!ConfinedFileIO.contains("s3://b/t", "s3://b/tt/data/x.parquet"))
        #expect(!ConfinedFileIO.contains("s3://b/t", "s3://b/t/../other/x.parquet"))
        #expect(!ConfinedFileIO.contains("s3://b/t", "s3://b/t//x.parquet"))
        #expect(!ConfinedFileIO.contains("s3://b/t", "/etc/passwd"))
    }

    @Test func aManifestNamedTwiceIsReadOnceAndPlanningIsBounded() async throws {
        // Review finding: a manifest list naming one manifest 10,000 times made a planner hold every entry 10,000 times.
        let table = MemoryTable()
        let metadata = try table.metadata(formatVersion: 2, files: [("s3://b/t/data/eu.parquet", "eu", [1, 2]), ("s3://b/t/data/us.parquet", "us", [3])])
        let list = try ManifestList.read(table.io.files["s3://b/t/metadata/snap-7.avro"]!, formatVersion: 2)
        var spelledAgain = list[0]
        spelledAgain.path = "s3a://" + list[0].path.dropFirst("s3://".count)
        table.io.files[spelledAgain.path] = table.io.files[list[0].path]
        table.io.files["s3://b/t/metadata/snap-7.avro"] = try ManifestList.write(
            Array(repeating: list[0], count: 50) + [spelledAgain], formatVersion: 2, snapshotID: 7, parentSnapshotID: nil, sequenceNumber: 1)
        let tasks = try await TableScan(metadata: metadata).planFiles(io: table.io)
        #expect(tasks.count == 2)
        #expect(try await table.rows(metadata).count == 3)
        var bounded = try TableScan(metadata: metadata)
        bounded.maxEntries = 1
        await #expect(throws: IcebergDataError.self) { try await bounded.planFiles(io: table.io) }
        bounded.maxEntries = 2
        #expect(try await bounded.planFiles(io: table.io).count == 2)
        // Rows of tasks planned already: the same rows, without planning again.
        let reader = try TableReader(metadata: metadata)
        var count = 0
        try await reader.rows(of: tasks, io: table.io) { _ in
            count += 1
            return true
        }
        #expect(count == 3)
    }

    @Test func nestedNameMappingIsRead() {
        let mapping = TableReader.nameMapping(#"[{"field-id": 1, "names": ["id", "ident"]}, {"field-id": 2, "names": ["st"], "fields": [{"field-id": 3, "names": ["x"]}]}]"#)
        #expect(mapping == [1: ["id", "ident"], 2: ["st"], 3: ["x"]])
    }
}

@Suite struct WriteRulesTests {
    @Test func partitionFieldNamesAreAvroSafe() {
        #expect(AvroNames.sanitize("event_date") == "event_date")
        #expect(AvroNames.sanitize("event-date") == "event_x2Ddate")
        #expect(AvroNames.sanitize("1st") == "_1st")
        #expect(AvroNames.sanitize("a b") == "a_x20b")
    }

    @Test func manifestsWithUnsafePartitionNamesStillReadBack() throws {
        let schema = IcebergSchema(schemaID: 0, fields: [IcebergField(id: 1, name: "event-date", required: false, type: .date)])
        let spec = PartitionSpec(specID: 0, fields: [PartitionField(sourceID: 1, fieldID: 1000, name: "event-date", transform: .identity)])
        var writer = try ManifestWriter(formatVersion: 2, spec: spec, schema: schema, snapshotID: 1)
        try writer.add(ManifestEntry(status: .added, snapshotID: 1, dataFile: DataFile(
            filePath: "s3://b/f.parquet", fileFormat: "PARQUET", specID: 0, partition: [.date(20_000)], recordCount: 1, fileSizeInBytes: 10)))
        let (bytes, manifest) = try writer.finish(path: "s3://b/m.avro", sequenceNumber: 1)
        let (header, _) = try AvroContainerReader.readAll(bytes)
        #expect(String(decoding: header.metadata["avro.schema"] ?? [], as: UTF8.self).contains("event_x2Ddate"))
        let entries = try Manifest.read(bytes, file: manifest, specs: [0: spec], schema: schema)
        #expect(entries.first?.dataFile.partition == [.date(20_000)])
    }

    @Test func boundsAreTruncatedAsIcebergDoes() {
        let long = String(repeating: "a", count: 15) + "bcdef"
        #expect(BoundTruncation.lower(.string(long)) == .string(String(repeating: "a", count: 15) + "b"))
        #expect(BoundTruncation.upper(.string(long)) == .string(String(repeating: "a", count: 15) + "c"))
        #expect(BoundTruncation.upper(.string("short")) == .string("short"))
        #expect(BoundTruncation.upper(.binary(Array(repeating: 0xFF, count: 20))) == nil)
        #expect(BoundTruncation.upper(.binary([1] + Array(repeating: 0xFF, count: 19))) == .binary([2]))
    }

    func footer(_ rows: [[ParquetValue]], schema: ParquetSchemaNode) throws -> ParquetFileMetadata {
        var writer = try ParquetWriter(schema: schema, options: ParquetWriterOptions())
        let bytes = writer.start() + (try writer.write(rows)) + (try writer.finish())
        let length = try ParquetFooter.metadataLength(trailer: Array(bytes.suffix(8)))
        return try ParquetFooter.parse(Array(bytes[(bytes.count - 8 - length)..<(bytes.count - 8)]))
    }

    @Test func partitionsComeOnlyFromTransformsThatKeepOrder() throws {
        let schema = IcebergSchema(schemaID: 0, fields: [IcebergField(id: 1, name: "id", required: false, type: .long)])
        // Two values in the same bucket with others between them: the file's range says nothing about its bucket.
        let high = try #require((4...1000).first { Transform.bucket(4).apply(.long(Int64($0))) == Transform.bucket(4).apply(.long(3)) })
        let file = try footer([[.int64(3)], [.int64(Int64(high))]], schema: .group("t", .required, [.primitive("id", .int64, fieldID: 1)]))
        let bucket = PartitionSpec(specID: 0, fields: [PartitionField(sourceID: 1, fieldID: 1000, name: "b", transform: .bucket(4))])
        #expect(throws: IcebergDataError.self) { try ParquetDataFile.describe(path: "f", size: 100, footer: file, schema: schema, spec: bucket) }
        let truncate = PartitionSpec(specID: 0, fields: [PartitionField(sourceID: 1, fieldID: 1000, name: "t", transform: .truncate(10))])
        let narrow = try footer([[.int64(3)], [.int64(9)]], schema: .group("t", .required, [.primitive("id", .int64, fieldID: 1)]))
        let described = try ParquetDataFile.describe(path: "f", size: 100, footer: narrow, schema: schema, spec: truncate)
        #expect(described.partition == [.long(0)])
        #expect(described.metrics.lowerBounds[1] == IcebergValue.long(3).toBound())
        let single = try footer([[.int64(5)]], schema: .group("t", .required, [.primitive("id", .int64, fieldID: 1)]))
        #expect(try ParquetDataFile.describe(path: "f", size: 100, footer: single, schema: schema, spec: bucket).partition == [Transform.bucket(4).apply(.long(5))])
    }

    @Test func foreignFieldIDsAreRefused() throws {
        let schema = IcebergSchema(schemaID: 0, fields: [IcebergField(id: 1, name: "id", required: false, type: .long)])
        let file = try footer([[.int64(3)]], schema: .group("t", .required, [.primitive("other", .int64, fieldID: 1)]))
        #expect(throws: IcebergDataError.self) { try ParquetDataFile.describe(path: "f", size: 100, footer: file, schema: schema, spec: PartitionSpec(specID: 0, fields: [])) }
    }

    @Test func v3AddedRowsCoverParentManifestsGivenRowIDs() throws {
        let table = MemoryTable()
        let metadata = try table.metadata(formatVersion: 3, files: [("s3://b/t/data/a.parquet", "eu", [1, 2, 3])])
        let parent = ManifestFile(
            path: "s3://b/t/metadata/old.avro", length: 10, partitionSpecID: 0, content: .data, sequenceNumber: 1, minSequenceNumber: 1,
            addedSnapshotID: 7, addedFilesCount: 1, existingFilesCount: 0, deletedFilesCount: 0, addedRowsCount: 5, existingRowsCount: 0,
            deletedRowsCount: 0, partitions: [], firstRowID: nil)
        let file = DataFile(filePath: "s3://b/t/data/n.parquet", fileFormat: "PARQUET", specID: 0, partition: [.string("us")], recordCount: 2, fileSizeInBytes: 10)
        let commit = try AppendCommit.make(
            metadata: metadata, files: [file], parentManifests: [parent], snapshotID: 8, timestampMs: 2,
            manifestPath: "s3://b/t/metadata/m1.avro", manifestListPath: "s3://b/t/metadata/snap-8.avro")
        let snapshot = commit.request["updates"]?.arrayValue?.first?["snapshot"]
        #expect(snapshot?["added-rows"] == .int(7))
        #expect(snapshot?["first-row-id"] == .int(0))
        #expect(snapshot?["sequence-number"] == .int(2))
    }
}
