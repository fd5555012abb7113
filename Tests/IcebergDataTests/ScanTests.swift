import Foundation
import IcebergModel
import Testing

@testable import IcebergData

/// Reads files of a corpus table from its local `files/` folder, mapping the table location onto it.
struct ScanTestsLocalIO: TableFileIO {
    let location: String
    let folder: URL

    func local(_ path: String) -> URL {
        path.hasPrefix(location) ? folder.appendingPathComponent(String(path.dropFirst(location.count))) : URL(fileURLWithPath: path)
    }

    func read(_ path: String) async throws -> [UInt8] { Array(try Data(contentsOf: local(path))) }

    func read(_ path: String, range: Range<Int64>) async throws -> [UInt8] {
        let all = try await read(path)
        guard range.lowerBound >= 0, range.upperBound <= Int64(all.count) else { throw IcebergDataError.invalid("range outside \(path)") }
        return Array(all[Int(range.lowerBound)..<Int(range.upperBound)])
    }

    func size(_ path: String) async throws -> Int64 { Int64(try await read(path).count) }
}

struct ScanTests {
    static let corpus = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("../shared/iceberg-corpus/spark-3.5.9-iceberg-1.10.2").standardizedFileURL
    static var corpusPresent: Bool { FileManager.default.fileExists(atPath: corpus.appendingPathComponent("tables.json").path) }

    /// What pyiceberg 0.12 plans for every snapshot (tasks, summed record counts, delete files over all tasks).
    static let expected: [(table: String, snapshot: Int64, tasks: Int, records: Int64, deletes: Int)] = [
        ("spark_v2_types", 639_455_222_583_074_672, 68, 400, 0),
        ("spark_v2_types", 7_169_063_490_426_510_994, 156, 900, 0),
        ("spark_v2_types", 7_651_630_284_064_395_550, 176, 1000, 0),
        ("spark_v2_mor", 8_453_175_475_679_060_812, 40, 2000, 0),
        ("spark_v2_mor", 5_202_105_893_478_066_819, 40, 2000, 4),
        ("spark_v2_mor", 8_995_171_460_517_087_268, 42, 2020, 6),
        ("spark_v2_evolved", 5_721_721_562_793_263_065, 2, 300, 0),
        ("spark_v2_evolved", 7_675_634_794_280_362_783, 4, 500, 0),
        ("spark_v1", 2_334_410_201_874_785_671, 3, 600, 0),
        ("spark_v3_dv", 6_499_721_781_312_053_600, 5, 1500, 0),
        ("spark_v3_dv", 6_342_042_346_459_954_119, 5, 1500, 5),
    ]

    static func table(_ name: String) throws -> (metadata: TableMetadata, io: ScanTestsLocalIO) {
        let tables = try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: corpus.appendingPathComponent("tables.json")))
        guard let t = tables[name], let location = t["location"]?.stringValue, let current = t["current_metadata"]?.stringValue else {
            throw IcebergDataError.invalid("no table \(name)")
        }
        let json = try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: corpus.appendingPathComponent(name).appendingPathComponent(current)))
        return (try TableMetadata(json: json), ScanTestsLocalIO(location: location, folder: corpus.appendingPathComponent(name).appendingPathComponent("files")))
    }

    @Test(.enabled(if: corpusPresent)) func plansMatchPyiceberg() async throws {
        for e in Self.expected {
            let (metadata, io) = try Self.table(e.table)
            let tasks = try await TableScan(metadata: metadata, snapshotID: e.snapshot).planFiles(io: io)
            #expect(tasks.count == e.tasks, "\(e.table)@\(e.snapshot)")
            #expect(tasks.reduce(0) { $0 + $1.dataFile.recordCount } == e.records, "\(e.table)@\(e.snapshot)")
            #expect(tasks.reduce(0) { $0 + $1.deletes.count } == e.deletes, "\(e.table)@\(e.snapshot)")
        }
    }

    @Test(.enabled(if: corpusPresent)) func v3DeletionVectorsDecode() async throws {
        let (metadata, io) = try Self.table("spark_v3_dv")
        let tasks = try await TableScan(metadata: metadata).planFiles(io: io)
        var deleted = 0
        for task in tasks {
            #expect(task.deletes.count == 1)
            for dv in task.deletes {
                #expect(dv.isDeletionVector)
                #expect(dv.referencedDataFile == task.dataFile.filePath)
                let offset = try #require(dv.contentOffset), length = try #require(dv.contentSizeInBytes)
                let index = try DeletionVector.decode(try await io.read(dv.filePath, range: offset..<(offset + length)))
                #expect(Int64(index.cardinality) == dv.recordCount)
                deleted += index.cardinality
                let footer = try Puffin.readFooter(try await io.read(dv.filePath))
                let blob = try #require(footer.blobs.first { $0.offset == offset })
                #expect(blob.type == DeletionVector.blobType && blob.length == length)
                #expect(blob.properties["referenced-data-file"] == task.dataFile.filePath)
                #expect(blob.properties["cardinality"] == String(index.cardinality))
            }
        }
        #expect(deleted == 215)   // 5 vectors of 43: 1500 rows − 215 = the 1285 Spark reads
    }

    @Test(.enabled(if: corpusPresent)) func manifestViewsAndInheritance() async throws {
        let (metadata, io) = try Self.table("spark_v2_mor")
        let scan = try TableScan(metadata: metadata)
        let manifests = try await scan.manifests(io: io)
        #expect(manifests.map(\.content) == [.data, .data, .deletes, .deletes])
        #expect(manifests.map(\.sequenceNumber) == [3, 1, 3, 2])
        let entries = try await scan.entries(io: io)
        #expect(entries.count == 48)
        #expect(entries.allSatisfy { $0.sequenceNumber != nil && $0.snapshotID != nil })
        #expect(entries.filter { $0.dataFile.content == .positionDeletes }.count == 6)

        let (v1, v1io) = try Self.table("spark_v1")
        let v1entries = try await TableScan(metadata: v1).entries(io: v1io)
        #expect(v1entries.count == 3)
        #expect(v1entries.allSatisfy { $0.sequenceNumber == 0 && $0.dataFile.partition.count == 1 })
    }

    @Test func snapshotAsOf() throws {
        let metadata = try TableMetadata(json: [
            "format-version": 2, "location": "s3://b/t",
            "snapshots": [["snapshot-id": 1, "timestamp-ms": 100], ["snapshot-id": 2, "timestamp-ms": 200]],
            "snapshot-log": [["snapshot-id": 1, "timestamp-ms": 100], ["snapshot-id": 2, "timestamp-ms": 200]],
        ])
        #expect(TableScan.snapshotID(asOf: 99, metadata: metadata) == nil)
        #expect(TableScan.snapshotID(asOf: 150, metadata: metadata) == 1)
        #expect(TableScan.snapshotID(asOf: 200, metadata: metadata) == 2)
    }
}
