import IcebergModel
import Testing

@testable import IcebergData

struct ManifestTests {
    static let schema = try! IcebergSchema(json: ["type": "struct", "schema-id": 0, "fields": [
        ["id": 1, "name": "id", "required": true, "type": "long"],
        ["id": 2, "name": "ts", "required": false, "type": "timestamptz"],
        ["id": 3, "name": "name", "required": false, "type": "string"],
    ]])
    static let spec = try! PartitionSpec(json: ["spec-id": 1, "fields": [
        ["source-id": 2, "field-id": 1000, "name": "ts_day", "transform": "day"],
        ["source-id": 1, "field-id": 1001, "name": "id_bucket", "transform": "bucket[4]"],
    ]])

    static func entries() -> [ManifestEntry] {
        (0..<3).map { i in
            let file = DataFile(
                filePath: "s3://b/t/data/f\(i).parquet", fileFormat: "PARQUET", specID: 1,
                partition: [i == 2 ? .null : .date(Int32(19000 + i)), .int(Int32(i))],
                recordCount: Int64(10 * (i + 1)), fileSizeInBytes: 1000,
                valueCounts: [1: 10, 3: 10], nullValueCounts: [3: 1],
                lowerBounds: [1: [1, 0, 0, 0, 0, 0, 0, 0]], upperBounds: [1: [9, 0, 0, 0, 0, 0, 0, 0]],
                columnSizes: [1: 80], splitOffsets: [4], sortOrderID: 0)
            return ManifestEntry(
                status: i == 1 ? .existing : .added, snapshotID: i == 1 ? 7 : nil,
                sequenceNumber: i == 1 ? 3 : nil, fileSequenceNumber: i == 1 ? 3 : nil, dataFile: file)
        }
    }

    @Test(arguments: [1, 2, 3])
    func manifestRoundTrip(version: Int) throws {
        var writer = try ManifestWriter(formatVersion: version, spec: Self.spec, schema: Self.schema, snapshotID: 42)
        let written = Self.entries()
        for entry in written { try writer.add(entry) }
        let (bytes, manifest) = try writer.finish(path: "s3://b/t/metadata/m.avro", sequenceNumber: 5)
        #expect(manifest.length == Int64(bytes.count))
        #expect(manifest.addedFilesCount == 2 && manifest.existingFilesCount == 1 && manifest.deletedFilesCount == 0)
        #expect(manifest.addedRowsCount == 40 && manifest.existingRowsCount == 20)

        let listBytes = try ManifestList.write(
            [manifest], formatVersion: version, snapshotID: 42, parentSnapshotID: nil, sequenceNumber: 5,
            firstRowID: version >= 3 ? 100 : nil)
        let list = try ManifestList.read(listBytes, formatVersion: version)
        #expect(list.count == 1)
        let summaries = try #require(list[0].partitions)
        #expect(summaries.count == 2)
        #expect(summaries[0].containsNull && !summaries[1].containsNull)
        #expect(summaries[0].lowerBound == IcebergValue.date(19000).toBound())
        #expect(summaries[0].upperBound == IcebergValue.date(19001).toBound())
        #expect(summaries[1].lowerBound == IcebergValue.int(0).toBound())
        #expect(summaries[1].upperBound == IcebergValue.int(2).toBound())
        if version == 1 {
            #expect(list[0].sequenceNumber == 0)
        } else {
            #expect(list[0].sequenceNumber == 5 && list[0].minSequenceNumber == 3)
        }
        #expect(list[0].firstRowID == (version >= 3 ? 100 : nil))

        let read = try Manifest.read(bytes, file: list[0], specs: [1: Self.spec], schema: Self.schema)
        #expect(read.count == written.count)
        var nextRowID: Int64 = 100
        for (a, b) in zip(written, read) {
            var expected = a
            expected.snapshotID = a.snapshotID ?? 42
            if version == 1 {
                expected.sequenceNumber = 0
                expected.fileSequenceNumber = 0
            } else if a.status == .added {
                expected.sequenceNumber = 5
                expected.fileSequenceNumber = 5
            }
            if version >= 3 {
                expected.dataFile.firstRowID = nextRowID
                nextRowID += a.dataFile.recordCount
            }
            #expect(b == expected)
        }
    }

