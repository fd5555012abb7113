import Foundation
import Identity
import SQLiteSupport

/// Users, groups, access keys and named policies in the embedded database the object index
/// uses (`meta/index.sqlite`, tables versioned as component `identity`); secret keys are stored
/// only AES-GCM-sealed. Every change is written here first, then the in-memory `Directory` is
/// updated, so a restart loads exactly what was acknowledged.
public final class IdentityStoreSQLite: IdentityPersistence {
    let database: SQLiteDatabase
    let box: SecretBox

    static let tables = ["users", "access_keys", "policies", "groups"]
    static let migrations = [
        """
        CREATE TABLE users (name TEXT PRIMARY KEY, enabled INTEGER NOT NULL, policies TEXT NOT NULL) STRICT;
        CREATE TABLE access_keys (
            access_key TEXT PRIMARY KEY, user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
            secret BLOB NOT NULL, enabled INTEGER NOT NULL, expires_ms INTEGER, created_ms INTEGER NOT NULL
        ) STRICT;
        CREATE TABLE policies (name TEXT PRIMARY KEY, document TEXT NOT NULL) STRICT;
        """,
        """
        CREATE TABLE groups (name TEXT PRIMARY KEY, enabled INTEGER NOT NULL, members TEXT NOT NULL, policies TEXT NOT NULL) STRICT;
        ALTER TABLE access_keys ADD COLUMN service_account INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE access_keys ADD COLUMN policy TEXT;
        """,
    ]

    static func jsonList(_ text: String?) throws -> [String] {
        try JSONDecoder().decode([String].self, from: Data((text ?? "[]").utf8))
    }

    static func jsonText(_ list: [String]) throws -> String {
        String(decoding: try JSONEncoder().encode(list), as: UTF8.self)
    }

    /// - Parameter database: shared with its owner, which also shuts it down.
    public init(database: SQLiteDatabase, box: SecretBox) async throws {
        self.database = database
        self.box = box
        try await database.migrate(component: "identity", migrations: Self.migrations)
    }

    /// Moves users, keys, groups and policies from a separate `identity.sqlite` (where earlier
    /// versions kept them) into this database once, then renames the old file `*.imported`.
    public func importLegacy(path: String) async throws -> Bool {
        guard FileManager.default.fileExists(atPath: path) else { return false }
        let legacy = try SQLiteDatabase(path: path, migrations: Self.migrations)
        await legacy.shutdown()
        try await database.write { db in
            guard try db.query("SELECT count(*) FROM users").first?.first?.int == 0 else { return }
            _ = try db.query("ATTACH DATABASE ? AS legacy", [.text(path)])
            defer { try? db.execute("DETACH DATABASE legacy") }
            for table in ["policies", "users", "groups", "access_keys"] {
                try db.execute("INSERT INTO main.\(table) SELECT * FROM legacy.\(table)")
            }
        }
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
            try FileManager.default.moveItem(atPath: path + suffix, toPath: path + ".imported" + suffix)
        }
        return true
    }

    /// Everything stored, secrets opened, as a directory snapshot.
    public func load() async throws -> Directory.Snapshot {
        let box = self.box
        return try await database.read { db in
            var snapshot = Directory.Snapshot()
            for row in try db.query("SELECT name, enabled, policies FROM users") {
                let name = row[0].string!
                snapshot.users[name] = UserRecord(name: name, enabled: row[1].int == 1, policies: try Self.jsonList(row[2].string))
            }
            for row in try db.query("SELECT name, enabled, members, policies FROM groups") {
                let name = row[0].string!
                snapshot.groups[name] = GroupRecord(
                    name: name, enabled: row[1].int == 1, members: try Self.jsonList(row[2].string), policies: try Self.jsonList(row[3].string))
            }
            for row in try db.query("SELECT access_key, user, secret, enabled, expires_ms, service_account, policy FROM access_keys") {
                let id = row[0].string!
                snapshot.keys[id] = UserKey(
                    accessKeyID: id, secretKey: try box.open(row[2].bytes ?? []), user: row[1].string!, enabled: row[3].int == 1, expires: row[4].int,
                    isServiceAccount: row[5].int == 1, policy: row[6].string)
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
        let policies = try Self.jsonText(user.policies)
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
            for row in try db.query("SELECT name, members FROM groups") {
                let members = try Self.jsonList(row[1].string)
                guard members.contains(name) else { continue }
                _ = try db.query("UPDATE groups SET members = ? WHERE name = ?", [.text(try Self.jsonText(members.filter { $0 != name })), .text(row[0].string!)])
            }
        }
    }

    public func saveKey(_ key: UserKey) async throws {
        let sealed = try box.seal(key.secretKey)
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        try await database.write { db in
            _ = try db.query(
                """
                INSERT INTO access_keys (access_key, user, secret, enabled, expires_ms, created_ms, service_account, policy) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(access_key) DO UPDATE SET enabled = excluded.enabled, expires_ms = excluded.expires_ms, policy = excluded.policy
                """,
                [.text(key.accessKeyID), .text(key.user), .blob(sealed), .integer(key.enabled ? 1 : 0), key.expires.map { .integer($0) } ?? .null, .integer(now),
                 .integer(key.isServiceAccount ? 1 : 0), key.policy.map { .text($0) } ?? .null])
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

    public func deletePolicy(_ name: String) async throws {
        try await database.write { db in _ = try db.query("DELETE FROM policies WHERE name = ?", [.text(name)]) }
    }

    public func saveGroup(_ group: GroupRecord) async throws {
        let members = try Self.jsonText(group.members), policies = try Self.jsonText(group.policies)
        try await database.write { db in
            _ = try db.query(
                """
                INSERT INTO groups (name, enabled, members, policies) VALUES (?, ?, ?, ?)
                ON CONFLICT(name) DO UPDATE SET enabled = excluded.enabled, members = excluded.members, policies = excluded.policies
                """,
                [.text(group.name), .integer(group.enabled ? 1 : 0), .text(members), .text(policies)])
        }
    }

    public func deleteGroup(_ name: String) async throws {
        try await database.write { db in _ = try db.query("DELETE FROM groups WHERE name = ?", [.text(name)]) }
    }
}
