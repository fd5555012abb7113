import Foundation
import Identity
import Logging
import PostgresNIO
import PostgresSupport

/// Users, groups, access keys and named policies in PostgreSQL, next to the catalog, when
/// FLOE_CATALOG_DB is set: nodes sharing one catalog share one identity system. Secret keys are
/// stored only AES-GCM-sealed (bytea). Same write-then-apply order as the SQLite store.
public final class IdentityStorePostgres: IdentityPersistence {
    let client: PostgresClient
    let box: SecretBox
    let logger: Logger

    static let migrations: [String] = [
        """
        CREATE TABLE identity_users (name TEXT PRIMARY KEY, enabled BOOLEAN NOT NULL, policies TEXT NOT NULL);
        CREATE TABLE identity_access_keys (
            access_key TEXT PRIMARY KEY, username TEXT NOT NULL REFERENCES identity_users(name) ON DELETE CASCADE,
            secret BYTEA NOT NULL, enabled BOOLEAN NOT NULL, expires_ms BIGINT, created_ms BIGINT NOT NULL,
            service_account BOOLEAN NOT NULL DEFAULT FALSE, policy TEXT
        );
        CREATE TABLE identity_policies (name TEXT PRIMARY KEY, document TEXT NOT NULL);
        CREATE TABLE identity_groups (name TEXT PRIMARY KEY, enabled BOOLEAN NOT NULL, members TEXT NOT NULL, policies TEXT NOT NULL)
        """
    ]

    /// - Parameter client: a running client (shared with the catalog store).
    public init(client: PostgresClient, box: SecretBox, logger: Logger) {
        self.client = client
        self.box = box
        self.logger = logger
    }

    public func migrate() async throws {
        try await PostgresMigrations.apply(Self.migrations, table: "floe_identity_migrations", lock: 7_212_024, client: client, logger: logger)
    }

    static func list(_ text: String) throws -> [String] { try JSONDecoder().decode([String].self, from: Data(text.utf8)) }
    static func text(_ list: [String]) throws -> String { String(decoding: try JSONEncoder().encode(list), as: UTF8.self) }

    public func load() async throws -> Directory.Snapshot {
        var snapshot = Directory.Snapshot()
        for try await (name, enabled, policies) in try await client.query("SELECT name, enabled, policies FROM identity_users", logger: logger)
            .decode((String, Bool, String).self)
        {
            snapshot.users[name] = UserRecord(name: name, enabled: enabled, policies: try Self.list(policies))
        }
        for try await (name, enabled, members, policies) in try await client.query(
            "SELECT name, enabled, members, policies FROM identity_groups", logger: logger
        ).decode((String, Bool, String, String).self) {
            snapshot.groups[name] = GroupRecord(name: name, enabled: enabled, members: try Self.list(members), policies: try Self.list(policies))
        }
        let keys = try await client.query(
            "SELECT access_key, username, secret, enabled, expires_ms, service_account, policy FROM identity_access_keys", logger: logger)
        for try await (id, user, secret, enabled, expires, serviceAccount, policy) in keys.decode((String, String, ByteBuffer, Bool, Int64?, Bool, String?).self) {
            snapshot.keys[id] = UserKey(
                accessKeyID: id, secretKey: try box.open(Array(secret.readableBytesView)), user: user, enabled: enabled, expires: expires,
                isServiceAccount: serviceAccount, policy: policy)
        }
        for try await (name, document) in try await client.query("SELECT name, document FROM identity_policies", logger: logger).decode((String, String).self) {
            snapshot.policies[name] = try? PolicyDocument(json: document)
            snapshot.policyTexts[name] = document
        }
        return snapshot
    }

    public func saveUser(_ user: UserRecord) async throws {
        let policies = try Self.text(user.policies)
        try await client.query(
            """
            INSERT INTO identity_users (name, enabled, policies) VALUES (\(user.name), \(user.enabled), \(policies))
            ON CONFLICT (name) DO UPDATE SET enabled = excluded.enabled, policies = excluded.policies
            """, logger: logger)
    }

    public func deleteUser(_ name: String) async throws {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("DELETE FROM identity_users WHERE name = \(name)", logger: logger)
            var updates: [(String, String)] = []
            for try await (group, members) in try await connection.query("SELECT name, members FROM identity_groups FOR UPDATE", logger: logger)
                .decode((String, String).self)
            {
                let list = try Self.list(members)
                if list.contains(name) { updates.append((group, try Self.text(list.filter { $0 != name }))) }
            }
            for (group, members) in updates {
                try await connection.query("UPDATE identity_groups SET members = \(members) WHERE name = \(group)", logger: logger)
            }
        }
    }

    public func saveKey(_ key: UserKey) async throws {
        let sealed = ByteBuffer(bytes: try box.seal(key.secretKey))
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        try await client.query(
            """
            INSERT INTO identity_access_keys (access_key, username, secret, enabled, expires_ms, created_ms, service_account, policy)
            VALUES (\(key.accessKeyID), \(key.user), \(sealed), \(key.enabled), \(key.expires), \(now), \(key.isServiceAccount), \(key.policy))
            ON CONFLICT (access_key) DO UPDATE SET enabled = excluded.enabled, expires_ms = excluded.expires_ms, policy = excluded.policy
            """, logger: logger)
    }

    public func deleteKey(_ accessKeyID: String) async throws {
        try await client.query("DELETE FROM identity_access_keys WHERE access_key = \(accessKeyID)", logger: logger)
    }

    public func savePolicy(name: String, document: String) async throws {
        try await client.query(
            """
            INSERT INTO identity_policies (name, document) VALUES (\(name), \(document))
            ON CONFLICT (name) DO UPDATE SET document = excluded.document
            """, logger: logger)
    }

    public func deletePolicy(_ name: String) async throws {
        try await client.query("DELETE FROM identity_policies WHERE name = \(name)", logger: logger)
    }

    public func saveGroup(_ group: GroupRecord) async throws {
        let members = try Self.text(group.members), policies = try Self.text(group.policies)
        try await client.query(
            """
            INSERT INTO identity_groups (name, enabled, members, policies) VALUES (\(group.name), \(group.enabled), \(members), \(policies))
            ON CONFLICT (name) DO UPDATE SET enabled = excluded.enabled, members = excluded.members, policies = excluded.policies
            """, logger: logger)
    }

    public func deleteGroup(_ name: String) async throws {
        try await client.query("DELETE FROM identity_groups WHERE name = \(name)", logger: logger)
    }
}
