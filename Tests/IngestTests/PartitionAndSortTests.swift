import IcebergData
import IcebergModel
import Testing

@testable import Ingest

struct PartitionAndSortTests {
    static let schema = IcebergSchema(schemaID: 0, fields: [
        IcebergField(id: 1, name: "id", required: true, type: .long),
        IcebergField(id: 2, name: "ts", required: false, type: .timestamptz),
        IcebergField(id: 3, name: "name", required: false, type: .string),
        IcebergField(id: 4, name: "region", required: false, type: .string),
        IcebergField(id: 5, name: "x", required: false, type: .double),
        IcebergField(id: 6, name: "d", required: false, type: .date),
        IcebergField(id: 7, name: "loc", required: false, type: .structType([IcebergField(id: 8, name: "city", required: false, type: .string)])),
        IcebergField(id: 9, name: "tags", required: false, type: .list(elementID: 10, elementRequired: false, element: .string)),
    ])

    @Test func partitionSpecFromText() throws {
        let spec = try PartitionSpecText.parse("day(ts), bucket(16, id), truncate(4, name), region, void(x), loc.city", schema: Self.schema, specID: 3)
        #expect(spec == PartitionSpec(specID: 3, fields: [
            PartitionField(sourceID: 2, fieldID: 1000, name: "ts_day", transform: .day),
            PartitionField(sourceID: 1, fieldID: 1001, name: "id_bucket", transform: .bucket(16)),
            PartitionField(sourceID: 3, fieldID: 1002, name: "name_trunc", transform: .truncate(4)),
            PartitionField(sourceID: 4, fieldID: 1003, name: "region", transform: .identity),
            PartitionField(sourceID: 5, fieldID: 1004, name: "x_null", transform: .void),
            PartitionField(sourceID: 8, fieldID: 1005, name: "loc.city", transform: .identity),
        ]))
        let more = try PartitionSpecText.parse("identity(region),year(ts),MONTH(d) , hours(ts), bucket(id, 8) AS b, `name`", schema: Self.schema)
        #expect(more.fields.map(\.name) == ["region", "ts_year", "d_month", "ts_hour", "b", "name"])
        #expect(more.fields.map(\.transform) == [.identity, .year, .month, .hour, .bucket(8), .identity])
        #expect(try PartitionSpecText.parse("  ", schema: Self.schema) == PartitionSpec(specID: 0, fields: []))
    }

    @Test(arguments: [
        ("day(nope)", "partition spec: no column nope in \"day(nope)\""),
        ("hour(d)", "partition spec: hour cannot apply to d of type date in \"hour(d)\""),
        ("bucket(4, x)", "partition spec: bucket[4] cannot apply to x of type double in \"bucket(4, x)\""),
        ("bucket(id)", "partition spec: bucket takes a number and a column in \"bucket(id)\""),
        ("bucket(0, id)", "partition spec: bucket needs a positive number in \"bucket(0, id)\""),
        ("week(ts)", "partition spec: unknown transform week in \"week(ts)\""),
        ("tags", "partition spec: identity cannot apply to tags of type list<string> in \"tags\""),
        ("region, region", "partition spec: partition name region is used twice (\"region\")"),
        ("day(ts), day(ts) AS other", "partition spec: \"day(ts) AS other\" repeats a partition field"),
        ("day(ts) AS name", "partition spec: partition name name would shadow a table column (\"day(ts) AS name\")"),
        ("day(ts", "partition spec: missing ')' in \"day(ts\""),
        ("day(ts),", "partition spec: a term is missing after the last ','"),
        ("region junk", "partition spec: unexpected \"junk\" in \"region junk\""),
    ])
    func badPartitionSpecs(_ text: String, _ message: String) {
        #expect(throws: IngestError.invalid(message)) { _ = try PartitionSpecText.parse(text, schema: Self.schema) }
    }

    @Test func sortOrderFromText() throws {
        let order = try SortOrderText.parse("id, ts DESC, name ASC NULLS LAST, region desc nulls first, bucket(4, id)", schema: Self.schema)
        let expected: JSONValue = [
            "order-id": 1,
            "fields": [
                ["transform": "identity", "source-id": 1, "direction": "asc", "null-order": "nulls-first"],
                ["transform": "identity", "source-id": 2, "direction": "desc", "null-order": "nulls-last"],
                ["transform": "identity", "source-id": 3, "direction": "asc", "null-order": "nulls-last"],
                ["transform": "identity", "source-id": 4, "direction": "desc", "null-order": "nulls-first"],
                ["transform": "bucket[4]", "source-id": 1, "direction": "asc", "null-order": "nulls-first"],
            ],
        ]
        #expect(order == expected)
        #expect(try SortOrderText.parse("", schema: Self.schema) == ["order-id": 0, "fields": []])
    }

    @Test(arguments: [
        ("nope", "sort order: no column nope in \"nope\""),
        ("id sideways", "sort order: unexpected \"sideways\" in \"id sideways\""),
        ("id DESC NULLS", "sort order: unexpected \"NULLS\" in \"id DESC NULLS\""),
        ("tags", "sort order: identity cannot apply to tags of type list<string> in \"tags\""),
    ])
    func badSortOrders(_ text: String, _ message: String) {
        #expect(throws: IngestError.invalid(message)) { _ = try SortOrderText.parse(text, schema: Self.schema) }
    }
}
