import SQLiteSupport
import Foundation
import NIOConcurrencyHelpers
import ObjectStore

/// The embedded default `ObjectIndex`: one SQLite file (WAL) in the data directory.
/// Keys are stored as BLOBs so ordering is byte-wise, as S3 lists them.
public final class SQLiteObjectIndex: ObjectIndex {
    /// Shared with components that keep their tables in the same file (the identity store).
    public let database: SQLiteDatabase
    /// Bucket records by name: every request reads its bucket, and buckets change rarely.
    let buckets = BucketCache()

    public init(path: String) throws {
        database = try SQLiteDatabase(path: path, migrations: IndexSchema.migrations)
    }

    public func writeStamp(bucketID: Int64) -> WriteStamp {
        let (whole, bucket) = database.writeGenerations(scope: bucketID)
        return WriteStamp(index: whole, bucket: bucket)
    }

    public func close() async {
        await database.shutdown()
    }

    /// - Parameter bucket: a write that changes only that bucket's rows (its objects' versions and
    ///   attributes, its uploads, its own settings, tags and policy, which no cached answer reads
    ///   but which need not empty other buckets' caches either) names it, and leaves other
    ///   buckets' cached answers current (`writeStamp(bucketID:)`). Creating and deleting buckets
    ///   name none: a deleted bucket's id may come back.
    func run<T: Sendable>(write: Bool = false, bucket: Int64? = nil, _ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws(StoreError) -> T {
        do {
            return try await write ? database.write(scope: bucket, body) : database.read(body)
        } catch {
            throw Self.storeError(error)
        }
    }

    /// A read of rows found by key, run on the caller's thread (`SQLiteDatabase.lookup`).
    func lookup<T>(_ body: (SQLiteConnection) throws -> T) throws(StoreError) -> T {
        do {
            return try database.lookup(body)
        } catch {
            throw Self.storeError(error)
        }
    }

    /// The scope of writes to rows no cached answer is read from (an upload's parts before it
    /// completes, the notification outbox): no bucket has this id.
    static let uncachedRows: Int64 = -1

    static func storeError(_ error: any Error) -> StoreError {
        error as? StoreError ?? .internalFailure("index: \(error)")
    }

    // MARK: buckets

    static let bucketColumns = "id, name, region, created_ms, versioning, policy, owner, settings"

    static func bucket(from row: [SQLiteValue]) -> BucketRecord {
        BucketRecord(
            id: row[0].int!, name: row[1].string!, region: row[2].string!, createdAt: row[3].int!,
            versioning: VersioningState(rawValue: row[4].string ?? "") ?? .unversioned, policy: row[5].string, owner: row[6].string,
            settings: row[7].string.flatMap { try? JSONDecoder().decode(BucketSettings.self, from: Data($0.utf8)) } ?? BucketSettings())
    }

    static func settingsText(_ settings: BucketSettings) throws(StoreError) -> SQLiteValue {
        if settings == BucketSettings() { return .null }
        do {
            return .text(String(decoding: try JSONEncoder().encode(settings), as: UTF8.self))
        } catch {
            throw .internalFailure("bucket settings: \(error)")
        }
    }

    /// Creating and deleting buckets invalidate the bucket records only once they have taken effect:
    /// a refused one leaves other buckets' records cached.
    public func createBucket(name: String, region: String, now: Milliseconds, owner: String?, settings: BucketSettings) async throws(StoreError) -> BucketRecord {
        let settingsValue = try Self.settingsText(settings)
        let created = try await run(write: true) { db in
            if let existing = try db.query("SELECT owner FROM buckets WHERE name = ?", [.text(name)]).first {
                throw existing[0].string == owner ? StoreError.bucketAlreadyOwnedByYou(name) : StoreError.bucketAlreadyExists(name)
            }
            // A bucket created with Object Lock is versioned from its first moment.
            let versioning: VersioningState = settings.objectLock != nil ? .enabled : .unversioned
            try db.query(
                "INSERT INTO buckets (name, region, created_ms, versioning, owner, settings) VALUES (?, ?, ?, ?, ?, ?)",
                [.text(name), .text(region), .integer(now), .text(versioning.rawValue), owner.map { .text($0) } ?? .null, settingsValue])
            return BucketRecord(
                id: db.lastInsertRowID, name: name, region: region, createdAt: now, versioning: versioning, owner: owner, settings: settings)
        }
        buckets.invalidate()
        return created
    }

    public func setBucketSetting(bucketID: Int64, _ field: BucketSettings.Field, json: String?) async throws(StoreError) {
        defer { buckets.invalidate() }
        // One member changes in place: a concurrent change to another member is never undone.
        try await run(write: true, bucket: bucketID) { db in
            if let json {
                _ = try db.query(
                    "UPDATE buckets SET settings = json_set(COALESCE(settings, '{}'), ?, json(?)) WHERE id = ?",
                    [.text("$." + field.rawValue), .text(json), .integer(bucketID)])
            } else {
                _ = try db.query("UPDATE buckets SET settings = json_remove(settings, ?) WHERE id = ? AND settings IS NOT NULL", [.text("$." + field.rawValue), .integer(bucketID)])
            }
        }
    }

    public func bucket(named name: String) async throws(StoreError) -> BucketRecord? {
        if let cached = buckets.lookup(name) { return cached }
        let generation = buckets.generation
        let record = try lookup { db in
            try db.query("SELECT \(Self.bucketColumns) FROM buckets WHERE name = ?", [.text(name)]).first.map(Self.bucket(from:))
        }
        if let record { buckets.store(record, readAt: generation) }
        return record
    }

    public func listBuckets() async throws(StoreError) -> [BucketRecord] {
        try await run { db in try db.query("SELECT \(Self.bucketColumns) FROM buckets ORDER BY name").map(Self.bucket(from:)) }
    }

    public func deleteBucket(named name: String) async throws(StoreError) {
        try await run(write: true) { db in
            guard let id = try db.query("SELECT id FROM buckets WHERE name = ?", [.text(name)]).first?[0].int else {
                throw StoreError.noSuchBucket(name)
            }
            if try !db.query("SELECT 1 FROM versions WHERE bucket_id = ? LIMIT 1", [.integer(id)]).isEmpty
                || !db.query("SELECT 1 FROM uploads WHERE bucket_id = ? LIMIT 1", [.integer(id)]).isEmpty
            {
                throw StoreError.bucketNotEmpty(name)
            }
            try db.query("DELETE FROM buckets WHERE id = ?", [.integer(id)])
        }
        buckets.invalidate()
    }

    public func setVersioning(bucketID: Int64, _ state: VersioningState) async throws(StoreError) {
        defer { buckets.invalidate() }
        return try await run(write: true, bucket: bucketID) { db in
            if state == .suspended,
                try db.query("SELECT 1 FROM buckets WHERE id = ? AND json_extract(settings, '$.objectLock') IS NOT NULL", [.integer(bucketID)]).first != nil
            {
                throw StoreError.invalidBucketState("An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.")
            }
            _ = try db.query("UPDATE buckets SET versioning = ? WHERE id = ?", [.text(state.rawValue), .integer(bucketID)])
        }
    }

    public func setObjectLock(bucketID: Int64, json: String) async throws(StoreError) {
        defer { buckets.invalidate() }
        return try await run(write: true, bucket: bucketID) { db in
            let row = try db.query("SELECT versioning, json_extract(settings, '$.objectLock') IS NOT NULL FROM buckets WHERE id = ?", [.integer(bucketID)]).first
            guard let row, row[0].string == VersioningState.enabled.rawValue || row[1].int == 1 else {
                throw StoreError.invalidBucketState("Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration")
            }
            try db.query("UPDATE buckets SET settings = json_set(COALESCE(settings, '{}'), '$.objectLock', json(?)) WHERE id = ?", [.text(json), .integer(bucketID)])
        }
    }

    public func setBucketPolicy(bucketID: Int64, _ policy: String?) async throws(StoreError) {
        defer { buckets.invalidate() }
        return try await run(write: true, bucket: bucketID) { db in
            _ = try db.query("UPDATE buckets SET policy = ? WHERE id = ?", [policy.map { .text($0) } ?? .null, .integer(bucketID)])
        }
    }

    public func bucketTags(bucketID: Int64) async throws(StoreError) -> [MetadataEntry]? {
        try await run { db in
            guard let text = try db.query("SELECT tags FROM buckets WHERE id = ?", [.integer(bucketID)]).first?[0].string else { return nil }
            return try JSONDecoder().decode([MetadataEntry].self, from: Data(text.utf8))
        }
    }

    public func setBucketTags(bucketID: Int64, _ tags: [MetadataEntry]?) async throws(StoreError) {
        try await run(write: true, bucket: bucketID) { db in
            let value: SQLiteValue = try tags.map { .text(String(decoding: try JSONEncoder().encode($0), as: UTF8.self)) } ?? .null
            try db.query("UPDATE buckets SET tags = ? WHERE id = ?", [value, .integer(bucketID)])
        }
    }

    /// Bucket records read from the index, dropped whenever a bucket changes. A record read while
    /// a change committed is not kept (the generation moved), so the cache never holds a stale one.
    final class BucketCache: Sendable {
        private struct State {
            var records: [String: BucketRecord] = [:]
            var generation: UInt64 = 0
        }
        private let state = NIOLockedValueBox(State())
        /// Enough for every bucket of a typical deployment; beyond it the cache starts over.
        static let capacity = 10_000

        var generation: UInt64 { state.withLockedValue { $0.generation } }

        func lookup(_ name: String) -> BucketRecord? { state.withLockedValue { $0.records[name] } }

        func store(_ record: BucketRecord, readAt generation: UInt64) {
            state.withLockedValue { state in
                guard state.generation == generation else { return }
                if state.records.count >= Self.capacity { state.records.removeAll() }
                state.records[record.name] = record
            }
        }

        func invalidate() {
            state.withLockedValue { state in
                state.generation &+= 1
                state.records.removeAll()
            }
        }
    }

    // MARK: versions

    public func putVersion(bucketID: Int64, _ version: ObjectVersion, condition: WriteCondition?, events: [OutboxEvent]) async throws(StoreError) -> [String] {
        let attributes = try Self.attributesText(version.attributes)
        return try await run(write: true, bucket: bucketID) { db in
            try VersionRows.check(condition, db, bucketID: bucketID, key: version.key)
            let obsolete = try VersionRows.insert(db, bucketID: bucketID, version, attributes: attributes)
            try Self.enqueue(events, db)
            return obsolete
        }
    }

    /// An attribute document's text, made before a write reaches the single writer connection.
    static func attributesText(_ attributes: ObjectAttributes) throws(StoreError) -> String {
        do {
            return try VersionRows.encode(attributes)
        } catch {
            throw .internalFailure("encode attributes: \(error)")
        }
    }

    static func enqueue(_ events: [OutboxEvent], _ db: SQLiteConnection) throws {
        for event in events {
            try db.query(
                "INSERT INTO outbox (target, payload, created_ms) VALUES (?, ?, ?)", [.text(event.target), .text(event.payload), .integer(ObjectStore.now())])
            // The row's id (never reused: AUTOINCREMENT) is the event's sequencer.
            let id = db.lastInsertRowID
            let hex = String(UInt64(id), radix: 16, uppercase: true)
            let sequencer = String(repeating: "0", count: max(0, 16 - hex.count)) + hex
            try db.query(
                "UPDATE outbox SET payload = replace(payload, ?, ?) WHERE id = ?", [.text(EventRecord.sequencerPlaceholder), .text(sequencer), .integer(id)])
        }
    }

    public func latestVersion(bucketID: Int64, key: String, withData: Bool) async throws(StoreError) -> ObjectVersion? {
        try await versionLookup { db, withParts in
            try VersionRows.latest(db, bucketID: bucketID, key: Array(key.utf8), withParts: withParts, withData: withData)
        }
    }

    public func version(bucketID: Int64, key: String, versionID: String, withData: Bool) async throws(StoreError) -> ObjectVersion? {
        try await versionLookup { db, withParts in
            try VersionRows.load(
                db, where: "bucket_id = ? AND key = ? AND version_id = ?",
                [.integer(bucketID), .blob(Array(key.utf8)), .text(versionID)], withParts: withParts, withData: withData
            ).first
        }
    }

    /// A version found by key, read on the caller's thread. A multipart object's version is read
    /// again with its parts (up to 10,000 rows), in one transaction on the pool, so a long read
    /// never runs on an event loop and the parts always belong to the version returned.
    func versionLookup(
        _ read: @escaping @Sendable (SQLiteConnection, _ withParts: Bool) throws -> ObjectVersion?
    ) async throws(StoreError) -> ObjectVersion? {
        let version = try lookup { db in try read(db, false) }
        guard version?.uploadID != nil else { return version }
        return try await run { db in try read(db, true) }
    }

    public func deleteVersion(
        bucketID: Int64, key: String, versionID: String, guard guarded: DeleteGuard?, bypassGovernance: Bool, events: [OutboxEvent]
    ) async throws(StoreError) -> (ObjectVersion?, [String]) {
        try await run(write: true, bucket: bucketID) { db in
            guard let removed = try VersionRows.load(
                db, where: "bucket_id = ? AND key = ? AND version_id = ?",
                [.integer(bucketID), .blob(Array(key.utf8)), .text(versionID)], withParts: true
            ).first else { return (nil, []) }
            if let expected = guarded?.expected, !expected.matches(removed) { throw StoreError.versionChanged(key: key) }
            if let guarded, !removed.isDeleteMarker, !guarded.admits(removed) { throw StoreError.preconditionFailed("If-Match") }
            try ObjectLockRules.checkRemoval(of: removed, now: ObjectStore.now(), bypassGovernance: bypassGovernance)
            try VersionRows.remove(db, bucketID: bucketID, removed)
            try Self.enqueue(events, db)
            return (removed, removed.blobIDs)
        }
    }

    public func setTags(bucketID: Int64, key: String, versionID: String, _ tags: [MetadataEntry], expecting: ExpectedVersion?) async throws(StoreError) {
        try await updateAttributes(bucketID: bucketID, key: key, versionID: versionID, expecting: expecting) { $0.tags = tags }
    }

    public func setACL(bucketID: Int64, key: String, versionID: String, _ acl: AccessControlList?, expecting: ExpectedVersion?) async throws(StoreError) {
        try await updateAttributes(bucketID: bucketID, key: key, versionID: versionID, expecting: expecting) { $0.acl = acl }
    }

    public func setLock(bucketID: Int64, key: String, versionID: String?, _ change: LockChange, expecting: ExpectedVersion?) async throws(StoreError) -> ObjectVersion {
        try await run(write: true, bucket: bucketID) { db in
            let keyBytes = Array(key.utf8)
            let found: ObjectVersion?
            if let versionID {
                found = try VersionRows.load(
                    db, where: "bucket_id = ? AND key = ? AND version_id = ?", [.integer(bucketID), .blob(keyBytes), .text(versionID)], withParts: false
                ).first
            } else {
                found = try VersionRows.latest(db, bucketID: bucketID, key: keyBytes, withParts: false)
            }
            if let expecting, !expecting.matches(found) { throw StoreError.versionChanged(key: key) }
            guard var version = found else {
                throw versionID.map { StoreError.noSuchVersion(key: key, versionID: $0) } ?? StoreError.noSuchKey(key)
            }
            if version.isDeleteMarker {
                throw versionID == nil ? StoreError.noSuchKey(key) : StoreError.invalidRequest("A delete marker cannot be locked.")
            }
            try change.apply(to: &version.attributes, now: ObjectStore.now())
            try db.query("UPDATE versions SET attributes = ? WHERE id = ?", [.text(try VersionRows.encode(version.attributes)), .integer(version.sequence)])
            return version
        }
    }

    /// Changes one version's attributes; with `expecting`, only if it is still the version
    /// expected (the one the caller read may have been replaced, under the same `null` id).
    func updateAttributes(
        bucketID: Int64, key: String, versionID: String, expecting: ExpectedVersion?, _ change: @escaping @Sendable (inout ObjectAttributes) -> Void
    ) async throws(StoreError) {
        try await run(write: true, bucket: bucketID) { db in
            let found = try VersionRows.load(
                db, where: "bucket_id = ? AND key = ? AND version_id = ?",
                [.integer(bucketID), .blob(Array(key.utf8)), .text(versionID)], withParts: false
            ).first
            if let expecting, !expecting.matches(found) { throw StoreError.versionChanged(key: key) }
            guard var version = found else { throw StoreError.noSuchVersion(key: key, versionID: versionID) }
            change(&version.attributes)
            try db.query("UPDATE versions SET attributes = ? WHERE id = ?", [.text(try VersionRows.encode(version.attributes)), .integer(version.sequence)])
        }
    }



    public func notificationTargets() async throws(StoreError) -> [StoredTarget] {
        try await run { db in
            try db.query("SELECT name, url, sealed_secrets, allowed_buckets FROM notification_targets ORDER BY name").map { row in
                let allowed = (try? JSONDecoder().decode([String].self, from: Data((row[3].string ?? "[]").utf8))) ?? []
                return StoredTarget(name: row[0].string!, url: row[1].string!, sealedSecrets: row[2].bytes, allowedBuckets: allowed)
            }
        }
    }

    public func putNotificationTarget(_ target: StoredTarget) async throws(StoreError) {
        let allowed = String(decoding: (try? JSONEncoder().encode(target.allowedBuckets)) ?? Data("[]".utf8), as: UTF8.self)
        try await run(write: true) { db in
            try db.query(
                """
                INSERT INTO notification_targets (name, url, sealed_secrets, allowed_buckets, created_ms) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(name) DO UPDATE SET url = excluded.url, sealed_secrets = excluded.sealed_secrets, allowed_buckets = excluded.allowed_buckets
                """,
                [.text(target.name), .text(target.url), target.sealedSecrets.map { .blob($0) } ?? .null, .text(allowed), .integer(ObjectStore.now())])
        }
    }

    public func deleteNotificationTarget(name: String) async throws(StoreError) -> Bool {
        try await run(write: true) { db in
            let existed = try db.query("SELECT 1 FROM notification_targets WHERE name = ?", [.text(name)]).first != nil
            try db.query("DELETE FROM notification_targets WHERE name = ?", [.text(name)])
            return existed
        }
    }

    public func pendingOutbox(perTarget: Int) async throws(StoreError) -> [OutboxEntry] {
        try await run { db in
            var entries: [OutboxEntry] = []
            for row in try db.query("SELECT DISTINCT target FROM outbox WHERE dead = 0") {
                entries += try db.query(
                    "SELECT id, target, payload, attempts FROM outbox WHERE target = ? AND dead = 0 ORDER BY id LIMIT ?",
                    [row[0], .integer(Int64(perTarget))]
                ).map { OutboxEntry(id: $0[0].int!, target: $0[1].string!, payload: $0[2].string!, attempts: Int($0[3].int!)) }
            }
            return entries
        }
    }

    public func redriveOutbox(target: String?) async throws(StoreError) -> Int {
        try await run(write: true, bucket: Self.uncachedRows) { db in
            let rows = try db.query(
                "UPDATE outbox SET dead = 0, attempts = 0 WHERE dead = 1 AND (? IS NULL OR target = ?) RETURNING id",
                [target.map { .text($0) } ?? .null, target.map { .text($0) } ?? .null])
            return rows.count
        }
    }

    public func purgeDeadLetters(target: String?) async throws(StoreError) -> Int {
        try await run(write: true, bucket: Self.uncachedRows) { db in
            let rows = try db.query(
                "DELETE FROM outbox WHERE dead = 1 AND (? IS NULL OR target = ?) RETURNING id",
                [target.map { .text($0) } ?? .null, target.map { .text($0) } ?? .null])
            return rows.count
        }
    }

    public func acknowledgeOutbox(ids: [Int64]) async throws(StoreError) {
        guard !ids.isEmpty else { return }
        try await run(write: true, bucket: Self.uncachedRows) { db in
            for id in ids { try db.query("DELETE FROM outbox WHERE id = ?", [.integer(id)]) }
        }
    }

    public func recordOutboxFailure(id: Int64, error: String, dead: Bool) async throws(StoreError) {
        try await run(write: true, bucket: Self.uncachedRows) { db in
            _ = try db.query(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?, dead = ? WHERE id = ?", [.text(String(error.prefix(500))), .integer(dead ? 1 : 0), .integer(id)])
        }
    }

    public func outboxCounts() async throws(StoreError) -> [String: (pending: Int, dead: Int)] {
        try await run { db in
            var counts: [String: (pending: Int, dead: Int)] = [:]
            for row in try db.query("SELECT target, dead, COUNT(*) FROM outbox GROUP BY target, dead") {
                let target = row[0].string!
                var entry = counts[target] ?? (0, 0)
                if row[1].int == 1 { entry.dead = Int(row[2].int!) } else { entry.pending = Int(row[2].int!) }
                counts[target] = entry
            }
            return counts
        }
    }

    public func kmsKeys(named name: String?) async throws(StoreError) -> [KMSKeyRecord] {
        try await run { db in
            let rows = try name.map { try db.query("SELECT name, version, material, created_ms FROM kms_keys WHERE name = ? ORDER BY version", [.text($0)]) }
                ?? db.query("SELECT name, version, material, created_ms FROM kms_keys ORDER BY name, version")
            return rows.map { KMSKeyRecord(name: $0[0].string!, version: Int($0[1].int!), sealedMaterial: $0[2].bytes ?? [], created: $0[3].int!) }
        }
    }

    public func addKMSKey(name: String, rotate: Bool, seal: @escaping @Sendable (Int) throws(StoreError) -> [UInt8]) async throws(StoreError) -> KMSKeyRecord {
        try await run(write: true) { db in
            let newest = try db.query("SELECT MAX(version) FROM kms_keys WHERE name = ?", [.text(name)]).first?[0].int
            if rotate && newest == nil { throw StoreError.kmsKeyNotFound(name) }
            if !rotate && newest != nil { throw StoreError.invalidArgument("A key named \(name) exists already") }
            let record = KMSKeyRecord(name: name, version: Int(newest ?? 0) + 1, sealedMaterial: try seal(Int(newest ?? 0) + 1), created: ObjectStore.now())
            try db.query(
                "INSERT INTO kms_keys (name, version, material, created_ms) VALUES (?, ?, ?, ?)",
                [.text(name), .integer(Int64(record.version)), .blob(record.sealedMaterial), .integer(record.created)])
            return record
        }
    }

    public func reading<T: Sendable>(_ body: @escaping @Sendable (any IndexSnapshot) throws(StoreError) -> T) async throws(StoreError) -> T {
        try await run { db in try body(Snapshot(db: db)) }
    }

    /// The scans of one listing page, all in one read transaction.
    struct Snapshot: IndexSnapshot {
        let db: SQLiteConnection

        func index<T>(_ body: (SQLiteConnection) throws -> T) throws(StoreError) -> T {
            do {
                return try body(db)
            } catch {
                throw SQLiteObjectIndex.storeError(error)
            }
        }

        public func scanLatest(bucketID: Int64, from lowerBound: [UInt8], inclusive: Bool, before upperBound: [UInt8]?, limit: Int)
            throws(StoreError) -> [ObjectVersion]
        {
            try index { db in
                var arguments = Self.latestRangeArguments(bucketID: bucketID, from: lowerBound, before: upperBound)
                arguments.append(.integer(Int64(limit)))
                return try VersionRows.load(db, sql: Self.latestScanSQL.pick(inclusive: inclusive, bounded: upperBound != nil), arguments)
            }
        }

        public func firstLatestKey(bucketID: Int64, from lowerBound: [UInt8], inclusive: Bool, before upperBound: [UInt8]?)
            throws(StoreError) -> [UInt8]?
        {
            try index { db in
                let arguments = Self.latestRangeArguments(bucketID: bucketID, from: lowerBound, before: upperBound)
                return try db.query(Self.latestKeySQL.pick(inclusive: inclusive, bounded: upperBound != nil), arguments).first?[0].bytes
            }
        }

        static func latestRangeArguments(bucketID: Int64, from lowerBound: [UInt8], before upperBound: [UInt8]?) -> [SQLiteValue] {
            var arguments: [SQLiteValue] = [.integer(bucketID), .blob(lowerBound)]
            if let upperBound { arguments.append(.blob(upperBound)) }
            return arguments
        }

        /// The SQL of a latest-version range scan in its four shapes, written once: a listing
        /// runs one such query per common prefix, and each statement is found by its text.
        struct RangeShapes {
            let shapes: [String]

            init(_ make: (_ condition: String) -> String) {
                shapes = [false, true].flatMap { inclusive in
                    [false, true].map { bounded in
                        make("bucket_id = ? AND is_latest = 1 AND key \(inclusive ? ">=" : ">") ?\(bounded ? " AND key < ?" : "") AND is_delete_marker = 0")
                    }
                }
            }

            func pick(inclusive: Bool, bounded: Bool) -> String { shapes[(inclusive ? 2 : 0) + (bounded ? 1 : 0)] }
        }

        static let latestScanSQL = RangeShapes { "SELECT \(VersionRows.columns) FROM versions WHERE \($0) ORDER BY key LIMIT ?" }
        static let latestKeySQL = RangeShapes { "SELECT key FROM versions WHERE \($0) ORDER BY key LIMIT 1" }

        public func scanVersions(bucketID: Int64, from key: [UInt8], inclusive: Bool, afterSequence: Int64?, before upperBound: [UInt8]?, limit: Int)
            throws(StoreError) -> [ObjectVersion]
        {
            try index { db in
                // After a marker inside a key: the rest of that key's versions (older ones, lower ids), then later keys.
                var (condition, arguments) = SQLiteObjectIndex.keyRange(
                    bucketID: bucketID, from: key, inclusive: inclusive, resumeAfter: afterSequence.map { (id: $0, comparison: "<") }, before: upperBound)
                condition += " ORDER BY key, id DESC LIMIT ?"
                arguments.append(.integer(Int64(limit)))
                return try VersionRows.load(db, where: condition, arguments, withParts: false)
            }
        }

        public func firstVersionKey(bucketID: Int64, from key: [UInt8], inclusive: Bool, afterSequence: Int64?, before upperBound: [UInt8]?)
            throws(StoreError) -> [UInt8]?
        {
            try index { db in
                var (condition, arguments) = SQLiteObjectIndex.keyRange(
                    bucketID: bucketID, from: key, inclusive: inclusive, resumeAfter: afterSequence.map { (id: $0, comparison: "<") }, before: upperBound)
                condition += " ORDER BY key, id DESC LIMIT 1"
                return try db.query("SELECT key FROM versions WHERE \(condition)", arguments).first?[0].bytes
            }
        }

        public func scanUploads(bucketID: Int64, from key: [UInt8], inclusive: Bool, afterUploadID: String?, before upperBound: [UInt8]?, limit: Int)
            throws(StoreError) -> [UploadRecord]
        {
            try index { db in
                let marker = try afterUploadID.flatMap {
                    try db.query("SELECT id FROM uploads WHERE bucket_id = ? AND upload_id = ?", [.integer(bucketID), .text($0)]).first?[0].int
                }
                var (condition, arguments) = SQLiteObjectIndex.keyRange(
                    bucketID: bucketID, from: key, inclusive: inclusive, resumeAfter: marker.map { (id: $0, comparison: ">") }, before: upperBound)
                arguments.append(.integer(Int64(limit)))
                return try db.query("SELECT \(SQLiteObjectIndex.uploadColumns) FROM uploads WHERE \(condition) ORDER BY key, id LIMIT ?", arguments)
                    .map(SQLiteObjectIndex.upload(from:))
            }
        }
    }

    // MARK: uploads

    public func createUpload(bucketID: Int64, _ upload: UploadRecord) async throws(StoreError) -> Int64 {
        let attributes = try Self.attributesText(upload.attributes)
        return try await run(write: true, bucket: bucketID) { db in
            try db.query(
                "INSERT INTO uploads (bucket_id, key, upload_id, initiated_ms, attributes, checksum_algorithm, checksum_type) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    .integer(bucketID), .blob(Array(upload.key.utf8)), .text(upload.uploadID), .integer(upload.initiated), .text(attributes),
                    upload.checksumAlgorithm.map { .text($0.rawValue) } ?? .null, upload.checksumType.map { .text($0) } ?? .null,
                ])
            return db.lastInsertRowID
        }
    }

    static let uploadColumns = "id, key, upload_id, initiated_ms, attributes, checksum_algorithm, checksum_type"

    static func upload(from row: [SQLiteValue]) throws -> UploadRecord {
        UploadRecord(
            rowID: row[0].int!, key: String(decoding: row[1].bytes ?? [], as: UTF8.self), uploadID: row[2].string!,
            initiated: row[3].int!, attributes: try JSONDecoder().decode(ObjectAttributes.self, from: Data(row[4].bytes ?? [])),
            checksumAlgorithm: row[5].string.flatMap(ChecksumAlgorithm.init(rawValue:)), checksumType: row[6].string)
    }

    public func upload(bucketID: Int64, uploadID: String) async throws(StoreError) -> UploadRecord? {
        try lookup { db in
            try db.query("SELECT \(Self.uploadColumns) FROM uploads WHERE bucket_id = ? AND upload_id = ?", [.integer(bucketID), .text(uploadID)])
                .first.map(Self.upload(from:))
        }
    }

    public func putPart(uploadRowID: Int64, _ part: StoredPart) async throws(StoreError) -> [String] {
        try await run(write: true, bucket: Self.uncachedRows) { db in
            guard try !db.query("SELECT 1 FROM uploads WHERE id = ?", [.integer(uploadRowID)]).isEmpty else {
                throw StoreError.noSuchUpload("")
            }
            let replaced = try db.query(
                "SELECT blob FROM upload_parts WHERE upload_row = ? AND part_number = ?", [.integer(uploadRowID), .integer(Int64(part.number))]
            ).compactMap { $0[0].string }
            try db.query(
                "INSERT OR REPLACE INTO upload_parts (upload_row, part_number, size, md5, blob, checksum, last_modified_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    .integer(uploadRowID), .integer(Int64(part.number)), .integer(part.size), .text(part.md5Hex), .text(part.blobID),
                    part.checksum.map { .text($0) } ?? .null, .integer(part.lastModified),
                ])
            return replaced
        }
    }

