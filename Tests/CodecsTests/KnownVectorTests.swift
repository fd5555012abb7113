import Codecs
import Testing

/// Compressed bytes produced by pyarrow's `pyarrow.compress(data, codec=...)` (and `CompressedOutputStream` for the streamed frames) and Python's zlib (raw deflate),
/// all of the same 168-byte text.
@Suite struct KnownVectorTests {
    static let text: [UInt8] = Array(String(repeating: "Floe codecs: hello hello hello hello, parquet and avro! ", count: 3).utf8)

    static let vectors: [(CompressionCodec, String)] = [
        (.snappy, "a80144466c6f6520636f646563733a2068656c6c6f4606004c2c207061727175657420616e64206176726f2120fe3800be3800"),
        (
            .gzip,
            "1f8b080000000000020373cbc94f5548ce4f494d2eb652c848cdc9c9c72475140a128b0a4b534b1412f3521412cb8af21515dce8ac0f00a2e694f7a8000000"
        ),
        (.deflate, "73cbc94f5548ce4f494d2eb652c848cdc9c9c72475140a128b0a4b534b1412f3521412cb8af21515dce8ac0f00"),
        (.zstd, "28b52ffd20a88d01006402466c6f6520636f646563733a2068656c6c6f2c207061727175657420616e64206176726f21200200da562913af8401"),
        // A streamed frame that does not record its content size.
        (.zstd, "28b52ffd00488d01006402466c6f6520636f646563733a2068656c6c6f2c207061727175657420616e64206176726f21200200da562913af8401"),
        (.lz4Raw, "fe03466c6f6520636f646563733a2068656c6c6f0600ff052c207061727175657420616e64206176726f21203800585076726f2120"),
        // Parquet's legacy LZ4 falls back to the LZ4 frame format (pyarrow's "lz4") ...
        (
            .lz4Hadoop,
            "04224d1860408235000000fe03466c6f6520636f646563733a2068656c6c6f0600ff052c207061727175657420616e64206176726f21203800585076726f212000000000"
        ),
        (
            .lz4Hadoop,
            "04224d184040c035000000fe03466c6f6520636f646563733a2068656c6c6f0600ff052c207061727175657420616e64206176726f21203800585076726f212000000000"
        ),
        // ... and then to a raw block.
        (.lz4Hadoop, "fe03466c6f6520636f646563733a2068656c6c6f0600ff052c207061727175657420616e64206176726f21203800585076726f2120"),
        // ... and reads Hadoop framing: [BE uncompressed length][BE compressed length][raw block].
        (.lz4Hadoop, "000000a800000035fe03466c6f6520636f646563733a2068656c6c6f0600ff052c207061727175657420616e64206176726f21203800585076726f2120"),
        (.brotli, "1ba70000c4b686a99edd90a45bba884d583f60034e0cb24453595487891c360fb2835ccd0a287e04030f36a36de7c5bd5178cafe16a105"),
    ]

    @Test(arguments: vectors.indices)
    func decodesWithAndWithoutExpectedSize(index: Int) throws {
        let (codec, hex) = Self.vectors[index]
        try #require(Codec.isAvailable(codec))
        let compressed = [UInt8](hex: hex)
        #expect(try Codec.decompress(codec, compressed, expectedSize: Self.text.count, limit: 1 << 20) == Self.text)
        #expect(try Codec.decompress(codec, compressed, expectedSize: nil, limit: 1 << 20) == Self.text)
        #expect(try Codec.decompress(codec, compressed[...], expectedSize: nil, limit: Self.text.count) == Self.text)
    }

    @Test(arguments: vectors.indices)
    func outputOverTheLimitThrowsTooLarge(index: Int) throws {
        let (codec, hex) = Self.vectors[index]
        try #require(Codec.isAvailable(codec))
        #expect(throws: CodecError.tooLarge(limit: 100)) {
            try Codec.decompress(codec, [UInt8](hex: hex), expectedSize: nil, limit: 100)
        }
    }

    @Test(arguments: vectors.indices)
    func wrongExpectedSizeThrows(index: Int) throws {
        let (codec, hex) = Self.vectors[index]
        try #require(Codec.isAvailable(codec))
        for wrong in [0, Self.text.count - 1, Self.text.count + 1] {
            #expect(throws: CodecError.self) { try Codec.decompress(codec, [UInt8](hex: hex), expectedSize: wrong, limit: 1 << 20) }
        }
    }

    @Test func concatenatedGzipMembersDecodeAsOne() throws {
        let member = try Codec.compress(.gzip, Array("first ".utf8))
        let second = try Codec.compress(.gzip, Array("second".utf8))
        #expect(try Codec.decompress(.gzip, member + second, expectedSize: 12, limit: 100) == Array("first second".utf8))
    }

    @Test func concatenatedZstdFramesDecodeAsOne() throws {
        try #require(Codec.isAvailable(.zstd))
        let a = try Codec.compress(.zstd, Array("first ".utf8))
        let b = try Codec.compress(.zstd, Array("second".utf8))
        #expect(try Codec.decompress(.zstd, a + b, expectedSize: nil, limit: 100) == Array("first second".utf8))
        #expect(try Codec.decompress(.zstd, a + b, expectedSize: 12, limit: 100) == Array("first second".utf8))
    }

    @Test func snappyCompressorUsesCopies() {
        let repetitive = [UInt8](repeating: 0x41, count: 10_000)
        let compressed = (try? Codec.compress(.snappy, repetitive)) ?? []
        #expect(compressed.count < 600)
    }
}
