import IcebergModel
import ObjectStore

/// An `s3://bucket/a/b` location as the catalog confines it: a bucket and path segments, none
/// of them empty, `.` or `..`, none holding a control character or a policy wildcard (`*`, `?`,
/// `$`), so a location always names exactly the prefix it appears to and can be written into a
/// credential policy as it is.
public struct StorageLocation: Equatable, Sendable, CustomStringConvertible {
    public var bucket: String
    public var segments: [String]

    public init(bucket: String, segments: [String]) {
        self.bucket = bucket
        self.segments = segments
    }

    /// Parses `s3://`, `s3a://` or `s3n://` locations (one trailing `/` is allowed); nil for
    /// anything else.
    public init?(_ text: String) {
        guard let scheme = ["s3://", "s3a://", "s3n://"].first(where: { text.hasPrefix($0) }) else { return nil }
        var rest = Substring(text.dropFirst(scheme.count))
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        let parts = rest.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard let bucket = parts.first, !bucket.isEmpty else { return nil }
        for part in parts {
            guard !part.isEmpty, part != ".", part != "..", !CatalogNames.hasControlCharacter(part),
                !part.contains(where: { $0 == "*" || $0 == "?" || $0 == "$" })
            else { return nil }
        }
        self.bucket = bucket
        self.segments = Array(parts.dropFirst())
    }

    public var description: String { "s3://" + ([bucket] + segments).joined(separator: "/") }

    /// The key prefix under the bucket, without a trailing slash.
    public var prefix: String { segments.joined(separator: "/") }

    /// Whether `other` is this location or lies below it (whole segments: `a/b` does not contain `a/bc`).
    public func contains(_ other: StorageLocation) -> Bool {
        // Bytes, not Swift's canonical equivalence: é and e + U+0301 are different S3 keys.
        guard other.bucket.utf8.elementsEqual(bucket.utf8), other.segments.count >= segments.count else { return false }
        return zip(segments, other.segments).allSatisfy { $0.utf8.elementsEqual($1.utf8) }
    }

    /// Every location above this one, the bucket's root first.
    public var ancestors: [StorageLocation] {
        (0..<segments.count).map { StorageLocation(bucket: bucket, segments: Array(segments.prefix($0))) }
    }

    public func appending(_ segment: String) -> StorageLocation {
        StorageLocation(bucket: bucket, segments: segments + [segment])
    }
}

/// Names of namespaces, tables and views: checked once where a request names them.
public enum CatalogNames {
    public static func hasControlCharacter(_ text: String) -> Bool {
        text.utf8.contains { $0 < 0x20 || $0 == 0x7F }
    }

    public static func check(_ name: String, _ what: String) throws(IcebergError) {
        // No '/': names are joined by it in ARNs and locations, where "a/b" must not alias a.b.
        guard !name.isEmpty, name.utf8.count <= 1024, !hasControlCharacter(name), !name.utf8.contains(0x2F) else {
            throw .badRequest("Invalid \(what) name: it must be 1 to 1024 bytes without control characters or '/'")
        }
    }
}

/// Table properties that name where an engine writes a table's files.
public enum TablePathProperties {
    public static let names = ["write.metadata.path", "write.data.path", "write.folder-storage.path", "write.object-storage.path"]

    /// The path properties `metadata` sets, each read as commits and metadata file placement
    /// read it (not through the whole map, which is empty when any property is not a string).
    public static func of(_ metadata: TableMetadata) -> [String: String] {
        var paths: [String: String] = [:]
        for name in names { paths[name] = metadata.property(name) }
        return paths
    }
}

extension CatalogService {
    /// Where a namespace's tables live: its `location` property, else its parent's location
    /// followed by its name (the warehouse bucket's root for a top-level namespace).
    public func namespaceLocation(warehouse: String, _ namespace: NamespacePath) async throws(IcebergError) -> StorageLocation {
        var location = StorageLocation(bucket: warehouse, segments: [])
        for depth in 1...max(namespace.count, 1) where !namespace.isEmpty {
            let path = Array(namespace.prefix(depth))
            let properties = try await namespaceProperties(warehouse: warehouse, path)
            if let given = properties["location"], !given.isEmpty, let parsed = StorageLocation(given) {
                location = parsed
            } else {
                location = location.appending(path.last!)
            }
        }
        return location
    }

    /// The location a namespace's `location` property may name: inside the warehouse bucket,
    /// at or below the place its parent gives it (so no namespace can claim another's files).
    func checkNamespaceLocation(warehouse: String, _ namespace: NamespacePath, _ text: String) async throws(IcebergError) {
        guard let location = StorageLocation(text) else {
            throw .badRequest("Invalid namespace location \(text): expected s3://\(warehouse)/… without wildcards, empty, . or .. segments")
        }
        let parent = try await namespaceLocation(warehouse: warehouse, Array(namespace.dropLast()))
        let allowed = parent.appending(namespace.last!)
        guard allowed.contains(location) else {
            throw .forbidden("Namespace location \(location) must lie under \(allowed)")
        }
        try await checkNamespacePlaceFree(warehouse: warehouse, namespace, location)
    }

    /// Tables outside a namespace may not own files at or below its place (their files would
    /// become this namespace's), nor may any table own the place itself or a place above it.
    func checkNamespacePlaceFree(warehouse: String, _ namespace: NamespacePath, _ location: StorageLocation) async throws(IcebergError) {
        let ancestors = location.ancestors.map(\.description)
        for owner in try await store.tablesOverlapping(warehouse: warehouse, location: location.description, ancestors: ancestors) {
            let inside = owner.namespace.count >= namespace.count && Array(owner.namespace.prefix(namespace.count)) == namespace
            let record = try await store.table(warehouse: warehouse, owner)
            let ownLocation = record.flatMap { StorageLocation($0.metadata.location) }
            if !inside || ownLocation.map({ $0.contains(location) }) ?? true {
                throw .forbidden("Namespace location \(location) overlaps the files of \(owner)")
            }
        }
    }

