import Codecs
import Testing

@Suite struct RoundTripTests {
    static let inputs: [(String, [UInt8])] = [
        ("empty", []),
        ("one byte", [0x7F]),
        ("tiny text", Array("abcabcabcabc hello".utf8)),
        ("random 100k", pseudoRandomBytes(100_000, seed: 1)),
        ("periodic 300k", (0..<300_000).map { UInt8(truncatingIfNeeded: ($0 / 7) % 13) }),
        ("zeros 1 MiB", [UInt8](repeating: 0, count: 1 << 20)),
        ("mixed 200k", (0..<200_000).map { i in i % 1000 < 600 ? UInt8(truncatingIfNeeded: 97 + (i * 7 / 3) % 26) : UInt8(truncatingIfNeeded: i &* 2_654_435_761 >> 13) }),
    ]

    @Test(arguments: availableCodecs)
    func roundTripsEveryInput(codec: CompressionCodec) throws {
        for (name, input) in Self.inputs {
            let compressed = try Codec.compress(codec, input)
            let exact = try Codec.decompress(codec, compressed, expectedSize: input.count, limit: input.count)
            #expect(exact == input, "\(codec) \(name) with expected size")
            let unsized = try Codec.decompress(codec, compressed, expectedSize: nil, limit: input.count)
            #expect(unsized == input, "\(codec) \(name) without expected size")
        }
    }

    @Test(arguments: availableCompressedCodecs)
    func oneByteUnderTheLimitThrowsTooLarge(codec: CompressionCodec) throws {
        for (name, input) in Self.inputs where !input.isEmpty {
            let compressed = try Codec.compress(codec, input)
            #expect(throws: CodecError.tooLarge(limit: input.count - 1), "\(codec) \(name)") {
                try Codec.decompress(codec, compressed, expectedSize: nil, limit: input.count - 1)
            }
            #expect(throws: CodecError.tooLarge(limit: input.count - 1), "\(codec) \(name)") {
                try Codec.decompress(codec, compressed, expectedSize: input.count, limit: input.count - 1)
            }
        }
    }

    @Test(arguments: [CompressionCodec.snappy, .gzip, .deflate])
    func builtInCodecsAreAlwaysAvailable(codec: CompressionCodec) {
        #expect(Codec.isAvailable(codec))
    }

    @Test func compressibleDataShrinks() throws {
        let periodic = Self.inputs[4].1
        for codec in availableCompressedCodecs {
            #expect(try Codec.compress(codec, periodic).count < periodic.count / 10, "\(codec)")
        }
    }

    @Test func snappyRoundTripsEveryShortLengthAndOffset() throws {
        // Exercises literal-length encodings (1–4 extra bytes aside) and copy-1 / copy-2 boundaries.
        let base = pseudoRandomBytes(3000, seed: 5)
        for length in [1, 4, 15, 16, 59, 60, 61, 255, 256, 257, 2047, 2048, 2049] {
            let input = Array(base[..<min(length, base.count)]) + Array(base[..<min(length, base.count)])
            let compressed = try Codec.compress(.snappy, input)
            #expect(try Codec.decompress(.snappy, compressed, expectedSize: input.count, limit: input.count) == input, "length \(length)")
        }
    }

    @Test func slicesDecodeLikeArrays() throws {
        let input = Self.inputs[2].1
        let framed = [0xAA] + (try Codec.compress(.snappy, input)) + [0xBB]
        #expect(try Codec.decompress(.snappy, framed[1..<(framed.count - 1)], expectedSize: input.count, limit: 100) == input)
    }
}
