import IcebergModel
import Testing

@testable import Catalog

/// loadTable and commits answer with the document's stored text spliced in; that is only right
/// while the text is the record's metadata exactly.
@Suite struct StoredTextTests {
    @Test func aRecordCarriesItsTextOnlyWhileItIsTheDocument() async throws {
        let fixture = try await CatalogFixture()
        let service = fixture.service()
        try await service.createNamespace(warehouse: "whs", ["ns"], properties: [:])
        let identifier = TableIdentifier(namespace: ["ns"], name: "t")
        _ = try await service.createTable(warehouse: "whs", namespace: ["ns"], request: ["name": "t", "schema": CatalogFixture.schema], stage: false)
        let committed = try await service.commit(
            warehouse: "whs", [CatalogService.TableChange(identifier: identifier, requirements: [], updates: [.setProperties(["k": "v"])])])
        for record in [committed[0], try await service.loadTable(warehouse: "whs", identifier)] {
            let text = try #require(record.storedText)
            #expect(try JSONValue(parsing: Array(text.utf8)) == record.metadata.document)
            #expect(record.metadata.properties["k"] == "v")
        }
        // Any change to the metadata forgets the text.
        var changed = try await service.loadTable(warehouse: "whs", identifier)
        changed.metadata = try TableMetadata(json: ["format-version": 2, "location": "s3://whs/ns/other", "schemas": [], "partition-specs": []])
        #expect(changed.storedText == nil)
        await fixture.cleanup()
    }

    /// A version 1 document without the list forms is completed on load: its text is not the metadata.
    @Test func aCompletedVersionOneDocumentIsNotAnsweredWithItsText() throws {
        let text = #"{"format-version":1,"location":"s3://whs/ns/v1","schema":{"type":"struct","fields":[]},"partition-spec":[]}"#
        let record = try TableRecord(
            identifier: TableIdentifier(namespace: ["ns"], name: "v1"), metadataLocation: "s3://whs/ns/v1/metadata/0.json", text: text,
            parsed: try JSONValue(parsing: Array(text.utf8)))
        #expect(record.storedText == nil)
        #expect(record.metadata.json["schemas"] != nil)
        let complete = #"{"format-version":2,"location":"s3://whs/ns/v2","schemas":[],"partition-specs":[]}"#
        let kept = try TableRecord(
            identifier: TableIdentifier(namespace: ["ns"], name: "v2"), metadataLocation: "s3://whs/ns/v2/metadata/0.json", text: complete,
            parsed: try JSONValue(parsing: Array(complete.utf8)))
        #expect(kept.storedText == complete)
    }
}
