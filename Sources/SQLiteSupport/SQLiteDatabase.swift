import CSQLite
import NIOConcurrencyHelpers
import NIOPosix
import Synchronization

/// A SQLite database in WAL mode: one writer connection and a set of reader connections, all
/// used from a dedicated thread pool so no event loop ever blocks on disk.
///
/// Writes are group-committed: the writes waiting while a commit is in progress run together in
/// the next transaction, each inside its own savepoint (a failing write is rolled back alone),
/// and all of them are answered after that transaction's one durable COMMIT. Concurrent writers
/// share the fsync instead of queueing for one each; none is answered before it is durable.
public final class SQLiteDatabase: Sendable {
    public let path: String
    private let threadPool: NIOThreadPool
    private let writer: NIOLockedValueBox<SQLiteConnection>
    private let readers: NIOLockedValueBox<[SQLiteConnection]>
    private let pending = NIOLockedValueBox(PendingWrites())
    private let transactions = Atomic<UInt64>(0)
    /// Generations of the scopes (e.g. a bucket's objects) that scoped writes named, as
    /// `transactions` is for the others. At most `maxScopes`: past that, all are forgotten and
    /// `transactions` advances, so that no scope's generation returns to a value it had within
    /// one generation of the whole.
    private let scopes = NIOLockedValueBox<[Int64: UInt64]>([:])
    let maxScopes: Int
    /// Writes per transaction at most, so one commit's latency stays bounded.
    static let maxGroup = 256

    private struct PendingWrites {
        var queue: [GroupedWrite] = []
        /// Whether a pool thread is draining the queue.
        var draining = false
    }

    /// - Parameter migrations: applied in order; `PRAGMA user_version` records how many ran.
    public init(path: String, migrations: [String], threads: Int = 4, maxScopes: Int = 4096) throws {
        self.path = path
        self.maxScopes = maxScopes
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
        Self.open.withLockedValue { $0[ObjectIdentifier(self)] = WeakDatabase(database: self) }
    }

    deinit {
        Self.open.withLockedValue { _ = $0.removeValue(forKey: ObjectIdentifier(self)) }
    }

    private struct WeakDatabase { weak var database: SQLiteDatabase? }
    /// Every database of the process, for `releaseIdleMemory`.
    private static let open = NIOLockedValueBox<[ObjectIdentifier: WeakDatabase]>([:])

    /// Reader connections an idle database keeps open; more are opened again when reads overlap.
    static let idleReaders = 2

    /// Gives back what every open database holds for speed once the server is quiet: each
    /// connection's page cache (about 2 MB each when warm; several readers per database after
    /// a burst of concurrent reads) and the reader connections past `idleReaders`. Runs on each
    /// database's own threads, the writer's release behind any commit in progress. Returns the
    /// bytes SQLite's allocations shrank by.
    public static func releaseIdleMemory() async -> Int {
        let before = sqlite3_memory_used()
        let databases = open.withLockedValue { $0.values.compactMap(\.database) }
        for database in databases { await database.releaseIdleMemory() }
        return Int(max(0, before - sqlite3_memory_used()))
    }

    /// The reader connections waiting in the pool, and the bytes their page caches hold.
    var idleReaderCacheBytes: [Int] { readers.withLockedValue { $0.map(\.cacheBytes) } }

    private func releaseIdleMemory() async {
        try? await threadPool.runIfActive { [self] in
            // Taken out of the pool while they release: a read meanwhile opens a connection of its own.
            let idle = readers.withLockedValue { readers in
                defer { readers.removeAll() }
                return readers
            }
            let kept = idle.suffix(Self.idleReaders)
            for connection in kept { connection.releaseMemory() }
            readers.withLockedValue { $0.insert(contentsOf: kept, at: 0) }
            writer.withLockedValue { $0.releaseMemory() }
        }
    }

    /// Odd while a write transaction may be committing; advances to the next even value after
    /// it ends, before any of its writers is answered. A read that began at an even value which
    /// still stands when the read has ended saw no write land meanwhile: a cache keyed by that
    /// value needs no other invalidation, and answers only the same value.
    public var writeGeneration: UInt64 { transactions.load(ordering: .acquiring) }

