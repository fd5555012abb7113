import Catalog
import Foundation
import IcebergModel
import Logging
import PostgresNIO
import PostgresSupport

/// The catalog database in PostgreSQL, for deployments where several Floe nodes share one
/// catalog. Same logical schema as the SQLite store; every multi-statement change runs in one
/// transaction, and a pointer swap is `UPDATE … WHERE metadata_location = <old> RETURNING 1`.
/// Database failures surface as 503 ServiceUnavailableException and heal when it returns.
public final class PostgresCatalogStore: CatalogStore {
    public let client: PostgresClient
    let logger: Logger
    /// Tables' records as last read or written here, each asked after by its row's version.
    let records = TableRecordCache()

    static let migrations: [String] = [
        """
        CREATE TABLE namespaces (
            warehouse TEXT COLLATE "C" NOT NULL,
            name TEXT COLLATE "C" NOT NULL,
            parent TEXT COLLATE "C" NOT NULL,
            properties TEXT NOT NULL,
            PRIMARY KEY (warehouse, name)
        );
        CREATE INDEX namespaces_by_parent ON namespaces(warehouse, parent, name);
        CREATE TABLE tables (
            warehouse TEXT COLLATE "C" NOT NULL,
            namespace TEXT COLLATE "C" NOT NULL,
            name TEXT COLLATE "C" NOT NULL,
            metadata_location TEXT NOT NULL,
            metadata TEXT NOT NULL,
            kind TEXT NOT NULL DEFAULT 'table',
            PRIMARY KEY (warehouse, namespace, name)
        );
        """,
        // 2: each table's location, indexed, so no two tables are placed over each other's files.
        """
        ALTER TABLE tables ADD COLUMN location TEXT COLLATE "C" GENERATED ALWAYS AS ((metadata::jsonb) ->> 'location') STORED;
        CREATE INDEX tables_by_location ON tables(warehouse, location);
        """,
        // 3: the location written by the store beside the document it comes from: computing it
        // cast the whole document to jsonb on every commit, a quarter of PostgreSQL's CPU. A
        // writer that sets it also moves `location_stamp`; for one that changes the document
        // without (a node still on the previous version, during a rolling upgrade) the trigger
        // computes it, so the confinement of table locations never rests on a stale value.
        """
        ALTER TABLE tables RENAME COLUMN location TO computed_location;
        ALTER TABLE tables ADD COLUMN location TEXT COLLATE "C";
        ALTER TABLE tables ADD COLUMN location_stamp BIGINT NOT NULL DEFAULT 0;
        UPDATE tables SET location = computed_location;
        ALTER TABLE tables DROP COLUMN computed_location;
        CREATE INDEX tables_by_location ON tables(warehouse, location);
        CREATE FUNCTION floe_tables_location() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                IF NEW.location_stamp = 0 THEN
                    NEW.location := NEW.metadata::jsonb ->> 'location';
                END IF;
            ELSIF NEW.location_stamp = OLD.location_stamp THEN
                IF NEW.metadata IS DISTINCT FROM OLD.metadata THEN
                    NEW.location := NEW.metadata::jsonb ->> 'location';
                END IF;
            END IF;
            RETURN NEW;
        END
        $$;
        CREATE TRIGGER tables_location BEFORE INSERT OR UPDATE ON tables FOR EACH ROW EXECUTE FUNCTION floe_tables_location();
        """,
        // 4: every write of a row stamps it with a new version from one sequence, whoever writes
        // it, so a node that kept a table's record can ask whether the row still holds it. A row's
        // version only grows, even if the sequence were set back (a database moved by logical
        // replication does not carry sequences; `migrate` also catches the sequence up).
        """
        CREATE SEQUENCE floe_table_versions;
        ALTER TABLE tables ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
        UPDATE tables SET version = nextval('floe_table_versions');
        CREATE FUNCTION floe_tables_version() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'UPDATE' THEN
                NEW.version := greatest(nextval('floe_table_versions'), OLD.version + 1);
            ELSE
                NEW.version := nextval('floe_table_versions');
            END IF;
            RETURN NEW;
        END
        $$;
        CREATE TRIGGER tables_version BEFORE INSERT OR UPDATE ON tables FOR EACH ROW EXECUTE FUNCTION floe_tables_version();
        """,
    ]

