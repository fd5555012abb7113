import Testing
@testable import Parquet

/// Hand-built vectors from Encodings.md.
@Suite struct EncodingTests {
    func decode(_ encoding: Encoding, _ bytes: [UInt8], count: Int, _ node: ParquetSchemaNode, dictionary: [ParquetValue]? = nil) throws -> [ParquetValue] {
        var out: [ParquetValue] = []
        try withBytes(bytes) { (b) throws(ParquetError) in
            try ValueDecoding.decode(encoding.rawValue, b, start: 0, end: b.count, count: count, type: ColumnType(node), dictionary: dictionary, into: &out)
        }
        return out
    }

    func rle(_ bytes: [UInt8], width: Int, count: Int) throws -> [UInt32] {
        var out: [UInt32] = []
        try withBytes(bytes) { (b) throws(ParquetError) in try RleHybrid.decode(b, start: 0, end: b.count, width: width, count: count, into: &out) }
        return out
    }

    @Test func rleBitPackedSpecExample() throws {
        // 0..7 bit-packed with width 3: header (1 group) then 10001000 11000110 11111010
        #expect(try rle([0x03, 0x88, 0xC6, 0xFA], width: 3, count: 8) == Array(0..<8))
        var encoded: [UInt8] = []
        BitPacking.pack(Array(0..<8)[...], width: 3, into: &encoded)
        #expect(encoded == [0x88, 0xC6, 0xFA])
    }

    @Test func rleRunsAndMixedRuns() throws {
        #expect(try rle([0x10, 0x05], width: 3, count: 8) == Array(repeating: 5, count: 8))
        // run of 3 × 0x134 (two value bytes for width 9), then a bit-packed group whose first value is 1
        #expect(try rle([0x06, 0x34, 0x01, 0x03, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00], width: 9, count: 4) == [0x134, 0x134, 0x134, 1])
    }

    @Test func legacyBitPackedLevels() throws {
        // BIT_PACKED (deprecated): 0..7 with width 3, MSB first: 00000101 00111001 01110111
        var out: [UInt32] = []
        try withBytes([0x05, 0x39, 0x77]) { (b) throws(ParquetError) in
            try RleHybrid.decodeLegacyBitPacked(b, start: 0, end: b.count, width: 3, count: 8, into: &out)
        }
        #expect(out == Array(0..<8))
    }

