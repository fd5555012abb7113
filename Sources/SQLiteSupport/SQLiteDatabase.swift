import NIOConcurrencyHelpers
import NIOPosix

/// A SQLite database in WAL mode: one writer connection (writes are serialised) and a set of
/// reader connections, all used from a dedicated thread pool so no event loop ever blocks on disk.
public final class SQLiteDatabase: Sendable {
    public let path: String
    private let threadPool: NIOThreadPool
    private let writer: NIOLockedValueBox<SQLiteConnection>
    private let readers: NIOLockedValueBox<[SQLiteConnection]>

    /// - Parameter migrations: applied in order; `PRAGMA user_version` records how many ran.
    public init(path: String, migrations: [String], threads: Int = 4) throws {
        self.path = path
        let connection = try SQLiteConnection(path: path, readOnly: false)
        try connection.execute("PRAGMA journal_mode=WAL")
        // FULL: a committed transaction survives power loss, not only a process crash.
        try connection.execute("PRAGMA synchronous=FULL")
        try connection.execute("PRAGMA foreign_keys=ON")
        try Self.migrate(connection, migrations)
        writer = NIOLockedValueBox(connection)
        readers = NIOLockedValueBox([])
        threadPool = NIOThreadPool(numberOfThreads: threads)
        threadPool.start()
    }

    static func migrate(_ connection: SQLiteConnection, _ migrations: [String]) throws {
        let current = try connection.query("PRAGMA user_version").first?.first?.int ?? 0
        guard current < migrations.count else { return }
        for version in Int(current)..<migrations.count {
            try connection.transaction {
                try connection.execute(migrations[version])
                try connection.execute("PRAGMA user_version = \(version + 1)")
            }
        }
    }

    /// Applies another component's migrations to this same file, versioned in `floe_schema` by
    /// component name (the file's own `user_version` belongs to the migrations given at init).
    public func migrate(component: String, migrations: [String]) async throws {
        try await write { connection in
            try connection.execute("CREATE TABLE IF NOT EXISTS floe_schema (component TEXT PRIMARY KEY, version INTEGER NOT NULL) STRICT")
            let current = try connection.query("SELECT version FROM floe_schema WHERE component = ?", [.text(component)]).first?.first?.int ?? 0
            guard current < migrations.count else { return }
            for version in Int(current)..<migrations.count {
                try connection.execute(migrations[version])
            }
            _ = try connection.query(
                "INSERT INTO floe_schema (component, version) VALUES (?, ?) ON CONFLICT(component) DO UPDATE SET version = excluded.version",
                [.text(component), .integer(Int64(migrations.count))])
        }
    }

    public func write<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await threadPool.runIfActive {
            try self.writer.withLockedValue { connection in
                try connection.transaction { try body(connection) }
            }
        }
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await threadPool.runIfActive {
            let connection = try self.readers.withLockedValue { $0.popLast() } ?? SQLiteConnection(path: self.path, readOnly: true)
            defer { self.readers.withLockedValue { $0.append(connection) } }
            try connection.execute("BEGIN")
            defer { try? connection.execute("COMMIT") }
            return try body(connection)
        }
    }

    public func shutdown() async {
        try? await threadPool.shutdownGracefully()
    }
}

extension SQLiteConnection: @unchecked Sendable {}
