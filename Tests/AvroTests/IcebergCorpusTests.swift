import Foundation
import Testing

@testable import Avro

/// Manifest lists and manifests written by Iceberg 1.10.2's Java Avro writer (deflate), checked against
/// what pyiceberg reads from the same files.
@Suite struct IcebergCorpusTests {
    static let corpus = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("shared/iceberg-corpus/spark-3.5.9-iceberg-1.10.2")
    static var corpusExists: Bool { FileManager.default.fileExists(atPath: corpus.path) }

    static func read(_ table: String, _ file: String) throws -> (header: AvroHeader, records: [AvroValue]) {
        let url = corpus.appendingPathComponent(table).appendingPathComponent("files/metadata").appendingPathComponent(file)
        let bytes = [UInt8](try Data(contentsOf: url))
        let whole = try AvroContainerReader.readAll(bytes)
        // Fed in pieces, the incremental reader gives the same records.
        var reader = AvroContainerReader(maxBlockBytes: 1 << 20)
        var records: [AvroValue] = []
        for start in stride(from: 0, to: bytes.count, by: 997) {
            try reader.feed(Array(bytes[start..<min(start + 997, bytes.count)]))
            while let record = try reader.next() { records.append(record) }
        }
        try reader.finish()
        while let record = try reader.next() { records.append(record) }
        #expect(records == whole.records)
        return whole
    }

    /// The value of a top-level field of a record, by name.
    static func field(_ name: String, of value: AvroValue, in schema: AvroSchema) -> AvroValue? {
        guard case .record(let record) = schema.type, case .record(let values) = value,
            let index = record.fields.firstIndex(where: { $0.name == name }), index < values.count
        else { return nil }
        return values[index]
    }

    static func fieldSchema(_ name: String, in schema: AvroSchema) -> AvroSchema? {
        guard case .record(let record) = schema.type else { return nil }
        return record.fields.first { $0.name == name }?.schema
    }

    struct ManifestListCase: Sendable {
        var table: String, file: String
        var manifests: [(suffix: String, length: Int64, addedSnapshot: Int64, addedFiles: Int32, addedRows: Int64)]
    }

    static let manifestLists: [ManifestListCase] = [
        .init(table: "spark_v1", file: "snap-2334410201874785671-1-3a405d0a-c0b8-4ebb-90f5-c812dcd2a218.avro",
              manifests: [("3a405d0a-c0b8-4ebb-90f5-c812dcd2a218-m0.avro", 6133, 2334410201874785671, 3, 600)]),
        .init(table: "spark_v2_types", file: "snap-7651630284064395550-1-019113fc-3cc3-4d36-b9ac-7f07a4910961.avro",
              manifests: [("019113fc-3cc3-4d36-b9ac-7f07a4910961-m0.avro", 11071, 7651630284064395550, 20, 100),
                          ("b0f3baa7-5fe8-48f6-9090-af73f107b249-m0.avro", 18944, 7169063490426510994, 88, 500),
                          ("0aba9e3c-1357-4d31-b198-b7d4a6cfbaf8-m0.avro", 16991, 639455222583074672, 68, 400)]),
        .init(table: "spark_v2_mor", file: "snap-8995171460517087268-1-75fbd3e9-dd23-4bae-8d67-0fba3c518cca.avro",
              manifests: [("75fbd3e9-dd23-4bae-8d67-0fba3c518cca-m0.avro", 8562, 8995171460517087268, 2, 20),
                          ("1f948df9-64bf-4b1d-bc6b-6629df6b800f-m0.avro", 12785, 8453175475679060812, 40, 2000),
                          ("75fbd3e9-dd23-4bae-8d67-0fba3c518cca-m1.avro", 8291, 8995171460517087268, 2, 20),
                          ("55dae176-572e-47bd-b857-dbb84f24cec4-m0.avro", 8338, 5202105893478066819, 4, 200)]),
    ]

    @Test(.enabled(if: corpusExists)) func manifestLists() throws {
        for testCase in Self.manifestLists {
            let (header, records) = try Self.read(testCase.table, testCase.file)
            #expect(header.codec == .deflate)
            #expect(records.count == testCase.manifests.count, "\(testCase.file)")
            for (record, expected) in zip(records, testCase.manifests) {
                let schema = header.schema
                guard case .string(let path)? = Self.field("manifest_path", of: record, in: schema) else { Issue.record("path"); continue }
                #expect(path.hasSuffix(expected.suffix))
                #expect(Self.field("manifest_length", of: record, in: schema) == .long(expected.length))
                #expect(Self.field("added_snapshot_id", of: record, in: schema) == .long(expected.addedSnapshot))
                #expect(Self.field("added_files_count", of: record, in: schema) ?? Self.field("added_data_files_count", of: record, in: schema) == .int(expected.addedFiles))
                #expect(Self.field("added_rows_count", of: record, in: schema) == .long(expected.addedRows))
            }
            #expect(try AvroSchema.parse(header.schema.jsonText) == header.schema)
        }
    }