    @Test func deleteManifestRoundTripV3() throws {
        var writer = try ManifestWriter(formatVersion: 3, spec: Self.spec, schema: Self.schema, content: .deletes, snapshotID: 9)
        let dv = DataFile(
            content: .positionDeletes, filePath: "s3://b/t/data/d.puffin", fileFormat: "puffin", specID: 1,
            partition: [.date(19000), .int(1)], recordCount: 43, fileSizeInBytes: 500,
            referencedDataFile: "s3://b/t/data/f0.parquet", contentOffset: 4, contentSizeInBytes: 60)
        let eq = DataFile(
            content: .equalityDeletes, filePath: "s3://b/t/data/e.parquet", fileFormat: "parquet", specID: 1,
            partition: [.date(19000), .int(1)], recordCount: 2, fileSizeInBytes: 300, equalityIDs: [1, 3])
        try writer.add(ManifestEntry(status: .added, dataFile: dv))
        try writer.add(ManifestEntry(status: .added, dataFile: eq))
        let (bytes, manifest) = try writer.finish(path: "m", sequenceNumber: 8)
        #expect(manifest.content == .deletes)
        let read = try Manifest.read(bytes, file: manifest, specs: [1: Self.spec], schema: Self.schema)
        #expect(read.map(\.dataFile) == [dv, eq])
        #expect(read.allSatisfy { $0.sequenceNumber == 8 && $0.snapshotID == 9 })
        #expect(read[0].dataFile.isDeletionVector)
    }

    @Test func unknownSpecFallsBackToTheWritersPartitionType() throws {
        var writer = try ManifestWriter(formatVersion: 2, spec: Self.spec, schema: Self.schema, snapshotID: 1)
        try writer.add(Self.entries()[0])
        let (bytes, manifest) = try writer.finish(path: "m", sequenceNumber: 1)
        let read = try Manifest.read(bytes, file: manifest, specs: [:], schema: Self.schema)
        #expect(read.first?.dataFile.partition == [.date(19000), .int(0)])
    }

    @Test func v1RejectsDeleteManifests() {
        #expect(throws: IcebergDataError.self) {
            _ = try ManifestWriter(formatVersion: 1, spec: Self.spec, schema: Self.schema, content: .deletes, snapshotID: 1)
        }
    }

    @Test func malformedInputsThrow() throws {
        var writer = try ManifestWriter(formatVersion: 2, spec: Self.spec, schema: Self.schema, snapshotID: 1)
        try writer.add(Self.entries()[0])
        let (bytes, manifest) = try writer.finish(path: "m", sequenceNumber: 1)
        let inputs: [[UInt8]] = [[], [0x4F, 0x62, 0x6A, 0x01], Array(bytes.prefix(bytes.count / 2)), Array(bytes.prefix(bytes.count - 3))]
        for input in inputs {
            #expect(throws: (any Error).self) { _ = try ManifestList.read(input, formatVersion: 2) }
            #expect(throws: (any Error).self) { _ = try Manifest.read(input, file: manifest, specs: [1: Self.spec], schema: Self.schema) }
        }
        // A manifest is not a manifest list: its records lack manifest_path.
        #expect(throws: IcebergDataError.self) { _ = try ManifestList.read(bytes, formatVersion: 2) }
        for input in inputs { IcebergDataFuzzing.exercise(input) }
        IcebergDataFuzzing.exercise(bytes)
    }

    @Test func firstRowIDAssignment() {
        let m = [
            ManifestFile(path: "a", length: 1, partitionSpecID: 0, addedSnapshotID: 1, addedRowsCount: 10, existingRowsCount: 5),
            ManifestFile(path: "b", length: 1, partitionSpecID: 0, content: .deletes, addedSnapshotID: 1, addedRowsCount: 3),
            ManifestFile(path: "c", length: 1, partitionSpecID: 0, addedSnapshotID: 1, addedRowsCount: 2, firstRowID: 7),
            ManifestFile(path: "d", length: 1, partitionSpecID: 0, addedSnapshotID: 1, addedRowsCount: 1),
        ]
        let (out, next) = ManifestList.assigningFirstRowIDs(m, startingAt: 100)
        #expect(out.map(\.firstRowID) == [100, nil, 7, 115])
        #expect(next == 116)
    }
}
