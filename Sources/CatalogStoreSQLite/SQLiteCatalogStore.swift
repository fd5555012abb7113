import Catalog
import Foundation
import IcebergModel
import SQLiteSupport

/// The embedded catalog database: namespaces and table pointers in SQLite (WAL). Namespace
/// paths are stored joined by the unit separator, which names cannot contain.
public final class SQLiteCatalogStore: CatalogStore {
    let database: SQLiteDatabase

    static let migrations: [String] = [
        """
        CREATE TABLE namespaces (
            warehouse TEXT NOT NULL,
            name TEXT NOT NULL,
            parent TEXT NOT NULL,
            properties TEXT NOT NULL,
            PRIMARY KEY (warehouse, name)
        ) STRICT;
        CREATE INDEX namespaces_by_parent ON namespaces(warehouse, parent, name);
        CREATE TABLE tables (
            warehouse TEXT NOT NULL,
            namespace TEXT NOT NULL,
            name TEXT NOT NULL,
            metadata_location TEXT NOT NULL,
            metadata TEXT NOT NULL,
            PRIMARY KEY (warehouse, namespace, name)
        ) STRICT;
        """,
        // 2: views live beside tables (one name space), told apart by kind.
        """
        ALTER TABLE tables ADD COLUMN kind TEXT NOT NULL DEFAULT 'table';
        """,
        // 3: each table's location, indexed, so no two tables are placed over each other's files.
        """
        ALTER TABLE tables ADD COLUMN location TEXT GENERATED ALWAYS AS (json_extract(metadata, '$.location')) VIRTUAL;
        CREATE INDEX tables_by_location ON tables(warehouse, location);
        """,
    ]

    public init(path: String) throws {
        database = try SQLiteDatabase(path: path, migrations: Self.migrations)
    }

    public func close() async { await database.shutdown() }

    static func key(_ namespace: NamespacePath) -> String { NamespaceKey.join(namespace) }
    static func path(_ key: String) -> NamespacePath { NamespaceKey.split(key) }