    struct ManifestCase: Sendable {
        var table: String, file: String, entries: Int, firstFileSuffix: String, firstRecordCount: Int64, firstFileSize: Int64, totalRecords: Int64, firstSnapshot: Int64
    }

    static let manifests: [ManifestCase] = [
        .init(table: "spark_v1", file: "3a405d0a-c0b8-4ebb-90f5-c812dcd2a218-m0.avro", entries: 3,
              firstFileSuffix: "00000-41-b7bce018-d160-47bc-a75c-21082bdf5c44-0-00002.parquet", firstRecordCount: 200, firstFileSize: 1709, totalRecords: 600, firstSnapshot: 2334410201874785671),
        .init(table: "spark_v2_evolved", file: "a81a144e-14d2-4f93-a2d4-23d3b618d611-m0.avro", entries: 2,
              firstFileSuffix: "00000-35-a04a6f18-f816-42a0-ad62-4c8421594868-0-00001.parquet", firstRecordCount: 150, firstFileSize: 2174, totalRecords: 300, firstSnapshot: 5721721562793263065),
        .init(table: "spark_v2_mor", file: "1f948df9-64bf-4b1d-bc6b-6629df6b800f-m0.avro", entries: 40,
              firstFileSuffix: "00000-11-cd1e547d-013d-4279-9436-1168c4e98658-0-00030.parquet", firstRecordCount: 50, firstFileSize: 6663, totalRecords: 2000, firstSnapshot: 8453175475679060812),
        .init(table: "spark_v2_mor", file: "55dae176-572e-47bd-b857-dbb84f24cec4-m0.avro", entries: 4,
              firstFileSuffix: "00000-22-e6f2dcda-652c-4b3b-915f-517c7705250a-00001-deletes.parquet", firstRecordCount: 50, firstFileSize: 1668, totalRecords: 200, firstSnapshot: 5202105893478066819),
        .init(table: "spark_v2_types", file: "b0f3baa7-5fe8-48f6-9090-af73f107b249-m0.avro", entries: 88,
              firstFileSuffix: "00000-5-8efc7bf0-5a4d-49fd-9f73-2b77ed570c28-0-00035.parquet", firstRecordCount: 9, firstFileSize: 4871, totalRecords: 500, firstSnapshot: 7169063490426510994),
        .init(table: "spark_v3_dv", file: "6a0ffbf7-5bcd-4819-aabf-23185539a667-m0.avro", entries: 5,
              firstFileSuffix: "00000-47-a0a6aba3-ce83-4dd3-b3d8-a21118584a13-00001-deletes.puffin", firstRecordCount: 43, firstFileSize: 2216, totalRecords: 215, firstSnapshot: 6342042346459954119),
    ]

    @Test(.enabled(if: corpusExists)) func manifests() throws {
        for testCase in Self.manifests {
            let (header, records) = try Self.read(testCase.table, testCase.file)
            #expect(records.count == testCase.entries, "\(testCase.file)")
            #expect(header.metadata["schema"] != nil)
            #expect(header.metadata["partition-spec"] != nil)
            let schema = header.schema
            guard let dataFileSchema = Self.fieldSchema("data_file", in: schema) else { Issue.record("no data_file"); continue }
            var total: Int64 = 0
            for (index, record) in records.enumerated() {
                #expect(Self.field("status", of: record, in: schema) == .int(1))
                guard let dataFile = Self.field("data_file", of: record, in: schema),
                    case .long(let count)? = Self.field("record_count", of: dataFile, in: dataFileSchema)
                else { Issue.record("record_count"); continue }
                total += count
                guard index == 0 else { continue }
                #expect(Self.field("snapshot_id", of: record, in: schema) == .long(testCase.firstSnapshot))
                #expect(count == testCase.firstRecordCount)
                #expect(Self.field("file_size_in_bytes", of: dataFile, in: dataFileSchema) == .long(testCase.firstFileSize))
                guard case .string(let path)? = Self.field("file_path", of: dataFile, in: dataFileSchema) else { Issue.record("path"); continue }
                #expect(path.hasSuffix(testCase.firstFileSuffix))
            }
            #expect(total == testCase.totalRecords)
            #expect(try AvroSchema.parse(header.schema.jsonText) == header.schema)

            // Rewritten by us with the same schema and metadata, read back equal.
            var writer = AvroContainerWriter(schema: schema, codec: .deflate, metadata: header.metadata.filter { !$0.key.hasPrefix("avro.") })
            var out = writer.start()
            for record in records { out += try writer.append(record) }
            out += try writer.finish()
            let reread = try AvroContainerReader.readAll(out)
            #expect(reread.records == records)
            #expect(reread.header.metadata["schema"] == header.metadata["schema"])
        }
    }
}