    public func parts(uploadRowID: Int64, after: Int, limit: Int) async throws(StoreError) -> [StoredPart] {
        try await run { db in
            try db.query(
                "SELECT part_number, size, md5, blob, checksum, last_modified_ms FROM upload_parts WHERE upload_row = ? AND part_number > ? ORDER BY part_number LIMIT ?",
                [.integer(uploadRowID), .integer(Int64(after)), .integer(Int64(limit))]
            ).map(VersionRows.part(from:))
        }
    }

    public func completeUpload(bucketID: Int64, uploadRowID: Int64, _ version: ObjectVersion, condition: WriteCondition?, events: [OutboxEvent]) async throws(StoreError)
        -> [String]
    {
        let attributes = try Self.attributesText(version.attributes)
        return try await run(write: true, bucket: bucketID) { db in
            guard try !db.query("SELECT 1 FROM uploads WHERE id = ?", [.integer(uploadRowID)]).isEmpty else {
                throw StoreError.noSuchUpload(version.uploadID ?? "")
            }
            try VersionRows.check(condition, db, bucketID: bucketID, key: version.key)
            // The parts were chosen outside this transaction: an UploadPart of the same number may
            // have replaced (and deleted) one since. Commit only the parts that are still current.
            for part in version.parts ?? [] {
                let current = try db.query(
                    "SELECT blob FROM upload_parts WHERE upload_row = ? AND part_number = ?", [.integer(uploadRowID), .integer(Int64(part.number))]
                ).first?[0].string
                guard current == part.blobID else {
                    throw StoreError.invalidPart("Part \(part.number) was uploaded again while the upload was being completed; complete it again with the new part's ETag.")
                }
            }
            let used = Set(version.blobIDs)
            let leftOver = try db.query("SELECT blob FROM upload_parts WHERE upload_row = ?", [.integer(uploadRowID)])
                .compactMap { $0[0].string }.filter { !used.contains($0) }
            try db.query("DELETE FROM upload_parts WHERE upload_row = ?", [.integer(uploadRowID)])
            try db.query("DELETE FROM uploads WHERE id = ?", [.integer(uploadRowID)])
            let replaced = try VersionRows.insert(db, bucketID: bucketID, version, attributes: attributes)
            try Self.enqueue(events, db)
            return leftOver + replaced
        }
    }