    /// Checks that a table's or view's location lies strictly below its namespace's location,
    /// that its path properties lie inside it, and that no other table or view (in any
    /// namespace) owns files at, below or above it: no table can be vended credentials for,
    /// write metadata into, or purge another's files. `identifier` itself is not a conflict.
    public func confine(
        warehouse: String, _ identifier: TableIdentifier, location text: String, properties: [String: String] = [:]
    ) async throws(IcebergError) -> StorageLocation {
        let base = try await namespaceLocation(warehouse: warehouse, identifier.namespace)
        guard let location = StorageLocation(text) else {
            throw .badRequest("Invalid location \(text): expected s3://\(warehouse)/… without wildcards, empty, . or .. segments")
        }
        guard base.contains(location), location.segments.count > base.segments.count else {
            throw .forbidden("The location \(location) of \(identifier) must lie under its namespace's location \(base)")
        }
        for name in TablePathProperties.names {
            guard let value = properties[name] else { continue }
            guard let path = StorageLocation(value), location.contains(path) else {
                throw .forbidden("\(name) \(value) of \(identifier) must lie inside the table's location \(location)")
            }
        }
        try await checkLocationFree(warehouse: warehouse, location, for: identifier)
        try await checkOutsideChildNamespaces(warehouse: warehouse, identifier.namespace, base: base, location)
        return location
    }

    /// A table of a namespace stays out of its child namespaces' places (and does not contain
    /// one): those hold tables the caller may have no right to, now or later.
    /// - Parameter base: the namespace's location (as `confine` already read it).
    func checkOutsideChildNamespaces(warehouse: String, _ namespace: NamespacePath, base: StorageLocation, _ location: StorageLocation) async throws(IcebergError) {
        var after: NamespacePath?
        for _ in 0..<10_000 {
            let children = try await store.listNamespaces(warehouse: warehouse, parent: namespace, after: after, limit: 1000)
            for child in children {
                var place = base.appending(child.last!)
                if let given = try await store.namespaceProperties(warehouse: warehouse, child)?["location"], let parsed = StorageLocation(given) {
                    place = parsed
                }
                if place.contains(location) || location.contains(place) {
                    throw .forbidden("The location \(location) overlaps the place of namespace \(child.joined(separator: "."))")
                }
            }
            guard children.count == 1000, let last = children.last else { return }
            after = last
        }
    }

    /// No table or view other than `identifier` owns files at, below or above `location`.
    func checkLocationFree(warehouse: String, _ location: StorageLocation, for identifier: TableIdentifier?) async throws(IcebergError) {
        let ancestors = location.ancestors.map(\.description)
        let owners = try await store.tablesOverlapping(warehouse: warehouse, location: location.description, ancestors: ancestors)
        if let owner = owners.first(where: { $0 != identifier }) {
            throw .forbidden("The location \(location) overlaps the files of \(owner)")
        }
    }

    /// A new table or view starts in an empty place: no object (no version) may lie below its
    /// location, or the table would hand out credentials for, and purge, files it never wrote —
    /// a dropped table's, or S3 data under the namespace's prefix.
    public func checkLocationEmpty(_ location: StorageLocation) async throws(IcebergError) {
        guard let bucket = try? await objects.bucket(location.bucket) else { return }
        let prefix = location.prefix + "/"
        let page: ListPage
        do {
            page = try await objects.listVersions(bucket: bucket, ListRequest(prefix: prefix, maxKeys: 1), versionIDMarker: nil)
        } catch {
            throw .serviceUnavailable("Cannot check the location \(location): \(error)")
        }
        if !page.objects.isEmpty {
            throw .forbidden("The location \(location) already holds objects; a new table or view needs an empty location (a table dropped without purge leaves its files: drop it with purge, or choose another location)")
        }
    }

    /// The metadata's location and path properties, checked when a commit changes them
    /// (metadata written before locations were confined keeps working until it moves).
    /// Answers the confined location when it was checked (nil when nothing moved).
    @discardableResult
    func confineChanges(warehouse: String, _ identifier: TableIdentifier, _ metadata: TableMetadata, previous: TableMetadata?) async throws(IcebergError)
        -> StorageLocation?
    {
        let moved = previous.map { $0.location != metadata.location } ?? true
        let changedPaths = TablePathProperties.names.contains { previous?.property($0) != metadata.property($0) }
        guard moved || changedPaths else { return nil }
        let paths = TablePathProperties.of(metadata).filter { moved || previous?.property($0.key) != $0.value }
        let location = try await confine(warehouse: warehouse, identifier, location: metadata.location, properties: paths)
        try Self.requireCanonical(metadata.location, location)
        // A table moved to a new place starts there empty (a table created by a commit, after a
        // stage-create, already has the data files its writer put there).
        if previous != nil && moved { try await checkLocationEmpty(location) }
        return location
    }

    /// Locations kept as sent (in committed, registered or replaced metadata) must be spelled as
    /// the location index compares them: `s3://bucket/path`, no `s3a://`, no trailing `/`.
    static func requireCanonical(_ text: String, _ location: StorageLocation) throws(IcebergError) {
        guard text == location.description else {
            throw .badRequest("Write the location as \(location) (s3://, no trailing slash), not \(text)")
        }
    }
}
