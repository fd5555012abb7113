import Codecs

/// One column chunk decoded into level streams and its non-null values.
struct LeafData {
    var defs: [UInt8] = []
    var reps: [UInt8] = []
    var values: [ParquetValue] = []
    var count = 0
    let maxDef: Int
    let maxRep: Int
}

enum ColumnChunkReader {
    static func read(_ chunk: [UInt8], info: ParquetColumnChunkInfo, limits: ParquetLimits) throws(ParquetError) -> LeafData {
        let desc = info.descriptor
        guard desc.maxDefinitionLevel <= Int(UInt8.max), desc.maxRepetitionLevel <= Int(UInt8.max) else { throw .unsupported("levels too deep") }
        var data = LeafData(maxDef: desc.maxDefinitionLevel, maxRep: desc.maxRepetitionLevel)
        let type = ColumnType(desc.node)
        var dictionary: [ParquetValue]?
        var pos = 0
        while pos < chunk.count && Int64(data.count) < info.numValues {
            var r = ThriftCompactReader(chunk, from: pos)
            let header = try PageHeader(&r)
            pos = r.position
            let compressed = Int(header.compressedPageSize)
            let uncompressed = Int(header.uncompressedPageSize)
            guard compressed >= 0, compressed <= chunk.count - pos else { throw .malformed("page size past column chunk") }
            guard uncompressed >= 0 else { throw .malformed("negative page size") }
            guard uncompressed <= limits.maxPageBytes, compressed <= limits.maxPageBytes else { throw .limitExceeded("page of \(uncompressed) bytes") }
            let body = pos..<pos + compressed
            pos += compressed
            switch PageType(rawValue: header.type) {
            case .dictionaryPage?:
                guard let h = header.dictionaryPage else { throw .malformed("dictionary page without header") }
                guard dictionary == nil else { throw .malformed("a second dictionary page in one column chunk") }
                guard h.numValues >= 0, Int(h.numValues) <= limits.maxRowGroupValues else { throw .limitExceeded("dictionary of \(h.numValues) values") }
                guard h.encoding == Encoding.plain.rawValue || h.encoding == Encoding.plainDictionary.rawValue else { throw .unsupported("dictionary encoding \(h.encoding)") }
                let page = try decompress(chunk, body, info.codec, uncompressed, limits)
                var dict: [ParquetValue] = []
                try withBytes(page) { (b) throws(ParquetError) in
                    _ = try ValueDecoding.plain(b, start: 0, end: b.count, count: Int(h.numValues), type: type, into: &dict)
                }
                dictionary = dict
            case .dataPage?:
                guard let h = header.dataPage else { throw .malformed("data page without header") }
                let page = try decompress(chunk, body, info.codec, uncompressed, limits)
                try readV1(page, h, &data, type: type, dictionary: dictionary, limits: limits)
            case .dataPageV2?:
                guard let h = header.dataPageV2 else { throw .malformed("data page v2 without header") }
                try readV2(chunk, body, h, uncompressed: uncompressed, codec: info.codec, &data, type: type, dictionary: dictionary, limits: limits)
            default:
                continue
            }
        }
        return data
    }

    static func decompress(_ chunk: [UInt8], _ body: Range<Int>, _ codec: CompressionCodec, _ size: Int, _ limits: ParquetLimits) throws(ParquetError) -> [UInt8] {
        let input = Array(chunk[body])
        if codec == .uncompressed { return input }
        do {
            return try Codec.decompress(codec, input, expectedSize: size, limit: limits.maxPageBytes)
        } catch {
            switch error {
            case .corrupt(let m): throw .malformed("page decompression: \(m)")
            case .unavailable(let m): throw .unsupported("codec \(codec): \(m)")
            case .tooLarge(let l): throw .limitExceeded("decompressed page over \(l) bytes")
            }
        }
    }

    static func reserve(_ data: inout LeafData, _ n: Int32, _ limits: ParquetLimits) throws(ParquetError) -> Int {
        guard n >= 0 else { throw .malformed("negative page value count") }
        guard Int(n) <= limits.maxRowGroupValues - data.count else { throw .limitExceeded("row group column over \(limits.maxRowGroupValues) values") }
        return Int(n)
    }

    static func appendLevels(_ levels: [UInt32], max: Int, into out: inout [UInt8]) throws(ParquetError) {
        out.reserveCapacity(out.count + levels.count)
        for l in levels {
            guard l <= UInt32(max) else { throw .malformed("level \(l) above maximum \(max)") }
            out.append(UInt8(l))
        }
    }

