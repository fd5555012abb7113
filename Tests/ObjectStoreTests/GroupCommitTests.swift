import Foundation
import SQLiteSupport
import Testing

@testable import ObjectStore

/// `SQLiteDatabase.write` commits concurrent writes together; each keeps its own outcome.
@Suite struct GroupCommitTests {
    struct Refused: Error, Equatable {}

    @Test func concurrentWritesCommitTogetherAndFailAlone() async throws {
        let directory = NSTemporaryDirectory() + "floe-group-commit-" + RandomID.make()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
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

    @Test func writesAfterShutdownFail() async throws {
        let directory = NSTemporaryDirectory() + "floe-group-commit-" + RandomID.make()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = try SQLiteDatabase(path: directory + "/db.sqlite", migrations: ["CREATE TABLE rows (n INTEGER) STRICT"])
        await database.shutdown()
        await #expect(throws: (any Error).self) {
            try await database.write { connection in try connection.query("INSERT INTO rows (n) VALUES (1)") }
        }
    }
}