    /// `writeGeneration` and, as it, the generation of the writes that named `scope`
    /// (`write(scope:_:)`). Such a write advances its scope's generation and not the whole's; a
    /// read confined to a scope saw no write land meanwhile if both stood, even, from before it to
    /// after it. The two are read together: forgetting the scopes changes both
    /// under the same lock, so no pair read here mixes a scope's generation from before with the
    /// whole's from after (review finding: read apart, a scope's old value and the whole's new one
    /// could make a stamp that matched again once the scope was written back up to that value).
    public func writeGenerations(scope: Int64) -> (whole: UInt64, scope: UInt64) {
        scopes.withLockedValue { (transactions.load(ordering: .acquiring), $0[scope] ?? 0) }
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

    /// Writes waiting for the next group.
    var queuedWrites: Int { pending.withLockedValue { $0.queue.count } }

    /// Runs `body` in the next group commit. With `scope`, the caller promises that `body` changes
    /// only what readers of that scope read (`writeGenerations(scope:)`), and other readers'
    /// cached answers stay current.
    public func write<T: Sendable>(scope: Int64? = nil, _ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let write = GroupedWrite(scope: scope, body: body, continuation: continuation)
            let start = pending.withLockedValue { state -> Bool in
                state.queue.append(write)
                if state.draining { return false }
                state.draining = true
                return true
            }
            if start { threadPool.submit { self.drain($0) } }
        }
    }

    /// Commits the queued writes in groups until the queue is empty. One drain runs at a time.
    private func drain(_ state: NIOThreadPool.WorkItemState) {
        while true {
            let group = pending.withLockedValue { state -> [GroupedWrite] in
                let group = Array(state.queue.prefix(Self.maxGroup))
                state.queue.removeFirst(group.count)
                if group.isEmpty { state.draining = false }
                return group
            }
            if group.isEmpty { return }
            guard case .active = state else {
                for write in group { write.finish(committed: SQLiteError(code: SQLITE_MISUSE, message: "database is shut down")) }
                continue
            }
            let (ran, failure) = writer.withLockedValue { connection in
                Self.commit(group, on: connection) { touched, committing in advance(touched, committing: committing) }
            }
            for write in group[..<ran] { write.finish(committed: failure) }
            if ran < group.count {
                // The transaction was lost before these ran: they go first into the next one.
                pending.withLockedValue { $0.queue.insert(contentsOf: group[ran...], at: 0) }
            }
        }
    }

    /// The generations a group's commit advances: every scope its writes named, and the whole's
    /// if any named none.
    struct Generations {
        let whole: Bool
        let scopes: Set<Int64>

        init(of group: [GroupedWrite]) {
            whole = group.contains { $0.scope == nil }
            scopes = Set(group.compactMap(\.scope))
        }
    }

    /// Advances `touched` once before a group commits (to odd) and once after (to even). Only one
    /// drain runs, so every generation is even before a commit: that is when scopes not yet known
    /// may make the table forget the others.
    private func advance(_ touched: Generations, committing: Bool) {
        if touched.whole { transactions.add(1, ordering: .releasing) }
        guard !touched.scopes.isEmpty else { return }
        scopes.withLockedValue { scopes in
            let unknown = committing ? touched.scopes.count(where: { scopes[$0] == nil }) : 0
            if unknown > 0, scopes.count + unknown > maxScopes {
                // Forgotten scopes start again from 0: the whole moves on (by two, staying as even
                // or odd as it was), so nothing read at one of their old values is current.
                scopes.removeAll()
                transactions.add(2, ordering: .releasing)
            }
            for scope in touched.scopes { scopes[scope, default: 0] &+= 1 }
        }
    }