    /// Levels of a v1 page; returns the position after them.
    static func readV1Levels(_ b: UnsafeRawBufferPointer, _ pos: Int, encoding: Int32, max: Int, count: Int, into out: inout [UInt8]) throws(ParquetError) -> Int {
        let width = BitPacking.width(forMax: UInt64(max))
        var levels: [UInt32] = []
        var next = pos
        switch Encoding(rawValue: encoding) {
        case .rle?:
            guard b.count - pos >= 4 else { throw .malformed("truncated level length") }
            let length = Int(le32(b, pos))
            guard length <= b.count - pos - 4 else { throw .malformed("levels past page") }
            try RleHybrid.decode(b, start: pos + 4, end: pos + 4 + length, width: width, count: count, into: &levels)
            next = pos + 4 + length
        case .bitPacked?:
            try RleHybrid.decodeLegacyBitPacked(b, start: pos, end: b.count, width: width, count: count, into: &levels)
            next = pos + (count * width + 7) / 8
        default: throw .unsupported("level encoding \(encoding)")
        }
        try appendLevels(levels, max: max, into: &out)
        return next
    }

    static func nonNullCount(_ data: LeafData, from: Int, count: Int) -> Int {
        guard data.maxDef > 0 else { return count }
        let m = UInt8(data.maxDef)
        var n = 0
        for i in from..<from + count where data.defs[i] == m { n += 1 }
        return n
    }

    static func readV1(_ page: [UInt8], _ h: DataPageHeader, _ data: inout LeafData, type: ColumnType, dictionary: [ParquetValue]?, limits: ParquetLimits) throws(ParquetError) {
        let n = try reserve(&data, h.numValues, limits)
        let first = data.count
        try withBytes(page) { (b) throws(ParquetError) in
            var pos = 0
            if data.maxRep > 0 { pos = try readV1Levels(b, pos, encoding: h.repetitionLevelEncoding, max: data.maxRep, count: n, into: &data.reps) }
            if data.maxDef > 0 { pos = try readV1Levels(b, pos, encoding: h.definitionLevelEncoding, max: data.maxDef, count: n, into: &data.defs) }
            let nonNull = nonNullCount(data, from: first, count: n)
            try ValueDecoding.decode(h.encoding, b, start: pos, end: b.count, count: nonNull, type: type, dictionary: dictionary, into: &data.values)
        }
        data.count += n
    }

    static func readV2(
        _ chunk: [UInt8], _ body: Range<Int>, _ h: DataPageHeaderV2, uncompressed: Int, codec: CompressionCodec, _ data: inout LeafData,
        type: ColumnType, dictionary: [ParquetValue]?, limits: ParquetLimits
    ) throws(ParquetError) {
        let n = try reserve(&data, h.numValues, limits)
        let repLen = Int(h.repetitionLevelsByteLength)
        let defLen = Int(h.definitionLevelsByteLength)
        guard repLen >= 0, defLen >= 0, repLen <= body.count, defLen <= body.count - repLen else { throw .malformed("v2 level lengths past page") }
        let first = data.count
        try chunk.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Result<Void, ParquetError> in
            Result { () throws(ParquetError) in
                let b = UnsafeRawBufferPointer(rebasing: raw[body])
                var levels: [UInt32] = []
                if data.maxRep > 0 {
                    try RleHybrid.decode(b, start: 0, end: repLen, width: BitPacking.width(forMax: UInt64(data.maxRep)), count: n, into: &levels)
                    try appendLevels(levels, max: data.maxRep, into: &data.reps)
                }
                if data.maxDef > 0 {
                    levels.removeAll(keepingCapacity: true)
                    try RleHybrid.decode(b, start: repLen, end: repLen + defLen, width: BitPacking.width(forMax: UInt64(data.maxDef)), count: n, into: &levels)
                    try appendLevels(levels, max: data.maxDef, into: &data.defs)
                }
            }
        }.get()
        let valuesRange = body.lowerBound + repLen + defLen..<body.upperBound
        let valuesSize = uncompressed - repLen - defLen
        let values: [UInt8]
        if h.isCompressed && codec != .uncompressed && !valuesRange.isEmpty {
            guard valuesSize >= 0 else { throw .malformed("v2 page size smaller than levels") }
            values = try decompress(chunk, valuesRange, codec, valuesSize, limits)
        } else {
            values = Array(chunk[valuesRange])
        }
        let nonNull = nonNullCount(data, from: first, count: n)
        try withBytes(values) { (b) throws(ParquetError) in
            try ValueDecoding.decode(h.encoding, b, start: 0, end: b.count, count: nonNull, type: type, dictionary: dictionary, into: &data.values)
        }
        data.count += n
    }
}
