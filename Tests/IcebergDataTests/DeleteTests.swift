import Codecs
import IcebergModel
import Testing

@testable import IcebergData

struct DeleteTests {
    /// Run-cookie form, two containers (< 4, so no offset header): a run 10...14 under key 0 and
    /// an array {3, 7} under key 1.
    static let runBitmap: [UInt8] = [
        0x3B, 0x30, 0x01, 0x00, 0x01,
        0x00, 0x00, 0x04, 0x00, 0x01, 0x00, 0x01, 0x00,
        0x01, 0x00, 0x0A, 0x00, 0x04, 0x00,
        0x03, 0x00, 0x07, 0x00,
    ]

    @Test func roaringRunContainers() throws {
        let bitmap = try RoaringBitmap.deserialize(Self.runBitmap)
        var values: [UInt32] = []
        bitmap.forEach { values.append($0) }
        #expect(values == [10, 11, 12, 13, 14, 65539, 65543])
        #expect(bitmap.cardinality == 7)
        #expect(bitmap.contains(12) && !bitmap.contains(15) && bitmap.contains(65543) && !bitmap.contains(65540))
    }

    @Test func roaringNoRunFormWithArrayAndBitmapContainers() throws {
        var values = Set<UInt32>((0..<5000).map { $0 * 3 })        // key 0: > 4096 values → bitmap container
        values.formUnion([70000, 70001, 200_000])                     // keys 1 and 3: arrays
        let bitmap = RoaringBitmap(values)
        let bytes = bitmap.serialized()
        #expect(Array(bytes.prefix(4)) == [0x3A, 0x30, 0, 0])        // cookie 12346
        let back = try RoaringBitmap.deserialize(bytes)
        #expect(back == bitmap)
        #expect(back.cardinality == values.count)
        for v in values { #expect(back.contains(v)) }
        #expect(!back.contains(1) && !back.contains(70002))
    }

    @Test func roaringMalformed() {
        let inputs: [[UInt8]] = [
            [], [0x3A, 0x30, 0, 0], [0x39, 0x30, 0, 0, 1, 0, 0, 0],           // truncated, truncated, bad cookie
            [0x3A, 0x30, 0, 0, 0xFF, 0xFF, 0xFF, 0x7F],                          // absurd container count
            Array(Self.runBitmap.dropLast()),
            [0x3A, 0x30, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 8, 0, 0, 0, 5, 0, 5, 0], // array not ascending
        ]
        for input in inputs {
            #expect(throws: IcebergDataError.self) { _ = try RoaringBitmap.deserialize(input) }
        }
    }

    @Test func deletionVectorRoundTripAndChecks() throws {
        let positions: [Int64] = [0, 5, 6, 1 << 20, (3 << 32) + 9]
        let blob = DeletionVector.encode(RoaringBitmap64(positions))
        #expect(Array(blob[4..<8]) == [0xD1, 0xD3, 0x39, 0x64])
        let index = try DeletionVector.decode(blob)
        #expect(index.cardinality == 5)
        #expect(index.positions == positions)
        #expect(index.contains((3 << 32) + 9) && !index.contains(7))

        var corrupt = blob
        corrupt[10] ^= 0xFF
        #expect(throws: IcebergDataError.self) { _ = try DeletionVector.decode(corrupt) }
        var badMagic = blob
        badMagic[4] = 0
        #expect(throws: IcebergDataError.self) { _ = try DeletionVector.decode(badMagic) }
        #expect(throws: IcebergDataError.self) { _ = try DeletionVector.decode(Array(blob.dropLast())) }
        #expect(throws: IcebergDataError.self) { _ = try DeletionVector.decode([0, 0, 0, 4, 0xD1, 0xD3, 0x39, 0x64]) }
    }

    static func puffin(payload: [UInt8], flags: UInt8 = 0) -> [UInt8] {
        let magic: [UInt8] = Array("PFA1".utf8)
        let n = UInt32(payload.count)
        return magic + [1, 2, 3] + magic + payload
            + [UInt8(n & 0xFF), UInt8((n >> 8) & 0xFF), UInt8((n >> 16) & 0xFF), UInt8(n >> 24)] + [flags, 0, 0, 0] + magic
    }

    @Test func puffinFooter() throws {
        let json = #"{"blobs":[{"type":"deletion-vector-v1","fields":[2147483645],"snapshot-id":-1,"sequence-number":-1,"offset":4,"length":3,"properties":{"referenced-data-file":"s3://x/a.parquet","cardinality":"2"}}],"properties":{"created-by":"test"}}"#
        let file = Self.puffin(payload: Array(json.utf8))
        let footer = try Puffin.readFooter(file)
        #expect(footer.properties["created-by"] == "test")
        #expect(footer.blobs == [PuffinBlobMetadata(
            type: "deletion-vector-v1", fields: [2_147_483_645], snapshotID: -1, sequenceNumber: -1, offset: 4, length: 3,
            compressionCodec: nil, properties: ["referenced-data-file": "s3://x/a.parquet", "cardinality": "2"])])
        #expect(try Puffin.footerLength(trailer: Array(file.suffix(12))) == json.utf8.count + 16)
    }

    @Test func puffinLZ4CompressedFooter() throws {
        let json = Array(#"{"blobs":[]}"#.utf8)
        // An LZ4 frame holding one uncompressed block (high bit of the block size set).
        let size = UInt32(json.count) | 0x8000_0000
        let frame: [UInt8] = [0x04, 0x22, 0x4D, 0x18, 0x60, 0x40, 0x82]
            + [UInt8(size & 0xFF), UInt8((size >> 8) & 0xFF), UInt8((size >> 16) & 0xFF), UInt8(size >> 24)] + json + [0, 0, 0, 0]
        let footer = try Puffin.readFooter(Self.puffin(payload: frame, flags: 1))
        #expect(footer.blobs.isEmpty)
    }

    @Test func puffinMalformed() {
        let good = Self.puffin(payload: Array(#"{"blobs":[]}"#.utf8))
        var badMagic = good
        badMagic[badMagic.count - 1] = 0
        var hugeSize = good
        hugeSize[hugeSize.count - 9] = 0x7F
        let inputs: [[UInt8]] = [[], Array(good.suffix(11)), badMagic, hugeSize, Self.puffin(payload: Array("not json".utf8)),
                                 Self.puffin(payload: Array(#"{"blobs":[{"type":"x"}]}"#.utf8)), Self.puffin(payload: [1, 2, 3], flags: 1)]
        for input in inputs {
            #expect(throws: IcebergDataError.self) { _ = try Puffin.readFooter(input) }
        }
    }

    @Test func positionDeleteIndex() {
        let rows: [(filePath: String, position: Int64)] = [("a", 5), ("b", 1), ("a", 2), ("a", 5)]
        let a = PositionDeleteIndex(rows: rows, dataFilePath: "a")
        #expect(a.positions == [2, 5])
        #expect(a.contains(5) && !a.contains(1))
        let dv = PositionDeleteIndex(bitmap: RoaringBitmap64([1, 5, 9]))
        let union = a.union(dv)
        #expect(union.positions == [1, 2, 5, 9])
        #expect(union.cardinality == 4)
    }

    @Test func equalityDeletesTreatNullAsEqual() {
        let set = EqualityDeleteSet(equalityFieldIDs: [1, 2], rows: [[.long(4), .null], [.long(1), .string("x")], [.int(7), .double(.nan)]])
        let rows: [([Int: IcebergValue], Bool)] = [
            ([1: .long(4), 2: .null], true),
            ([1: .long(4), 2: .string("toy")], false),
            ([1: .long(1), 2: .string("x")], true),
            ([1: .int(1), 2: .string("x")], true),        // int and long compare by value
            ([1: .long(7), 2: .double(.nan)], true),
            ([1: .long(3), 2: .null], false),
        ]
        for (row, deleted) in rows {
            #expect(set.contains { row[$0] ?? .null } == deleted)
        }
    }

    static let spec = try! PartitionSpec(json: ["spec-id": 0, "fields": [["source-id": 1, "field-id": 1000, "name": "p", "transform": "identity"]]])
    static let unpartitioned = try! PartitionSpec(json: ["spec-id": 1, "fields": []])

    static func file(_ path: String, _ content: DataFileContent, partition: Int32, spec: Int = 0, format: String = "parquet", referenced: String? = nil) -> DataFile {
        DataFile(content: content, filePath: path, fileFormat: format, specID: spec, partition: spec == 1 ? [] : [.int(partition)],
                 recordCount: 1, fileSizeInBytes: 1, equalityIDs: content == .equalityDeletes ? [1] : [], referencedDataFile: referenced)
    }

    @Test func deleteFileIndexScopes() {
        let entries: [ManifestEntry] = [
            ManifestEntry(status: .added, sequenceNumber: 2, dataFile: Self.file("pos-p1-s2", .positionDeletes, partition: 1)),
            ManifestEntry(status: .added, sequenceNumber: 2, dataFile: Self.file("pos-p2-s2", .positionDeletes, partition: 2)),
            ManifestEntry(status: .added, sequenceNumber: 3, dataFile: Self.file("pos-ref", .positionDeletes, partition: 1, referenced: "other")),
            ManifestEntry(status: .added, sequenceNumber: 2, dataFile: Self.file("eq-p1-s2", .equalityDeletes, partition: 1)),
            ManifestEntry(status: .added, sequenceNumber: 3, dataFile: Self.file("eq-p1-s3", .equalityDeletes, partition: 1)),
            ManifestEntry(status: .added, sequenceNumber: 5, dataFile: Self.file("eq-global", .equalityDeletes, partition: 0, spec: 1)),
            ManifestEntry(status: .deleted, sequenceNumber: 9, dataFile: Self.file("eq-dead", .equalityDeletes, partition: 1)),
        ]
        let index = DeleteFileIndex(entries: entries, specs: [0: Self.spec, 1: Self.unpartitioned])
        let data = Self.file("data", .data, partition: 1)
        #expect(Set(index.deletes(for: data, sequenceNumber: 2).map(\.filePath)) == ["pos-p1-s2", "eq-p1-s3", "eq-global"])
        #expect(Set(index.deletes(for: data, sequenceNumber: 1).map(\.filePath)) == ["pos-p1-s2", "eq-p1-s2", "eq-p1-s3", "eq-global"])
        #expect(Set(index.deletes(for: data, sequenceNumber: 3).map(\.filePath)) == ["eq-global"])
        #expect(Set(index.deletes(for: Self.file("other", .data, partition: 1), sequenceNumber: 3).map(\.filePath)) == ["pos-ref", "eq-global"])

        // A deletion vector replaces the position delete files of its data file.
        let withDV = DeleteFileIndex(entries: entries + [
            ManifestEntry(status: .added, sequenceNumber: 4, dataFile: Self.file("dv", .positionDeletes, partition: 1, format: "puffin", referenced: "data")),
        ], specs: [0: Self.spec, 1: Self.unpartitioned])
        #expect(Set(withDV.deletes(for: data, sequenceNumber: 1).map(\.filePath)) == ["dv", "eq-p1-s2", "eq-p1-s3", "eq-global"])
        #expect(Set(withDV.deletes(for: data, sequenceNumber: 5).map(\.filePath)) == [])
    }
}
