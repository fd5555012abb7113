import IcebergModel
import Testing

@testable import Avro

@Suite struct AvroSchemaTests {
    @Test(arguments: [
        ("\"null\"", AvroType.null), ("\"boolean\"", .boolean), ("\"int\"", .int), ("\"long\"", .long),
        ("\"float\"", .float), ("\"double\"", .double), ("\"bytes\"", .bytes), ("\"string\"", .string),
        ("{\"type\": \"string\"}", .string), ("[\"null\", \"long\"]", .union([AvroSchema(.null), AvroSchema(.long)])),
    ])
    func primitivesAndUnions(text: String, expected: AvroType) throws {
        #expect(try AvroSchema.parse(text) == AvroSchema(expected))
    }

    @Test func logicalTypesAndProperties() throws {
        let date = try AvroSchema.parse(#"{"type": "int", "logicalType": "date"}"#)
        #expect(date == AvroSchema(.int, logicalType: "date"))
        let decimal = try AvroSchema.parse(#"{"type": "fixed", "name": "decimal_9_2", "size": 4, "logicalType": "decimal", "precision": 9, "scale": 2}"#)
        #expect(decimal.type == .fixed(name: "decimal_9_2", size: 4))
        #expect(decimal.logicalType == "decimal")
        #expect(decimal.properties == ["precision": 9, "scale": 2])
        let timestamp = try AvroSchema.parse(#"{"type": "long", "logicalType": "timestamp-micros", "adjust-to-utc": true}"#)
        #expect(timestamp.properties["adjust-to-utc"] == .bool(true))
        let list = try AvroSchema.parse(#"{"type": "array", "items": "int", "element-id": 4}"#)
        #expect(list == AvroSchema(.array(AvroSchema(.int)), properties: ["element-id": 4]))
        let map = try AvroSchema.parse(#"{"type": "map", "values": ["null", "long"], "key-id": 6, "value-id": 7}"#)
        #expect(map.properties == ["key-id": 6, "value-id": 7])
    }

    /// The manifest-list schema Iceberg's Java writer puts in snap-*.avro headers (shortened).
    static let manifestList = #"""
        {"type":"record","name":"manifest_file","fields":[
          {"name":"manifest_path","type":"string","doc":"Location URI with FS scheme","field-id":500},
          {"name":"partitions","type":["null",{"type":"array","items":{"type":"record","name":"r508","fields":[
             {"name":"contains_null","type":"boolean","doc":"True if any file has a null partition value","field-id":509},
             {"name":"lower_bound","type":["null","bytes"],"doc":"Partition lower bound for all files","default":null,"field-id":510}]},
           "element-id":508}],"doc":"Summary for each partition","default":null,"field-id":507},
          {"name":"key_metadata","type":["null","bytes"],"default":null,"field-id":519,"aliases":["km"],"x-extra":{"a":[1]}}]}
        """#

    @Test func icebergRecord() throws {
        let schema = try AvroSchema.parse(Self.manifestList)
        guard case .record(let record) = schema.type else { Issue.record("not a record"); return }
        #expect(record.name == "manifest_file")
        #expect(record.namespace == nil)
        #expect(record.fields.map(\.name) == ["manifest_path", "partitions", "key_metadata"])
        #expect(record.fields.map(\.fieldID) == [500, 507, 519])
        #expect(record.fields[0].doc == "Location URI with FS scheme")
        #expect(record.fields[0].defaultValue == nil)
        #expect(record.fields[1].defaultValue == .null)
        #expect(record.fields[2].aliases == ["km"])
        #expect(record.fields[2].properties["x-extra"] == ["a": [1]])
        guard case .union(let branches) = record.fields[1].schema.type, case .array(let items) = branches[1].type,
            case .record(let summary) = items.type
        else { Issue.record("partitions shape"); return }
        #expect(branches[1].properties["element-id"] == 508)
        #expect(summary.name == "r508")
        #expect(summary.fields[1].schema.isNullable)
    }

    @Test func namedReferencesAndNamespaces() throws {
        let schema = try AvroSchema.parse(#"""
            {"type": "record", "name": "Outer", "namespace": "com.example", "fields": [
              {"name": "a", "type": {"type": "fixed", "name": "MD5", "size": 16}},
              {"name": "b", "type": "MD5"},
              {"name": "c", "type": "com.example.MD5"},
              {"name": "d", "type": {"type": "enum", "name": "Suit", "namespace": "cards", "symbols": ["SPADES", "HEARTS"]}},
              {"name": "e", "type": ["null", "cards.Suit"]},
              {"name": "f", "type": {"type": "record", "name": "Inner", "fields": [{"name": "x", "type": "int"}]}},
              {"name": "g", "type": {"type": "array", "items": "Inner"}},
              {"name": "h", "type": {"type": "record", "name": "Top", "namespace": "", "fields": []}}
            ]}
            """#)
        guard case .record(let outer) = schema.type else { Issue.record("not a record"); return }
        #expect(outer.fullName == "com.example.Outer")
        let md5 = AvroType.fixed(name: "com.example.MD5", size: 16)
        #expect(outer.fields[0].schema.type == md5)
        #expect(outer.fields[1].schema.type == md5)
        #expect(outer.fields[2].schema.type == md5)
        let suit = AvroType.enumeration(name: "cards.Suit", symbols: ["SPADES", "HEARTS"])
        #expect(outer.fields[3].schema.type == suit)
        #expect(outer.fields[4].schema.type == .union([AvroSchema(.null), AvroSchema(suit)]))
        guard case .record(let inner) = outer.fields[5].schema.type else { Issue.record("inner"); return }
        #expect(inner.fullName == "com.example.Inner")
        #expect(outer.fields[6].schema.type == .array(outer.fields[5].schema))
        guard case .record(let top) = outer.fields[7].schema.type else { Issue.record("top"); return }
        #expect(top.fullName == "Top")

        // The rendered form defines each name once and parses back equal.
        let text = schema.jsonText
        #expect(try AvroSchema.parse(text) == schema)
        #expect(try AvroSchema.parse(schema.json) == schema)
        #expect(text.split(separator: "\"size\"").count == 2)
    }

    @Test func jsonRoundTrips() throws {
        for text in [Self.manifestList, #"{"type":"int","logicalType":"date"}"#, #"["null","string",{"type":"map","values":"long"}]"#,
            #"{"type":"enum","name":"E","symbols":["A","B"],"default":"A","doc":"d"}"#,
            #"{"type":"record","name":"r","fields":[{"name":"f","type":"double","default":1.5}]}"#]
        {
            let schema = try AvroSchema.parse(text)
            #expect(try AvroSchema.parse(schema.jsonText) == schema, "\(text)")
        }
        #expect(AvroSchema(.long).jsonText == "\"long\"")
        #expect(AvroSchema(.int, logicalType: "date").jsonText == #"{"logicalType":"date","type":"int"}"#)
    }

    @Test(arguments: [
        "", "nope", "42", "\"integer\"", "{}", #"{"type": "record", "name": "r"}"#, #"{"type": "record", "fields": []}"#,
        #"{"type": "array"}"#, #"{"type": "map"}"#, #"{"type": "fixed", "name": "f"}"#, #"{"type": "fixed", "name": "f", "size": -1}"#,
        #"{"type": "enum", "name": "e", "symbols": ["A", "A"]}"#, #"["null", "null"]"#, #"["null", ["int"]]"#,
        #"{"type": "record", "name": "r", "fields": [{"name": "a", "type": "int"}, {"name": "a", "type": "long"}]}"#,
        #"{"type": "record", "name": "r", "fields": [{"name": "a", "type": "r"}]}"#,
        #"{"type": "record", "name": "r", "fields": [{"name": "a", "type": {"type": "fixed", "name": "r", "size": 1}}]}"#,
        #"{"type": "record", "name": "r", "fields": [{"type": "int"}]}"#,
        #"{"type": "record", "name": "r", "fields": [{"name": "a", "type": "Unknown"}]}"#,
    ])
    func invalidSchemas(text: String) {
        #expect(throws: AvroError.self) { try AvroSchema.parse(text) }
    }

    @Test func depthIsBounded() {
        let deep = String(repeating: #"{"type":"array","items":"#, count: 50) + "\"int\"" + String(repeating: "}", count: 50)
        #expect(throws: AvroError.self) { try AvroSchema.parse(deep) }
        var schema = AvroSchema(.int)
        for _ in 0..<60 { schema = AvroSchema(.array(schema)) }
        #expect(throws: AvroError.self) { try AvroSchema.parse(schema.json) }
    }
}
