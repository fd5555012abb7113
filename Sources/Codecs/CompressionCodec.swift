/// The block compression codecs used by Parquet pages and Avro container blocks.
public enum CompressionCodec: Sendable, Hashable {
    case uncompressed
    case snappy
    case gzip
    /// Raw RFC 1951 deflate, no header or trailer (Avro's "deflate").
    case deflate
    case zstd
    /// A raw LZ4 block (Parquet's LZ4_RAW).
    case lz4Raw
    /// Parquet's deprecated LZ4: Hadoop framing, with fallbacks to the LZ4 frame format and a raw block.
    case lz4Hadoop
    case brotli
}

public enum CodecError: Error, Sendable, Equatable {
    case corrupt(String)
    /// The codec's shared library is not installed.
    case unavailable(String)
    /// The output would exceed the caller's limit.
    case tooLarge(limit: Int)
}
