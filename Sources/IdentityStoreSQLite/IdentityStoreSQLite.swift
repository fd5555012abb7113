import Foundation
import Identity
import SQLiteSupport

/// Users, access keys and named policies in SQLite (`meta/identity.sqlite`); secret keys are
/// stored only AES-GCM-sealed. Every change is written here first, then the in-memory
/// `Directory` is updated, so a restart loads exactly what was acknowledged.
public final class IdentityStoreSQLite: IdentityPersistence {
    let database: SQLiteDatabase
    let box: SecretBox

    static let migrations = [
        """
        CREATE TABLE users (name TEXT PRIMARY KEY, enabled INTEGER NOT NULL, policies TEXT NOT NULL) STRICT;
        CREATE TABLE access_keys (
            access_key TEXT PRIMARY KEY, user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
            secret BLOB NOT NULL, enabled INTEGER NOT NULL, expires_ms INTEGER, created_ms INTEGER NOT NULL
        ) STRICT;
        CREATE TABLE policies (name TEXT PRIMARY KEY, document TEXT NOT NULL) STRICT;
        """
    ]

    public init(path: String, box: SecretBox) throws {
        database = try SQLiteDatabase(path: path, migrations: Self.migrations)
        self.box = box
    }

    public func close() async { await database.shutdown() }

    /// Everything stored, secrets opened, as a directory snapshot.
    public func load() async throws -> Directory.Snapshot {
        let box = self.box
        return try await database.read { db in
            var snapshot = Directory.Snapshot()
            for row in try db.query("SELECT name, enabled, policies FROM users") {
                let name = row[0].string!
                let policies = try JSONDecoder().decode([String].self, from: Data((row[2].string ?? "[]").utf8))
                snapshot.users[name] = UserRecord(name: name, enabled: row[1].int == 1, policies: policies)
            }
            for row in try db.query("SELECT access_key, user, secret, enabled, expires_ms FROM access_keys") {
                let id = row[0].string!
                snapshot.keys[id] = UserKey(
                    accessKeyID: id, secretKey: try box.open(row[2].bytes ?? []), user: row[1].string!, enabled: row[3].int == 1, expires: row[4].int)
            }
            for row in try db.query("SELECT name, document FROM policies") {
                let text = row[1].string ?? ""
                snapshot.policies[row[0].string!] = try? PolicyDocument(json: text)
                snapshot.policyTexts[row[0].string!] = text
            }
            return snapshot
        }
    }

    public func saveUser(_ user: UserRecord) async throws {
        let policies = String(decoding: try JSONEncoder().encode(user.policies), as: UTF8.self)
        try await database.write { db in
            _ = try db.query(
                "INSERT INTO users (name, enabled, policies) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET enabled = excluded.enabled, policies = excluded.policies",
                [.text(user.name), .integer(user.enabled ? 1 : 0), .text(policies)])
        }
    }

    public func deleteUser(_ name: String) async throws {
        try await database.write { db in
            _ = try db.query("DELETE FROM access_keys WHERE user = ?", [.text(name)])
            _ = try db.query("DELETE FROM users WHERE name = ?", [.text(name)])
        }
    }

    public func saveKey(_ key: UserKey) async throws {
        let sealed = try box.seal(key.secretKey)
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        try await database.write { db in
            _ = try db.query(
                "INSERT INTO access_keys (access_key, user, secret, enabled, expires_ms, created_ms) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(access_key) DO UPDATE SET enabled = excluded.enabled, expires_ms = excluded.expires_ms",
                [.text(key.accessKeyID), .text(key.user), .blob(sealed), .integer(key.enabled ? 1 : 0), key.expires.map { .integer($0) } ?? .null, .integer(now)])
        }
    }

    public func deleteKey(_ accessKeyID: String) async throws {
        try await database.write { db in _ = try db.query("DELETE FROM access_keys WHERE access_key = ?", [.text(accessKeyID)]) }
    }

    public func savePolicy(name: String, document: String) async throws {
        try await database.write { db in
            _ = try db.query(
                "INSERT INTO policies (name, document) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET document = excluded.document",
                [.text(name), .text(document)])
        }
    }
}
