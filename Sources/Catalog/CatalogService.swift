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
}

extension IcebergError {
    /// The store refused a swap and changed nothing (a lost compare-and-swap, a name taken, a
    /// namespace gone). A 5xx is no such answer: the database may have committed before its
    /// reply was lost, so files the swap names must stay.
    var isDefiniteRefusal: Bool { code < 500 }
}

extension CatalogService {

    // MARK: warehouses

    /// A warehouse is a bucket; `s3://bucket` names the same warehouse.
    public func warehouse(_ name: String) async throws(IcebergError) -> String {
        let bucket = Self.warehouseBucket(name)
        guard (try? await objects.bucket(bucket)) != nil else {
            throw IcebergError(code: 404, type: "NoSuchWarehouseException", message: "Warehouse does not exist: \(name)")
        }
        return bucket
    }

    /// The bucket a warehouse name names (`s3://bucket` names the same warehouse), unchecked.
    public static func warehouseBucket(_ name: String) -> String {
        (try? MetadataFiles.split(name))?.bucket ?? name
    }

    // MARK: namespaces

    static func validate(_ namespace: NamespacePath) throws(IcebergError) {
        guard !namespace.isEmpty else { throw .badRequest("Invalid namespace: \(namespace)") }
        for part in namespace { try CatalogNames.check(part, "namespace") }
    }

    public func createNamespace(warehouse: String, _ namespace: NamespacePath, properties: [String: String]) async throws(IcebergError) {
        try Self.validate(namespace)
        if namespace.count > 1, try await store.namespaceProperties(warehouse: warehouse, Array(namespace.dropLast())) == nil {
            throw .noSuchNamespace(namespace.dropLast().joined(separator: "."))
        }
        if namespace.count > 1 {
            let clash = TableIdentifier(namespace: Array(namespace.dropLast()), name: namespace.last!)
            let table = try await store.table(warehouse: warehouse, clash)
            let view = try await store.view(warehouse: warehouse, clash)
            if table != nil || view != nil {
                throw .alreadyExists("A table or view named \(clash) exists: a namespace cannot take its name")
            }
        }
        if let location = properties["location"] {
            try await checkNamespaceLocation(warehouse: warehouse, namespace, location)
        } else {
            // Its default place must be free of other tables' files too.
            let parent = try await namespaceLocation(warehouse: warehouse, Array(namespace.dropLast()))
            try await checkNamespacePlaceFree(warehouse: warehouse, namespace, parent.appending(namespace.last!))
        }
        try await store.createNamespace(warehouse: warehouse, namespace, properties: properties)
    }

    /// Sets and removes namespace properties; a new `location` must stay where the namespace may be.
    public func updateNamespaceProperties(
        warehouse: String, _ namespace: NamespacePath, removals: [String], updates: [String: String]
    ) async throws(IcebergError) -> (updated: [String], removed: [String], missing: [String]) {
        if let location = updates["location"] {
            _ = try await namespaceProperties(warehouse: warehouse, namespace)
            try await checkNamespaceLocation(warehouse: warehouse, namespace, location)
        }
        return try await store.updateNamespaceProperties(warehouse: warehouse, namespace, removals: removals, updates: updates)
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
        try await namespaceLocation(warehouse: warehouse, identifier.namespace).appending(identifier.name).description
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
    public func createTable(
        warehouse: String, namespace: NamespacePath, request: JSONValue, stage: Bool
    ) async throws(IcebergError) -> TableRecord {
        guard let name = request["name"]?.stringValue, !name.isEmpty else { throw .badRequest("Missing table name") }
        try CatalogNames.check(name, "table")
        guard let schema = request["schema"], schema["fields"]?.arrayValue != nil else { throw .badRequest("Missing or invalid schema") }
        let identifier = TableIdentifier(namespace: namespace, name: name)
        _ = try await namespaceProperties(warehouse: warehouse, namespace)
        try await checkNameFree(warehouse: warehouse, identifier)
        try await checkNotANamespace(warehouse: warehouse, identifier)
        var properties = request["properties"]?.stringMap ?? [:]
        let formatVersion = Int(properties.removeValue(forKey: "format-version") ?? "2") ?? 2
        guard (1...MetadataBuilder.maxFormatVersion).contains(formatVersion) else { throw .badRequest("Unsupported format-version \(formatVersion)") }
        var location = request["location"]?.stringValue ?? ""
        if location.isEmpty { location = try await defaultLocation(warehouse: warehouse, identifier) }
        let confined = try await confine(warehouse: warehouse, identifier, location: location, properties: properties)
        // A new table or view starts in an empty place, chosen or default: otherwise it would
        // adopt files it never wrote (S3 data under the prefix, a dropped table's leftovers).
        try await checkLocationEmpty(confined)
        location = confined.description

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
            // Only a definite loss frees the file: after any other failure the swap may have
            // been made, and the pointer may name it.
            guard error.isDefiniteRefusal else { throw error }
            await files.delete(metadataLocation)
            throw error.type == "CommitFailedException" ? .alreadyExists("Table already exists: \(identifier)") : error
        }
        return record
    }

