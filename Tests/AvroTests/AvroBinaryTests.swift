import IcebergModel
import Testing

@testable import Avro

func hex(_ text: String) -> [UInt8] {
    var out: [UInt8] = []
    var pending: UInt8?
    for character in text where character.isHexDigit {
        guard let nibble = character.hexDigitValue.map(UInt8.init) else { continue }
        if let high = pending {
            out.append(high << 4 | nibble)
            pending = nil
        } else {
            pending = nibble
        }
    }
    return out
}

@Suite struct AvroBinaryTests {
    /// The specification's examples, and the edges of the varint encoding.
    @Test(arguments: [
        (AvroValue.long(0), "00"), (.long(-1), "01"), (.long(1), "02"), (.long(-2), "03"), (.long(2), "04"),
        (.long(-64), "7f"), (.long(64), "80 01"), (.long(Int64.max), "fe ff ff ff ff ff ff ff ff 01"),
        (.long(Int64.min), "ff ff ff ff ff ff ff ff ff 01"),
    ])
    func longs(value: AvroValue, bytes: String) throws {
        #expect(try AvroBinary.encode(value, as: AvroSchema(.long)) == hex(bytes))
        #expect(try AvroBinary.decode(hex(bytes), as: AvroSchema(.long)) == value)
    }

    @Test func specExamples() throws {
        #expect(try AvroBinary.encode(.string("foo"), as: AvroSchema(.string)) == hex("06 66 6f 6f"))
        #expect(try AvroBinary.encode(.int(Int32.min), as: AvroSchema(.int)) == hex("ff ff ff ff 0f"))
        #expect(try AvroBinary.encode(.null, as: AvroSchema(.null)) == [])
        #expect(try AvroBinary.encode(.boolean(true), as: AvroSchema(.boolean)) == [1])
        #expect(try AvroBinary.encode(.float(1), as: AvroSchema(.float)) == hex("00 00 80 3f"))
        #expect(try AvroBinary.encode(.double(1), as: AvroSchema(.double)) == hex("00 00 00 00 00 00 f0 3f"))
        let record = try AvroSchema.parse(#"{"type":"record","name":"test","fields":[{"name":"a","type":"long"},{"name":"b","type":"string"}]}"#)
        #expect(try AvroBinary.encode(.record([.long(27), .string("foo")]), as: record) == hex("36 06 66 6f 6f"))
        let array = AvroSchema(.array(AvroSchema(.long)))
        #expect(try AvroBinary.encode(.array([.long(3), .long(27)]), as: array) == hex("04 06 36 00"))
        let union = try AvroSchema.parse(#"["null","string"]"#)
        #expect(try AvroBinary.encode(.null, as: union) == hex("00"))
        #expect(try AvroBinary.encode(.string("a"), as: union) == hex("02 02 61"))
        #expect(try AvroBinary.decode(hex("02 02 61"), as: union) == .string("a"))
        // A negative block count is followed by the block's size in bytes.
        #expect(try AvroBinary.decode(hex("03 04 06 36 00"), as: array) == .array([.long(3), .long(27)]))
        let map = AvroSchema(.map(AvroSchema(.int)))
        #expect(try AvroBinary.decode(hex("02 02 61 02 01 08 02 62 04 00"), as: map) == .map(["a": .int(1), "b": .int(2)]))
    }

    static let everyType = try! AvroSchema.parse(#"""
        {"type":"record","name":"all","namespace":"t","fields":[
          {"name":"n","type":"null"},{"name":"b","type":"boolean"},{"name":"i","type":"int"},{"name":"l","type":"long"},
          {"name":"f","type":"float"},{"name":"d","type":"double"},{"name":"by","type":"bytes"},{"name":"s","type":"string"},
          {"name":"fx","type":{"type":"fixed","name":"four","size":4}},
          {"name":"e","type":{"type":"enum","name":"color","symbols":["RED","GREEN","BLUE"]}},
          {"name":"a","type":{"type":"array","items":["null","long"]}},
          {"name":"m","type":{"type":"map","values":"string"}},
          {"name":"u","type":["null","int","string","four",{"type":"record","name":"pair","fields":[{"name":"x","type":"int"}]}]},
          {"name":"nested","type":{"type":"array","items":"pair"}}
        ]}
        """#)

    static let everyValue: [AvroValue] = [
        .record([.null, .boolean(true), .int(-7), .long(1 << 40), .float(1.5), .double(-2.25), .bytes([0, 255]), .string("héllo"),
                 .fixed([1, 2, 3, 4]), .enumeration(2), .array([.null, .long(5)]), .map(["k": .string("v"), "": .string("")]), .int(3),
                 .array([.record([.int(9)])])]),
        .record([.null, .boolean(false), .int(Int32.max), .long(Int64.min), .float(-0.0), .double(.infinity), .bytes([]), .string(""),
                 .fixed([0, 0, 0, 0]), .enumeration(0), .array([]), .map([:]), .null, .array([])]),
        .record([.null, .boolean(false), .int(0), .long(0), .float(0), .double(0), .bytes([1]), .string("x"),
                 .fixed([9, 9, 9, 9]), .enumeration(1), .array([]), .map([:]), .string("s"), .array([])]),
        .record([.null, .boolean(false), .int(0), .long(0), .float(0), .double(0), .bytes([1]), .string("x"),
                 .fixed([9, 9, 9, 9]), .enumeration(1), .array([]), .map([:]), .fixed([5, 6, 7, 8]), .array([])]),
        .record([.null, .boolean(false), .int(0), .long(0), .float(0), .double(0), .bytes([1]), .string("x"),
                 .fixed([9, 9, 9, 9]), .enumeration(1), .array([]), .map([:]), .record([.int(-1)]), .array([])]),
    ]

    @Test func roundTripsEveryType() throws {
        for value in Self.everyValue {
            let bytes = try AvroBinary.encode(value, as: Self.everyType)
            #expect(try AvroBinary.decode(bytes, as: Self.everyType) == value)
        }
    }

    @Test func unionPicksTheFirstBranchThatFits() throws {
        let union = AvroSchema(.union([AvroSchema(.null), AvroSchema(.long), AvroSchema(.double)]))
        #expect(try AvroBinary.encode(.long(1), as: union) == hex("02 02"))
        #expect(try AvroBinary.encode(.int(1), as: union) == hex("02 02"))
        #expect(try AvroBinary.encode(.double(1), as: union).first == 4)
        #expect(throws: AvroError.self) { try AvroBinary.encode(.string("x"), as: union) }
        #expect(throws: AvroError.self) { try AvroBinary.encode(.long(1), as: AvroSchema(.int)) }
        #expect(throws: AvroError.self) { try AvroBinary.encode(.fixed([1]), as: AvroSchema(.fixed(name: "f", size: 2))) }
        #expect(throws: AvroError.self) { try AvroBinary.encode(.enumeration(3), as: AvroSchema(.enumeration(name: "e", symbols: ["A"]))) }
        #expect(throws: AvroError.self) { try AvroBinary.encode(.record([]), as: Self.everyType) }
    }

    @Test(arguments: [
        ("long", "80"), ("long", "ff ff ff ff ff ff ff ff ff 02"), ("long", "ff ff ff ff ff ff ff ff ff ff 01"),
        ("int", "80 80 80 80 10"), ("boolean", "02"), ("string", "7e 61"), ("bytes", "fe ff ff ff ff ff ff ff ff 01"),
        ("bytes", "01"), ("float", "00 00 80"), ("double", "00"), ("long", "02 00"),
        (#"["null","int"]"#, "04"), (#"["null","int"]"#, "01"), (#"{"type":"enum","name":"e","symbols":["A"]}"#, "02"),
        (#"{"type":"fixed","name":"f","size":3}"#, "01 02"), (#"{"type":"array","items":"long"}"#, "fe ff ff ff ff ff ff ff 7f"),
        (#"{"type":"array","items":"null"}"#, "fe ff ff ff ff ff ff ff 7f"), (#"{"type":"array","items":"long"}"#, "ff ff ff ff ff ff ff ff ff 01 00"),
        (#"{"type":"array","items":"long"}"#, "03 7e 02"), (#"{"type":"map","values":"long"}"#, "02 02 61"),
        (#"{"type":"map","values":"null"}"#, "fe ff ff ff 0f"),
    ])
    func malformedValues(schema: String, bytes: String) throws {
        let parsed = try AvroSchema.parse(schema.hasPrefix("{") || schema.hasPrefix("[") ? schema : "\"\(schema)\"")
        #expect(throws: AvroError.self) { try AvroBinary.decode(hex(bytes), as: parsed) }
    }

    @Test func everyTruncationThrows() throws {
        for value in Self.everyValue {
            let bytes = try AvroBinary.encode(value, as: Self.everyType)
            for length in 0..<bytes.count {
                #expect(throws: AvroError.self) { try AvroBinary.decode(Array(bytes[..<length]), as: Self.everyType) }
            }
        }
    }
}
