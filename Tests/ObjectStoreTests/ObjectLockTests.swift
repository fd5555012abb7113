import Foundation
import NIOCore
import Testing

@testable import ObjectIndexSQLite
@testable import ObjectStore

@Suite struct ObjectLockRuleTests {
    let now: Milliseconds = 1_800_000_000_000

    func version(retention: ObjectRetention? = nil, legalHold: Bool? = nil) -> ObjectVersion {
        var attributes = ObjectAttributes()
        attributes.retention = retention
        attributes.legalHold = legalHold
        return ObjectVersion(
            key: "k", versionID: "v", isLatest: true, isDeleteMarker: false, size: 1, etag: "\"e\"", lastModified: now, blobID: nil,
            attributes: attributes)
    }

    @Test func removalUnderEachLock() throws {
        let future = now + 1000
        let governance = ObjectRetention(mode: .governance, retainUntil: future)
        let compliance = ObjectRetention(mode: .compliance, retainUntil: future)
        try ObjectLockRules.checkRemoval(of: version(), now: now, bypassGovernance: false)
        try ObjectLockRules.checkRemoval(of: version(legalHold: false), now: now, bypassGovernance: false)
        #expect(throws: StoreError.self) { try ObjectLockRules.checkRemoval(of: version(retention: governance), now: now, bypassGovernance: false) }
        try ObjectLockRules.checkRemoval(of: version(retention: governance), now: now, bypassGovernance: true)
        #expect(throws: StoreError.self) { try ObjectLockRules.checkRemoval(of: version(retention: compliance), now: now, bypassGovernance: true) }
        // A legal hold holds whatever the retention and bypass say.
        #expect(throws: StoreError.self) { try ObjectLockRules.checkRemoval(of: version(legalHold: true), now: now, bypassGovernance: true) }
        // Expired retention keeps nothing.
        try ObjectLockRules.checkRemoval(of: version(retention: compliance), now: future, bypassGovernance: false)
    }

    @Test func retentionChanges() throws {
        let until = now + 10_000
        let governance = ObjectRetention(mode: .governance, retainUntil: until)
        let compliance = ObjectRetention(mode: .compliance, retainUntil: until)
        let later = { (r: ObjectRetention) in ObjectRetention(mode: r.mode, retainUntil: r.retainUntil + 1) }
        let earlier = { (r: ObjectRetention) in ObjectRetention(mode: r.mode, retainUntil: r.retainUntil - 1) }
        // Extending is always allowed, in either mode.
        try ObjectLockRules.checkRetentionChange(from: governance, to: later(governance), now: now, bypassGovernance: false)
        try ObjectLockRules.checkRetentionChange(from: compliance, to: later(compliance), now: now, bypassGovernance: false)
        // Governance can be weakened only when bypassed.
        for weaker in [earlier(governance), compliance, nil] as [ObjectRetention?] {
            #expect(throws: StoreError.self) { try ObjectLockRules.checkRetentionChange(from: governance, to: weaker, now: now, bypassGovernance: false) }
            try ObjectLockRules.checkRetentionChange(from: governance, to: weaker, now: now, bypassGovernance: true)
        }
        // Compliance never.
        for weaker in [earlier(compliance), governance, nil] as [ObjectRetention?] {
            #expect(throws: StoreError.self) { try ObjectLockRules.checkRetentionChange(from: compliance, to: weaker, now: now, bypassGovernance: true) }
        }
        // Once expired, anything goes.
        try ObjectLockRules.checkRetentionChange(from: compliance, to: nil, now: until, bypassGovernance: false)
    }

    @Test func defaultRetentionPeriods() {
        let days = ObjectLockConfiguration.DefaultRetention(mode: .governance, period: .days(2))
        #expect(days.retention(from: now) == ObjectRetention(mode: .governance, retainUntil: now + 2 * 86_400_000))
        let years = ObjectLockConfiguration.DefaultRetention(mode: .compliance, period: .years(1))
        #expect(years.retention(from: now).retainUntil == now + 365 * 86_400_000)
        #expect(!ObjectLockConfiguration.DefaultRetention(mode: .governance, period: .days(0)).isValid)
        #expect(!ObjectLockConfiguration.DefaultRetention(mode: .governance, period: .years(-1)).isValid)
        #expect(!ObjectLockConfiguration.DefaultRetention(mode: .governance, period: .years(101)).isValid)
    }
}