    public func completedVersion(bucketID: Int64, uploadID: String) async throws(StoreError) -> ObjectVersion? {
        try await versionLookup { db, withParts in
            try VersionRows.load(db, where: "bucket_id = ? AND upload_id = ?", [.integer(bucketID), .text(uploadID)], withParts: withParts).first
        }
    }


    public func abortUpload(bucketID: Int64, uploadID: String) async throws(StoreError) -> [String]? {
        try await run(write: true, bucket: bucketID) { db in
            guard let row = try db.query("SELECT id FROM uploads WHERE bucket_id = ? AND upload_id = ?", [.integer(bucketID), .text(uploadID)])
                .first?[0].int
            else { return nil }
            let blobs = try db.query("SELECT blob FROM upload_parts WHERE upload_row = ?", [.integer(row)]).compactMap { $0[0].string }
            try db.query("DELETE FROM upload_parts WHERE upload_row = ?", [.integer(row)])
            try db.query("DELETE FROM uploads WHERE id = ?", [.integer(row)])
            return blobs
        }
    }

    public func abortUploadOfEmptyBucket(bucketID: Int64, name: String) async throws(StoreError) -> [String]? {
        try await run(write: true, bucket: bucketID) { db in
            if try !db.query("SELECT 1 FROM versions WHERE bucket_id = ? LIMIT 1", [.integer(bucketID)]).isEmpty {
                throw StoreError.bucketNotEmpty(name)
            }
            guard let row = try db.query("SELECT id FROM uploads WHERE bucket_id = ? LIMIT 1", [.integer(bucketID)]).first?[0].int else {
                return nil
            }
            let blobs = try db.query("SELECT blob FROM upload_parts WHERE upload_row = ?", [.integer(row)]).compactMap { $0[0].string }
            try db.query("DELETE FROM upload_parts WHERE upload_row = ?", [.integer(row)])
            try db.query("DELETE FROM uploads WHERE id = ?", [.integer(row)])
            return blobs
        }
    }

