import IcebergData
import IcebergModel
import NIOCore
import ObjectStore
import Parquet
import Testing

@testable import Catalog

/// The server reads tables straight from its object store: a table written into the warehouse
/// bucket (Parquet data, manifest, manifest list) is planned and read through ObjectStoreTableFileIO.
@Suite struct TableFilesTests {
    @Test func aTableInTheObjectStoreReadsBackThroughTheStore() async throws {
        let fixture = try await CatalogFixture()
        defer { Task { await fixture.cleanup() } }
        let bucket = try await fixture.objects.bucket("whs")
        func put(_ path: String, _ bytes: [UInt8]) async throws {
            _ = try await fixture.objects.writeInternal(
                ByteBuffer(bytes: bytes), bucket: bucket, key: String(path.dropFirst("s3://whs/".count)), attributes: ObjectAttributes())
        }
        let schema = IcebergSchema(schemaID: 0, fields: [IcebergField(id: 1, name: "id", required: true, type: .long), IcebergField(id: 2, name: "name", required: false, type: .string)])
        var parquet = try ParquetWriter(schema: IcebergParquetSchema.message(schema.fields), options: ParquetWriterOptions())
        let rows = (0..<1000).map { [IcebergValue.long(Int64($0)), $0 % 10 == 0 ? .null : .string("n\($0)")] }
        let data = parquet.start() + (try parquet.write(rows.map { $0.map(\.parquetValue) })) + (try parquet.finish())
        try await put("s3://whs/t/data/a.parquet", data)
        var manifest = try ManifestWriter(formatVersion: 2, spec: PartitionSpec(specID: 0, fields: []), schema: schema, snapshotID: 1)
        try manifest.add(ManifestEntry(status: .added, snapshotID: 1, dataFile: DataFile(
            filePath: "s3://whs/t/data/a.parquet", fileFormat: "PARQUET", specID: 0, partition: [], recordCount: 1000, fileSizeInBytes: Int64(data.count))))
        let (manifestBytes, entry) = try manifest.finish(path: "s3://whs/t/metadata/m.avro", sequenceNumber: 1)
        try await put(entry.path, manifestBytes)
        try await put("s3://whs/t/metadata/snap-1.avro", try ManifestList.write([entry], formatVersion: 2, snapshotID: 1, parentSnapshotID: nil, sequenceNumber: 1))
        let metadata = try TableMetadata(json: [
            "format-version": 2, "table-uuid": "00000000-0000-0000-0000-000000000002", "location": "s3://whs/t", "last-sequence-number": 1,
            "last-updated-ms": 1, "last-column-id": 2, "current-schema-id": 0, "schemas": [schema.json], "default-spec-id": 0,
            "partition-specs": [["spec-id": 0, "fields": []]], "last-partition-id": 999, "default-sort-order-id": 0,
            "sort-orders": [["order-id": 0, "fields": []]], "current-snapshot-id": 1,
            "snapshots": [["snapshot-id": 1, "sequence-number": 1, "timestamp-ms": 1, "manifest-list": "s3://whs/t/metadata/snap-1.avro", "summary": ["operation": "append"]]],
        ])
        let io = ObjectStoreTableFileIO(store: fixture.objects, tableLocation: "s3://whs/t")
        let reader = try TableReader(metadata: metadata, filter: try ExpressionParser.parse("id >= 990 AND name IS NOT NULL"))
        var read: [[IcebergValue]] = []
        try await reader.rows(io: io) { row in
            read.append(row)
            return true
        }
        #expect(read == (991..<1000).map { [.long(Int64($0)), .string("n\($0)")] })
        #expect(try await io.size("s3://whs/t/data/a.parquet") == Int64(data.count))
        await #expect(throws: (any Error).self) { try await io.read("s3://whs/t/data/missing.parquet") }
        // Outside the table's location nothing is read, whatever a manifest names (the review's attack).
        _ = try await fixture.objects.writeInternal(ByteBuffer(bytes: [1, 2, 3]), bucket: try await fixture.objects.bucket("other"), key: "secret", attributes: ObjectAttributes())
        await #expect(throws: IcebergDataError.self) { try await io.read("s3://other/secret") }
        await #expect(throws: IcebergDataError.self) { try await io.read("s3://whs/t/../u/secret") }
        await #expect(throws: IcebergDataError.self) { try await io.read("s3://whs/tt/data/a.parquet") }
    }
}
