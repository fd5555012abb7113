import Foundation
import IcebergModel
import Testing

@testable import Avro
import Codecs

@Suite struct AvroContainerTests {
    static let rows: [AvroValue] = (0..<500).map { index in
        AvroBinaryTests.everyValue[index % AvroBinaryTests.everyValue.count]
    }

    /// The header and blocks a writer produces, kept apart so tests know where blocks end.
    static func write(codec: AvroCodec, blockBytes: Int = 1 << 20, metadata: [String: [UInt8]] = [:], rows: [AvroValue] = rows) throws -> [[UInt8]] {
        var writer = AvroContainerWriter(schema: AvroBinaryTests.everyType, codec: codec, metadata: metadata, blockBytes: blockBytes)
        var pieces = [writer.start()]
        for row in rows {
            let block = try writer.append(row)
            if !block.isEmpty { pieces.append(block) }
        }
        pieces.append(try writer.finish())
        return pieces
    }

    static var codecs: [AvroCodec] {
        var codecs: [AvroCodec] = [.null, .deflate]
        if Codec.isAvailable(.snappy) { codecs.append(.snappy) }
        if Codec.isAvailable(.zstd) { codecs.append(.zstandard) }
        return codecs
    }

    @Test func roundTripsWithEveryCodec() throws {
        for codec in Self.codecs {
            let pieces = try Self.write(codec: codec, blockBytes: 2000, metadata: ["format-version": Array("2".utf8), "schema": Array("{}".utf8)])
            #expect(pieces.count > 3, "\(codec) cut blocks")
            let (header, records) = try AvroContainerReader.readAll(Array(pieces.joined()))
            #expect(header.codec == codec)
            #expect(header.schema == AvroBinaryTests.everyType)
            #expect(header.metadata["format-version"] == Array("2".utf8))
            #expect(header.metadata["schema"] == Array("{}".utf8))
            #expect(records == Self.rows, "\(codec)")
        }
    }

