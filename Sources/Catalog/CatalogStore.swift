import IcebergModel

/// A namespace path, e.g. `["lakehouse_db", "bronze"]`.
public typealias NamespacePath = [String]

/// A namespace path as one string: levels joined by the unit separator (0x1F), the REST spec's
/// encoding in URLs and the stores' key. Levels never contain it (CatalogService refuses them).
public enum NamespaceKey {
    public static let separator: Character = "\u{1F}"

    public static func join(_ namespace: NamespacePath) -> String { namespace.joined(separator: String(separator)) }

    public static func split(_ key: some StringProtocol) -> NamespacePath {
        key.split(separator: separator, maxSplits: Int.max, omittingEmptySubsequences: false).map { String($0) }
    }
}

public struct TableIdentifier: Sendable, Hashable, CustomStringConvertible {
    public var namespace: NamespacePath
    public var name: String

    public init(namespace: NamespacePath, name: String) {
        self.namespace = namespace
        self.name = name
    }

    public var description: String { (namespace + [name]).joined(separator: ".") }

    /// Namespace, then name, in the byte order of their UTF-8 (as the catalog database's
    /// `COLLATE "C"` orders them). `String` comparison would take canonically equivalent names for
    /// one, and an order that is not transitive can lock rows in two orders.
    public static func precedesBytewise(_ a: TableIdentifier, _ b: TableIdentifier) -> Bool {
        let (x, y) = (NamespaceKey.join(a.namespace), NamespaceKey.join(b.namespace))
        guard x.utf8.elementsEqual(y.utf8) else { return x.utf8.lexicographicallyPrecedes(y.utf8) }
        return a.name.utf8.lexicographicallyPrecedes(b.name.utf8)
    }
}

/// A table as the catalog database holds it: where its current metadata file is, and that
/// metadata itself (so loads do not read the file back).
public struct TableRecord: Sendable, Equatable {
    public var identifier: TableIdentifier
    public var metadataLocation: String
    public var metadata: TableMetadata {
        didSet { storedText = nil }
    }
    /// The text the store holds for `metadata`, when it is that document exactly: a load answers
    /// with it as it is instead of writing the document out again (most of a large table's
    /// loadTable). Forgotten as soon as `metadata` changes.
    public private(set) var storedText: String?
    /// The store's version of the row this record was read or written at, when the store keeps
    /// versions: a swap from this record is refused if the row has been written since.
    public var rowVersion: Int64?

    public init(identifier: TableIdentifier, metadataLocation: String, metadata: TableMetadata) {
        self.identifier = identifier
        self.metadataLocation = metadataLocation
        self.metadata = metadata
    }

    /// A record whose document was just written as `text`, which must be `metadata.document.text()`.
    public init(identifier: TableIdentifier, metadataLocation: String, metadata: TableMetadata, writtenAs text: String) {
        self.init(identifier: identifier, metadataLocation: metadataLocation, metadata: metadata)
        storedText = text
    }

    /// A record read from a store: `text` is kept when `parsed` (its parse) is the metadata as it is.
    public init(identifier: TableIdentifier, metadataLocation: String, text: String, parsed: JSONValue) throws(IcebergError) {
        self.init(identifier: identifier, metadataLocation: metadataLocation, metadata: try TableMetadata(json: parsed))
        if TableMetadata.keepsAsIs(parsed) { storedText = text }
    }

    public static func == (a: TableRecord, b: TableRecord) -> Bool {
        a.identifier == b.identifier && a.metadataLocation == b.metadataLocation && a.metadata == b.metadata
    }
}

public struct ViewRecord: Sendable, Equatable {
    public var identifier: TableIdentifier
    public var metadataLocation: String
    public var metadata: ViewMetadata

    public init(identifier: TableIdentifier, metadataLocation: String, metadata: ViewMetadata) {
        self.identifier = identifier
        self.metadataLocation = metadataLocation
        self.metadata = metadata
    }
}

