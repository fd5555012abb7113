import IcebergModel
import Testing

@testable import Avro

@Suite struct AvroResolverTests {
    static func record(_ name: String, _ fields: [AvroField]) -> AvroSchema {
        AvroSchema(.record(AvroRecordSchema(name: name, fields: fields)))
    }

    @Test func identicalSchemasPassValuesThrough() throws {
        let resolver = try AvroResolver(writer: AvroBinaryTests.everyType, reader: AvroBinaryTests.everyType)
        #expect(resolver.isIdentity)
        for value in AvroBinaryTests.everyValue { #expect(try resolver.resolve(value) == value) }
    }

    @Test func fieldsByIDThenName() throws {
        let writer = Self.record("w", [
            AvroField(name: "a", schema: AvroSchema(.int), fieldID: 1),
            AvroField(name: "old_name", schema: AvroSchema(.string), fieldID: 2),
            AvroField(name: "dropped", schema: AvroSchema(.long), fieldID: 3),
            AvroField(name: "c", schema: AvroSchema(.float)),
            AvroField(name: "reused", schema: AvroSchema(.long), fieldID: 9),
        ])
        let reader = Self.record("r", [
            AvroField(name: "new_name", schema: AvroSchema(.bytes), fieldID: 2),              // renamed, string → bytes
            AvroField(name: "a", schema: AvroSchema(.long), fieldID: 1),                      // int → long
            AvroField(name: "c", schema: AvroSchema(.double)),                                // by name, float → double
            AvroField(name: "added", schema: .optional(AvroSchema(.int)), fieldID: 4),       // optional: null
            AvroField(name: "with_default", schema: AvroSchema(.string), fieldID: 5, defaultValue: "x"),
            AvroField(name: "reused", schema: .optional(AvroSchema(.long)), fieldID: 10),    // same name, other id: not matched
        ])
        let resolver = try AvroResolver(writer: writer, reader: reader)
        let value = AvroValue.record([.int(7), .string("hi"), .long(99), .float(1.5), .long(5)])
        #expect(try resolver.resolve(value) == .record([.bytes(Array("hi".utf8)), .long(7), .double(1.5), .null, .string("x"), .null]))
    }

    @Test func aliasesAndDefaults() throws {
        let writer = try AvroSchema.parse(#"{"type":"record","name":"w","fields":[{"name":"before","type":"int"}]}"#)
        let reader = try AvroSchema.parse(#"""
            {"type":"record","name":"r","fields":[
              {"name":"after","aliases":["before"],"type":"long"},
              {"name":"bytes","type":"bytes","default":"\u00ff\u0001"},
              {"name":"fixed","type":{"type":"fixed","name":"two","size":2},"default":"ab"},
              {"name":"list","type":{"type":"array","items":"double"},"default":[1,2.5]},
              {"name":"map","type":{"type":"map","values":"int"},"default":{"k":3}},
              {"name":"nested","type":{"type":"record","name":"n","fields":[{"name":"x","type":"int"},{"name":"y","type":["null","string"]}]},"default":{"x":4}},
              {"name":"union","type":["long","null"],"default":12},
              {"name":"color","type":{"type":"enum","name":"c","symbols":["R","G"]},"default":"G"}
            ]}
            """#)
        let resolver = try AvroResolver(writer: writer, reader: reader)
        #expect(try resolver.resolve(.record([.int(-3)])) == .record([
            .long(-3), .bytes([0xFF, 1]), .fixed([0x61, 0x62]), .array([.double(1), .double(2.5)]), .map(["k": .int(3)]),
            .record([.int(4), .null]), .long(12), .enumeration(1),
        ]))
    }

    @Test func missingRequiredFieldFails() throws {
        let writer = Self.record("w", [])
        let reader = Self.record("r", [AvroField(name: "x", schema: AvroSchema(.int))])
        #expect(throws: AvroError.self) { try AvroResolver(writer: writer, reader: reader) }
        #expect(throws: AvroError.self) { try AvroResolver(writer: AvroSchema(.string), reader: AvroSchema(.int)) }
        #expect(throws: AvroError.self) { try AvroResolver(writer: AvroSchema(.long), reader: AvroSchema(.int)) }
        #expect(throws: AvroError.self) {
            try AvroResolver(writer: AvroSchema(.fixed(name: "a", size: 2)), reader: AvroSchema(.fixed(name: "a", size: 3)))
        }
    }

    @Test(arguments: [
        (AvroType.int, AvroValue.int(5), AvroType.long, AvroValue.long(5)),
        (.int, .int(5), .float, .float(5)), (.int, .int(5), .double, .double(5)),
        (.long, .long(5), .float, .float(5)), (.long, .long(5), .double, .double(5)),
        (.float, .float(0.5), .double, .double(0.5)),
        (.string, .string("é"), .bytes, .bytes([0xC3, 0xA9])), (.bytes, .bytes([0x61]), .string, .string("a")),
    ])
    func promotions(writer: AvroType, value: AvroValue, reader: AvroType, expected: AvroValue) throws {
        #expect(try AvroResolver(writer: AvroSchema(writer), reader: AvroSchema(reader)).resolve(value) == expected)
    }

    @Test func unionsArraysMapsAndEnums() throws {
        // Writer union → reader union: each branch resolved by the decoded value.
        let writer = try AvroSchema.parse(#"["null","int","string"]"#)
        let reader = try AvroSchema.parse(#"["null","long","bytes"]"#)
        let resolver = try AvroResolver(writer: writer, reader: reader)
        #expect(try resolver.resolve(.null) == .null)
        #expect(try resolver.resolve(.int(3)) == .long(3))
        #expect(try resolver.resolve(.string("z")) == .bytes([0x7A]))
        // Writer plain → reader optional, and writer optional → reader plain (null then fails).
        #expect(try AvroResolver(writer: AvroSchema(.int), reader: .optional(AvroSchema(.long))).resolve(.int(2)) == .long(2))
        let narrowing = try AvroResolver(writer: .optional(AvroSchema(.int)), reader: AvroSchema(.long))
        #expect(try narrowing.resolve(.int(2)) == .long(2))
        #expect(throws: AvroError.self) { try narrowing.resolve(.null) }

        let arrays = try AvroResolver(writer: AvroSchema(.array(AvroSchema(.int))), reader: AvroSchema(.array(AvroSchema(.double))))
        #expect(try arrays.resolve(.array([.int(1), .int(2)])) == .array([.double(1), .double(2)]))
        let maps = try AvroResolver(writer: AvroSchema(.map(AvroSchema(.float))), reader: AvroSchema(.map(AvroSchema(.double))))
        #expect(try maps.resolve(.map(["a": .float(2)])) == .map(["a": .double(2)]))

        let writerEnum = AvroSchema(.enumeration(name: "e", symbols: ["A", "B", "C"]))
        let readerEnum = AvroSchema(.enumeration(name: "e", symbols: ["C", "A"]))
        let enums = try AvroResolver(writer: writerEnum, reader: readerEnum)
        #expect(try enums.resolve(.enumeration(0)) == .enumeration(1))
        #expect(try enums.resolve(.enumeration(2)) == .enumeration(0))
        #expect(throws: AvroError.self) { try enums.resolve(.enumeration(1)) }
        let withDefault = AvroSchema(.enumeration(name: "e", symbols: ["C", "A"]), properties: ["default": "C"])
        #expect(try AvroResolver(writer: writerEnum, reader: withDefault).resolve(.enumeration(1)) == .enumeration(0))
    }

    /// Iceberg's v1 manifest list read with a v2-style reader schema: content defaults to 0,
    /// sequence numbers are optional, the renamed counts are matched by field id.
    @Test func v1ManifestListAsV2() throws {
        let writer = try AvroSchema.parse(#"""
            {"type":"record","name":"manifest_file","fields":[
              {"name":"manifest_path","type":"string","field-id":500},
              {"name":"added_data_files_count","type":["null","int"],"default":null,"field-id":504}]}
            """#)
        let reader = try AvroSchema.parse(#"""
            {"type":"record","name":"manifest_file","fields":[
              {"name":"manifest_path","type":"string","field-id":500},
              {"name":"content","type":"int","default":0,"field-id":517},
              {"name":"sequence_number","type":["null","long"],"field-id":515},
              {"name":"added_files_count","type":["null","int"],"field-id":504}]}
            """#)
        let resolver = try AvroResolver(writer: writer, reader: reader)
        #expect(try resolver.resolve(.record([.string("p"), .int(3)])) == .record([.string("p"), .int(0), .null, .int(3)]))
        #expect(try resolver.resolve(.record([.string("p"), .null])) == .record([.string("p"), .int(0), .null, .null]))
        #expect(throws: AvroError.self) { try resolver.resolve(.long(1)) }
    }
}