    @Test func incrementalReadingHoldsOneBlock() throws {
        let file = Array(try Self.write(codec: .deflate, blockBytes: 1000).joined())
        var reader = AvroContainerReader(maxBlockBytes: 4096)
        var records: [AvroValue] = []
        var offset = 0
        while offset < file.count {
            let end = min(offset + 13, file.count)
            try reader.feed(Array(file[offset..<end]))
            offset = end
            while let record = try reader.next() { records.append(record) }
        }
        try reader.finish()
        while let record = try reader.next() { records.append(record) }
        #expect(records == Self.rows)
        #expect(try reader.next() == nil)

        // A block larger than the limit is refused.
        var small = AvroContainerReader(maxBlockBytes: 100)
        #expect(throws: AvroError.self) {
            try small.feed(file)
            while try small.next() != nil {}
        }
    }

    @Test func truncationThrowsExceptAtBlockEnds() throws {
        let rows = Array(Self.rows.prefix(24))
        let pieces = try Self.write(codec: .null, blockBytes: 300, rows: rows)
        let file = Array(pieces.joined())
        var boundaries: Set<Int> = []
        var total = 0
        for piece in pieces {
            total += piece.count
            boundaries.insert(total)
        }
        for length in 0..<file.count {
            let prefix = Array(file[..<length])
            if boundaries.contains(length) {
                #expect(try AvroContainerReader.readAll(prefix).records.count < rows.count)
            } else {
                #expect(throws: AvroError.self, "prefix of \(length)") { try AvroContainerReader.readAll(prefix) }
            }
        }
    }

    @Test func corruptionThrows() throws {
        let file = Array(try Self.write(codec: .deflate, blockBytes: 300, rows: Array(Self.rows.prefix(20))).joined())
        var badSync = file
        badSync[badSync.count - 3] ^= 0xFF
        #expect(throws: AvroError.self) { try AvroContainerReader.readAll(badSync) }
        var badMagic = file
        badMagic[3] = 2
        #expect(throws: AvroError.self) { try AvroContainerReader.readAll(badMagic) }
        // Flipping any byte of the (compressed) data must throw or give other records, never crash.
        for index in stride(from: 0, to: file.count, by: 7) {
            var flipped = file
            flipped[index] ^= 0x5A
            _ = try? AvroContainerReader.readAll(flipped)
            AvroFuzzing.exercise(flipped)
        }
        #expect(throws: AvroError.self) { try AvroContainerReader.readAll([]) }
        #expect(throws: AvroError.self) { try AvroContainerReader.readAll(hex("4f 626a 01 ff ff ff ff ff ff ff ff ff 01")) }
    }

    @Test func unknownCodecAndHugeBlock() throws {
        var header = AvroContainerFormat.writeHeader(schema: AvroSchema(.long), codec: .null, metadata: [:], sync: Array(repeating: 7, count: 16))
        let codec = Array("avro.codec".utf8)
        if let range = header.firstRange(of: codec) {
            // "null" → "bzip" keeps every length.
            header.replaceSubrange((range.upperBound + 1)..<(range.upperBound + 5), with: Array("bzip".utf8))
        }
        #expect(throws: AvroError.unsupportedCodec("bzip")) { try AvroContainerReader.readAll(header) }

        let valid = AvroContainerFormat.writeHeader(schema: AvroSchema(.long), codec: .null, metadata: [:], sync: Array(repeating: 7, count: 16))
        var huge = valid
        AvroBinary.writeLong(1, to: &huge)
        AvroBinary.writeLong(1 << 40, to: &huge)
        #expect(throws: AvroError.self) { try AvroContainerReader.readAll(huge) }
        var manyNulls = AvroContainerFormat.writeHeader(schema: AvroSchema(.null), codec: .null, metadata: [:], sync: Array(repeating: 7, count: 16))
        AvroBinary.writeLong(1 << 40, to: &manyNulls)
        AvroBinary.writeLong(0, to: &manyNulls)
        manyNulls.append(contentsOf: Array(repeating: 7, count: 16))
        #expect(throws: AvroError.self) { try AvroContainerReader.readAll(manyNulls) }
        var empty = valid
        AvroBinary.writeLong(0, to: &empty)
        AvroBinary.writeLong(0, to: &empty)
        empty.append(contentsOf: Array(repeating: 7, count: 16))
        #expect(try AvroContainerReader.readAll(empty).records.isEmpty)
    }

    @Test func syncMarkersAreRandom() {
        let a = AvroContainerWriter(schema: AvroSchema(.long), codec: .null)
        let b = AvroContainerWriter(schema: AvroSchema(.long), codec: .null)
        #expect(a.syncMarker.count == 16)
        #expect(a.syncMarker != b.syncMarker)
    }

    @Test func readsPyicebergFiles() throws {
        let expected: [AvroValue] = [
            .record([.long(1), .string("one"), .array([.string("a"), .string("b")]), .array([.record([.string("x"), .int(1)])]),
                     .array([.record([.int(7), .string("seven")]), .record([.int(8), .string("eight")])]),
                     .fixed([0, 0, 0x04, 0xD2]), .int(19724), .double(0.5), .boolean(true)]),
            .record([.long(2), .null, .null, .null, .null, .null, .null, .double(-1.25), .boolean(false)]),
            .record([.long(-300), .string("trois"), .array([]), .array([]), .array([]), .fixed([0xFF, 0xFF, 0xFF, 0xFF]), .int(-1),
                     .double(1e100), .boolean(true)]),
        ]
        for (file, codec) in [(PythonWrittenFiles.nullCodec, AvroCodec.null), (PythonWrittenFiles.deflateCodec, .deflate)] {
            let (header, records) = try AvroContainerReader.readAll(file)
            #expect(header.codec == codec)
            #expect(header.metadata["iceberg.schema"] == Array("x".utf8))
            #expect(records == expected)
            guard case .record(let record) = header.schema.type else { Issue.record("not a record"); continue }
            #expect(record.name == "test_record")
            #expect(record.fields.map(\.fieldID) == [1, 2, 3, 5, 8, 11, 12, 13, 14])
            guard case .union(let codes) = record.fields[4].schema.type else { Issue.record("codes"); continue }
            #expect(codes[1].logicalType == "map")
            guard case .union(let price) = record.fields[5].schema.type else { Issue.record("price"); continue }
            #expect(price[1].logicalType == "decimal")
            #expect(price[1].properties["precision"] == 9)
            #expect(try AvroSchema.parse(header.schema.jsonText) == header.schema)

            // Written back by us, read back equal.
            var writer = AvroContainerWriter(schema: header.schema, codec: codec)
            var out = writer.start()
            for row in records { out += try writer.append(row) }
            out += try writer.finish()
            #expect(try AvroContainerReader.readAll(out).records == expected)
        }
    }
}
