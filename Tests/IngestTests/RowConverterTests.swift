import IcebergData
import IcebergModel
import Testing

@testable import Ingest

struct RowConverterTests {
    static let schema = IcebergSchema(schemaID: 0, fields: [
        IcebergField(id: 1, name: "id", required: true, type: .long),
        IcebergField(id: 2, name: "n", required: false, type: .int),
        IcebergField(id: 3, name: "price", required: false, type: .decimal(precision: 6, scale: 2)),
        IcebergField(id: 4, name: "day", required: false, type: .date),
        IcebergField(id: 5, name: "ts", required: false, type: .timestamp),
        IcebergField(id: 6, name: "tz", required: false, type: .timestamptz),
        IcebergField(id: 7, name: "ok", required: false, type: .boolean),
        IcebergField(id: 8, name: "name", required: false, type: .string),
        IcebergField(id: 9, name: "x", required: false, type: .double),
        IcebergField(id: 10, name: "tags", required: false, type: .list(elementID: 12, elementRequired: false, element: .string)),
        IcebergField(id: 11, name: "user", required: false, type: .structType([IcebergField(id: 13, name: "age", required: false, type: .int)])),
    ])
    static let header = ["id", "n", "price", "day", "ts", "tz", "ok", "name", "x", "tags", "user"]