    /// Tables and views share one name space: a new one needs a name neither uses (409 before
    /// any check of its place).
    public func checkNameFree(warehouse: String, _ identifier: TableIdentifier) async throws(IcebergError) {
        let table = try await store.table(warehouse: warehouse, identifier)
        let view = try await store.view(warehouse: warehouse, identifier)
        if table != nil || view != nil { throw .alreadyExists("Table or view already exists: \(identifier)") }
    }

    /// A table or view cannot take the name of a child namespace: both would have one ARN and one place.
    public func checkNotANamespace(warehouse: String, _ identifier: TableIdentifier) async throws(IcebergError) {
        if try await store.namespaceProperties(warehouse: warehouse, identifier.namespace + [identifier.name]) != nil {
            throw .alreadyExists("A namespace named \(identifier) exists: a table or view cannot take its name")
        }
    }

    /// `<location>/metadata/<NNNNN>-<uuid>.metadata.json`, numbered after the file it replaces.
    static func metadataFileLocation(_ metadata: TableMetadata, version: Int) -> String {
        let number = String(format: "%05d", version)
        let folder = metadata.property("write.metadata.path") ?? (metadata.location + "/metadata")
        return "\(folder)/\(number)-\(UUID().uuidString.lowercased()).metadata.json"
    }

    /// How many earlier metadata files the log names: `write.metadata.previous-versions-max`,
    /// 100 when unset or not a number, at least 1 (as Iceberg's own catalogs keep it).
    static func previousVersionsKept(_ metadata: TableMetadata) -> Int {
        max(1, metadata.property("write.metadata.previous-versions-max").flatMap { Int($0) } ?? 100)
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
        // A commit starts from the tables as this node last knew them, which spares a database
        // read each. If one has been written since, its swap (or a requirement, or anything else
        // short of an unknown outcome) refuses, and the commit starts again from the database.
        let known = changes.map { store.knownTable(warehouse: warehouse, $0.identifier) }
        if known.contains(where: { $0 != nil }) {
            do {
                return try await commit(warehouse: warehouse, changes, from: known)
            } catch where error.isDefiniteRefusal {}
        }
        return try await commit(warehouse: warehouse, changes, from: nil)
    }

