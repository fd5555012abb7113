import Codecs

/// What the footer needs to know about a written column chunk.
struct WrittenColumnChunk: Sendable {
    var physical: PhysicalType
    var encodings: [Int32]
    var path: [String]
    var codecID: Int32
    var numValues: Int64
    var totalUncompressed: Int64
    var totalCompressed: Int64
    var dataPageOffset: Int64
    var dictionaryPageOffset: Int64?
    var statistics: ColumnStatistics
    var statisticsBytes: (min: [UInt8], max: [UInt8])?
}

enum ColumnChunkWriter {
    static func codecID(_ codec: CompressionCodec) throws(ParquetError) -> Int32 {
        switch codec {
        case .uncompressed: return 0
        case .snappy: return 1
        case .gzip: return 2
        case .brotli: return 4
        case .lz4Hadoop: return 5
        case .zstd: return 6
        case .lz4Raw: return 7
        case .deflate: throw .invalidArgument("Parquet has no raw deflate codec")
        }
    }

    /// Encodes one leaf's buffered values as a column chunk starting at file offset `offset`.
    static func write(_ leaf: LeafBuffer, offset: Int64, options: ParquetWriterOptions, into out: inout [UInt8]) throws(ParquetError) -> WrittenColumnChunk {
        let node = leaf.descriptor.node
        let physical = node.physicalType ?? .byteArray
        var stats = ColumnStatistics(node)
        stats.nullCount = leaf.nullCount
        stats.add(leaf.values, physical: physical)
        let codecID = try codecID(options.codec)
        let start = out.count
        var chunk = WrittenColumnChunk(
            physical: physical, encodings: [], path: leaf.descriptor.path, codecID: codecID, numValues: Int64(leaf.count),
            totalUncompressed: 0, totalCompressed: 0, dataPageOffset: offset, dictionaryPageOffset: nil, statistics: stats, statisticsBytes: nil)
        if let s = stats.encoded(physical), s.min.count <= 4096, s.max.count <= 4096 { chunk.statisticsBytes = s }

        let dict = options.dictionary ? ColumnDictionary.build(leaf.values, physical: physical, limit: options.maxDictionaryBytes) : nil
        if let dict {
            let body = PlainEncoder.encode(dict.values, physical: physical, range: 0..<dict.count)
            var header = PageHeader()
            header.type = PageType.dictionaryPage.rawValue
            header.dictionaryPage = DictionaryPageHeader(numValues: Int32(dict.count), encoding: Encoding.plain.rawValue)
            chunk.dictionaryPageOffset = offset
            try writePage(header, body, options.codec, &chunk, into: &out)
            chunk.dataPageOffset = offset + Int64(out.count - start)
            chunk.encodings = [Encoding.plain.rawValue, Encoding.rle.rawValue, Encoding.rleDictionary.rawValue]
        } else {
            chunk.encodings = [Encoding.plain.rawValue, Encoding.rle.rawValue]
        }

        let maxDef = leaf.descriptor.maxDefinitionLevel
        let maxRep = leaf.descriptor.maxRepetitionLevel
        let indexWidth = dict.map { max(1, BitPacking.width(forMax: UInt64(max(0, $0.count - 1)))) } ?? 0
        let perValue = dict != nil ? max(1, indexWidth / 8) : (leaf.count > 0 ? max(1, leaf.estimatedBytes / max(1, leaf.count)) : 1)
        var entry = 0
        var value = 0
        while entry < leaf.count || (entry == 0 && leaf.count == 0) {
            let firstEntry = entry
            let firstValue = value
            var bytes = 0
            while entry < leaf.count {
                if entry > firstEntry && bytes >= options.pageBytes && (maxRep == 0 || leaf.reps[entry] == 0) { break }
                if maxDef == 0 || Int(leaf.defs[entry]) == maxDef {
                    value += 1
                    bytes += physical == .byteArray && dict == nil ? leaf.values.bytes[value - 1].count + 4 : perValue
                }
                entry += 1
            }
            var body: [UInt8] = []
            if maxRep > 0 { levels(leaf.reps[firstEntry..<entry], max: maxRep, into: &body) }
            if maxDef > 0 { levels(leaf.defs[firstEntry..<entry], max: maxDef, into: &body) }
            if let dict {
                body.append(UInt8(indexWidth))
                RleHybrid.encode(Array(dict.indices[firstValue..<value]), width: indexWidth, into: &body)
            } else {
                body.append(contentsOf: PlainEncoder.encode(leaf.values, physical: physical, range: firstValue..<value))
            }
            var header = PageHeader()
            header.type = PageType.dataPage.rawValue
            header.dataPage = DataPageHeader(
                numValues: Int32(clamping: entry - firstEntry), encoding: dict != nil ? Encoding.rleDictionary.rawValue : Encoding.plain.rawValue,
                definitionLevelEncoding: Encoding.rle.rawValue, repetitionLevelEncoding: Encoding.rle.rawValue)
            try writePage(header, body, options.codec, &chunk, into: &out)
            if leaf.count == 0 { break }
        }
        return chunk
    }

    static func levels(_ levels: ArraySlice<UInt8>, max: Int, into body: inout [UInt8]) {
        var encoded: [UInt8] = []
        RleHybrid.encode(levels.map { UInt32($0) }, width: BitPacking.width(forMax: UInt64(max)), into: &encoded)
        let n = UInt32(encoded.count)
        body.append(contentsOf: [UInt8(truncatingIfNeeded: n), UInt8(truncatingIfNeeded: n >> 8), UInt8(truncatingIfNeeded: n >> 16), UInt8(truncatingIfNeeded: n >> 24)])
        body.append(contentsOf: encoded)
    }