    /// - Parameter url: `postgres://user:password@host:port/database`
    public init(url: String, logger: Logger) throws {
        guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme ?? ""),
            let host = components.host
        else {
            throw IcebergError.badRequest("FLOE_CATALOG_DB must look like postgres://user:password@host:port/database")
        }
        let configuration = PostgresClient.Configuration(
            host: host, port: components.port ?? 5432, username: components.user ?? "postgres", password: components.password,
            database: components.path.isEmpty ? nil : String(components.path.dropFirst()), tls: .disable)
        client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.logger = logger
    }

    /// Runs the connection pool until cancelled; must be running before the first query.
    public func runClient() async {
        await client.run()
    }

    /// Applies pending migrations, one at a time, under an advisory lock so nodes starting
    /// together do not race. Call once `client.run()` is running.
    public func migrate() async throws {
        try await PostgresMigrations.apply(Self.migrations, table: "floe_catalog_migrations", lock: 7_212_023, client: client, logger: logger)
        await preferLZ4ForDocuments()
        try await catchUpVersions()
    }

    /// Sets the version sequence past every row's version, should it have been set back: a
    /// version a node has kept must not be handed out again.
    func catchUpVersions() async throws {
        try await client.query(
            """
            SELECT setval('floe_table_versions', highest) FROM (SELECT max(version) AS highest FROM tables) AS kept, floe_table_versions
            WHERE highest > last_value OR (highest = last_value AND NOT is_called)
            """,
            logger: logger)
    }

    /// Metadata documents are rewritten whole on every commit; PostgreSQL's default pglz took as
    /// much CPU to compress one as the rest of the commit. lz4 (PostgreSQL 14 and later, when
    /// built with it) does the same in a fraction; where it is unavailable, pglz stays.
    func preferLZ4ForDocuments() async {
        do {
            var compression: String?
            for try await (version, current) in try await client.query(
                "SELECT current_setting('server_version_num')::int, (SELECT attcompression::text FROM pg_attribute WHERE attrelid = 'tables'::regclass AND attname = 'metadata')",
                logger: logger
            ).decode((Int, String?).self) where version >= 140000 {
                compression = current ?? ""
            }
            guard let compression, compression != "l" else { return }
            try await client.query("ALTER TABLE tables ALTER COLUMN metadata SET COMPRESSION lz4", logger: logger)
        } catch {
            logger.debug("catalog documents stay compressed with pglz", metadata: ["reason": "\(String(reflecting: error))"])
        }
    }

    static func key(_ namespace: NamespacePath) -> String { NamespaceKey.join(namespace) }
    static func path(_ key: String) -> NamespacePath { NamespaceKey.split(key) }

    /// How long a catalog call may wait for the database before answering 503.
    public static let timeout: Duration = .seconds(10)

    /// Runs a database call with a deadline, mapping anything but our own errors to 503.
    func run<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws(IcebergError) -> T {
        do {
            return try await DatabaseDeadline.run(within: Self.timeout, body)
        } catch let error as IcebergError {
            throw error
        } catch let error as PostgresTransactionError where error.closureError is IcebergError {
            // A rule broken inside a transaction (the transaction was rolled back).
            throw error.closureError as! IcebergError
        } catch let error as PSQLError where error.code == .server && error.serverInfo?[.sqlState] == "23505" {
            throw .alreadyExists("Already exists: \(error.serverInfo?[.message] ?? "")")
        } catch {
            logger.error("catalog database error", metadata: ["error": "\(String(reflecting: error))"])
            throw .serviceUnavailable("Catalog database unavailable")
        }
    }

    static func encode(_ properties: [String: String]) throws -> String {
        String(decoding: try JSONEncoder().encode(properties), as: UTF8.self)
    }

    static func decode(_ text: String) throws -> [String: String] {
        try JSONDecoder().decode([String: String].self, from: Data(text.utf8))
    }

    static func json(_ text: String) throws -> JSONValue {
        try StoredDocuments.parse(text)
    }

    // MARK: namespaces

    public func createNamespace(warehouse: String, _ namespace: NamespacePath, properties: [String: String]) async throws(IcebergError) {
        let key = Self.key(namespace), parent = Self.key(Array(namespace.dropLast()))
        try await run { [self] in
            let encoded = try Self.encode(properties)
            let rows = try await client.query(
                "INSERT INTO namespaces (warehouse, name, parent, properties) VALUES (\(warehouse), \(key), \(parent), \(encoded)) ON CONFLICT DO NOTHING RETURNING 1",
                logger: logger)
            var inserted = false
            for try await _ in rows { inserted = true }
            if !inserted { throw IcebergError.alreadyExists("Namespace already exists: \(namespace.joined(separator: "."))") }
        }
    }

    public func namespaceProperties(warehouse: String, _ namespace: NamespacePath) async throws(IcebergError) -> [String: String]? {
        let key = Self.key(namespace)
        return try await run { [self] in
            for try await text in try await client.query("SELECT properties FROM namespaces WHERE warehouse = \(warehouse) AND name = \(key)", logger: logger).decode(String.self) {
                return try Self.decode(text)
            }
            return nil
        }
    }

    public func listNamespaces(warehouse: String, parent: NamespacePath, after: NamespacePath?, limit: Int) async throws(IcebergError) -> [NamespacePath] {
        let parentKey = Self.key(parent), afterKey = after.map(Self.key) ?? ""
        return try await run { [self] in
            var out: [NamespacePath] = []
            let rows = try await client.query(
                "SELECT name FROM namespaces WHERE warehouse = \(warehouse) AND parent = \(parentKey) AND name > \(afterKey) ORDER BY name LIMIT \(limit)",
                logger: logger)
            for try await name in rows.decode(String.self) { out.append(Self.path(name)) }
            return out
        }
    }

    public func dropNamespace(warehouse: String, _ namespace: NamespacePath) async throws(IcebergError) {
        let key = Self.key(namespace)
        try await run { [self] in
            try await client.withTransaction(logger: logger) { connection in
                var exists = false
                for try await _ in try await connection.query("SELECT 1 FROM namespaces WHERE warehouse = \(warehouse) AND name = \(key) FOR UPDATE", logger: logger) { exists = true }
                guard exists else { throw IcebergError.noSuchNamespace(namespace.joined(separator: ".")) }
                var busy = false
                for try await _ in try await connection.query(
                    "SELECT 1 FROM tables WHERE warehouse = \(warehouse) AND namespace = \(key) UNION ALL SELECT 1 FROM namespaces WHERE warehouse = \(warehouse) AND parent = \(key) LIMIT 1",
                    logger: logger)
                { busy = true }
                if busy { throw IcebergError.namespaceNotEmpty(namespace.joined(separator: ".")) }
                try await connection.query("DELETE FROM namespaces WHERE warehouse = \(warehouse) AND name = \(key)", logger: logger)
            }
        }
    }

    public func updateNamespaceProperties(warehouse: String, _ namespace: NamespacePath, removals: [String], updates: [String: String])
        async throws(IcebergError) -> (updated: [String], removed: [String], missing: [String])
    {
        let key = Self.key(namespace)
        return try await run { [self] in
            try await client.withTransaction(logger: logger) { connection in
                var current: [String: String]?
                for try await text in try await connection.query(
                    "SELECT properties FROM namespaces WHERE warehouse = \(warehouse) AND name = \(key) FOR UPDATE", logger: logger
                ).decode(String.self) { current = try Self.decode(text) }
                guard var properties = current else { throw IcebergError.noSuchNamespace(namespace.joined(separator: ".")) }
                var removed: [String] = [], missing: [String] = []
                for name in removals {
                    if properties.removeValue(forKey: name) != nil { removed.append(name) } else { missing.append(name) }
                }
                for (k, v) in updates { properties[k] = v }
                let encoded = try Self.encode(properties)
                try await connection.query("UPDATE namespaces SET properties = \(encoded) WHERE warehouse = \(warehouse) AND name = \(key)", logger: logger)
                return (updates.keys.sorted(), removed, missing)
            }
        }
    }

    // MARK: tables and views

    func entry(kind: String, warehouse: String, _ identifier: TableIdentifier) async throws(IcebergError) -> (location: String, text: String, document: JSONValue)? {
        let ns = Self.key(identifier.namespace), name = identifier.name
        return try await run { [self] in
            for try await (location, text) in try await client.query(
                "SELECT metadata_location, metadata FROM tables WHERE warehouse = \(warehouse) AND namespace = \(ns) AND name = \(name) AND kind = \(kind)",
                logger: logger
            ).decode((String, String).self) {
                return (location, text, try Self.json(text))
            }
            return nil
        }
    }

    func names(kind: String, warehouse: String, namespace: NamespacePath, after: String?, limit: Int) async throws(IcebergError) -> [String] {
        let ns = Self.key(namespace), afterName = after ?? ""
        return try await run { [self] in
            var out: [String] = []
            for try await name in try await client.query(
                "SELECT name FROM tables WHERE warehouse = \(warehouse) AND namespace = \(ns) AND kind = \(kind) AND name > \(afterName) ORDER BY name LIMIT \(limit)",
                logger: logger
            ).decode(String.self) { out.append(name) }
            return out
        }
    }

    public func tablesOverlapping(warehouse: String, location: String, ancestors: [String]) async throws(IcebergError) -> [TableIdentifier] {
        let below = location + "/", after = location + "0"
        return try await run { [self] in
            var out: [TableIdentifier] = []
            for try await (namespace, name) in try await client.query(
                """
                SELECT namespace, name FROM tables WHERE warehouse = \(warehouse)
                AND (location = \(location) OR (location >= \(below) AND location < \(after)) OR location = ANY(\(ancestors)))
                """,
                logger: logger
            ).decode((String, String).self) { out.append(TableIdentifier(namespace: Self.path(namespace), name: name)) }
            return out
        }
    }

    /// Runs a prepared statement and reads its rows.
    static func execute<Statement: PostgresPreparedStatement>(_ statement: Statement, on connection: PostgresConnection, logger: Logger) async throws
        -> [Statement.Row]
    {
        var rows: [Statement.Row] = []
        for try await row in try await connection.execute(statement, logger: logger) { rows.append(row) }
        return rows
    }

    /// Leases a connection for `body`. When `body` fails other than by refusing (a lock or
    /// statement timeout, a cancel), the connection is closed once `body` is done with it, and
    /// the pool opens another: postgres-nio keeps a failed statement preparation per connection,
    /// so it would fail that statement for the rest of its life. Not earlier: inside a
    /// transaction the connection must stay open for the ROLLBACK.
    func withConnection<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await client.withConnection { connection in
            do {
                return try await body(connection)
            } catch {
                if !Self.isRefusal(error) {
                    logger.warning("closing a catalog database connection after a failed statement", metadata: ["error": "\(String(reflecting: error))"])
                    try? await connection.close()
                }
                throw error
            }
        }
    }

    /// One of our own refusals (a lost compare-and-swap, a missing namespace), thrown by itself or
    /// inside a transaction that was rolled back: the connection is sound.
    static func isRefusal(_ error: any Error) -> Bool {
        error is IcebergError || (error as? PostgresTransactionError)?.closureError is IcebergError
    }

    /// One pointer move inside a transaction: compare-and-swap, or insert when `expected` is nil.
    /// - Parameter tableLocation: the document's `location`, kept in its own indexed column.
    static func move(
        _ connection: PostgresConnection, logger: Logger, kind: String, warehouse: String, identifier: TableIdentifier, expected: String?,
        expectedVersion: Int64? = nil, location: String, document: String, tableLocation: String?
    ) async throws -> Int64 {
        let ns = key(identifier.namespace), name = identifier.name
        if let expected {
            let statement = MoveStatement(
                warehouse: warehouse, namespace: ns, name: name, kind: kind, expectedLocation: expected, expectedVersion: expectedVersion, location: location,
                document: document, tableLocation: tableLocation)
            guard let moved = try await execute(statement, on: connection, logger: logger).first else { throw IcebergError.commitFailed("Commit failed: \(identifier) was changed by another commit") }
            return moved
        }
        var namespaceExists = false
        for try await _ in try await connection.query("SELECT 1 FROM namespaces WHERE warehouse = \(warehouse) AND name = \(ns)", logger: logger) { namespaceExists = true }
        guard namespaceExists else { throw IcebergError.noSuchNamespace(identifier.namespace.joined(separator: ".")) }
        var inserted: Int64?
        for try await version in try await connection.query(
            "INSERT INTO tables (warehouse, namespace, name, metadata_location, metadata, kind, location, location_stamp) VALUES (\(warehouse), \(ns), \(name), \(location), \(document), \(kind), \(tableLocation), 1) ON CONFLICT DO NOTHING RETURNING version",
            logger: logger
        ).decode(Int64.self) { inserted = version }
        guard let inserted else {
            throw kind == "view" ? IcebergError.alreadyExists("Table or view already exists: \(identifier)") : IcebergError.commitFailed("Commit failed: table \(identifier) already exists")
        }
        return inserted
    }

    /// The table's row, with its document only when the row is not at `known`.
    func tableRow(warehouse: String, _ identifier: TableIdentifier, known: TableRecordCache.Stamp?) async throws(IcebergError) -> (
        stamp: TableRecordCache.Stamp, document: (text: String, parsed: JSONValue)?
    )? {
        let ns = Self.key(identifier.namespace), name = identifier.name
        let knownVersion = known?.version ?? -1, knownLocation = known?.metadataLocation ?? ""
        let statement = TableRowStatement(warehouse: warehouse, namespace: ns, name: name, knownVersion: knownVersion, knownLocation: knownLocation)
        return try await run { [self] in
            let rows = try await withConnection { try await Self.execute(statement, on: $0, logger: logger) }
            guard let (location, version, text) = rows.first else { return nil }
            return (TableRecordCache.Stamp(version: version, metadataLocation: location), try text.map { ($0, try Self.json($0)) })
        }
    }

    public func table(warehouse: String, _ identifier: TableIdentifier) async throws(IcebergError) -> TableRecord? {
        var known = records.stamp(warehouse: warehouse, identifier)
        // Twice at most: the kept record can be replaced between asking and taking it.
        while true {
            guard let row = try await tableRow(warehouse: warehouse, identifier, known: known) else {
                records.forget(warehouse: warehouse, identifier)
                return nil
            }
            guard let document = row.document else {
                if let kept = records.record(warehouse: warehouse, identifier, at: row.stamp) { return kept }
                known = nil
                continue
            }
            var record = try TableRecord(identifier: identifier, metadataLocation: row.stamp.metadataLocation, text: document.text, parsed: document.parsed)
            record.rowVersion = row.stamp.version
            records.keep(read: record, warehouse: warehouse)
            return record
        }
    }

    public func knownTable(warehouse: String, _ identifier: TableIdentifier) -> TableRecord? {
        records.latest(warehouse: warehouse, identifier)
    }

    public func listTables(warehouse: String, namespace: NamespacePath, after: String?, limit: Int) async throws(IcebergError) -> [String] {
        try await names(kind: "table", warehouse: warehouse, namespace: namespace, after: after, limit: limit)
    }

    public func swap(warehouse: String, _ swaps: [TablePointerSwap]) async throws(IcebergError) {
        guard !swaps.isEmpty else { return }
        let logger = logger
        let move: @Sendable (PostgresConnection, TablePointerSwap) async throws -> Int64 = { connection, swap in
            try await Self.move(
                connection, logger: logger, kind: "table", warehouse: warehouse, identifier: swap.identifier,
                expected: swap.expectedLocation, expectedVersion: swap.expectedVersion, location: swap.record.metadataLocation, document: swap.document,
                tableLocation: swap.record.metadata.json["location"]?.stringValue)
        }
        // One pointer moved from a known file is one conditional UPDATE, atomic by itself: no
        // BEGIN and COMMIT round trips for the commit engines make most.
        let versions: [Int64]
        // Transactions lock the rows they move in one order, so two of them over the same tables
        // wait for each other instead of deadlocking.
        let swaps = swaps.sorted { TableIdentifier.precedesBytewise($0.identifier, $1.identifier) }
        if swaps.count == 1, let swap = swaps.first, swap.expectedLocation != nil {
            versions = [
                try await run { [self] in
                    try await withConnection { try await move($0, swap) }
                }
            ]
        } else {
            versions = try await run { [self] in
                try await withConnection { connection in
                    try await connection.withTransaction(logger: logger) { connection in
                        var versions: [Int64] = []
                        for swap in swaps { versions.append(try await move(connection, swap)) }
                        return versions
                    }
                }
            }
        }
        for (swap, version) in zip(swaps, versions) { records.keep(written: swap.record, warehouse: warehouse, version: version) }
    }

    func remove(kind: String, warehouse: String, _ identifier: TableIdentifier) async throws(IcebergError) -> (String, JSONValue)? {
        let ns = Self.key(identifier.namespace), name = identifier.name
        return try await run { [self] in
            for try await (location, text) in try await client.query(
                "DELETE FROM tables WHERE warehouse = \(warehouse) AND namespace = \(ns) AND name = \(name) AND kind = \(kind) RETURNING metadata_location, metadata",
                logger: logger
            ).decode((String, String).self) {
                return (location, try Self.json(text))
            }
            return nil
        }
    }

    public func dropTable(warehouse: String, _ identifier: TableIdentifier) async throws(IcebergError) -> TableRecord? {
        records.forget(warehouse: warehouse, identifier)
        guard let (location, document) = try await remove(kind: "table", warehouse: warehouse, identifier) else { return nil }
        return TableRecord(identifier: identifier, metadataLocation: location, metadata: try TableMetadata(json: document))
    }

    func rename(kind: String, warehouse: String, from: TableIdentifier, to: TableIdentifier) async throws(IcebergError) {
        let fromNS = Self.key(from.namespace), toNS = Self.key(to.namespace), fromName = from.name, toName = to.name
        try await run { [self] in
            try await client.withTransaction(logger: logger) { connection in
                var namespaceExists = false
                for try await _ in try await connection.query("SELECT 1 FROM namespaces WHERE warehouse = \(warehouse) AND name = \(toNS)", logger: logger) { namespaceExists = true }
                guard namespaceExists else { throw IcebergError.noSuchNamespace(to.namespace.joined(separator: ".")) }
                var taken = false
                for try await _ in try await connection.query(
                    "SELECT 1 FROM tables WHERE warehouse = \(warehouse) AND namespace = \(toNS) AND name = \(toName)", logger: logger) { taken = true }
                if taken { throw IcebergError.alreadyExists("Table or view already exists: \(to)") }
                var moved = false
                for try await _ in try await connection.query(
                    "UPDATE tables SET namespace = \(toNS), name = \(toName) WHERE warehouse = \(warehouse) AND namespace = \(fromNS) AND name = \(fromName) AND kind = \(kind) RETURNING 1",
                    logger: logger)
                { moved = true }
                if !moved { throw kind == "view" ? IcebergError.noSuchView(from.description) : IcebergError.noSuchTable(from.description) }
            }
        }
    }

    public func renameTable(warehouse: String, from: TableIdentifier, to: TableIdentifier) async throws(IcebergError) {
        records.forget(warehouse: warehouse, from)
        try await rename(kind: "table", warehouse: warehouse, from: from, to: to)
    }

    public func view(warehouse: String, _ identifier: TableIdentifier) async throws(IcebergError) -> ViewRecord? {
        guard let (location, _, document) = try await entry(kind: "view", warehouse: warehouse, identifier) else { return nil }
        return ViewRecord(identifier: identifier, metadataLocation: location, metadata: try ViewMetadata(json: document))
    }

    public func listViews(warehouse: String, namespace: NamespacePath, after: String?, limit: Int) async throws(IcebergError) -> [String] {
        try await names(kind: "view", warehouse: warehouse, namespace: namespace, after: after, limit: limit)
    }

    public func swapView(warehouse: String, expectedLocation: String?, _ record: ViewRecord, document: String) async throws(IcebergError) {
        try await run { [self] in
            try await withConnection { connection in
                try await connection.withTransaction(logger: logger) { connection in
                    _ = try await Self.move(
                        connection, logger: logger, kind: "view", warehouse: warehouse, identifier: record.identifier,
                        expected: expectedLocation, location: record.metadataLocation, document: document,
                        tableLocation: record.metadata.json["location"]?.stringValue)
                }
            }
        }
    }

    public func dropView(warehouse: String, _ identifier: TableIdentifier) async throws(IcebergError) -> ViewRecord? {
        guard let (location, document) = try await remove(kind: "view", warehouse: warehouse, identifier) else { return nil }
        return ViewRecord(identifier: identifier, metadataLocation: location, metadata: try ViewMetadata(json: document))
    }

    public func renameView(warehouse: String, from: TableIdentifier, to: TableIdentifier) async throws(IcebergError) {
        try await rename(kind: "view", warehouse: warehouse, from: from, to: to)
    }
}