/// Every removing path of the store meets the lock, because the index checks it in the
/// transaction that would remove the version.
@Suite struct ObjectLockStoreTests {
    @Test func lockedVersionsSurviveEveryRemovingPath() async throws {
        let f = try StoreFixture()
        defer { Task { await f.cleanup() } }
        _ = try await f.store.createBucket("locked", settings: BucketSettings(objectLock: ObjectLockConfiguration()))
        let bucket = try await f.store.bucket("locked")
        #expect(bucket.versioning == .enabled)
        await #expect(throws: StoreError.self) { try await f.store.setVersioning(bucket, .suspended) }

        let v = try await f.put(bucket, "k", "kept")
        let until = ObjectStore.now() + 3_600_000
        _ = try await f.store.setLock(bucket: bucket, key: "k", versionID: v.versionID, .retention(ObjectRetention(mode: .compliance, retainUntil: until), bypassGovernance: false))
        await #expect(throws: StoreError.objectLocked("Object is WORM protected and cannot be overwritten or deleted")) {
            try await f.store.delete(bucket: bucket, key: "k", versionID: v.versionID, bypassGovernance: true)
        }
        // A delete marker is allowed (it removes nothing); the version is still there beneath it.
        let marker = try await f.store.delete(bucket: bucket, key: "k", versionID: nil)
        #expect(marker.isDeleteMarker)
        _ = try await f.store.delete(bucket: bucket, key: "k", versionID: marker.versionID)
        #expect(try await f.read(bucket, "k") == "kept")
        await #expect(throws: StoreError.bucketNotEmpty("locked")) { try await f.store.deleteBucket("locked") }
        // Compliance cannot be shortened or removed, even bypassed.
        await #expect(throws: StoreError.self) {
            try await f.store.setLock(bucket: bucket, key: "k", versionID: v.versionID, .retention(nil, bypassGovernance: true))
        }
    }

    @Test func legalHoldAndGovernanceBypass() async throws {
        let f = try StoreFixture()
        defer { Task { await f.cleanup() } }
        let rule = ObjectLockConfiguration.DefaultRetention(mode: .governance, period: .days(1))
        _ = try await f.store.createBucket("held", settings: BucketSettings(objectLock: ObjectLockConfiguration(defaultRetention: rule)))
        let bucket = try await f.store.bucket("held")
        let v = try await f.put(bucket, "k", "x")
        // The bucket's default retention was applied when the version was stored.
        #expect(v.attributes.retention?.mode == .governance)
        _ = try await f.store.setLock(bucket: bucket, key: "k", versionID: nil, .legalHold(true))
        await #expect(throws: StoreError.self) { try await f.store.delete(bucket: bucket, key: "k", versionID: v.versionID, bypassGovernance: true) }
        _ = try await f.store.setLock(bucket: bucket, key: "k", versionID: nil, .legalHold(false))
        await #expect(throws: StoreError.self) { try await f.store.delete(bucket: bucket, key: "k", versionID: v.versionID) }
        _ = try await f.store.delete(bucket: bucket, key: "k", versionID: v.versionID, bypassGovernance: true)
        await #expect(throws: StoreError.noSuchKey("k")) { try await f.store.head(bucket: bucket, key: "k") }
    }

    @Test func lockedNullVersionIsNotReplaced() async throws {
        let f = try StoreFixture()
        defer { Task { await f.cleanup() } }
        // A null version written before Object Lock was enabled can be locked like any other, and
        // an unversioned write that would replace it is refused (defence beyond versioning rules).
        var bucket = try await f.store.createBucket("nulls")
        try await f.put(bucket, "k", "original")
        try await f.store.setVersioning(bucket, .enabled)
        bucket = try await f.store.bucket("nulls")
        try await f.store.setObjectLock(bucket, ObjectLockConfiguration())
        bucket = try await f.store.bucket("nulls")
        _ = try await f.store.setLock(bucket: bucket, key: "k", versionID: "null", .legalHold(true))
        var unversioned = bucket
        unversioned.versioning = .suspended
        await #expect(throws: StoreError.self) { try await f.put(unversioned, "k", "replacement") }
        await #expect(throws: StoreError.self) { try await f.store.delete(bucket: unversioned, key: "k", versionID: nil) }
        #expect(try await f.read(bucket, "k") == "original")
    }

    /// Review finding: enabling lock and suspending versioning at once could both succeed (each
    /// checked a bucket record read before the other's write). The index now checks both.
    @Test func lockAndSuspensionAreCheckedInTheIndexTransaction() async throws {
        let f = try StoreFixture()
        defer { Task { await f.cleanup() } }
        var bucket = try await f.store.createBucket("race")
        try await f.store.setVersioning(bucket, .enabled)
        bucket = try await f.store.bucket("race")
        let staleEnabled = bucket
        try await f.store.setVersioning(bucket, .suspended)
        // A request that read the bucket while it was still Enabled cannot enable lock now.
        await #expect(throws: StoreError.self) { try await f.store.setObjectLock(staleEnabled, ObjectLockConfiguration()) }
        try await f.store.setVersioning(bucket, .enabled)
        let staleUnlocked = try await f.store.bucket("race")
        try await f.store.setObjectLock(staleUnlocked, ObjectLockConfiguration())
        // And one that read it before lock was enabled cannot suspend versioning now.
        await #expect(throws: StoreError.self) { try await f.index.setVersioning(bucketID: staleUnlocked.id, .suspended) }
        #expect(try await f.store.bucket("race").versioning == .enabled)
    }

    @Test func lockNeedsALockBucket() async throws {
        let f = try StoreFixture()
        defer { Task { await f.cleanup() } }
        let plain = try await f.store.createBucket("plain")
        try await f.put(plain, "k", "x")
        await #expect(throws: StoreError.invalidBucketState("Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration")) {
            try await f.store.setObjectLock(plain, ObjectLockConfiguration())
        }
        await #expect(throws: StoreError.self) { try await f.store.setLock(bucket: plain, key: "k", versionID: nil, .legalHold(true)) }
        #expect(throws: StoreError.self) { try ObjectLockRules.validate(LockRequest(legalHold: true), in: plain.settings, now: 0) }
    }
}
