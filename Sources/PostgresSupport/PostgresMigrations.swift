import Foundation
import Logging
import PostgresNIO

/// Versioned schema migrations for one component of a shared PostgreSQL database: applied in
/// order, in one transaction, under an advisory lock so nodes starting together do not race.
public enum PostgresMigrations {
    /// - Parameters:
    ///   - table: records the applied version of this component.
    ///   - lock: the advisory lock key (distinct per component).
    ///   - migrations: each a list of statements separated by `;`.
    public static func apply(_ migrations: [String], table: String, lock: Int64, client: PostgresClient, logger: Logger) async throws {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "SELECT pg_advisory_xact_lock(\(lock))"), logger: logger)
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE TABLE IF NOT EXISTS \(table) (version INT PRIMARY KEY)"), logger: logger)
            var applied = 0
            for try await version in try await connection.query(
                PostgresQuery(unsafeSQL: "SELECT coalesce(max(version), 0) FROM \(table)"), logger: logger
            ).decode(Int.self) {
                applied = version
            }
            for version in applied..<migrations.count {
                for statement in migrations[version].split(separator: ";").map({ $0.trimmingCharacters(in: .whitespacesAndNewlines) }) where !statement.isEmpty {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(PostgresQuery(unsafeSQL: "INSERT INTO \(table) (version) VALUES (\(version + 1))"), logger: logger)
            }
        }
    }
}
