import IcebergModel
import Testing

@testable import Catalog

/// The metadata log of a table names its earlier metadata files, as many as
/// `write.metadata.previous-versions-max` asks (100 by default), newest last.
@Suite struct MetadataLogTests {
    @Test func theLogKeepsAsManyEarlierFilesAsTheTableAsks() async throws {
        let fixture = try await CatalogFixture()
        let service = fixture.service()
        try await service.createNamespace(warehouse: "whs", ["ns"], properties: [:])
        let identifier = TableIdentifier(namespace: ["ns"], name: "t")
        _ = try await service.createTable(warehouse: "whs", namespace: ["ns"], request: ["name": "t", "schema": CatalogFixture.schema], stage: false)
        var locations: [String] = [try await service.loadTable(warehouse: "whs", identifier).metadataLocation]
        for step in 0..<5 {
            let updates: [String: String] = step == 0 ? ["write.metadata.previous-versions-max": "2"] : ["step": "\(step)"]
            let committed = try await service.commit(
                warehouse: "whs", [CatalogService.TableChange(identifier: identifier, requirements: [], updates: [.setProperties(updates)])])
            locations.append(committed[0].metadataLocation)
        }
        let log = try await service.loadTable(warehouse: "whs", identifier).metadata.metadataLog
        #expect(log.compactMap { $0["metadata-file"]?.stringValue } == Array(locations.dropLast().suffix(2)))

        for (value, kept) in [("0", 1), ("many", 100)] {
            let metadata = try TableMetadata(json: ["format-version": 2, "location": "s3://whs/ns/t", "properties": ["write.metadata.previous-versions-max": .string(value)]])
            #expect(CatalogService.previousVersionsKept(metadata) == kept)
        }
        await fixture.cleanup()
    }
}
