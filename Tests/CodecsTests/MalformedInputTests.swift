import Codecs
import Testing

@Suite struct MalformedInputTests {
    static let sample: [UInt8] = Array(String(repeating: "malformed inputs must throw, never crash. ", count: 20).utf8)

    @Test(arguments: availableCompressedCodecs)
    func everyTruncationThrowsOrYieldsNothingWrong(codec: CompressionCodec) throws {
        let compressed = try Codec.compress(codec, Self.sample)
        for cut in 0..<compressed.count {
            let prefix = Array(compressed[..<cut])
            // A prefix must never decode to the full sample with its exact size: the stream is incomplete.
            #expect(throws: CodecError.self, "\(codec) cut at \(cut)") {
                try Codec.decompress(codec, prefix, expectedSize: Self.sample.count, limit: 1 << 20)
            }
        }
    }

    @Test(arguments: availableCompressedCodecs)
    func bitFlipsNeverCrash(codec: CompressionCodec) throws {
        let compressed = try Codec.compress(codec, Self.sample)
        for position in 0..<compressed.count {
            for bit in [0, 3, 7] {
                var corrupted = compressed
                corrupted[position] ^= 1 << bit
                let out = try? Codec.decompress(codec, corrupted, expectedSize: nil, limit: 4096)
                #expect((out?.count ?? 0) <= 4096)
            }
        }
    }

    @Test(arguments: availableCompressedCodecs)
    func garbageThrows(codec: CompressionCodec) {
        for seed in UInt64(1)...20 {
            let garbage = pseudoRandomBytes(Int(seed) * 13, seed: seed)
            let out = try? Codec.decompress(codec, garbage, expectedSize: nil, limit: 1 << 16)
            #expect((out?.count ?? 0) <= 1 << 16)
        }
        #expect(throws: CodecError.self) { try Codec.decompress(codec, [UInt8](repeating: 0xFF, count: 64), expectedSize: 10, limit: 100) }
    }

    @Test(arguments: availableCompressedCodecs.filter { $0 != .lz4Hadoop })
    func emptyInputIsNotAStream(codec: CompressionCodec) {
        #expect(throws: CodecError.self) { try Codec.decompress(codec, [], expectedSize: nil, limit: 100) }
    }

    @Test func expectedSizeAboveTheLimitThrowsBeforeDecoding() {
        for codec in availableCodecs {
            #expect(throws: CodecError.tooLarge(limit: 10)) { try Codec.decompress(codec, [1, 2, 3], expectedSize: 11, limit: 10) }
        }
        #expect(throws: CodecError.self) { try Codec.decompress(.snappy, [0], expectedSize: -1, limit: 10) }
    }

    @Test func uncompressedChecksItsSize() throws {
        #expect(try Codec.decompress(.uncompressed, [1, 2, 3], expectedSize: 3, limit: 3) == [1, 2, 3])
        #expect(throws: CodecError.corrupt("decompressed to 3 bytes, expected 4")) {
            try Codec.decompress(.uncompressed, [1, 2, 3], expectedSize: 4, limit: 10)
        }
        #expect(throws: CodecError.tooLarge(limit: 2)) { try Codec.decompress(.uncompressed, [1, 2, 3], expectedSize: nil, limit: 2) }
    }

    // MARK: Snappy, element by element

    static let snappyCases: [(String, [UInt8], CodecError?)] = [
        ("preamble only, truncated varint", [0x80], .corrupt("truncated snappy length")),
        ("varint over 32 bits", [0xFF, 0xFF, 0xFF, 0xFF, 0x1F], .corrupt("snappy length exceeds 32 bits")),
        ("lying length: says 4 GiB", [0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x00, 0x41], .tooLarge(limit: 1 << 20)),
        ("declared 3, literal of 1", [0x03, 0x00, 0x41], .corrupt("snappy stream ends after 1 of 3 bytes")),
        ("literal past input", [0x05, 0x10, 0x41], .corrupt("snappy literal runs past the input")),
        ("literal past declared length", [0x01, 0x04, 0x41, 0x42], .corrupt("snappy literal runs past the declared length")),
        ("copy before output start", [0x08, 0x00, 0x41, 0x01, 0x02], .corrupt("snappy copy offset 2 out of range at 1")),
        ("copy with offset zero", [0x08, 0x00, 0x41, 0x01, 0x00], .corrupt("snappy copy offset 0 out of range at 1")),
        ("copy past declared length", [0x04, 0x00, 0x41, 0x05, 0x01], .corrupt("snappy copy runs past the declared length")),
        ("truncated copy-2", [0x08, 0x00, 0x41, 0x0A, 0x01], .corrupt("truncated snappy copy")),
        ("truncated copy-4", [0x08, 0x00, 0x41, 0x0B, 0x01, 0x00], .corrupt("truncated snappy copy")),
        ("truncated long literal length", [0x40, 0xF0], .corrupt("truncated snappy literal length")),
        ("data after empty preamble", [0x00, 0x00], .corrupt("snappy stream has data after an empty preamble")),
        ("empty", [], .corrupt("empty snappy stream")),
        ("valid: overlapping copy-1 run", [0x09, 0x00, 0x41, 0x11, 0x01], nil),
        ("valid: copy-4", [0x05, 0x00, 0x41, 0x0F, 0x01, 0x00, 0x00, 0x00], nil),
        ("valid: empty", [0x00], nil),
    ]

    @Test(arguments: snappyCases.indices)
    func snappyElements(index: Int) {
        let (name, bytes, expected) = Self.snappyCases[index]
        let result = Result { () throws(CodecError) in try Codec.decompress(.snappy, bytes, expectedSize: nil, limit: 1 << 20) }
        switch (result, expected) {
        case (.failure(let error), let expected?): #expect(error == expected, "\(name)")
        case (.success, nil): break
        case (.success(let out), let expected?): Issue.record("\(name): decoded \(out), expected \(expected)")
        case (.failure(let error), nil): Issue.record("\(name): \(error)")
        }
    }

    @Test func snappyOverlappingCopyRepeatsThePattern() throws {
        // "AB" then copy-1 of length 7 at offset 2.
        let out = try Codec.decompress(.snappy, [0x09, 0x04, 0x41, 0x42, 0x0D, 0x02], expectedSize: 9, limit: 9)
        #expect(out == Array("ABABABABA".utf8))
    }

    // MARK: LZ4 Hadoop framing

    @Test func hadoopFramingWithALyingLengthFallsThroughAndThrows() throws {
        try #require(Codec.isAvailable(.lz4Hadoop))
        let block = try Codec.compress(.lz4Raw, Self.sample)
        // Claims more uncompressed bytes than the block holds.
        let lying: [UInt8] = [0, 0, 0x04, 0x00, 0, 0, 0, UInt8(block.count)] + block
        #expect(throws: CodecError.self) { try Codec.decompress(.lz4Hadoop, lying, expectedSize: 1024, limit: 1 << 20) }
        // Claims a compressed length running past the input.
        let overrun: [UInt8] = [0, 0, 0x03, 0x48, 0x7F, 0, 0, 0] + block
        #expect(throws: CodecError.self) { try Codec.decompress(.lz4Hadoop, overrun, expectedSize: Self.sample.count, limit: 1 << 20) }
    }

    @Test func corruptZstdThrowsCorrupt() throws {
        try #require(Codec.isAvailable(.zstd))
        var frame = try Codec.compress(.zstd, Self.sample)
        frame[0] ^= 0xFF
        #expect(throws: CodecError.self) { try Codec.decompress(.zstd, frame, expectedSize: Self.sample.count, limit: 1 << 20) }
        #expect(throws: CodecError.self) { try Codec.decompress(.zstd, frame, expectedSize: nil, limit: 1 << 20) }
    }

    @Test func fuzzEntryPointSurvivesSeeds() throws {
        CodecFuzzing.exercise([])
        CodecFuzzing.exercise([0xFF])
        for codec in availableCompressedCodecs {
            let compressed = try Codec.compress(codec, Self.sample)
            CodecFuzzing.exercise(compressed)
            CodecFuzzing.exercise(Array(compressed.dropLast()))
        }
        CodecFuzzing.exercise(pseudoRandomBytes(500, seed: 99))
    }
}
