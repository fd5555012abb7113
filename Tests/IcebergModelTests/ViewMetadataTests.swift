import Testing

@testable import IcebergModel

@Suite struct ViewMetadataTests {
    func version(_ sql: String, schemaID: Int64 = -1) -> JSONValue {
        ["version-id": 7, "timestamp-ms": 1, "schema-id": .int(schemaID), "summary": [:],
         "representations": [["type": "sql", "sql": .string(sql), "dialect": "spark"]], "default-namespace": []]
    }

    let schema: JSONValue = ["type": "struct", "schema-id": 5, "fields": [["id": 1, "name": "x", "required": false, "type": "int"]]]

    @Test func createAssignsIDsAndLogsVersions() throws {
        var builder = ViewMetadataBuilder(ViewMetadata.empty(location: "s3://lakehouse/gold/v"), now: 100)
        try builder.apply([.assignUUID("u-1"), .addSchema(schema), .addViewVersion(version("SELECT 1")), .setCurrentViewVersion(-1)])
        let metadata = try builder.build()
        #expect(metadata.currentVersionID == 1)
        #expect(metadata.schemas.first?["schema-id"]?.intValue == 0)
        #expect(metadata.versions.first?["schema-id"]?.intValue == 0)
        #expect(metadata.json["version-log"]?.arrayValue?.count == 1)

        // An equal version is reused, a new one gets the next id.
        var replace = ViewMetadataBuilder(metadata, now: 200)
        try replace.apply([.addViewVersion(version("SELECT 1", schemaID: 0)), .setCurrentViewVersion(-1)])
        #expect(replace.metadata.versions.count == 1)
        try replace.apply([.addViewVersion(version("SELECT 2", schemaID: 0)), .setCurrentViewVersion(-1)])
        #expect(replace.metadata.currentVersionID == 2)
        #expect(replace.metadata.json["version-log"]?.arrayValue?.count == 2)
    }

    @Test func invalidViewChanges() throws {
        var builder = ViewMetadataBuilder(ViewMetadata.empty(location: "s3://b/v"), now: 1)
        #expect(throws: IcebergError.self) { try builder.apply([.setCurrentViewVersion(-1)]) }
        #expect(throws: IcebergError.self) { try builder.apply([.addViewVersion(version("SELECT 1", schemaID: 9))]) }
        #expect(throws: IcebergError.self) { try builder.apply([.upgradeFormatVersion(2)]) }
        #expect(throws: IcebergError.self) { try ViewUpdate(json: ["action": "add-snapshot", "snapshot": [:]]) }
        #expect(throws: IcebergError.self) { try builder.build() }
    }
}
