/// One entry point over every codec: decoders bound their output by `limit` (and by `expectedSize` when given)
/// before allocating, and throw `CodecError` on any malformed input.
public enum Codec {
    /// `limit` caps the output size; when `expectedSize` is given the output must have exactly that size.
    public static func decompress(_ codec: CompressionCodec, _ input: [UInt8], expectedSize: Int?, limit: Int) throws(CodecError) -> [UInt8] {
        if codec == .uncompressed {
            try OutputBound(expectedSize: expectedSize, limit: limit).check(producedCount: input.count)
            return input
        }
        return try input.withUnsafeBytes { raw in
            Result { () throws(CodecError) in try decompress(codec, raw, expectedSize: expectedSize, limit: limit) }
        }.get()
    }

    public static func decompress(_ codec: CompressionCodec, _ input: ArraySlice<UInt8>, expectedSize: Int?, limit: Int) throws(CodecError) -> [UInt8] {
        try input.withUnsafeBytes { raw in
            Result { () throws(CodecError) in try decompress(codec, raw, expectedSize: expectedSize, limit: limit) }
        }.get()
    }

    /// The same over borrowed bytes, so callers holding a larger buffer (a column chunk) need not copy a page out.
    public static func decompress(_ codec: CompressionCodec, _ input: UnsafeRawBufferPointer, expectedSize: Int?, limit: Int) throws(CodecError) -> [UInt8] {
        let bound = try OutputBound(expectedSize: expectedSize, limit: limit)
        let output: [UInt8]
        switch codec {
        case .uncompressed: output = Array(input)
        case .snappy: output = try Snappy.decompress(input, bound: bound)
        case .gzip: output = try Zlib.inflate(input, format: .gzip, bound: bound)
        case .deflate: output = try Zlib.inflate(input, format: .raw, bound: bound)
        case .zstd: output = try Zstd.decompress(input, bound: bound)
        case .lz4Raw: output = try LZ4.decompressBlock(input, bound: bound)
        case .lz4Hadoop: output = try LZ4.decompressParquetLegacy(input, bound: bound)
        case .brotli: output = try Brotli.decompress(input, bound: bound)
        }
        try bound.check(producedCount: output.count)
        return output
    }

    public static func compress(_ codec: CompressionCodec, _ input: [UInt8]) throws(CodecError) -> [UInt8] {
        if codec == .uncompressed { return input }
        return try input.withUnsafeBytes { raw in
            Result { () throws(CodecError) in try compress(codec, raw) }
        }.get()
    }

    public static func compress(_ codec: CompressionCodec, _ input: UnsafeRawBufferPointer) throws(CodecError) -> [UInt8] {
        switch codec {
        case .uncompressed: return Array(input)
        case .snappy: return Snappy.compress(input)
        case .gzip: return try Zlib.deflate(input, format: .gzip)
        case .deflate: return try Zlib.deflate(input, format: .raw)
        case .zstd: return try Zstd.compress(input)
        case .lz4Raw: return try LZ4.compressBlock(input)
        case .lz4Hadoop: return try LZ4.compressHadoop(input)
        case .brotli: return try Brotli.compress(input)
        }
    }

    /// Whether this process can use the codec (the dynamically loaded ones need their shared library).
    public static func isAvailable(_ codec: CompressionCodec) -> Bool {
        switch codec {
        case .uncompressed, .snappy, .gzip, .deflate: return true
        case .zstd: return Zstd.library != nil
        case .lz4Raw, .lz4Hadoop: return LZ4.library != nil
        case .brotli: return Brotli.library != nil
        }
    }
}

/// The size rules of one decompression: never more than `limit` bytes, exactly `expectedSize` when known.
struct OutputBound: Sendable {
    let expectedSize: Int?
    let limit: Int

    init(expectedSize: Int?, limit: Int) throws(CodecError) {
        let limit = max(0, limit)
        if let expectedSize {
            if expectedSize < 0 { throw .corrupt("negative expected size \(expectedSize)") }
            if expectedSize > limit { throw .tooLarge(limit: limit) }
        }
        self.expectedSize = expectedSize
        self.limit = limit
    }

    /// The most bytes the decoder may ever produce.
    var capacity: Int { expectedSize ?? limit }

    /// Validates a size the stream declares about itself (a preamble, a frame header).
    func checkDeclared(_ size: Int) throws(CodecError) {
        if let expectedSize, size != expectedSize {
            throw .corrupt("stream declares \(size) bytes, expected \(expectedSize)")
        }
        if size > limit { throw .tooLarge(limit: limit) }
    }

    func check(producedCount: Int) throws(CodecError) {
        if producedCount > limit { throw .tooLarge(limit: limit) }
        if let expectedSize, producedCount != expectedSize {
            throw .corrupt("decompressed to \(producedCount) bytes, expected \(expectedSize)")
        }
    }

    /// The first allocation for a decoder that cannot know its output size in advance.
    func initialCapacity(inputCount: Int) -> Int {
        if let expectedSize { return expectedSize }
        let (guess, overflow) = inputCount.multipliedReportingOverflow(by: 4)
        return min(limit, overflow ? limit : max(guess, 4096))
    }

    /// The next capacity after `current` filled up, or nil when already at the cap.
    func grow(_ current: Int) -> Int? {
        let cap = capacity
        if current >= cap { return nil }
        let (doubled, overflow) = current.multipliedReportingOverflow(by: 2)
        return overflow ? cap : min(cap, max(doubled, 4096))
    }
}
