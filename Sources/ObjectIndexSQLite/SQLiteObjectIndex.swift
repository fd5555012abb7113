import Foundation
import ObjectStore

/// The embedded default `ObjectIndex`: one SQLite file (WAL) in the data directory.
/// Keys are stored as BLOBs so ordering is byte-wise, as S3 lists them.
public final class SQLiteObjectIndex: ObjectIndex {
    let database: SQLiteDatabase

    static let migrations: [String] = [
        """
        CREATE TABLE buckets (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            region TEXT NOT NULL,
            created_ms INTEGER NOT NULL,
            versioning TEXT NOT NULL DEFAULT '',
            object_count INTEGER NOT NULL DEFAULT 0,
            byte_count INTEGER NOT NULL DEFAULT 0
        ) STRICT;
        CREATE TABLE versions (
            id INTEGER PRIMARY KEY,
            bucket_id INTEGER NOT NULL REFERENCES buckets(id),
            key BLOB NOT NULL,
            version_id TEXT NOT NULL,
            is_latest INTEGER NOT NULL,
            is_delete_marker INTEGER NOT NULL,
            size INTEGER NOT NULL,
            etag TEXT NOT NULL,
            last_modified_ms INTEGER NOT NULL,
            blob TEXT,
            attributes TEXT NOT NULL
        ) STRICT;
        CREATE UNIQUE INDEX versions_latest ON versions(bucket_id, key) WHERE is_latest = 1;
        CREATE UNIQUE INDEX versions_by_id ON versions(bucket_id, key, version_id);
        CREATE INDEX versions_blob ON versions(blob) WHERE blob IS NOT NULL;
        """
    ]

    public init(path: String) throws {
        database = try SQLiteDatabase(path: path, migrations: Self.migrations)
    }

    public func close() async {
        await database.shutdown()
    }

