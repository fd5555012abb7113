import Foundation
import IcebergModel
import ObjectStore

/// The Iceberg catalog's operations, independent of HTTP: namespaces, tables, commits. A commit
/// loads the current metadata, checks the requirements, applies the updates, writes the new
/// metadata file into the table location, then swaps the pointer in the database; a lost swap
/// removes the file it wrote and reports CommitFailedException.
public struct CatalogService: Sendable {
    public let store: any CatalogStore
    public let files: MetadataFiles
    let objects: ObjectStore

    public init(store: any CatalogStore, objects: ObjectStore) {
        self.store = store
        self.objects = objects
        self.files = MetadataFiles(store: objects)
    }

    static func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    // MARK: warehouses

    /// A warehouse is a bucket; `s3://bucket` names the same warehouse.
    public func warehouse(_ name: String) async throws(IcebergError) -> String {
        var bucket = name
        if let split = try? MetadataFiles.split(name) { bucket = split.bucket }
        guard (try? await objects.bucket(bucket)) != nil else {
            throw IcebergError(code: 404, type: "NoSuchWarehouseException", message: "Warehouse does not exist: \(name)")
        }
        return bucket
    }

    // MARK: namespaces

    static func validate(_ namespace: NamespacePath) throws(IcebergError) {
        guard !namespace.isEmpty, namespace.allSatisfy({ !$0.isEmpty && !$0.contains(NamespaceKey.separator) }) else {
            throw .badRequest("Invalid namespace: \(namespace)")
        }
    }

    public func createNamespace(warehouse: String, _ namespace: NamespacePath, properties: [String: String]) async throws(IcebergError) {
        try Self.validate(namespace)
        if namespace.count > 1, try await store.namespaceProperties(warehouse: warehouse, Array(namespace.dropLast())) == nil {
            throw .noSuchNamespace(namespace.dropLast().joined(separator: "."))
        }
        try await store.createNamespace(warehouse: warehouse, namespace, properties: properties)
    }

    public func namespaceProperties(warehouse: String, _ namespace: NamespacePath) async throws(IcebergError) -> [String: String] {
        guard let properties = try await store.namespaceProperties(warehouse: warehouse, namespace) else {
            throw .noSuchNamespace(namespace.joined(separator: "."))
        }
        return properties
    }

    // MARK: tables

    /// Where a new table lives: under its namespace's `location` property if set, else
    /// `s3://<warehouse>/<namespace…>/<table>`.
    public func defaultLocation(warehouse: String, _ identifier: TableIdentifier) async throws(IcebergError) -> String {
        let properties = try await namespaceProperties(warehouse: warehouse, identifier.namespace)
        if let base = properties["location"], !base.isEmpty {
            return (base.hasSuffix("/") ? String(base.dropLast()) : base) + "/" + identifier.name
        }
        return "s3://\(warehouse)/" + (identifier.namespace + [identifier.name]).joined(separator: "/")
    }

    public func loadTable(warehouse: String, _ identifier: TableIdentifier) async throws(IcebergError) -> TableRecord {
        guard let record = try await store.table(warehouse: warehouse, identifier) else {
            if try await store.namespaceProperties(warehouse: warehouse, identifier.namespace) == nil {
                throw .noSuchNamespace(identifier.namespace.joined(separator: "."))
            }
            throw .noSuchTable(identifier.description)
        }
        return record
    }

    /// CreateTable: builds the first metadata from the request. With `stage` nothing is stored;
    /// the client commits later with `assert-create`.
    public func createTable(warehouse: String, namespace: NamespacePath, request: JSONValue, stage: Bool) async throws(IcebergError) -> TableRecord {
        guard let name = request["name"]?.stringValue, !name.isEmpty else { throw .badRequest("Missing table name") }
        guard let schema = request["schema"], schema["fields"]?.arrayValue != nil else { throw .badRequest("Missing or invalid schema") }
        let identifier = TableIdentifier(namespace: namespace, name: name)
        _ = try await namespaceProperties(warehouse: warehouse, namespace)
        if try await store.table(warehouse: warehouse, identifier) != nil {
            throw .alreadyExists("Table already exists: \(identifier)")
        }
        var properties = request["properties"]?.stringMap ?? [:]
        let formatVersion = Int(properties.removeValue(forKey: "format-version") ?? "2") ?? 2
        guard (1...MetadataBuilder.maxFormatVersion).contains(formatVersion) else { throw .badRequest("Unsupported format-version \(formatVersion)") }
        var location = request["location"]?.stringValue ?? ""
        if location.isEmpty { location = try await defaultLocation(warehouse: warehouse, identifier) }
        if location.hasSuffix("/") { location.removeLast() }
        _ = try MetadataFiles.split(location)

        let now = Self.now()
        var updates: [TableUpdate] = [
            .assignUUID(UUID().uuidString.lowercased()), .upgradeFormatVersion(formatVersion),
            .addSchema(schema: schema, lastColumnID: nil), .setCurrentSchema(-1),
            .addSpec(request["partition-spec"] ?? ["spec-id": 0, "fields": []]), .setDefaultSpec(-1),
            .addSortOrder(request["write-order"] ?? ["order-id": 0, "fields": []]), .setDefaultSortOrder(-1),
            .setLocation(location),
        ]
        if !properties.isEmpty { updates.append(.setProperties(properties)) }
        var builder = MetadataBuilder(MetadataBuilder.emptyTable(formatVersion: formatVersion, location: location, now: now), now: now)
        try builder.apply(updates)
        let metadata = try builder.build()
        let metadataLocation = Self.metadataFileLocation(metadata, version: 0)
        let record = TableRecord(identifier: identifier, metadataLocation: metadataLocation, metadata: metadata)
        if stage { return record }
        let document = try metadata.document.text()
        try await files.writeDocument(document, to: metadataLocation)
        do {
            try await store.swap(warehouse: warehouse, [TablePointerSwap(identifier: identifier, expectedLocation: nil, record: record, document: document)])
        } catch {
            await files.delete(metadataLocation)
            throw error.type == "CommitFailedException" ? .alreadyExists("Table already exists: \(identifier)") : error
        }
        return record
    }

