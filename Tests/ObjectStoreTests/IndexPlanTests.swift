@testable import ObjectIndexSQLite
import SQLiteSupport
import Testing

/// Query plans the listing's cost depends on: a delimiter listing runs one probe per common prefix.
@Suite struct IndexPlanTests {
    @Test func theNextPrefixProbeReadsOnlyAnIndex() async throws {
        let f = try StoreFixture()
        defer { Task { await f.cleanup() } }
        let plans = try await f.index.database.read { db in
            try SQLiteObjectIndex.Snapshot.latestKeySQL.shapes.map { sql in
                try db.query("EXPLAIN QUERY PLAN " + sql).compactMap { $0.last?.string }.joined(separator: "; ")
            }
        }
        #expect(plans.count == 4)
        for plan in plans {
            #expect(plan.contains("COVERING INDEX versions_live"), "\(plan)")
        }
    }
}