    /// The WHERE clause of a paged scan over one bucket's keys: from `key` (or, resuming inside it,
    /// the rows whose id compares to the marker's as given, then later keys), below `upperBound`.
    static func keyRange(
        bucketID: Int64, from key: [UInt8], inclusive: Bool, resumeAfter marker: (id: Int64, comparison: String)?, before upperBound: [UInt8]?
    ) -> (String, [SQLiteValue]) {
        var condition: String
        var arguments: [SQLiteValue] = [.integer(bucketID)]
        if let marker {
            condition = "bucket_id = ? AND (key > ? OR (key = ? AND id \(marker.comparison) ?))"
            arguments += [.blob(key), .blob(key), .integer(marker.id)]
        } else {
            condition = "bucket_id = ? AND key \(inclusive ? ">=" : ">") ?"
            arguments.append(.blob(key))
        }
        if let upperBound {
            condition += " AND key < ?"
            arguments.append(.blob(upperBound))
        }
        return (condition, arguments)
    }

    public func uploads(initiatedBefore cutoff: Milliseconds) async throws(StoreError) -> [(Int64, String)] {
        let rows = try await run { db in
            try db.query("SELECT bucket_id, upload_id FROM uploads WHERE initiated_ms < ? LIMIT 10000", [.integer(cutoff)])
        }
        return rows.map { ($0[0].int!, $0[1].string!) }
    }

