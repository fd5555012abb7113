import Catalog
import IcebergModel
import Logging
import ObjectStore

/// The raw → bronze → gold layout a fresh Floe starts with: warehouse (bucket) `lakehouse` and
/// one namespace per zone located at `s3://lakehouse/<zone>/`. Idempotent.
enum Bootstrap {
    static let warehouse = "lakehouse"
    static let zones = ["raw", "bronze", "gold"]

    static func lakehouse(store: ObjectStore, catalog: CatalogService, logger: Logger) async throws {
        if (try? await store.bucket(warehouse)) == nil {
            _ = try await store.createBucket(warehouse)
            logger.notice("created warehouse bucket", metadata: ["bucket": "\(warehouse)"])
        }
        for zone in zones {
            if try await catalog.store.namespaceProperties(warehouse: warehouse, [zone]) != nil { continue }
            do {
                try await catalog.createNamespace(warehouse: warehouse, [zone], properties: ["location": "s3://\(warehouse)/\(zone)"])
            } catch {
                if error.type != "AlreadyExistsException" { throw error }
            }
        }
    }
}
