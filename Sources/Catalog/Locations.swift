import IcebergModel

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
        other.bucket == bucket && other.segments.count >= segments.count && Array(other.segments.prefix(segments.count)) == segments
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
        guard !name.isEmpty, name.utf8.count <= 1024, !hasControlCharacter(name) else {
            throw .badRequest("Invalid \(what) name: it must be 1 to 1024 bytes without control characters")
        }
    }
}

/// Whether the caller may share files with an existing table.
public typealias SharingCheck = @Sendable (TableIdentifier) -> Bool

/// Table properties that name where an engine writes a table's files.
public enum TablePathProperties {
    public static let names = ["write.metadata.path", "write.data.path", "write.folder-storage.path", "write.object-storage.path"]
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
    }

    /// Checks that a table's or view's location and every path property lie inside its
    /// namespace's location (strictly below it), and that a location other than the default
    /// does not reach into another table of the namespace.
    /// - Parameter mayShare: whether the caller may share files with an existing table (it may
    ///   change that table anyway), e.g. to register a copy of it.
    public func confine(
        warehouse: String, _ identifier: TableIdentifier, location text: String, properties: [String: String] = [:],
        mayShare: SharingCheck = { _ in false }
    ) async throws(IcebergError) -> StorageLocation {
        let base = try await namespaceLocation(warehouse: warehouse, identifier.namespace)
        func inside(_ text: String, _ what: String) throws(IcebergError) -> StorageLocation {
            guard let location = StorageLocation(text) else {
                throw .badRequest("Invalid \(what) \(text): expected s3://\(warehouse)/… without wildcards, empty, . or .. segments")
            }
            guard base.contains(location), location.segments.count > base.segments.count else {
                throw .forbidden("The \(what) \(location) of \(identifier) must lie under its namespace's location \(base)")
            }
            return location
        }
        let location = try inside(text, "location")
        for name in TablePathProperties.names {
            if let value = properties[name] { _ = try inside(value, name) }
        }
        let standard = base.appending(identifier.name)
        if !standard.contains(location) {
            try await checkNoOverlap(warehouse: warehouse, identifier, location, mayShare: mayShare)
        }
        return location
    }

    /// A custom location must not contain or lie inside another table of the same namespace
    /// (or that table's default place): it would share, and be vended credentials for, its files.
    func checkNoOverlap(warehouse: String, _ identifier: TableIdentifier, _ location: StorageLocation, mayShare: SharingCheck) async throws(IcebergError) {
        let base = try await namespaceLocation(warehouse: warehouse, identifier.namespace)
        var after: String?
        for _ in 0..<1_000 {
            let names = try await store.listTables(warehouse: warehouse, namespace: identifier.namespace, after: after, limit: 1000)
            for name in names where name != identifier.name {
                var others = [base.appending(name)]
                if let record = try await store.table(warehouse: warehouse, TableIdentifier(namespace: identifier.namespace, name: name)),
                    let own = StorageLocation(record.metadata.location)
                {
                    others.append(own)
                }
                if others.contains(where: { $0.contains(location) || location.contains($0) }),
                    !mayShare(TableIdentifier(namespace: identifier.namespace, name: name))
                {
                    throw .forbidden("The location \(location) overlaps table \(identifier.namespace.joined(separator: ".")).\(name)")
                }
            }
            guard names.count == 1000, let last = names.last else { return }
            after = last
        }
    }

    /// The metadata's location and path properties, checked when a commit changes them
    /// (metadata written before locations were confined keeps working until it moves).
    func confineChanges(
        warehouse: String, _ identifier: TableIdentifier, _ metadata: TableMetadata, previous: TableMetadata?, mayShare: SharingCheck
    ) async throws(IcebergError) {
        let moved = previous.map { $0.location != metadata.location } ?? true
        let changedPaths = TablePathProperties.names.contains { previous?.properties[$0] != metadata.properties[$0] }
        guard moved || changedPaths else { return }
        var paths: [String: String] = [:]
        for name in TablePathProperties.names {
            if let value = metadata.properties[name], moved || previous?.properties[name] != value { paths[name] = value }
        }
        _ = try await confine(warehouse: warehouse, identifier, location: metadata.location, properties: paths, mayShare: mayShare)
    }
}