    // MARK: maintenance

    /// One query per table for up to `referenceBatch` ids (padded with NULLs, so the statement is
    /// prepared once), instead of three per blob.
    public func referencedBlobs(among blobIDs: [String]) async throws(StoreError) -> Set<String> {
        try await run { db in
            var known = Set<String>()
            var start = 0
            while start < blobIDs.count {
                let batch = blobIDs[start..<min(start + Self.referenceBatch, blobIDs.count)]
                start += Self.referenceBatch
                var arguments = batch.map { SQLiteValue.text($0) }
                arguments += Array(repeating: SQLiteValue.null, count: Self.referenceBatch - arguments.count)
                for table in ["versions", "version_parts", "upload_parts"] {
                    for row in try db.query("SELECT DISTINCT blob FROM \(table) WHERE blob IN (\(Self.referencePlaceholders))", arguments) {
                        if let id = row[0].string { known.insert(id) }
                    }
                }
            }
            return known
        }
    }

    static let referenceBatch = 500
    static let referencePlaceholders = Array(repeating: "?", count: referenceBatch).joined(separator: ", ")

    public func usage() async throws(StoreError) -> (buckets: Int, objects: Int64, bytes: Int64) {
        let row = try await run { db in
            try db.query("SELECT count(*), coalesce(sum(object_count), 0), coalesce(sum(byte_count), 0) FROM buckets").first!
        }
        return (Int(row[0].int ?? 0), row[1].int ?? 0, row[2].int ?? 0)
    }

    public func bucketUsage() async throws(StoreError) -> [String: (objects: Int64, bytes: Int64)] {
        try await run { db in
            var usage: [String: (objects: Int64, bytes: Int64)] = [:]
            for row in try db.query("SELECT name, object_count, byte_count FROM buckets", []) {
                if let name = row[0].string { usage[name] = (row[1].int ?? 0, row[2].int ?? 0) }
            }
            return usage
        }
    }
}
