import NIOCore
import Testing

@testable import ObjectStore

/// Writes to an existing version change it only while it is the version their caller decided
/// on: an unversioned overwrite replaces a version under the same `null` id (and often the same
/// row id), and a decision made on the one must not be applied to the other.
@Suite struct ExpectedVersionTests {
    @discardableResult
    func put(_ f: StoreFixture, _ bucket: BucketRecord, _ key: String, tags: [MetadataEntry] = []) async throws -> ObjectVersion {
        let staged = try await f.store.stage(Chunks([ByteBuffer(string: key)]), plan: HashingPlan(), maxSize: 1 << 20)
        return try await f.store.commit(staged, bucket: bucket, key: key, attributes: ObjectAttributes(tags: tags))
    }

    @Test func anACLGoesOnlyOntoTheVersionItWasMadeFor() async throws {
        let f = try StoreFixture()
        let bucket = try await f.store.createBucket("acl")
        let open = try await put(f, bucket, "k", tags: [MetadataEntry("open", "yes")])
        let replacement = try await put(f, bucket, "k")
        #expect(open.versionID == replacement.versionID)
        let acl = AccessControlList(owner: "owner", grants: [])
        await #expect(throws: StoreError.versionChanged(key: "k")) { try await f.store.setACL(bucket: bucket, version: open, acl: acl, exactly: true) }
        #expect(try await f.store.version(bucket: bucket, key: "k", versionID: nil, cached: false).attributes.acl == nil)
        try await f.store.setACL(bucket: bucket, version: replacement, acl: acl, exactly: true)
        #expect(try await f.store.version(bucket: bucket, key: "k", versionID: nil, cached: false).attributes.acl == acl)
        // Where no decision read the version, the last writer wins, as before.
        try await f.store.setACL(bucket: bucket, version: open, acl: nil, exactly: false)
        #expect(try await f.store.version(bucket: bucket, key: "k", versionID: nil, cached: false).attributes.acl == nil)
        await f.cleanup()
    }