/// One pointer swap of a commit: from `expectedLocation` (nil: the table must not exist yet)
/// to the new metadata.
public struct TablePointerSwap: Sendable {
    public var identifier: TableIdentifier
    public var expectedLocation: String?
    public var record: TableRecord
    /// `record.metadata` as text, the same bytes as the metadata file (encoded once, by the caller).
    public var document: String
    /// The row version the swap starts from (`TableRecord.rowVersion` of the base), when known.
    public var expectedVersion: Int64?

    public init(identifier: TableIdentifier, expectedLocation: String?, expectedVersion: Int64? = nil, record: TableRecord, document: String) {
        self.identifier = identifier
        self.expectedLocation = expectedLocation
        self.expectedVersion = expectedVersion
        self.record = record
        self.document = document
    }
}

/// The catalog's database: namespaces and table pointers, per warehouse. Every call is one
/// transaction; `swap` is all-or-nothing over several tables and fails with CommitFailedException
/// when any pointer moved meanwhile.
public protocol CatalogStore: Sendable {
    func createNamespace(warehouse: String, _ namespace: NamespacePath, properties: [String: String]) async throws(IcebergError)
    func namespaceProperties(warehouse: String, _ namespace: NamespacePath) async throws(IcebergError) -> [String: String]?
    /// Child namespaces of `parent` (top level when empty), in order, after `after`.
    func listNamespaces(warehouse: String, parent: NamespacePath, after: NamespacePath?, limit: Int) async throws(IcebergError) -> [NamespacePath]
    func dropNamespace(warehouse: String, _ namespace: NamespacePath) async throws(IcebergError)
    /// Returns the keys updated, removed and missing (asked to remove but absent).
    func updateNamespaceProperties(warehouse: String, _ namespace: NamespacePath, removals: [String], updates: [String: String])
        async throws(IcebergError) -> (updated: [String], removed: [String], missing: [String])

    func table(warehouse: String, _ identifier: TableIdentifier) async throws(IcebergError) -> TableRecord?
    /// The table as this node last read or wrote it, without asking the database, so possibly
    /// out of date: a commit may start from it, for a swap from it is refused when the row has
    /// been written since (its `rowVersion`).
    func knownTable(warehouse: String, _ identifier: TableIdentifier) -> TableRecord?
    func listTables(warehouse: String, namespace: NamespacePath, after: String?, limit: Int) async throws(IcebergError) -> [String]
    func swap(warehouse: String, _ swaps: [TablePointerSwap]) async throws(IcebergError)
    func dropTable(warehouse: String, _ identifier: TableIdentifier) async throws(IcebergError) -> TableRecord?
    func renameTable(warehouse: String, from: TableIdentifier, to: TableIdentifier) async throws(IcebergError)

    // Views share the name space of tables: a view and a table cannot have the same name.
    func view(warehouse: String, _ identifier: TableIdentifier) async throws(IcebergError) -> ViewRecord?
    func listViews(warehouse: String, namespace: NamespacePath, after: String?, limit: Int) async throws(IcebergError) -> [String]
    /// Moves a view's pointer from `expectedLocation` (nil: create) to `record`.
    /// - Parameter document: `record.metadata` as text (as written to its file).
    func swapView(warehouse: String, expectedLocation: String?, _ record: ViewRecord, document: String) async throws(IcebergError)
    func dropView(warehouse: String, _ identifier: TableIdentifier) async throws(IcebergError) -> ViewRecord?
    func renameView(warehouse: String, from: TableIdentifier, to: TableIdentifier) async throws(IcebergError)

    /// Tables and views of the warehouse, in any namespace, whose location (their metadata's
    /// `location`) is `location`, lies below it (`location/…`), or is one of `ancestors`: the
    /// files they own overlap a table placed at `location`.
    func tablesOverlapping(warehouse: String, location: String, ancestors: [String]) async throws(IcebergError) -> [TableIdentifier]
}

extension CatalogStore {
    /// A store without row versions knows nothing without asking.
    public func knownTable(warehouse: String, _ identifier: TableIdentifier) -> TableRecord? { nil }
}