    /// Runs a group in one transaction. Returns how many writes ran and, if the transaction did
    /// not commit, why: then none of those writes took effect. A write that leaves the
    /// transaction unsound (SQLite rolled it back by itself, or its savepoint could not be
    /// released or undone) ends the group there, so no later write runs outside a transaction.
    ///
    /// `advance` moves the generations of the writes that took effect, to odd just before the
    /// COMMIT and to even after it: other connections see nothing of the transaction before its
    /// COMMIT, and a write its savepoint undid changed nothing any cache holds (review finding:
    /// generations advanced for every write queued, so another user's CreateBucket of a bucket it
    /// already owned, answered 200 with nothing written, kept every bucket's caches cold).
    static func commit(
        _ group: [GroupedWrite], on connection: SQLiteConnection, advance: (Generations, _ committing: Bool) -> Void
    ) -> (ran: Int, failure: (any Error)?) {
        do {
            try connection.run("BEGIN IMMEDIATE")
        } catch {
            return (group.count, error)
        }
        for (index, write) in group.enumerated() {
            if let broken = write.run(connection) ?? (connection.inTransaction ? nil : SQLiteError(code: SQLITE_ABORT, message: "transaction rolled back")) {
                if connection.inTransaction {
                    try? connection.run("ROLLBACK")
                } else {
                    // SQLite ended the transaction by itself during the write, whose statements
                    // after that each committed on their own: what they changed was not undone.
                    let ran = Generations(of: Array(group[...index]))
                    advance(ran, true)
                    advance(ran, false)
                }
                return (index + 1, broken)
            }
        }
        let touched = Generations(of: group.filter(\.tookEffect))
        advance(touched, true)
        defer { advance(touched, false) }
        do {
            try connection.run("COMMIT")
            return (group.count, nil)
        } catch {
            if connection.inTransaction { try? connection.run("ROLLBACK") }
            return (group.count, error)
        }
    }

    /// A read on the pool's threads: for scans whose length the caller does not bound tightly.
    public func read<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await threadPool.runIfActive { try self.readInTransaction(body) }
    }

    /// A read on the caller's thread: for rows found by key (a bucket, an object's version and
    /// its parts), which the page cache almost always holds. Handing such a read to the pool and
    /// back cost more than the read itself (two thread wake-ups per request: S3 HEAD 4 KiB went
    /// from about 8,000 to 12,500 requests/s, docs/benchmarks.md); a page-cache miss blocks the
    /// caller for one random read, as nginx's `open()` blocks its worker.
    public func lookup<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        try readInTransaction(body)
    }

    private func readInTransaction<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        let connection = try readers.withLockedValue { $0.popLast() } ?? SQLiteConnection(path: path, readOnly: true)
        defer { readers.withLockedValue { $0.append(connection) } }
        try connection.run("BEGIN")
        defer { try? connection.run("COMMIT") }
        return try body(connection)
    }

    public func shutdown() async {
        try? await threadPool.shutdownGracefully()
    }
}

extension SQLiteConnection: @unchecked Sendable {}

/// One write waiting for a group commit: runs in its own savepoint, answers after the COMMIT.
final class GroupedWrite: @unchecked Sendable {
    /// What the write changes, if it named a scope (`SQLiteDatabase.write(scope:_:)`).
    let scope: Int64?
    private let work: (SQLiteConnection) -> (any Error)?
    private let answer: ((any Error)?) -> Void
    private let succeeded: () -> Bool

    init<T: Sendable>(scope: Int64?, body: @escaping @Sendable (SQLiteConnection) throws -> T, continuation: CheckedContinuation<T, any Error>) {
        self.scope = scope
        // Owned by the draining thread from `run` to `finish`: the result lives here in between.
        var result: Result<T, any Error>?
        work = { connection in
            do {
                try connection.run("SAVEPOINT grouped_write")
            } catch {
                result = .failure(error)
                return error
            }
            do {
                result = .success(try body(connection))
            } catch {
                result = .failure(error)
                do {
                    try connection.run("ROLLBACK TO grouped_write")
                } catch {
                    return error
                }
            }
            do {
                try connection.run("RELEASE grouped_write")
            } catch {
                return error
            }
            return nil
        }
        succeeded = {
            if case .success? = result { true } else { false }
        }
        answer = { failure in
            // A write that did not commit never reports success; one that failed by itself reports
            // its own error.
            switch (result, failure) {
            case (.failure(let own)?, _): continuation.resume(throwing: own)
            case (_, let failure?): continuation.resume(throwing: failure)
            case (.success(let value)?, nil): continuation.resume(returning: value)
            case (nil, nil): continuation.resume(throwing: SQLiteError(code: SQLITE_MISUSE, message: "write did not run"))
            }
        }
    }

    /// Runs the write in a savepoint; returns an error when the transaction around it is no longer sound.
    func run(_ connection: SQLiteConnection) -> (any Error)? { work(connection) }

    /// Whether the write ran and its changes stand in the transaction (its savepoint was released,
    /// not undone).
    var tookEffect: Bool { succeeded() }

    /// Answers the caller: its own outcome if the group committed, else the group's failure.
    func finish(committed failure: (any Error)?) { answer(failure) }
}