    func run<T: Sendable>(write: Bool = false, _ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws(IcebergError) -> T {
        do {
            return try await write ? database.write(body) : database.read(body)
        } catch let error as IcebergError {
            throw error
        } catch {
            throw .serviceUnavailable("Catalog database unavailable: \(error)")
        }
    }

    static func encode(_ properties: [String: String]) throws -> String {
        String(decoding: try JSONEncoder().encode(properties), as: UTF8.self)
    }

    static func decodeProperties(_ text: String?) throws -> [String: String] {
        try JSONDecoder().decode([String: String].self, from: Data((text ?? "{}").utf8))
    }

    public func createNamespace(warehouse: String, _ namespace: NamespacePath, properties: [String: String]) async throws(IcebergError) {
        try await run(write: true) { db in
            if try !db.query("SELECT 1 FROM namespaces WHERE warehouse = ? AND name = ?", [.text(warehouse), .text(Self.key(namespace))]).isEmpty {
                throw IcebergError.alreadyExists("Namespace already exists: \(namespace.joined(separator: "."))")
            }
            try db.query(
                "INSERT INTO namespaces (warehouse, name, parent, properties) VALUES (?, ?, ?, ?)",
                [.text(warehouse), .text(Self.key(namespace)), .text(Self.key(Array(namespace.dropLast()))), .text(try Self.encode(properties))])
        }
    }

    public func namespaceProperties(warehouse: String, _ namespace: NamespacePath) async throws(IcebergError) -> [String: String]? {
        try await run { db in
            guard let row = try db.query("SELECT properties FROM namespaces WHERE warehouse = ? AND name = ?", [.text(warehouse), .text(Self.key(namespace))]).first
            else { return nil }
            return try Self.decodeProperties(row[0].string)
        }
    }

    public func listNamespaces(warehouse: String, parent: NamespacePath, after: NamespacePath?, limit: Int) async throws(IcebergError) -> [NamespacePath] {
        try await run { db in
            try db.query(
                "SELECT name FROM namespaces WHERE warehouse = ? AND parent = ? AND name > ? ORDER BY name LIMIT ?",
                [.text(warehouse), .text(Self.key(parent)), .text(after.map(Self.key) ?? ""), .integer(Int64(limit))]
            ).compactMap { $0[0].string.map(Self.path) }
        }
    }

    public func dropNamespace(warehouse: String, _ namespace: NamespacePath) async throws(IcebergError) {
        try await run(write: true) { db in
            let key = Self.key(namespace)
            guard try !db.query("SELECT 1 FROM namespaces WHERE warehouse = ? AND name = ?", [.text(warehouse), .text(key)]).isEmpty else {
                throw IcebergError.noSuchNamespace(namespace.joined(separator: "."))
            }
            if try !db.query("SELECT 1 FROM tables WHERE warehouse = ? AND namespace = ? LIMIT 1", [.text(warehouse), .text(key)]).isEmpty
                || !db.query("SELECT 1 FROM namespaces WHERE warehouse = ? AND parent = ? LIMIT 1", [.text(warehouse), .text(key)]).isEmpty
            {
                throw IcebergError.namespaceNotEmpty(namespace.joined(separator: "."))
            }
            try db.query("DELETE FROM namespaces WHERE warehouse = ? AND name = ?", [.text(warehouse), .text(key)])
        }
    }

    public func updateNamespaceProperties(warehouse: String, _ namespace: NamespacePath, removals: [String], updates: [String: String])
        async throws(IcebergError) -> (updated: [String], removed: [String], missing: [String])
    {
        try await run(write: true) { db in
            let key = Self.key(namespace)
            guard let row = try db.query("SELECT properties FROM namespaces WHERE warehouse = ? AND name = ?", [.text(warehouse), .text(key)]).first else {
                throw IcebergError.noSuchNamespace(namespace.joined(separator: "."))
            }
            var properties = try Self.decodeProperties(row[0].string)
            var removed: [String] = []
            var missing: [String] = []
            for name in removals {
                if properties.removeValue(forKey: name) != nil { removed.append(name) } else { missing.append(name) }
            }
            for (k, v) in updates { properties[k] = v }
            try db.query("UPDATE namespaces SET properties = ? WHERE warehouse = ? AND name = ?", [.text(try Self.encode(properties)), .text(warehouse), .text(key)])
            return (updates.keys.sorted(), removed, missing)
        }
    }

    static func record(_ row: [SQLiteValue], _ identifier: TableIdentifier) throws -> TableRecord {
        let text = row[1].string ?? ""
        return try TableRecord(identifier: identifier, metadataLocation: row[0].string!, text: text, parsed: try StoredDocuments.parse(text))
    }

    public func table(warehouse: String, _ identifier: TableIdentifier) async throws(IcebergError) -> TableRecord? {
        try await run { db in
            try db.query(
                "SELECT metadata_location, metadata FROM tables WHERE warehouse = ? AND namespace = ? AND name = ? AND kind = 'table'",
                [.text(warehouse), .text(Self.key(identifier.namespace)), .text(identifier.name)]
            ).first.map { try Self.record($0, identifier) }
        }
    }

    public func listTables(warehouse: String, namespace: NamespacePath, after: String?, limit: Int) async throws(IcebergError) -> [String] {
        try await run { db in
            try db.query(
                "SELECT name FROM tables WHERE warehouse = ? AND namespace = ? AND name > ? AND kind = 'table' ORDER BY name LIMIT ?",
                [.text(warehouse), .text(Self.key(namespace)), .text(after ?? ""), .integer(Int64(limit))]
            ).compactMap { $0[0].string }
        }
    }

    public func swap(warehouse: String, _ swaps: [TablePointerSwap]) async throws(IcebergError) {
        guard !swaps.isEmpty else { return }
        let documents = swaps.map(\.document)
        try await run(write: true) { db in
            for (swap, document) in zip(swaps, documents) {
                let ns = SQLiteValue.text(Self.key(swap.identifier.namespace))
                let name = SQLiteValue.text(swap.identifier.name)
                if let expected = swap.expectedLocation {
                    try db.query(
                        "UPDATE tables SET metadata_location = ?, metadata = ? WHERE warehouse = ? AND namespace = ? AND name = ? AND metadata_location = ? AND kind = 'table'",
                        [.text(swap.record.metadataLocation), .text(document), .text(warehouse), ns, name, .text(expected)])
                    if db.changes == 0 {
                        throw IcebergError.commitFailed("Commit failed: \(swap.identifier) was changed by another commit")
                    }
                } else {
                    if try !db.query("SELECT 1 FROM tables WHERE warehouse = ? AND namespace = ? AND name = ?", [.text(warehouse), ns, name]).isEmpty {
                        throw IcebergError.commitFailed("Commit failed: table \(swap.identifier) already exists")
                    }
                    guard try !db.query("SELECT 1 FROM namespaces WHERE warehouse = ? AND name = ?", [.text(warehouse), ns]).isEmpty else {
                        throw IcebergError.noSuchNamespace(swap.identifier.namespace.joined(separator: "."))
                    }
                    try db.query(
                        "INSERT INTO tables (warehouse, namespace, name, metadata_location, metadata) VALUES (?, ?, ?, ?, ?)",
                        [.text(warehouse), ns, name, .text(swap.record.metadataLocation), .text(document)])
                }
            }
        }
    }

    public func dropTable(warehouse: String, _ identifier: TableIdentifier) async throws(IcebergError) -> TableRecord? {
        try await run(write: true) { db in
            let arguments: [SQLiteValue] = [.text(warehouse), .text(Self.key(identifier.namespace)), .text(identifier.name)]
            guard let row = try db.query("SELECT metadata_location, metadata FROM tables WHERE warehouse = ? AND namespace = ? AND name = ? AND kind = 'table'", arguments).first
            else { return nil }
            try db.query("DELETE FROM tables WHERE warehouse = ? AND namespace = ? AND name = ?", arguments)
            return try Self.record(row, identifier)
        }
    }

    public func renameTable(warehouse: String, from: TableIdentifier, to: TableIdentifier) async throws(IcebergError) {
        try await rename(kind: "table", warehouse: warehouse, from: from, to: to)
    }

    func rename(kind: String, warehouse: String, from: TableIdentifier, to: TableIdentifier) async throws(IcebergError) {
        try await run(write: true) { db in
            let source: [SQLiteValue] = [.text(warehouse), .text(Self.key(from.namespace)), .text(from.name), .text(kind)]
            guard try !db.query("SELECT 1 FROM tables WHERE warehouse = ? AND namespace = ? AND name = ? AND kind = ?", source).isEmpty else {
                throw kind == "view" ? IcebergError.noSuchView(from.description) : IcebergError.noSuchTable(from.description)
            }
            guard try !db.query("SELECT 1 FROM namespaces WHERE warehouse = ? AND name = ?", [.text(warehouse), .text(Self.key(to.namespace))]).isEmpty else {
                throw IcebergError.noSuchNamespace(to.namespace.joined(separator: "."))
            }
            if try !db.query("SELECT 1 FROM tables WHERE warehouse = ? AND namespace = ? AND name = ?", [.text(warehouse), .text(Self.key(to.namespace)), .text(to.name)]).isEmpty {
                throw IcebergError.alreadyExists("Table or view already exists: \(to)")
            }
            try db.query(
                "UPDATE tables SET namespace = ?, name = ? WHERE warehouse = ? AND namespace = ? AND name = ? AND kind = ?",
                [.text(Self.key(to.namespace)), .text(to.name)] + source)
        }
    }

    public func tablesOverlapping(warehouse: String, location: String, ancestors: [String]) async throws(IcebergError) -> [TableIdentifier] {
        let ancestorList = String(decoding: (try? JSONEncoder().encode(ancestors)) ?? Data("[]".utf8), as: UTF8.self)
        return try await run { db in
            // Below `location`: keys from "location/" up to (not including) "location0" ('0' follows '/').
            try db.query(
                """
                SELECT namespace, name FROM tables WHERE warehouse = ?1 AND (location = ?2 OR (location >= ?2 || '/' AND location < ?2 || '0'))
                UNION SELECT namespace, name FROM tables WHERE warehouse = ?1 AND location IN (SELECT value FROM json_each(?3))
                """,
                [.text(warehouse), .text(location), .text(ancestorList)]
            ).map { TableIdentifier(namespace: Self.path($0[0].string ?? ""), name: $0[1].string ?? "") }
        }
    }

    // MARK: views

    static func viewRecord(_ row: [SQLiteValue], _ identifier: TableIdentifier) throws -> ViewRecord {
        let metadata = try ViewMetadata(json: try StoredDocuments.parse(row[1].string ?? ""))
        return ViewRecord(identifier: identifier, metadataLocation: row[0].string!, metadata: metadata)
    }

    public func view(warehouse: String, _ identifier: TableIdentifier) async throws(IcebergError) -> ViewRecord? {
        try await run { db in
            try db.query(
                "SELECT metadata_location, metadata FROM tables WHERE warehouse = ? AND namespace = ? AND name = ? AND kind = 'view'",
                [.text(warehouse), .text(Self.key(identifier.namespace)), .text(identifier.name)]
            ).first.map { try Self.viewRecord($0, identifier) }
        }
    }

    public func listViews(warehouse: String, namespace: NamespacePath, after: String?, limit: Int) async throws(IcebergError) -> [String] {
        try await run { db in
            try db.query(
                "SELECT name FROM tables WHERE warehouse = ? AND namespace = ? AND name > ? AND kind = 'view' ORDER BY name LIMIT ?",
                [.text(warehouse), .text(Self.key(namespace)), .text(after ?? ""), .integer(Int64(limit))]
            ).compactMap { $0[0].string }
        }
    }

    public func swapView(warehouse: String, expectedLocation: String?, _ record: ViewRecord, document: String) async throws(IcebergError) {
        try await run(write: true) { db in
            let ns = SQLiteValue.text(Self.key(record.identifier.namespace))
            let name = SQLiteValue.text(record.identifier.name)
            if let expectedLocation {
                try db.query(
                    "UPDATE tables SET metadata_location = ?, metadata = ? WHERE warehouse = ? AND namespace = ? AND name = ? AND metadata_location = ? AND kind = 'view'",
                    [.text(record.metadataLocation), .text(document), .text(warehouse), ns, name, .text(expectedLocation)])
                if db.changes == 0 { throw IcebergError.commitFailed("Commit failed: view \(record.identifier) was changed by another commit") }
                return
            }
            if try !db.query("SELECT 1 FROM tables WHERE warehouse = ? AND namespace = ? AND name = ?", [.text(warehouse), ns, name]).isEmpty {
                throw IcebergError.alreadyExists("Table or view already exists: \(record.identifier)")
            }
            guard try !db.query("SELECT 1 FROM namespaces WHERE warehouse = ? AND name = ?", [.text(warehouse), ns]).isEmpty else {
                throw IcebergError.noSuchNamespace(record.identifier.namespace.joined(separator: "."))
            }
            try db.query(
                "INSERT INTO tables (warehouse, namespace, name, metadata_location, metadata, kind) VALUES (?, ?, ?, ?, ?, 'view')",
                [.text(warehouse), ns, name, .text(record.metadataLocation), .text(document)])
        }
    }

    public func dropView(warehouse: String, _ identifier: TableIdentifier) async throws(IcebergError) -> ViewRecord? {
        try await run(write: true) { db in
            let arguments: [SQLiteValue] = [.text(warehouse), .text(Self.key(identifier.namespace)), .text(identifier.name)]
            guard let row = try db.query("SELECT metadata_location, metadata FROM tables WHERE warehouse = ? AND namespace = ? AND name = ? AND kind = 'view'", arguments).first
            else { return nil }
            try db.query("DELETE FROM tables WHERE warehouse = ? AND namespace = ? AND name = ? AND kind = 'view'", arguments)
            return try Self.viewRecord(row, identifier)
        }
    }

    public func renameView(warehouse: String, from: TableIdentifier, to: TableIdentifier) async throws(IcebergError) {
        try await rename(kind: "view", warehouse: warehouse, from: from, to: to)
    }
}
