import CSQLite
import Foundation
@testable import SQLiteSupport
import Testing

@testable import ObjectStore

/// What `look` saw at each COMMIT of the writer connection, from SQLiteDatabase's commit hook.
final class CommitWatch: @unchecked Sendable {
    let look: () -> [UInt64]
    var seen: [[UInt64]] = []
    init(_ look: @escaping () -> [UInt64]) { self.look = look }

    /// Watches the connection of the write running now; `stopWatching` before the watch goes away.
    func start(on connection: SQLiteConnection) {
        sqlite3_commit_hook(
            connection.handle,
            { context in
                let watch = Unmanaged<CommitWatch>.fromOpaque(context!).takeUnretainedValue()
                watch.seen.append(watch.look())
                return 0
            }, Unmanaged.passUnretained(self).toOpaque())
    }
}

/// Raised once, read from any thread.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var raised = false
    func raise() { lock.withLock { raised = true } }
    var isRaised: Bool { lock.withLock { raised } }
}

/// `SQLiteDatabase.write` commits concurrent writes together; each keeps its own outcome.
@Suite struct GroupCommitTests {
    struct Refused: Error, Equatable {}

    /// A fresh directory for one test's database file; the test removes it.
    func scratchDirectory() throws -> String {
        let directory = NSTemporaryDirectory() + "floe-group-commit-" + RandomID.make()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory
    }

