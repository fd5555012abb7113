import Codecs
import Foundation
import Testing

/// Decompresses every page of parquet-testing files, one per codec variant. The pages are found by walking the
/// page headers from offset 4 (these files keep their column chunks contiguous), with a minimal Thrift compact reader.
@Suite struct ParquetCorpusTests {
    static let dataDirectory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/parquet-testing/data")

    static let files: [(String, CompressionCodec, pages: Int)] = [
        ("hadoop_lz4_compressed.parquet", .lz4Hadoop, 3),
        ("hadoop_lz4_compressed_larger.parquet", .lz4Hadoop, 1),
        ("non_hadoop_lz4_compressed.parquet", .lz4Hadoop, 3),
        ("lz4_raw_compressed.parquet", .lz4Raw, 3),
        ("lz4_raw_compressed_larger.parquet", .lz4Raw, 1),
        ("concatenated_gzip_members.parquet", .gzip, 1),
        ("byte_stream_split.zstd.parquet", .zstd, 2),
        ("alltypes_plain.snappy.parquet", .snappy, 10),
        ("datapage_v2.snappy.parquet", .snappy, 5),
    ]

    @Test(arguments: files.indices)
    func everyPageDecompressesToItsStatedSize(index: Int) throws {
        let (name, codec, minimumPages) = Self.files[index]
        let url = Self.dataDirectory.appendingPathComponent(name)
        guard Codec.isAvailable(codec), let data = FileManager.default.contents(atPath: url.path) else { return }
        let bytes = [UInt8](data)
        let pages = PageWalker.pages(bytes)
        #expect(pages.count >= minimumPages, "\(name)")
        for page in pages {
            let body = bytes[page.body]
            let out = try Codec.decompress(codec, body, expectedSize: page.uncompressedSize, limit: 64 << 20)
            #expect(out.count == page.uncompressedSize)
            #expect(try Codec.decompress(codec, body, expectedSize: nil, limit: 64 << 20) == out, "\(name) without size")
        }
    }

    /// Its string pages decompress to over 1 GiB: the limit must stop that before allocating.
    @Test func hugePagesAreRefusedByTheLimit() throws {
        let url = Self.dataDirectory.appendingPathComponent("large_string_map.brotli.parquet")
        guard Codec.isAvailable(.brotli), let data = FileManager.default.contents(atPath: url.path) else { return }
        let bytes = [UInt8](data)
        let huge = PageWalker.pages(bytes).filter { $0.uncompressedSize > 1 << 30 }
        #expect(!huge.isEmpty)
        for page in huge {
            #expect(throws: CodecError.tooLarge(limit: 1 << 20)) {
                try Codec.decompress(.brotli, bytes[page.body], expectedSize: page.uncompressedSize, limit: 1 << 20)
            }
            #expect(throws: CodecError.tooLarge(limit: 1 << 20)) {
                try Codec.decompress(.brotli, bytes[page.body], expectedSize: nil, limit: 1 << 20)
            }
        }
    }
}

/// Just enough of Thrift's compact protocol to read PageHeader { 1: type, 2: uncompressed size, 3: compressed size,
/// 8: DataPageHeaderV2 { 5: definition levels length, 6: repetition levels length, 7: is_compressed } }.
enum PageWalker {
    struct Page {
        var body: Range<Int>
        var uncompressedSize: Int
    }

    static func pages(_ bytes: [UInt8]) -> [Page] {
        var result: [Page] = []
        var position = 4
        while position < bytes.count - 8 {
            var reader = Reader(bytes: bytes, position: position)
            guard let header = reader.structure() else { break }
            guard let type = header.ints[1], (0...3).contains(type), let uncompressed = header.ints[2],
                let compressed = header.ints[3], compressed >= 0, uncompressed >= 0, compressed <= bytes.count - reader.position
            else {
                // Some writers put each chunk's ColumnMetaData right after its pages: step over that struct.
                position = reader.position
                continue
            }
            var start = reader.position
            var size = uncompressed
            var isCompressed = true
            if type == 3, let v2 = header.structs[8] {
                let levels = (v2.ints[5] ?? 0) + (v2.ints[6] ?? 0)
                start += levels
                size -= levels
                isCompressed = v2.bools[7] ?? true
            }
            if isCompressed { result.append(Page(body: start..<(reader.position + compressed), uncompressedSize: size)) }
            position = reader.position + compressed
        }
        return result
    }

    struct Fields {
        var ints: [Int16: Int] = [:]
        var bools: [Int16: Bool] = [:]
        var structs: [Int16: Fields] = [:]
    }

    struct Reader {
        let bytes: [UInt8]
        var position: Int

        mutating func byte() -> UInt8? {
            guard position < bytes.count else { return nil }
            defer { position += 1 }
            return bytes[position]
        }

        mutating func varint() -> UInt64? {
            var value: UInt64 = 0
            for shift in stride(from: 0, to: 64, by: 7) {
                guard let b = byte() else { return nil }
                value |= UInt64(b & 0x7F) << UInt64(shift)
                if b & 0x80 == 0 { return value }
            }
            return nil
        }

        mutating func zigzag() -> Int? { varint().map { Int(truncatingIfNeeded: $0 >> 1) ^ -Int(truncatingIfNeeded: $0 & 1) } }

        mutating func structure(depth: Int = 0) -> Fields? {
            guard depth < 8 else { return nil }
            var fields = Fields()
            var id: Int16 = 0
            while true {
                guard let header = byte() else { return nil }
                if header == 0 { return fields }
                let type = header & 0x0F
                let delta = Int16(header >> 4)
                if delta != 0 { id += delta } else { guard let explicit = zigzag() else { return nil }; id = Int16(truncatingIfNeeded: explicit) }
                switch type {
                case 1, 2: fields.bools[id] = type == 1
                case 5: fields.ints[id] = zigzag()
                case 12: fields.structs[id] = structure(depth: depth + 1)
                default: guard skip(type, depth: depth) else { return nil }
                }
            }
        }

        mutating func skip(_ type: UInt8, depth: Int) -> Bool {
            switch type {
            case 1, 2: return true
            case 3: return byte() != nil
            case 4, 5, 6: return varint() != nil
            case 7: position += 8; return position <= bytes.count
            case 8:
                guard let length = varint(), length <= UInt64(bytes.count - position) else { return false }
                position += Int(length)
                return true
            case 9, 10:
                guard let header = byte() else { return false }
                var count = UInt64(header >> 4)
                if count == 15 { guard let c = varint() else { return false }; count = c }
                guard count <= UInt64(bytes.count - position) else { return false }
                for _ in 0..<count where !skip(header & 0x0F, depth: depth + 1) { return false }
                return true
            case 12: return structure(depth: depth + 1) != nil
            default: return false
            }
        }
    }
}