    static func writePage(_ header: PageHeader, _ body: [UInt8], _ codec: CompressionCodec, _ chunk: inout WrittenColumnChunk, into out: inout [UInt8]) throws(ParquetError) {
        let compressed: [UInt8]
        if codec == .uncompressed {
            compressed = body
        } else {
            do { compressed = try Codec.compress(codec, body) } catch {
                switch error {
                case .unavailable(let m): throw .unsupported("codec \(codec): \(m)")
                case .corrupt(let m): throw .invalidArgument("compression failed: \(m)")
                case .tooLarge(let l): throw .limitExceeded("page over \(l) bytes")
                }
            }
        }
        guard body.count <= Int(Int32.max), compressed.count <= Int(Int32.max) else { throw .limitExceeded("page over 2 GiB") }
        var h = header
        h.uncompressedPageSize = Int32(body.count)
        h.compressedPageSize = Int32(compressed.count)
        var w = ThriftCompactWriter()
        h.write(to: &w)
        out.append(contentsOf: w.bytes)
        out.append(contentsOf: compressed)
        chunk.totalUncompressed += Int64(w.bytes.count + body.count)
        chunk.totalCompressed += Int64(w.bytes.count + compressed.count)
    }
}

/// PLAIN encoding of buffered physical values.
enum PlainEncoder {
    static func encode(_ v: PhysicalValues, physical: PhysicalType, range: Range<Int>) -> [UInt8] {
        var out: [UInt8] = []
        switch physical {
        case .boolean:
            out.reserveCapacity((range.count + 7) / 8)
            var byte: UInt8 = 0
            var bit = 0
            for i in range {
                if v.bools[i] { byte |= 1 << UInt8(bit) }
                bit += 1
                if bit == 8 {
                    out.append(byte)
                    byte = 0
                    bit = 0
                }
            }
            if bit > 0 { out.append(byte) }
        case .int32:
            out.reserveCapacity(range.count * 4)
            for i in range { appendLE(UInt64(UInt32(bitPattern: v.int32s[i])), 4, &out) }
        case .int64:
            out.reserveCapacity(range.count * 8)
            for i in range { appendLE(UInt64(bitPattern: v.int64s[i]), 8, &out) }
        case .float:
            out.reserveCapacity(range.count * 4)
            for i in range { appendLE(UInt64(v.floats[i].bitPattern), 4, &out) }
        case .double:
            out.reserveCapacity(range.count * 8)
            for i in range { appendLE(v.doubles[i].bitPattern, 8, &out) }
        case .byteArray:
            for i in range {
                appendLE(UInt64(v.bytes[i].count), 4, &out)
                out.append(contentsOf: v.bytes[i])
            }
        case .fixedLenByteArray:
            for i in range { out.append(contentsOf: v.bytes[i]) }
        case .int96: break
        }
        return out
    }

    @inline(__always)
    static func appendLE(_ x: UInt64, _ n: Int, _ out: inout [UInt8]) {
        for i in 0..<n { out.append(UInt8(truncatingIfNeeded: x >> (8 * UInt64(i)))) }
    }
}

/// A column chunk's dictionary: distinct values in first-seen order and one index per value.
struct ColumnDictionary {
    var values = PhysicalValues()
    var count = 0
    var indices: [UInt32] = []

    static func build(_ v: PhysicalValues, physical: PhysicalType, limit: Int) -> ColumnDictionary? {
        var d = ColumnDictionary()
        switch physical {
        case .int32:
            guard let (keys, idx) = index(v.int32s, size: { _ in 4 }, limit: limit) else { return nil }
            d.values.int32s = keys
            d.count = keys.count
            d.indices = idx
        case .int64:
            guard let (keys, idx) = index(v.int64s, size: { _ in 8 }, limit: limit) else { return nil }
            d.values.int64s = keys
            d.count = keys.count
            d.indices = idx
        case .float:
            guard let (keys, idx) = index(v.floats.map(\.bitPattern), size: { _ in 4 }, limit: limit) else { return nil }
            d.values.floats = keys.map { Float(bitPattern: $0) }
            d.count = keys.count
            d.indices = idx
        case .double:
            guard let (keys, idx) = index(v.doubles.map(\.bitPattern), size: { _ in 8 }, limit: limit) else { return nil }
            d.values.doubles = keys.map { Double(bitPattern: $0) }
            d.count = keys.count
            d.indices = idx
        case .byteArray, .fixedLenByteArray:
            guard let (keys, idx) = index(v.bytes, size: { $0.count + 4 }, limit: limit) else { return nil }
            d.values.bytes = keys
            d.count = keys.count
            d.indices = idx
        case .boolean, .int96: return nil
        }
        // A dictionary of mostly distinct values only costs space.
        return d.count > 0 && d.count <= max(16, d.indices.count / 2) ? d : nil
    }

    static func index<T: Hashable>(_ values: [T], size: (T) -> Int, limit: Int) -> ([T], [UInt32])? {
        var map: [T: UInt32] = [:]
        var keys: [T] = []
        var indices: [UInt32] = []
        indices.reserveCapacity(values.count)
        var bytes = 0
        for v in values {
            if let i = map[v] {
                indices.append(i)
            } else {
                bytes += size(v)
                if bytes > limit { return nil }
                let i = UInt32(keys.count)
                map[v] = i
                keys.append(v)
                indices.append(i)
            }
        }
        return (keys, indices)
    }
}
