import IcebergData
import Testing

@testable import Ingest

struct SchemaMergeTests {
    static let table = IcebergSchema(schemaID: 2, fields: [
        IcebergField(id: 1, name: "id", required: true, type: .int),
        IcebergField(id: 2, name: "name", required: false, type: .string),
        IcebergField(id: 3, name: "amount", required: false, type: .decimal(precision: 9, scale: 2)),
        IcebergField(id: 4, name: "loc", required: false, type: .structType([IcebergField(id: 5, name: "city", required: false, type: .string)])),
        IcebergField(id: 6, name: "score", required: false, type: .float),
    ])

    static func incoming(_ fields: [IcebergField]) -> IcebergSchema { IcebergSchema(schemaID: 0, fields: fields) }

    @Test func unchangedIsNil() throws {
        #expect(try SchemaMerge.merge(table: Self.table, incoming: Self.table, lastColumnID: 6) == nil)
        // Narrower incoming types fit the table's: nothing to change.
        let narrower = Self.incoming([
            IcebergField(id: 1, name: "ID", required: false, type: .int),
            IcebergField(id: 2, name: "amount", required: false, type: .decimal(precision: 5, scale: 1)),
        ])
        #expect(try SchemaMerge.merge(table: Self.table, incoming: narrower, lastColumnID: 6) == nil)
    }

    @Test func addedColumnsGetFreshIDs() throws {
        let incoming = Self.incoming([
            IcebergField(id: 1, name: "id", required: false, type: .int),
            IcebergField(id: 2, name: "extra", required: false, type: .string),
            IcebergField(id: 3, name: "loc", required: false, type: .structType([
                IcebergField(id: 4, name: "city", required: false, type: .string),
                IcebergField(id: 5, name: "zip", required: false, type: .string),
            ])),
            IcebergField(id: 6, name: "tags", required: false, type: .list(elementID: 7, elementRequired: false, element: .structType([
                IcebergField(id: 8, name: "k", required: false, type: .string),
            ]))),
        ])
        let merged = try #require(try SchemaMerge.merge(table: Self.table, incoming: incoming, lastColumnID: 10))
        #expect(merged.lastColumnID == 15)
        #expect(merged.schema.schemaID == 3)
        let fields = merged.schema.fields
        #expect(fields.map(\.name) == ["id", "name", "amount", "loc", "score", "extra", "tags"])
        #expect(fields[0].required)  // existing columns keep their settings
        #expect(fields[5] == IcebergField(id: 11, name: "extra", required: false, type: .string))
        #expect(fields[3].type == .structType([
            IcebergField(id: 5, name: "city", required: false, type: .string),
            IcebergField(id: 12, name: "zip", required: false, type: .string),
        ]))
        #expect(fields[6] == IcebergField(id: 13, name: "tags", required: false, type: .list(elementID: 14, elementRequired: false, element: .structType([
            IcebergField(id: 15, name: "k", required: false, type: .string),
        ]))))
    }

    @Test func allowedPromotions() throws {
        let incoming = Self.incoming([
            IcebergField(id: 1, name: "id", required: false, type: .long),
            IcebergField(id: 2, name: "amount", required: false, type: .decimal(precision: 12, scale: 2)),
            IcebergField(id: 3, name: "score", required: false, type: .double),
        ])
        let merged = try #require(try SchemaMerge.merge(table: Self.table, incoming: incoming, lastColumnID: 6))
        #expect(merged.lastColumnID == 6)
        // An inferred long or decimal says what kind of number came, not how large: the table's
        // int and decimal(9, 2) stay (each row is checked on conversion); float widens to double.
        #expect(merged.schema.fields.map(\.type) == [
            .int, .string, .decimal(precision: 9, scale: 2), .structType([IcebergField(id: 5, name: "city", required: false, type: .string)]), .double,
        ])
        #expect(merged.schema.fields.map(\.id) == [1, 2, 3, 4, 6])
    }

    @Test(arguments: [
        (IcebergField(id: 1, name: "name", required: false, type: .int), "column name: cannot change type string to int"),
        (IcebergField(id: 1, name: "id", required: false, type: .string), "column id: cannot change type int to string"),
        (IcebergField(id: 1, name: "amount", required: false, type: .decimal(precision: 12, scale: 3)), "column amount: cannot change type decimal(9, 2) to decimal(12, 3)"),
        (IcebergField(id: 1, name: "id", required: false, type: .double), "column id: cannot change type int to double"),
        (IcebergField(id: 1, name: "loc", required: false, type: .structType([IcebergField(id: 2, name: "city", required: false, type: .long)])), "column loc.city: cannot change type string to long"),
        (IcebergField(id: 1, name: "loc", required: false, type: .string), "column loc: cannot change type struct<city: string> to string"),
    ])
    func refusedChanges(_ field: IcebergField, _ message: String) {
        #expect(throws: IngestError.invalid(message)) { _ = try SchemaMerge.merge(table: Self.table, incoming: Self.incoming([field]), lastColumnID: 6) }
    }
}