    func run<T: Sendable>(write: Bool = false, _ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws(StoreError) -> T {
        do {
            return try await write ? database.write(body) : database.read(body)
        } catch let error as StoreError {
            throw error
        } catch {
            throw .internalFailure("index: \(error)")
        }
    }

    // MARK: buckets

    static func bucket(from row: [SQLiteValue]) -> BucketRecord {
        BucketRecord(
            id: row[0].int!,
            name: row[1].string!,
            region: row[2].string!,
            createdAt: row[3].int!,
            versioning: VersioningState(rawValue: row[4].string ?? "") ?? .unversioned
        )
    }

    static let bucketColumns = "id, name, region, created_ms, versioning"

    public func createBucket(name: String, region: String, now: Milliseconds) async throws(StoreError) -> BucketRecord {
        try await run(write: true) { db in
            if try !db.query("SELECT 1 FROM buckets WHERE name = ?", [.text(name)]).isEmpty {
                throw StoreError.bucketAlreadyOwnedByYou(name)
            }
            try db.query("INSERT INTO buckets (name, region, created_ms) VALUES (?, ?, ?)", [.text(name), .text(region), .integer(now)])
            return BucketRecord(id: db.lastInsertRowID, name: name, region: region, createdAt: now, versioning: .unversioned)
        }
    }

    public func bucket(named name: String) async throws(StoreError) -> BucketRecord? {
        try await run { db in
            try db.query("SELECT \(Self.bucketColumns) FROM buckets WHERE name = ?", [.text(name)]).first.map(Self.bucket(from:))
        }
    }

    public func listBuckets() async throws(StoreError) -> [BucketRecord] {
        try await run { db in
            try db.query("SELECT \(Self.bucketColumns) FROM buckets ORDER BY name").map(Self.bucket(from:))
        }
    }

    public func deleteBucket(named name: String) async throws(StoreError) {
        try await run(write: true) { db in
            guard let id = try db.query("SELECT id FROM buckets WHERE name = ?", [.text(name)]).first?[0].int else {
                throw StoreError.noSuchBucket(name)
            }
            if try !db.query("SELECT 1 FROM versions WHERE bucket_id = ? LIMIT 1", [.integer(id)]).isEmpty {
                throw StoreError.bucketNotEmpty(name)
            }
            try db.query("DELETE FROM buckets WHERE id = ?", [.integer(id)])
        }
    }

    // MARK: versions

    static let versionColumns = "key, version_id, is_latest, is_delete_marker, size, etag, last_modified_ms, blob, attributes"

    static func version(from row: [SQLiteValue]) throws -> ObjectVersion {
        let attributes = try JSONDecoder().decode(ObjectAttributes.self, from: Data(row[8].bytes ?? []))
        return ObjectVersion(
            key: String(decoding: row[0].bytes ?? [], as: UTF8.self),
            versionID: row[1].string!,
            isLatest: row[2].int == 1,
            isDeleteMarker: row[3].int == 1,
            size: row[4].int!,
            etag: row[5].string!,
            lastModified: row[6].int!,
            blobID: row[7].string,
            attributes: attributes
        )
    }

    static func encode(_ attributes: ObjectAttributes) throws -> String {
        String(decoding: try JSONEncoder().encode(attributes), as: UTF8.self)
    }

    /// Adjusts a bucket's object/byte counters by the change in its latest versions.
    static func adjustUsage(_ db: SQLiteConnection, bucketID: Int64, removed: ObjectVersion?, added: ObjectVersion?) throws {
        func contribution(_ v: ObjectVersion?) -> (Int64, Int64) {
            guard let v, !v.isDeleteMarker else { return (0, 0) }
            return (1, v.size)
        }
        let (removedCount, removedBytes) = contribution(removed)
        let (addedCount, addedBytes) = contribution(added)
        try db.query(
            "UPDATE buckets SET object_count = object_count + ?, byte_count = byte_count + ? WHERE id = ?",
            [.integer(addedCount - removedCount), .integer(addedBytes - removedBytes), .integer(bucketID)]
        )
    }

    public func putVersion(bucketID: Int64, _ version: ObjectVersion) async throws(StoreError) -> [String] {
        let attributes: String
        do { attributes = try Self.encode(version.attributes) } catch { throw .internalFailure("encode attributes: \(error)") }
        return try await run(write: true) { db in
            let key = SQLiteValue.blob(Array(version.key.utf8))
            let previous = try db.query(
                "SELECT \(Self.versionColumns) FROM versions WHERE bucket_id = ? AND key = ? AND is_latest = 1",
                [.integer(bucketID), key]
            ).first.map(Self.version(from:))
            var obsolete: [String] = []
            // A new version with the same id (the `null` version) replaces the old row and its blob.
            let replaced = try db.query(
                "SELECT blob FROM versions WHERE bucket_id = ? AND key = ? AND version_id = ?",
                [.integer(bucketID), key, .text(version.versionID)]
            )
            if let row = replaced.first {
                if let blob = row[0].string { obsolete.append(blob) }
                try db.query("DELETE FROM versions WHERE bucket_id = ? AND key = ? AND version_id = ?", [.integer(bucketID), key, .text(version.versionID)])
            }
            try db.query("UPDATE versions SET is_latest = 0 WHERE bucket_id = ? AND key = ? AND is_latest = 1", [.integer(bucketID), key])
            try db.query(
                "INSERT INTO versions (bucket_id, key, version_id, is_latest, is_delete_marker, size, etag, last_modified_ms, blob, attributes) VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?)",
                [
                    .integer(bucketID), key, .text(version.versionID), .integer(version.isDeleteMarker ? 1 : 0), .integer(version.size),
                    .text(version.etag), .integer(version.lastModified), version.blobID.map { .text($0) } ?? .null, .text(attributes),
                ]
            )
            try Self.adjustUsage(db, bucketID: bucketID, removed: previous, added: version)
            return obsolete
        }
    }

    public func latestVersion(bucketID: Int64, key: String) async throws(StoreError) -> ObjectVersion? {
        try await run { db in
            try db.query(
                "SELECT \(Self.versionColumns) FROM versions WHERE bucket_id = ? AND key = ? AND is_latest = 1",
                [.integer(bucketID), .blob(Array(key.utf8))]
            ).first.map(Self.version(from:))
        }
    }

    public func deleteNullVersion(bucketID: Int64, key: String) async throws(StoreError) -> [String] {
        try await run(write: true) { db in
            let keyValue = SQLiteValue.blob(Array(key.utf8))
            guard let row = try db.query(
                "SELECT \(Self.versionColumns) FROM versions WHERE bucket_id = ? AND key = ? AND version_id = 'null'",
                [.integer(bucketID), keyValue]
            ).first else { return [] }
            let removed = try Self.version(from: row)
            try db.query("DELETE FROM versions WHERE bucket_id = ? AND key = ? AND version_id = 'null'", [.integer(bucketID), keyValue])
            if removed.isLatest {
                try Self.adjustUsage(db, bucketID: bucketID, removed: removed, added: nil)
                // The next newest version, if any, becomes the latest.
                try db.query(
                    "UPDATE versions SET is_latest = 1 WHERE id = (SELECT id FROM versions WHERE bucket_id = ? AND key = ? ORDER BY id DESC LIMIT 1)",
                    [.integer(bucketID), keyValue]
                )
            }
            return removed.blobID.map { [$0] } ?? []
        }
    }

    public func scanLatest(bucketID: Int64, from lowerBound: [UInt8], inclusive: Bool, before upperBound: [UInt8]?, limit: Int)
        async throws(StoreError) -> [ObjectVersion]
    {
        try await run { db in
            var sql = "SELECT \(Self.versionColumns) FROM versions WHERE bucket_id = ? AND is_latest = 1 AND key \(inclusive ? ">=" : ">") ?"
            var arguments: [SQLiteValue] = [.integer(bucketID), .blob(lowerBound)]
            if let upperBound {
                sql += " AND key < ?"
                arguments.append(.blob(upperBound))
            }
            sql += " AND is_delete_marker = 0 ORDER BY key LIMIT ?"
            arguments.append(.integer(Int64(limit)))
            return try db.query(sql, arguments).map(Self.version(from:))
        }
    }

    public func referencedBlobs(among blobIDs: [String]) async throws(StoreError) -> Set<String> {
        try await run { db in
            var known = Set<String>()
            for id in blobIDs where try !db.query("SELECT 1 FROM versions WHERE blob = ? LIMIT 1", [.text(id)]).isEmpty {
                known.insert(id)
            }
            return known
        }
    }

    public func usage() async throws(StoreError) -> (buckets: Int, objects: Int64, bytes: Int64) {
        let row = try await run { db in
            try db.query("SELECT count(*), coalesce(sum(object_count), 0), coalesce(sum(byte_count), 0) FROM buckets").first!
        }
        return (Int(row[0].int ?? 0), row[1].int ?? 0, row[2].int ?? 0)
    }
}