    @Test func tagsGoOnlyOntoTheVersionExpected() async throws {
        let f = try StoreFixture()
        let bucket = try await f.store.createBucket("tags")
        let open = try await put(f, bucket, "k", tags: [MetadataEntry("open", "yes")])
        try await put(f, bucket, "k", tags: [MetadataEntry("kind", "protected")])
        let pwned = [MetadataEntry("pwned", "yes")]
        await #expect(throws: StoreError.versionChanged(key: "k")) {
            try await f.store.setTags(bucket: bucket, key: "k", versionID: nil, tags: pwned, expecting: ExpectedVersion(of: open))
        }
        let now = try await f.store.version(bucket: bucket, key: "k", versionID: nil, cached: false)
        #expect(now.attributes.tags == [MetadataEntry("kind", "protected")])
        // Expecting no version where there is one is a change too.
        await #expect(throws: StoreError.versionChanged(key: "k")) {
            try await f.store.setTags(bucket: bucket, key: "k", versionID: nil, tags: pwned, expecting: ExpectedVersion(attributes: nil))
        }
        _ = try await f.store.setTags(bucket: bucket, key: "k", versionID: nil, tags: pwned, expecting: ExpectedVersion(of: now))
        #expect(try await f.store.version(bucket: bucket, key: "k", versionID: nil, cached: false).attributes.tags == pwned)
        await f.cleanup()
    }

    @Test func aDeleteRemovesOnlyTheVersionExpected() async throws {
        let f = try StoreFixture()
        let bucket = try await f.store.createBucket("deletes")
        let open = try await put(f, bucket, "k", tags: [MetadataEntry("open", "yes")])
        try await put(f, bucket, "k")
        let expectingOpen = DeleteGuard(expected: ExpectedVersion(of: open))
        await #expect(throws: StoreError.versionChanged(key: "k")) {
            try await f.store.delete(bucket: bucket, key: "k", versionID: nil, guard: expectingOpen)
        }
        #expect(try await f.read(bucket, "k") == "k")
        // Deleting what is no longer there succeeds, whatever was expected of it.
        _ = try await f.store.delete(bucket: bucket, key: "k", versionID: nil)
        _ = try await f.store.delete(bucket: bucket, key: "k", versionID: nil, guard: expectingOpen)

        // Versioned: the delete marker goes on only over the version expected.
        let versioned = try await f.store.createBucket("versioned")
        try await f.store.setVersioning(versioned, .enabled)
        let bucketNow = try await f.store.bucket("versioned")
        let first = try await put(f, bucketNow, "k", tags: [MetadataEntry("open", "yes")])
        let second = try await put(f, bucketNow, "k")
        await #expect(throws: StoreError.versionChanged(key: "k")) {
            try await f.store.delete(bucket: bucketNow, key: "k", versionID: nil, guard: DeleteGuard(expected: ExpectedVersion(of: first)))
        }
        #expect(try await f.store.version(bucket: bucketNow, key: "k", versionID: nil, cached: false).versionID == second.versionID)
        let marker = try await f.store.delete(bucket: bucketNow, key: "k", versionID: nil, guard: DeleteGuard(expected: ExpectedVersion(of: second)))
        #expect(marker.isDeleteMarker)
        await f.cleanup()
    }

    @Test func withVersioningSuspendedTheNullVersionReplacedIsCheckedToo() async throws {
        let f = try StoreFixture()
        let created = try await f.store.createBucket("suspended")
        let null = try await put(f, created, "k", tags: [MetadataEntry("kind", "protected")])
        try await f.store.setVersioning(created, .enabled)
        let latest = try await put(f, try await f.store.bucket("suspended"), "k", tags: [MetadataEntry("open", "yes")])
        try await f.store.setVersioning(created, .suspended)
        let bucket = try await f.store.bucket("suspended")
        var guarded = DeleteGuard(expected: ExpectedVersion(of: latest))
        guarded.expectedNull = ExpectedVersion(attributes: nil)
        await #expect(throws: StoreError.versionChanged(key: "k")) {
            try await f.store.delete(bucket: bucket, key: "k", versionID: nil, guard: guarded)
        }
        #expect(try await f.store.version(bucket: bucket, key: "k", versionID: "null", cached: false).etag == null.etag)
        guarded.expectedNull = ExpectedVersion(of: null)
        let marker = try await f.store.delete(bucket: bucket, key: "k", versionID: nil, guard: guarded)
        #expect(marker.isDeleteMarker && marker.versionID == "null")
        await f.cleanup()
    }

    @Test func aLockChangeGoesOnlyOntoTheVersionExpected() async throws {
        let f = try StoreFixture()
        _ = try await f.store.createBucket("locked", settings: BucketSettings(objectLock: ObjectLockConfiguration()))
        let bucket = try await f.store.bucket("locked")
        let first = try await put(f, bucket, "k", tags: [MetadataEntry("open", "yes")])
        let second = try await put(f, bucket, "k")
        await #expect(throws: StoreError.versionChanged(key: "k")) {
            try await f.store.setLock(bucket: bucket, key: "k", versionID: nil, .legalHold(true), expecting: ExpectedVersion(of: first))
        }
        #expect(try await f.store.version(bucket: bucket, key: "k", versionID: nil, cached: false).attributes.legalHold == nil)
        let held = try await f.store.setLock(bucket: bucket, key: "k", versionID: nil, .legalHold(true), expecting: ExpectedVersion(of: second))
        #expect(held.versionID == second.versionID && held.attributes.legalHold == true)
        // What no decision reads (the hold just set) is no change to a write expecting the version.
        _ = try await f.store.setTags(bucket: bucket, key: "k", versionID: nil, tags: [MetadataEntry("t", "1")], expecting: ExpectedVersion(of: second))
        _ = try await f.store.setLock(bucket: bucket, key: "k", versionID: nil, .legalHold(false))
        await f.cleanup()
    }
}