    @Test func csvRow() throws {
        let record = TextRecord(
            fields: ["7", " 42 ", "12.5", "2026-11-30", "2026-11-30 12:00:00.5", "2026-11-30T12:00:00+01:00", "true", " keep spaces ", "1e3", "[\"a\",null]", "{\"age\": 3}"],
            line: 2)
        let row = try RowConverter.row(record, header: Self.header, schema: Self.schema)
        let days: Int32 = 20_787  // 2026-11-30
        let noon = Int64(days) * 86_400_000_000 + 12 * 3_600_000_000
        #expect(row == [
            .long(7), .int(42), .decimal(unscaled: 1250, scale: 2), .date(days), .timestamp(noon + 500_000), .timestamptz(noon - 3_600_000_000),
            .boolean(true), .string(" keep spaces "), .double(1000), .list([.string("a"), .null]), .structValue([.int(3)]),
        ])
    }

    @Test func csvAbsentColumnsAndRaggedRecords() throws {
        let row = try RowConverter.row(TextRecord(fields: ["1"], line: 3), header: ["id", "name"], schema: Self.schema)
        #expect(row.count == Self.schema.fields.count)
        #expect(row[0] == .long(1) && row[1...].allSatisfy(\.isNull))
        #expect(throws: IngestError.invalid("line 4 has 3 fields but the header has 2")) {
            _ = try RowConverter.row(TextRecord(fields: ["1", "a", "extra"], line: 4), header: ["id", "name"], schema: Self.schema)
        }
        #expect(try RowConverter.row(TextRecord(fields: ["1", "a", "extra"], line: 4), header: ["id", "name"], schema: Self.schema, ignoreExtra: true)[7] == .string("a"))
        #expect(throws: IngestError.invalid("column other is not in the table schema")) {
            _ = try RowConverter.row(TextRecord(fields: ["1", "a"], line: 2), header: ["id", "other"], schema: Self.schema)
        }
        #expect(throws: IngestError.invalid("column id appears twice in the header")) {
            _ = try RowConverter.row(TextRecord(fields: ["1", "2"], line: 2), header: ["id", "id"], schema: Self.schema)
        }
        // Header names match ignoring case when there is no exact match.
        #expect(try RowConverter.row(TextRecord(fields: ["5"], line: 2), header: ["ID"], schema: Self.schema)[0] == .long(5))
    }

    @Test(arguments: [
        ("n", "abc", "column n: cannot read \"abc\" as int"),
        ("n", "2147483648", "column n: cannot read \"2147483648\" as int"),
        ("price", "1.234", "column price: cannot read \"1.234\" as decimal(6, 2) (more digits than the type holds, or not a plain decimal)"),
        ("price", "12345.6", "column price: cannot read \"12345.6\" as decimal(6, 2) (more digits than the type holds, or not a plain decimal)"),
        ("day", "2026-13-01", "column day: cannot read \"2026-13-01\" as date"),
        ("ts", "2026-11-30T12:00:00Z", "column ts: cannot read \"2026-11-30T12:00:00Z\" as timestamp (a zone offset in a timestamp without time zone)"),
        ("ok", "maybe", "column ok: cannot read \"maybe\" as boolean"),
        ("x", "0x1p3", "column x: cannot read \"0x1p3\" as double"),
        ("user", "{\"age\": \"old\"}", "column user.age: cannot read \"old\" as int"),
    ])
    func csvErrorsNameTheColumnAndValue(_ column: String, _ text: String, _ message: String) {
        #expect(throws: IngestError.invalid(message)) {
            _ = try RowConverter.row(TextRecord(fields: ["1", text], line: 2), header: ["id", column], schema: Self.schema)
        }
    }

    @Test func requiredColumn() {
        #expect(throws: IngestError.invalid("column id is required but the value is NULL")) {
            _ = try RowConverter.row(TextRecord(fields: [nil], line: 2), header: ["id"], schema: Self.schema)
        }
        #expect(throws: IngestError.invalid("column id is required but the value is NULL")) {
            _ = try RowConverter.row(["n": 1], schema: Self.schema)
        }
    }

    @Test func jsonRow() throws {
        let object: [String: JSONValue] = [
            "id": 9, "n": .double(3), "price": .double(0.5), "day": "2026-11-30", "ts": "2026-11-30",
            "ok": false, "name": ["nested": true], "x": 2, "tags": ["a", 1], "user": ["AGE": 4],
        ]
        let row = try RowConverter.row(object, schema: Self.schema)
        #expect(row == [
            .long(9), .int(3), .decimal(unscaled: 50, scale: 2), .date(20_787), .timestamp(Int64(20_787) * 86_400_000_000), .null,
            .boolean(false), .string("{\"nested\":true}"), .double(2), .list([.string("a"), .string("1")]), .structValue([.int(4)]),
        ])
    }

    @Test func jsonErrors() throws {
        #expect(throws: IngestError.invalid("column n: cannot read \"1.5\" as int")) { _ = try RowConverter.row(["id": 1, "n": .double(1.5)], schema: Self.schema) }
        #expect(throws: IngestError.invalid("column ok: cannot read \"1\" as boolean")) { _ = try RowConverter.row(["id": 1, "ok": 1], schema: Self.schema) }
        #expect(throws: IngestError.invalid("column extra is not in the table schema")) { _ = try RowConverter.row(["id": 1, "extra": 1], schema: Self.schema) }
        #expect(throws: IngestError.invalid("column user.zip is not in the table schema")) {
            _ = try RowConverter.row(["id": 1, "user": ["zip": 1]], schema: Self.schema)
        }
        #expect(try RowConverter.row(["id": 1, "extra": 1, "user": ["zip": 1]], schema: Self.schema, ignoreExtra: true)[10] == .structValue([.null]))
        #expect(throws: IngestError.invalid("column tags: cannot read \"{}\" as list<string> (expected an array)")) {
            _ = try RowConverter.row(["id": 1, "tags": [:]], schema: Self.schema)
        }
    }

    @Test func otherTypes() throws {
        let schema = IcebergSchema(schemaID: 0, fields: [
            IcebergField(id: 1, name: "u", required: false, type: .uuid),
            IcebergField(id: 2, name: "b", required: false, type: .binary),
            IcebergField(id: 3, name: "t", required: false, type: .time),
            IcebergField(id: 4, name: "f", required: false, type: .float),
            IcebergField(id: 5, name: "m", required: false, type: .map(keyID: 6, key: .int, valueID: 7, valueRequired: false, value: .string)),
            IcebergField(id: 8, name: "ns", required: false, type: .timestampNs),
        ])
        let row = try RowConverter.row(
            TextRecord(fields: ["f79c3e09-677c-4bbd-a479-3f349cb785e7", "0xCAFE", "01:02:03.000004", "-Infinity", "{\"2\":\"b\",\"1\":\"a\"}", "1970-01-01T00:00:00.000000001"], line: 2),
            header: ["u", "b", "t", "f", "m", "ns"], schema: schema)
        #expect(row[0] == .uuid([0xF7, 0x9C, 0x3E, 0x09, 0x67, 0x7C, 0x4B, 0xBD, 0xA4, 0x79, 0x3F, 0x34, 0x9C, 0xB7, 0x85, 0xE7]))
        #expect(row[1] == .binary([0xCA, 0xFE]))
        #expect(row[2] == .time(3_723_000_004))
        #expect(row[3] == .float(-.infinity))
        #expect(row[4] == .map([IcebergMapEntry(key: .int(1), value: .string("a")), IcebergMapEntry(key: .int(2), value: .string("b"))]))
        #expect(row[5] == .timestampNs(1))
    }

    /// Inference and conversion agree: whatever inference accepts converts.
    @Test func inferredSchemaConvertsItsSample() throws {
        let csv = "a,b,c,d,e\n1,1.5,2026-01-01,x,true\n3000000000,-0.25,2026-01-02T03:04:05,,false\n,7,,y,\n"
        var parser = CSVParser()
        let records = try parser.feed(Array(csv.utf8)) + parser.finish()
        let header = try #require(parser.header)
        var inference = SchemaInference()
        for r in records { inference.observe(header: header, record: r) }
        let schema = inference.schema()
        #expect(schema.fields.map(\.type) == [.long, .decimal(precision: 38, scale: 2), .timestamp, .string, .boolean])
        let converter = try TextRowConverter(header: header, schema: schema)
        let rows = try records.map { r throws(IngestError) in try converter.row(r) }
        #expect(rows[1] == [.long(3_000_000_000), .decimal(unscaled: -25, scale: 2), .timestamp((Int64(20_455) * 86_400 + 3 * 3600 + 4 * 60 + 5) * 1_000_000), .null, .boolean(false)])
        #expect(rows[2][1] == .decimal(unscaled: 700, scale: 2))
    }
}