    /// `<location>/metadata/<NNNNN>-<uuid>.metadata.json`, numbered after the file it replaces.
    static func metadataFileLocation(_ metadata: TableMetadata, version: Int) -> String {
        let number = String(format: "%05d", version)
        let folder = metadata.properties["write.metadata.path"] ?? (metadata.location + "/metadata")
        return "\(folder)/\(number)-\(UUID().uuidString.lowercased()).metadata.json"
    }

    static func fileVersion(_ location: String) -> Int {
        let name = location.split(separator: "/").last.map(String.init) ?? ""
        return Int(name.prefix { $0.isNumber }) ?? 0
    }

    public struct TableChange: Sendable {
        public var identifier: TableIdentifier
        public var requirements: [TableRequirement]
        public var updates: [TableUpdate]

        public init(identifier: TableIdentifier, requirements: [TableRequirement], updates: [TableUpdate]) {
            self.identifier = identifier
            self.requirements = requirements
            self.updates = updates
        }
    }

    /// Commits changes to one or several tables atomically (commitTable and
    /// /transactions/commit). A change whose requirements include `assert-create` creates the
    /// table (the second half of stage-create).
    public func commit(warehouse: String, _ changes: [TableChange]) async throws(IcebergError) -> [TableRecord] {
        guard !changes.isEmpty else { throw .badRequest("No table changes") }
        guard Set(changes.map(\.identifier)).count == changes.count else { throw .badRequest("A table appears twice in one transaction") }
        var swaps: [TablePointerSwap] = []
        var results: [TableRecord] = []
        var written: [String] = []
        do throws(IcebergError) {
            for change in changes {
                let current = try await store.table(warehouse: warehouse, change.identifier)
                let creating = change.requirements.contains(.assertCreate)
                if current == nil && !creating {
                    _ = try await namespaceProperties(warehouse: warehouse, change.identifier.namespace)
                    throw IcebergError.noSuchTable(change.identifier.description)
                }
                for requirement in change.requirements { try requirement.check(current?.metadata) }
                let now = Self.now()
                let base: TableMetadata
                if let current {
                    base = current.metadata
                } else {
                    base = MetadataBuilder.emptyTable(
                        formatVersion: 2, location: try await defaultLocation(warehouse: warehouse, change.identifier), now: now)
                }
                var builder = MetadataBuilder(base, now: now)
                if current == nil && !change.updates.contains(where: { if case .assignUUID = $0 { return true } else { return false } }) {
                    try builder.apply([.assignUUID(UUID().uuidString.lowercased())])
                }
                try builder.apply(change.updates)
                var metadata = try builder.build()
                if let current, builder.changed {
                    metadata.appendMetadataLog(previousFile: current.metadataLocation, timestamp: current.metadata.lastUpdatedMs)
                }
                guard current == nil || builder.changed else {
                    results.append(current!)
                    continue
                }
                let location = Self.metadataFileLocation(metadata, version: current.map { Self.fileVersion($0.metadataLocation) + 1 } ?? 0)
                let document = try metadata.document.text()
                try await files.writeDocument(document, to: location)
                written.append(location)
                let record = TableRecord(identifier: change.identifier, metadataLocation: location, metadata: metadata)
                swaps.append(TablePointerSwap(identifier: change.identifier, expectedLocation: current?.metadataLocation, record: record, document: document))
                results.append(record)
            }
            try await store.swap(warehouse: warehouse, swaps)
        } catch {
            for location in written { await files.delete(location) }
            throw error
        }
        return results
    }

    public func dropTable(warehouse: String, _ identifier: TableIdentifier, purge: Bool) async throws(IcebergError) {
        guard let record = try await store.dropTable(warehouse: warehouse, identifier) else {
            throw .noSuchTable(identifier.description)
        }
        if purge { await files.purge(record.metadata.location) }
    }

    /// RegisterTable: adopts an existing metadata file as a new table.
    public func registerTable(warehouse: String, namespace: NamespacePath, name: String, metadataLocation: String, overwrite: Bool)
        async throws(IcebergError) -> TableRecord
    {
        let identifier = TableIdentifier(namespace: namespace, name: name)
        _ = try await namespaceProperties(warehouse: warehouse, namespace)
        let metadata = try await files.read(metadataLocation)
        let existing = try await store.table(warehouse: warehouse, identifier)
        if existing != nil && !overwrite { throw .alreadyExists("Table already exists: \(identifier)") }
        let record = TableRecord(identifier: identifier, metadataLocation: metadataLocation, metadata: metadata)
        let swap = TablePointerSwap(identifier: identifier, expectedLocation: existing?.metadataLocation, record: record, document: try metadata.document.text())
        try await store.swap(warehouse: warehouse, [swap])
        return record
    }
}