    /// - Parameter known: per change, the table as last known to start from (nil: read it).
    func commit(warehouse: String, _ changes: [TableChange], from known: [TableRecord?]?) async throws(IcebergError) -> [TableRecord] {
        var swaps: [TablePointerSwap] = []
        var results: [TableRecord] = []
        var written: [String] = []
        var placedInCommit: [(identifier: TableIdentifier, location: StorageLocation)] = []
        do throws(IcebergError) {
            for (index, change) in changes.enumerated() {
                let assumed = known?[index]
                let current = if let assumed { assumed } else { try await store.table(warehouse: warehouse, change.identifier) }
                let creating = change.requirements.contains(.assertCreate)
                if current == nil && !creating {
                    _ = try await namespaceProperties(warehouse: warehouse, change.identifier.namespace)
                    throw IcebergError.noSuchTable(change.identifier.description)
                }
                if current == nil { try await checkNotANamespace(warehouse: warehouse, change.identifier) }
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
                if let placed = try await confineChanges(warehouse: warehouse, change.identifier, metadata, previous: current?.metadata) {
                    // Tables placed by one request must not overlap each other either.
                    if let other = placedInCommit.first(where: { $0.location.contains(placed) || placed.contains($0.location) }) {
                        throw IcebergError.forbidden("The location \(placed) of \(change.identifier) overlaps \(other.identifier) in the same commit")
                    }
                    placedInCommit.append((change.identifier, placed))
                }
                if let current, builder.changed {
                    metadata.appendMetadataLog(
                        previousFile: current.metadataLocation, timestamp: current.metadata.lastUpdatedMs, keepLast: Self.previousVersionsKept(metadata))
                }
                guard current == nil || builder.changed else {
                    // Nothing is swapped, so nothing would notice a table known out of date.
                    if assumed != nil { throw IcebergError.commitFailed("\(change.identifier) is read again for a commit that changes nothing") }
                    results.append(current!)
                    continue
                }
                let location = Self.metadataFileLocation(metadata, version: current.map { Self.fileVersion($0.metadataLocation) + 1 } ?? 0)
                let document = try metadata.document.text()
                try await files.writeDocument(document, to: location)
                written.append(location)
                let record = TableRecord(identifier: change.identifier, metadataLocation: location, metadata: metadata, writtenAs: document)
                swaps.append(
                    TablePointerSwap(
                        identifier: change.identifier, expectedLocation: current?.metadataLocation, expectedVersion: current?.rowVersion, record: record,
                        document: document))
                results.append(record)
            }
        } catch {
            for location in written { await files.delete(location) }
            throw error
        }
        do {
            try await store.swap(warehouse: warehouse, swaps)
        } catch {
            // Only a definite loss of the compare-and-swap frees the files: after any other
            // failure (a lost reply from the database) the pointers may name them now.
            if error.isDefiniteRefusal {
                for location in written { await files.delete(location) }
            }
            throw error
        }
        // The next commit and loadTable read these texts back: they find them parsed.
        for swap in swaps { StoredDocuments.remember(swap.document, as: swap.record.metadata.document) }
        return results
    }

    public func dropTable(warehouse: String, _ identifier: TableIdentifier, purge: Bool) async throws(IcebergError) {
        guard let record = try await store.dropTable(warehouse: warehouse, identifier) else {
            throw .noSuchTable(identifier.description)
        }
        // Purge deletes files only inside the warehouse bucket, and never a whole namespace (a
        // table renamed into another namespace keeps the location it was created with; one
        // created before locations were confined may point anywhere).
        guard purge, let location = StorageLocation(record.metadata.location), location.bucket == warehouse, !location.segments.isEmpty,
            let base = try? await namespaceLocation(warehouse: warehouse, identifier.namespace), !location.contains(base),
            (try? await checkLocationFree(warehouse: warehouse, location, for: nil)) != nil
        else { return }
        await files.purge(location.description)
    }

    /// RegisterTable: adopts an existing metadata file as a new table.
    /// The metadata file must lie inside the namespace's location (it is read with the server's
    /// rights), and so must the table it describes.
    public func registerTable(
        warehouse: String, namespace: NamespacePath, name: String, metadataLocation: String, overwrite: Bool
    ) async throws(IcebergError) -> TableRecord {
        try CatalogNames.check(name, "table")
        let identifier = TableIdentifier(namespace: namespace, name: name)
        let base = try await namespaceLocation(warehouse: warehouse, namespace)
        guard let file = StorageLocation(metadataLocation), base.contains(file), file.segments.count > base.segments.count else {
            throw .forbidden("The metadata file \(metadataLocation) must lie under the namespace's location \(base)")
        }
        let metadata = try await files.read(file.description)
        let location = try await confine(warehouse: warehouse, identifier, location: metadata.location, properties: TablePathProperties.of(metadata))
        try Self.requireCanonical(metadata.location, location)
        guard location.contains(file) else {
            throw .forbidden("The metadata file \(metadataLocation) lies outside the table's location \(location)")
        }
        let existing = try await store.table(warehouse: warehouse, identifier)
        if existing != nil && !overwrite { throw .alreadyExists("Table already exists: \(identifier)") }
        if existing == nil { try await checkNotANamespace(warehouse: warehouse, identifier) }
        let record = TableRecord(identifier: identifier, metadataLocation: file.description, metadata: metadata)
        let swap = TablePointerSwap(identifier: identifier, expectedLocation: existing?.metadataLocation, record: record, document: try metadata.document.text())
        try await store.swap(warehouse: warehouse, [swap])
        return record
    }
}
