import Foundation
import Logging
import PostgresNIO

/// Versioned schema migrations for one component of a shared PostgreSQL database: applied in
/// order, in one transaction, under an advisory lock so nodes starting together do not race.
public enum PostgresMigrations {
    /// - Parameters:
    ///   - table: records the applied version of this component.
    ///   - lock: the advisory lock key (distinct per component).
    ///   - migrations: each a list of statements separated by `;` (a `;` inside a dollar-quoted
    ///     body, `$$ … $$`, belongs to that body).
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
            if applied > migrations.count {
                // A newer node migrated this database (a rolling upgrade): its migrations keep
                // what earlier versions write working.
                logger.warning("the database schema is newer than this version knows", metadata: ["table": "\(table)", "version": "\(applied)"])
            }
            for version in min(applied, migrations.count)..<migrations.count {
                for statement in statements(in: migrations[version]) {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(PostgresQuery(unsafeSQL: "INSERT INTO \(table) (version) VALUES (\(version + 1))"), logger: logger)
            }
        }
    }

    /// The statements of one migration: split at each `;` outside dollar quotes.
    static func statements(in migration: String) -> [String] {
        var statements: [String] = []
        var current = ""
        var quoted = false
        var rest = Substring(migration)
        while let character = rest.first {
            if rest.hasPrefix("$$") {
                quoted.toggle()
                current += "$$"
                rest = rest.dropFirst(2)
                continue
            }
            rest = rest.dropFirst()
            if character == ";" && !quoted {
                statements.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        statements.append(current)
        return statements.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
    }
}
