/// Entry point for the libFuzzer harness: every decoder over arbitrary bytes with small limits. Errors are expected
/// and ignored; only a crash, a hang or a broken round trip is a finding.
public enum CodecFuzzing {
    static let limit = 1 << 16

    public static func exercise(_ data: [UInt8]) {
        let codecs: [CompressionCodec] = [.snappy, .gzip, .deflate, .zstd, .lz4Raw, .lz4Hadoop, .brotli]
        // The first byte picks an expected size so the exact-size paths get exercised too.
        let expected = data.first.map { Int($0) * 97 }
        for codec in codecs where Codec.isAvailable(codec) {
            _ = try? Codec.decompress(codec, data, expectedSize: nil, limit: limit)
            _ = try? Codec.decompress(codec, data, expectedSize: expected, limit: limit)
            _ = try? Codec.decompress(codec, data, expectedSize: nil, limit: 7)
        }
        _ = CRC32.checksum(data)
        // The pure Swift Snappy compressor must round-trip anything.
        if let packed = try? Codec.compress(.snappy, data) {
            let unpacked = try? Codec.decompress(.snappy, packed, expectedSize: data.count, limit: data.count)
            precondition(unpacked == data, "snappy round trip failed")
        }
    }
}