    @Test(arguments: [0, 1, 2, 3, 5, 8, 13, 17, 24, 31, 32])
    func rleRoundTrip(width: Int) throws {
        var state: UInt64 = UInt64(width) &+ 99
        var values: [UInt32] = []
        let mask: UInt64 = width == 0 ? 0 : (1 << UInt64(width)) - 1
        for i in 0..<1000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1
            let v = UInt32(truncatingIfNeeded: (state >> 20) & mask)
            // stretches of repeats to exercise the RLE runs
            values.append(i % 100 < 30 ? UInt32(truncatingIfNeeded: mask) : v)
        }
        var encoded: [UInt8] = []
        RleHybrid.encode(values, width: width, into: &encoded)
        #expect(try rle(encoded, width: width, count: values.count) == values)
    }

    @Test func rleMalformed() {
        #expect(throws: ParquetError.self) { try rle([0x10], width: 8, count: 8) }  // run without its value
        #expect(throws: ParquetError.self) { try rle([0x10, 0x09], width: 3, count: 8) }  // value wider than the width
        #expect(throws: ParquetError.self) { try rle([0x03, 0x88], width: 3, count: 8) }  // truncated group
        #expect(throws: ParquetError.self) { try rle([0x02, 0x01], width: 33, count: 1) }
        #expect(throws: ParquetError.self) { try rle([], width: 1, count: 1) }
    }

    static let int32 = ParquetSchemaNode.primitive("x", .int32, .required)
    static let int64 = ParquetSchemaNode.primitive("x", .int64, .required)
    static let bytes = ParquetSchemaNode.primitive("x", .byteArray, .required, logicalType: .string)

    @Test func deltaBinaryPackedSpecExamples() throws {
        // 1, 2, 3, 4, 5: block 128, 4 miniblocks, 5 values, first 1; min delta 1, all widths 0
        let ex1: [UInt8] = [0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 0, 0, 0, 0]
        #expect(try decode(.deltaBinaryPacked, ex1, count: 5, Self.int32) == (1...5).map { .int32(Int32($0)) })
        // 7, 5, 3, 1, 2, 3, 4, 5: min delta −2, relative deltas 0 0 0 3 3 3 3 in 2 bits
        let ex2: [UInt8] = [0x80, 0x01, 0x04, 0x08, 0x0E, 0x03, 2, 0, 0, 0, 0xC0, 0x3F, 0, 0, 0, 0, 0, 0]
        #expect(try decode(.deltaBinaryPacked, ex2, count: 8, Self.int64) == [7, 5, 3, 1, 2, 3, 4, 5].map { .int64($0) })
        // fewer values than the stream holds is malformed; a bigger count than stated too
        #expect(throws: ParquetError.self) { try decode(.deltaBinaryPacked, ex2, count: 7, Self.int64) }
        #expect(throws: ParquetError.self) { try decode(.deltaBinaryPacked, ex2, count: 9, Self.int64) }
        #expect(throws: ParquetError.self) { try decode(.deltaBinaryPacked, Array(ex2.prefix(12)), count: 8, Self.int64) }
        // block size not a multiple of 128
        #expect(throws: ParquetError.self) { try decode(.deltaBinaryPacked, [0x40, 0x04, 0x01, 0x02], count: 1, Self.int64) }
    }

    @Test func deltaBinaryPackedWrapsAround() throws {
        // Int64.min then Int64.max: delta wraps (−1), encoded as min delta −1 with width 0
        let zz = UInt64(bitPattern: (Int64.min << 1) ^ (Int64.min >> 63))
        var bytes: [UInt8] = [0x80, 0x01, 0x04, 0x02]
        writeULEB(zz, into: &bytes)
        bytes += [0x01, 0, 0, 0, 0]
        #expect(try decode(.deltaBinaryPacked, bytes, count: 2, Self.int64) == [.int64(.min), .int64(.max)])
    }

    @Test func deltaLengthByteArray() throws {
        // "Hello", "World", "Foobar", "ABCDEF": lengths 5 5 6 6 then the concatenated data
        let lengths: [UInt8] = [0x80, 0x01, 0x04, 0x04, 0x0A, 0x00, 1, 0, 0, 0, 0x02, 0, 0, 0]
        let data = lengths + Array("HelloWorldFoobarABCDEF".utf8)
        #expect(try decode(.deltaLengthByteArray, data, count: 4, Self.bytes) == ["Hello", "World", "Foobar", "ABCDEF"].map { .string($0) })
        #expect(throws: ParquetError.self) { try decode(.deltaLengthByteArray, Array(data.dropLast()), count: 4, Self.bytes) }
    }

    @Test func deltaByteArray() throws {
        // axis, axle, babble, babyhood: prefixes 0 2 0 3, suffixes "axis" "le" "babble" "yhood"
        let prefixes: [UInt8] = [0x80, 0x01, 0x04, 0x04, 0x00, 0x03, 3, 0, 0, 0, 0x44, 0x01] + Array(repeating: 0, count: 10)
        let suffixes: [UInt8] = [0x80, 0x01, 0x04, 0x04, 0x08, 0x03, 3, 0, 0, 0, 0x70] + Array(repeating: 0, count: 11)
        let data = prefixes + suffixes + Array("axislebabbleyhood".utf8)
        #expect(try decode(.deltaByteArray, data, count: 4, Self.bytes) == ["axis", "axle", "babble", "babyhood"].map { .string($0) })
        // a prefix longer than the previous value
        var bad = data
        bad[10] = 0x47
        #expect(throws: ParquetError.self) { try decode(.deltaByteArray, bad, count: 4, Self.bytes) }
    }

    @Test func byteStreamSplit() throws {
        // 1.0 = 0x3F800000, −2.5 = 0xC0200000: byte k of every value in stream k
        let floats: [UInt8] = [0, 0, 0, 0, 0x80, 0x20, 0x3F, 0xC0]
        #expect(try decode(.byteStreamSplit, floats, count: 2, .primitive("f", .float, .required)) == [.float(1), .float(-2.5)])
        let ints: [UInt8] = [0x01, 0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00, 0xFF]
        #expect(try decode(.byteStreamSplit, ints, count: 2, Self.int32) == [.int32(1), .int32(-1)])
        let fixed = ParquetSchemaNode.primitive("b", .fixedLenByteArray, .required, typeLength: 3)
        #expect(try decode(.byteStreamSplit, [1, 4, 2, 5, 3, 6], count: 2, fixed) == [.binary([1, 2, 3]), .binary([4, 5, 6])])
        #expect(throws: ParquetError.self) { try decode(.byteStreamSplit, [1, 2, 3], count: 1, Self.int32) }
    }

    @Test func plainValues() throws {
        #expect(try decode(.plain, [0b0000_1101], count: 4, .primitive("b", .boolean, .required)) == [true, false, true, true].map { .boolean($0) })
        #expect(try decode(.plain, [3, 0, 0, 0, 0x61, 0x62, 0x63, 0, 0, 0, 0], count: 2, Self.bytes) == [.string("abc"), .string("")])
        #expect(throws: ParquetError.self) { try decode(.plain, [4, 0, 0, 0, 0x61], count: 1, Self.bytes) }
        #expect(throws: ParquetError.self) { try decode(.plain, [1, 2, 3], count: 1, Self.int32) }
        // INT96: 1 ns past midnight of Julian day 2440588 (1970-01-01), and one day later
        let int96: [UInt8] = [1, 0, 0, 0, 0, 0, 0, 0, 0x8C, 0x3D, 0x25, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x8D, 0x3D, 0x25, 0x00]
        #expect(try decode(.plain, int96, count: 2, .primitive("t", .int96, .required)) == [.timestamp(1, .nanos, utc: false), .timestamp(86_400_000_000_000, .nanos, utc: false)])
    }

    @Test func rleBooleansAndDictionary() throws {
        // RLE booleans: 4-byte length, then a run of 3 trues and a run of 2 falses
        #expect(try decode(.rle, [4, 0, 0, 0, 0x06, 0x01, 0x04, 0x00], count: 5, .primitive("b", .boolean, .required)) == [true, true, true, false, false].map { .boolean($0) })
        let dict: [ParquetValue] = [.string("a"), .string("b")]
        #expect(try decode(.rleDictionary, [1, 0x03, 0b0000_0110], count: 3, Self.bytes, dictionary: dict) == [.string("a"), .string("b"), .string("b")])
        #expect(throws: ParquetError.self) { try decode(.rleDictionary, [2, 0x03, 0b0000_0011], count: 1, Self.bytes, dictionary: dict) }  // index 3
        #expect(throws: ParquetError.self) { try decode(.plainDictionary, [1, 0x03, 0], count: 1, Self.bytes, dictionary: nil) }
    }

    @Test func logicalConversions() throws {
        let dec = ParquetSchemaNode.primitive("d", .fixedLenByteArray, .required, logicalType: .decimal(precision: 38, scale: 4), typeLength: 17)
        var seventeen = [UInt8](repeating: 0xFF, count: 17)
        seventeen[16] = 0xFE
        #expect(try decode(.plain, seventeen, count: 1, dec) == [.decimal(unscaled: -2, scale: 4)])
        seventeen[0] = 0x01
        #expect(throws: ParquetError.unsupported("decimal wider than 16 bytes")) { try decode(.plain, seventeen, count: 1, dec) }
        let bin = ParquetSchemaNode.primitive("d", .byteArray, .required, logicalType: .decimal(precision: 5, scale: 1))
        #expect(try decode(.plain, [2, 0, 0, 0, 0x00, 0x80, 1, 0, 0, 0, 0xFF], count: 2, bin) == [.decimal(unscaled: 128, scale: 1), .decimal(unscaled: -1, scale: 1)])
        let half = ParquetSchemaNode.primitive("h", .fixedLenByteArray, .required, logicalType: .float16, typeLength: 2)
        let halves = try decode(.plain, [0x00, 0x3C, 0x00, 0xC0, 0x01, 0x00, 0x00, 0x7C], count: 4, half)
        #expect(halves == [.float(1), .float(-2), .float(Float(sign: .plus, exponent: -24, significand: 1)), .float(.infinity)])
        let toHalf: [(Float, UInt16)] = [(0, 0), (1, 0x3C00), (-2, 0xC000), (0.5, 0x3800), (65504, 0x7BFF), (70000, 0x7C00), (-.infinity, 0xFC00)]
        for (f, h) in toHalf { #expect(PhysicalConversion.floatToHalf(f) == h) }
        #expect(PhysicalConversion.floatToHalf(.nan) & 0x7C00 == 0x7C00)
        let time = ParquetSchemaNode.primitive("t", .int32, .required, logicalType: .time(utc: true, unit: .millis))
        #expect(try decode(.plain, [0xE8, 0x03, 0, 0], count: 1, time) == [.time(1000, .millis)])
        let uuid = ParquetSchemaNode.primitive("u", .fixedLenByteArray, .required, logicalType: .uuid, typeLength: 16)
        #expect(try decode(.plain, Array(0..<16), count: 1, uuid) == [.uuid(Array(0..<16))])
    }
}

