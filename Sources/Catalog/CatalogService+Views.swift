import Foundation
import IcebergModel

/// Views: metadata files written like tables' and a pointer in the same name space.
extension CatalogService {
    public func loadView(warehouse: String, _ identifier: TableIdentifier) async throws(IcebergError) -> ViewRecord {
        guard let record = try await store.view(warehouse: warehouse, identifier) else {
            _ = try await namespaceProperties(warehouse: warehouse, identifier.namespace)
            throw .noSuchView(identifier.description)
        }
        return record
    }

    /// Writes a view's metadata file; answers where, and the text written (what the database keeps too).
    func writeView(_ metadata: ViewMetadata, version: Int) async throws(IcebergError) -> (location: String, document: String) {
        let location = "\(metadata.location)/metadata/\(String(format: "%05d", version))-\(UUID().uuidString.lowercased()).metadata.json"
        let document = try metadata.document.text()
        try await files.writeDocument(document, to: location)
        return (location, document)
    }

    public func createView(warehouse: String, namespace: NamespacePath, request: JSONValue) async throws(IcebergError) -> ViewRecord {
        guard let name = request["name"]?.stringValue, !name.isEmpty else { throw .badRequest("Missing view name") }
        guard let schema = request["schema"], schema["fields"]?.arrayValue != nil else { throw .badRequest("Missing or invalid schema") }
        guard var version = request["view-version"], version.objectValue != nil else { throw .badRequest("Missing view-version") }
        try CatalogNames.check(name, "view")
        let identifier = TableIdentifier(namespace: namespace, name: name)
        _ = try await namespaceProperties(warehouse: warehouse, namespace)
        try await checkNameFree(warehouse: warehouse, identifier)
        try await checkNotANamespace(warehouse: warehouse, identifier)
        var location = request["location"]?.stringValue ?? ""
        if location.isEmpty { location = try await defaultLocation(warehouse: warehouse, identifier) }
        let confined = try await confine(warehouse: warehouse, identifier, location: location)
        // A new table or view starts in an empty place, chosen or default: otherwise it would
        // adopt files it never wrote (S3 data under the prefix, a dropped table's leftovers).
        try await checkLocationEmpty(confined)
        location = confined.description
        version["schema-id"] = -1
        var builder = ViewMetadataBuilder(ViewMetadata.empty(location: location), now: Self.now())
        var updates: [ViewUpdate] = [.assignUUID(UUID().uuidString.lowercased()), .addSchema(schema), .addViewVersion(version), .setCurrentViewVersion(-1)]
        if let properties = request["properties"]?.stringMap, !properties.isEmpty { updates.append(.setProperties(properties)) }
        try builder.apply(updates)
        let metadata = try builder.build()
        let (metadataLocation, document) = try await writeView(metadata, version: 0)
        let record = ViewRecord(identifier: identifier, metadataLocation: metadataLocation, metadata: metadata)
        do {
            try await store.swapView(warehouse: warehouse, expectedLocation: nil, record, document: document)
        } catch {
            if error.isDefiniteRefusal { await files.delete(metadataLocation) }
            throw error
        }
        return record
    }

    /// ReplaceView: requirements (`assert-view-uuid`) then updates, swapped like a table commit.
    public func replaceView(warehouse: String, _ identifier: TableIdentifier, requirements: [JSONValue], updates: [ViewUpdate]) async throws(IcebergError) -> ViewRecord {
        let current = try await loadView(warehouse: warehouse, identifier)
        for requirement in requirements {
            guard requirement["type"]?.stringValue == "assert-view-uuid", let uuid = requirement["uuid"]?.stringValue else {
                throw .badRequest("Unknown view requirement: \(requirement["type"]?.stringValue ?? "?")")
            }
            if current.metadata.uuid?.lowercased() != uuid.lowercased() { throw .commitFailed("Requirement failed: view UUID does not match") }
        }
        var builder = ViewMetadataBuilder(current.metadata, now: Self.now())
        try builder.apply(updates)
        let metadata = try builder.build()
        if metadata.location != current.metadata.location {
            let location = try await confine(warehouse: warehouse, identifier, location: metadata.location)
            try Self.requireCanonical(metadata.location, location)
            try await checkLocationEmpty(location)
        }
        let (location, document) = try await writeView(metadata, version: Self.fileVersion(current.metadataLocation) + 1)
        let record = ViewRecord(identifier: identifier, metadataLocation: location, metadata: metadata)
        do {
            try await store.swapView(warehouse: warehouse, expectedLocation: current.metadataLocation, record, document: document)
        } catch {
            // Only a definite loss frees the file: after another failure the pointer may name it.
            if error.isDefiniteRefusal { await files.delete(location) }
            throw error
        }
        return record
    }

    public func registerView(warehouse: String, namespace: NamespacePath, name: String, metadataLocation: String) async throws(IcebergError) -> ViewRecord {
        try CatalogNames.check(name, "view")
        let identifier = TableIdentifier(namespace: namespace, name: name)
        let base = try await namespaceLocation(warehouse: warehouse, namespace)
        guard let file = StorageLocation(metadataLocation), base.contains(file), file.segments.count > base.segments.count else {
            throw .forbidden("The metadata file \(metadataLocation) must lie under the namespace's location \(base)")
        }
        try await checkNotANamespace(warehouse: warehouse, identifier)
        let metadata = try ViewMetadata(json: try await files.readDocument(file.description))
        let location = try await confine(warehouse: warehouse, identifier, location: metadata.location)
        try Self.requireCanonical(metadata.location, location)
        guard location.contains(file) else {
            throw .forbidden("The metadata file \(metadataLocation) lies outside the view's location \(location)")
        }
        let record = ViewRecord(identifier: identifier, metadataLocation: file.description, metadata: metadata)
        try await store.swapView(warehouse: warehouse, expectedLocation: nil, record, document: try metadata.document.text())
        return record
    }
}
