import IcebergData
import IcebergModel
import Testing

@testable import Ingest

struct SchemaInferenceTests {
    /// Infers one CSV column over the given values (nil = NULL).
    static func csvType(_ values: [String?]) -> IcebergType? {
        var inference = SchemaInference()
        for (i, v) in values.enumerated() { inference.observe(header: ["c"], record: TextRecord(fields: [v], line: i + 2)) }
        return inference.schema().fields.first?.type
    }

    @Test(arguments: [
        ([nil, nil], IcebergType.string),
        (["true", "FALSE", nil], .boolean),
        (["1", "-2", "+3"], .long),
        (["1", "2147483648"], .long),
        (["1", "2147483648", "1.25"], .decimal(precision: 38, scale: 2)),
        (["0.5", "12.125"], .decimal(precision: 38, scale: 3)),
        (["123456789012345678901234567890"], .decimal(precision: 38, scale: 0)),
        (["1", "1.5", "2e10"], .double),
        (["1", "NaN"], .double),
        (["1.5", "0.\(String(repeating: "1", count: 38))", "12"], .double),
        (["007", "1"], .string),
        (["1", "x"], .string),
        (["true", "1"], .string),
        (["2026-11-30", nil], .date),
        (["2026-11-30T12:00:00", "2026-11-30 12:00:00.123456"], .timestamp),
        (["2026-11-30", "2026-11-30T12:00:00"], .timestamp),
        (["2026-11-30T12:00:00Z", "2026-11-30T12:00:00.5+05:30"], .timestamptz),
        (["2026-11-30T12:00:00Z", "2026-11-30T12:00:00"], .string),
        (["2026-02-30"], .string),
        (["2026-11-30T12:00:00.123456789"], .string),
    ] as [([String?], IcebergType)])
    func csvWidening(_ values: [String?], _ expected: IcebergType) {
        #expect(Self.csvType(values) == expected, "\(values)")
    }

    @Test func csvColumnsAndIDs() {
        var inference = SchemaInference()
        let header = ["id", "name", "ts"]
        inference.observe(header: header, record: TextRecord(fields: ["1", "a", "2026-01-01T00:00:00Z"], line: 2))
        inference.observe(header: header, record: TextRecord(fields: ["2"], line: 3))  // ragged: the rest NULL
        let schema = inference.schema()
        #expect(schema.fields == [
            IcebergField(id: 1, name: "id", required: false, type: .long),
            IcebergField(id: 2, name: "name", required: false, type: .string),
            IcebergField(id: 3, name: "ts", required: false, type: .timestamptz),
        ])
    }

    @Test func jsonKindsNestedStructsAndLists() throws {
        var inference = SchemaInference()
        let lines = [
            #"{"id": 1, "price": 1.5, "ok": true, "when": "2026-11-30", "user": {"name": "a", "age": 3}, "tags": ["x"], "text": "123"}"#,
            #"{"id": 3000000000, "price": 2, "ok": null, "when": "2026-12-01", "user": {"name": "b", "geo": {"lat": 1.25}}, "tags": [], "nums": [1, 2.5], "text": "x"}"#,
            #"{"id": 5, "mixed": 1, "user": null}"#,
            #"{"mixed": "a", "empty": {}, "nothing": null}"#,
        ]
        for l in lines {
            guard case .object(let o) = try JSONText.parse(l) else { Issue.record("not an object"); return }
            inference.observe(o)
        }
        let schema = inference.schema()
        func type(_ name: String) -> IcebergType? { schema.fields.first { $0.name == name }?.type }
        #expect(type("id") == .long)
        #expect(type("price") == .decimal(precision: 38, scale: 1))
        #expect(type("ok") == .boolean)
        #expect(type("when") == .date)
        #expect(type("text") == .string)  // a JSON string stays a string even when it looks numeric
        #expect(type("mixed") == .string)
        #expect(type("empty") == .string)
        #expect(type("nothing") == .string)
        // First object's keys in sorted order, then new keys as they appear (sorted within an object).
        #expect(schema.fields.map(\.name) == ["id", "ok", "price", "tags", "text", "user", "when", "nums", "mixed", "empty", "nothing"])
        #expect(schema.fields.map(\.id) == Array(1...11))
        // Nested ids come after all top-level ids, in order.
        guard case .list(let tagsID, false, .string)? = type("tags") else { Issue.record("tags: \(String(describing: type("tags")))"); return }
        #expect(tagsID == 12)
        guard case .structType(let user)? = type("user") else { Issue.record("user"); return }
        #expect(user.map(\.name) == ["age", "name", "geo"])
        #expect(user.map(\.id) == [13, 14, 15])
        #expect(user[0].type == .long)
        guard case .structType(let geo) = user[2].type else { Issue.record("geo"); return }
        #expect(geo == [IcebergField(id: 16, name: "lat", required: false, type: .decimal(precision: 38, scale: 2))])
        guard case .list(17, false, .decimal(precision: 38, scale: 1))? = type("nums") else { Issue.record("nums: \(String(describing: type("nums")))"); return }
    }

    @Test func jsonNumberWidening() throws {
        func infer(_ values: [JSONValue]) -> IcebergType? {
            var inference = SchemaInference()
            for v in values { inference.observe(["v": v]) }
            return inference.schema().fields.first?.type
        }
        #expect(infer([1, 2]) == .long)
        #expect(infer([1, .int(1 << 40)]) == .long)
        #expect(infer([.int(1 << 40), .double(0.25)]) == .decimal(precision: 38, scale: 2))
        #expect(infer([1, .double(1e300)]) == .double)
        #expect(infer(["2026-11-30T12:00:00Z"]) == .timestamptz)
        #expect(infer([1, "1"]) == .string)
        #expect(infer([[1], 1]) == .string)
    }
}