    /// Once the server is quiet a database keeps two reader connections, their page caches
    /// emptied, and reads go on as before.
    @Test func releasingIdleMemoryKeepsTwoReadersWithEmptyCaches() async throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = try SQLiteDatabase(path: directory + "/db.sqlite", migrations: ["CREATE TABLE rows (n INTEGER PRIMARY KEY, pad BLOB) STRICT"])
        try await database.write { connection in
            for n in 0..<4000 { try connection.query("INSERT INTO rows (n, pad) VALUES (?, ?)", [.integer(Int64(n)), .blob([UInt8](repeating: 7, count: 300))]) }
        }
        let count: @Sendable (SQLiteConnection) throws -> Int64 = { connection in
            try connection.query("SELECT count(*), sum(length(pad)) FROM rows").first?.first?.int ?? -1
        }
        // Four reads at once: four reader connections, each with the table in its cache.
        let counts = try database.lookup { a in
            try database.lookup { b in try database.lookup { c in try database.lookup { d in try [a, b, c, d].map(count) } } }
        }
        #expect(counts == [4000, 4000, 4000, 4000])
        let warm = database.idleReaderCacheBytes
        #expect(warm.count == 4)
        #expect(warm.allSatisfy { $0 > 500_000 }, "\(warm)")
        _ = await SQLiteDatabase.releaseIdleMemory()
        let released = database.idleReaderCacheBytes
        #expect(released.count == SQLiteDatabase.idleReaders)
        #expect(released.allSatisfy { $0 < 50_000 }, "\(released)")
        #expect(try database.lookup(count) == 4000)
        #expect(try await database.read(count) == 4000)
    }

    static func stopWatching(_ connection: SQLiteConnection) { sqlite3_commit_hook(connection.handle, nil, nil) }

    /// The write generation is odd while a write transaction commits and even again, and higher,
    /// once its writer is answered (review finding: it advanced only after COMMIT, so a read that
    /// began before a write landed and was kept late could be handed out under the same
    /// generation as reads that saw the write).
    @Test func theWriteGenerationIsOddWhileAWriteCommits() async throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = try SQLiteDatabase(path: directory + "/db.sqlite", migrations: ["CREATE TABLE rows (n INTEGER PRIMARY KEY) STRICT"])
        let watch = CommitWatch { [database.writeGeneration] }
        try await database.write { watch.start(on: $0) }
        var previous = database.writeGeneration
        #expect(previous.isMultiple(of: 2))
        for n in 0..<5 {
            try await database.write { connection in
                try connection.query("INSERT INTO rows (n) VALUES (?)", [.integer(Int64(n))])
            }
            let after = database.writeGeneration
            let during = watch.seen.last?.first ?? 0
            #expect(!during.isMultiple(of: 2) && during > previous, "committing write \(n): \(during), before it \(previous)")
            #expect(after.isMultiple(of: 2) && after > during, "after write \(n): \(after), committing it \(during)")
            previous = after
        }
        try await database.write { Self.stopWatching($0) }
        #expect(watch.seen.count == 6)
    }

    /// A write that fails, undone by its savepoint, advances no generation: it changed nothing a
    /// reader could have cached (review finding: another user's refused CreateBucket kept every
    /// bucket's caches cold). One that commits beside it in the same group still advances its own.
    @Test func aWriteThatFailsAdvancesNothing() async throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = try SQLiteDatabase(path: directory + "/db.sqlite", migrations: ["CREATE TABLE rows (n INTEGER PRIMARY KEY) STRICT"])
        try await database.write(scope: 3) { _ in }
        let before = database.writeGenerations(scope: 3)
        await #expect(throws: Refused.self) {
            try await database.write { connection in
                try connection.query("INSERT INTO rows (n) VALUES (1)")
                throw Refused()
            }
        }
        await #expect(throws: Refused.self) { try await database.write(scope: 3) { _ in throw Refused() } }
        #expect(database.writeGenerations(scope: 3) == before)
        #expect(try await database.read { try $0.query("SELECT COUNT(*) FROM rows").first?.first?.int } == 0)
        // Queued together behind a write that waits for them: one refused write names no scope,
        // the other names scope 4 and commits.
        let watch = CommitWatch { [] }
        let running = Flag()
        let held = Task {
            try await database.write(scope: 5) { connection in
                watch.start(on: connection)
                running.raise()
                let deadline = ContinuousClock.now + .seconds(10)
                while database.queuedWrites < 2, ContinuousClock.now < deadline { usleep(1000) }
            }
        }
        while !running.isRaised { try await Task.sleep(for: .milliseconds(1)) }
        async let refused: Void = database.write { _ in throw Refused() }
        async let kept: Void = database.write(scope: 4) { _ = try $0.query("INSERT INTO rows (n) VALUES (2)") }
        try await held.value
        _ = try? await refused
        try await kept
        try await database.write(scope: 6) { Self.stopWatching($0) }
        #expect(watch.seen.count == 2, "the held write's group, then the other two's")
        #expect(database.writeGenerations(scope: 3) == before && database.writeGenerations(scope: 4).scope == 2)
    }

    /// A write that names a scope advances that scope's generation, odd while it commits, and
    /// leaves the whole's and other scopes' alone; one that names none advances the whole's.
    @Test func aScopedWriteAdvancesOnlyItsScope() async throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = try SQLiteDatabase(path: directory + "/db.sqlite", migrations: ["CREATE TABLE rows (n INTEGER PRIMARY KEY) STRICT"])
        let whole = database.writeGeneration
        let watch = CommitWatch { [database.writeGenerations(scope: 7).scope, database.writeGenerations(scope: 8).scope] }
        try await database.write(scope: 7) { connection in
            watch.start(on: connection)
            try connection.query("INSERT INTO rows (n) VALUES (1)")
        }
        try await database.write(scope: 9) { Self.stopWatching($0) }
        #expect(watch.seen == [[1, 0]])
        #expect(database.writeGenerations(scope: 7).scope == 2 && database.writeGenerations(scope: 8).scope == 0)
        #expect(database.writeGeneration == whole)
        try await database.write { connection in try connection.query("INSERT INTO rows (n) VALUES (2)") }
        #expect(database.writeGeneration == whole + 2 && database.writeGenerations(scope: 7).scope == 2)
    }

    /// Past `maxScopes`, the scopes are forgotten (back to 0) and the whole advances at the same
    /// instant, so a stamp read before is not read again once a scope is written back up to its
    /// old value. A write to scopes already known forgets nothing (review finding: it did once
    /// the table was full, emptying every cache).
    @Test func forgottenScopesAdvanceTheWhole() async throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = try SQLiteDatabase(
            path: directory + "/db.sqlite", migrations: ["CREATE TABLE rows (n INTEGER PRIMARY KEY) STRICT"], maxScopes: 3)
        for scope in 1...3 { try await database.write(scope: Int64(scope)) { _ in } }
        let before = database.writeGenerations(scope: 1)
        #expect(before.scope == 2)
        try await database.write(scope: 1) { _ in }
        #expect(database.writeGenerations(scope: 1) == (before.whole, 4))
        try await database.write(scope: 4) { _ in }
        #expect(database.writeGenerations(scope: 1).scope == 0 && database.writeGenerations(scope: 4).scope == 2)
        try await database.write(scope: 1) { _ in }
        let after = database.writeGenerations(scope: 1)
        #expect(after.scope == before.scope && after.whole > before.whole && after.whole.isMultiple(of: 2))
    }

    @Test func concurrentWritesCommitTogetherAndFailAlone() async throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/db.sqlite"
        let database = try SQLiteDatabase(path: path, migrations: ["CREATE TABLE rows (n INTEGER PRIMARY KEY) STRICT"])
        let outcomes = await withTaskGroup(of: (Int, Result<Int64, any Error>).self) { group in
            for n in 0..<200 {
                group.addTask {
                    do {
                        let seen = try await database.write { connection in
                            try connection.query("INSERT INTO rows (n) VALUES (?)", [.integer(Int64(n))])
                            // Every seventh write fails after its insert: only that insert is undone.
                            if n % 7 == 3 { throw Refused() }
                            return try connection.query("SELECT count(*) FROM rows WHERE n = ?", [.integer(Int64(n))]).first![0].int!
                        }
                        return (n, .success(seen))
                    } catch {
                        return (n, .failure(error))
                    }
                }
            }
            var outcomes: [Int: Result<Int64, any Error>] = [:]
            for await (n, result) in group { outcomes[n] = result }
            return outcomes
        }
        for (n, result) in outcomes {
            if n % 7 == 3 {
                #expect(throws: Refused.self) { try result.get() }
            } else {
                #expect(try result.get() == 1, "write \(n) sees its own row")
            }
        }
        await database.shutdown()
        // Every acknowledged write is in the file; no refused one is.
        let reopened = try SQLiteDatabase(path: path, migrations: ["CREATE TABLE rows (n INTEGER PRIMARY KEY) STRICT"])
        let stored = try await reopened.read { connection in try connection.query("SELECT n FROM rows ORDER BY n").map { Int($0[0].int!) } }
        #expect(stored == (0..<200).filter { $0 % 7 != 3 })
        await reopened.shutdown()
    }

    /// Review finding: when a write's error made SQLite roll the whole transaction back (here
    /// SQLITE_FULL), the writes after it ran outside any transaction and committed, yet were
    /// answered with the group's failure. Now the group stops there: the writes that ran fail
    /// (none of them took effect), the rest run in a fresh transaction.
    @Test func aTransactionLostMidGroupFailsOnlyWhatRan() async throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = try SQLiteDatabase(path: directory + "/db.sqlite", migrations: ["CREATE TABLE rows (name TEXT, data BLOB) STRICT"])
        func insert(_ name: String, bytes: Int = 1, limitPages: Bool = false) -> Task<Void, any Error> {
            Task {
                try await database.write { connection in
                    if limitPages {
                        let pages = try connection.query("PRAGMA page_count").first![0].int!
                        try connection.execute("PRAGMA max_page_count = \(pages + 2)")
                    } else {
                        try connection.execute("PRAGMA max_page_count = 1000000")
                    }
                    try connection.query("INSERT INTO rows (name, data) VALUES (?, ?)", [.text(name), .blob([UInt8](repeating: 7, count: bytes))])
                }
            }
        }
        // The first write holds the writer while the next three queue up into one group.
        let blocker = Task { try await database.write { _ in usleep(300_000) } }
        try await Task.sleep(for: .milliseconds(50))
        let first = insert("first")
        try await Task.sleep(for: .milliseconds(20))
        let full = insert("full", bytes: 400_000, limitPages: true)
        try await Task.sleep(for: .milliseconds(20))
        let after = insert("after")
        try await blocker.value
        await #expect(throws: (any Error).self) { try await full.value }
        let firstFailed = await (try? first.value) == nil
        try await after.value  // ran again in a sound transaction
        let stored = try await database.read { connection in try connection.query("SELECT name FROM rows ORDER BY name").map { $0[0].string! } }
        // Whatever was answered as failed is absent; whatever succeeded is present.
        #expect(stored == (firstFailed ? ["after"] : ["after", "first"]))
        await database.shutdown()
    }

    @Test func writesAfterShutdownFail() async throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = try SQLiteDatabase(path: directory + "/db.sqlite", migrations: ["CREATE TABLE rows (n INTEGER) STRICT"])
        await database.shutdown()
        await #expect(throws: (any Error).self) {
            try await database.write { connection in try connection.query("INSERT INTO rows (n) VALUES (1)") }
        }
    }
}