/// The read of every loadTable and commit, prepared once per connection instead of parsed and
/// planned on every call.
struct TableRowStatement: PostgresPreparedStatement {
    static let name = "floe_table_row"
    static let sql = """
        SELECT metadata_location, version, CASE WHEN version = $4 AND metadata_location = $5 THEN NULL ELSE metadata END
        FROM tables WHERE warehouse = $1 AND namespace = $2 AND name = $3 AND kind = 'table'
        """
    typealias Row = (String, Int64, String?)

    var warehouse: String
    var namespace: String
    var name: String
    var knownVersion: Int64
    var knownLocation: String

    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 5)
        bindings.append(warehouse)
        bindings.append(namespace)
        bindings.append(name)
        bindings.append(knownVersion)
        bindings.append(knownLocation)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        try row.decode(Row.self)
    }
}

/// The pointer move of every commit, prepared once per connection: compare-and-swap on the
/// metadata location it starts from and, when known, the row version.
struct MoveStatement: PostgresPreparedStatement {
    static let name = "floe_move"
    static let sql = """
        UPDATE tables SET metadata_location = $1, metadata = $2, location = $3, location_stamp = location_stamp + 1
        WHERE warehouse = $4 AND namespace = $5 AND name = $6 AND kind = $7 AND metadata_location = $8 AND version = coalesce($9, version)
        RETURNING version
        """
    static let bindingDataTypes: [PostgresDataType] = [.text, .text, .text, .text, .text, .text, .text, .text, .int8]
    typealias Row = Int64

    var warehouse: String
    var namespace: String
    var name: String
    var kind: String
    var expectedLocation: String
    var expectedVersion: Int64?
    var location: String
    var document: String
    var tableLocation: String?

    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 9)
        bindings.append(location)
        bindings.append(document)
        if let tableLocation { bindings.append(tableLocation) } else { bindings.appendNull() }
        bindings.append(warehouse)
        bindings.append(namespace)
        bindings.append(name)
        bindings.append(kind)
        bindings.append(expectedLocation)
        if let expectedVersion { bindings.append(expectedVersion) } else { bindings.appendNull() }
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        try row.decode(Int64.self)
    }
}
