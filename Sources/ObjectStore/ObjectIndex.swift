/// The metadata index behind the store: buckets, object versions and multipart uploads.
/// Implementations keep each call atomic (one transaction) and order keys byte-wise.
public protocol ObjectIndex: Sendable {
    /// The generations an answer about `bucketID`'s objects and uploads depends on. Each is odd
    /// while a write may be changing what it covers, and advances to the next even value when it
    /// has, before that write's caller hears of it: `bucket` covers the writes to that bucket's
    /// objects, `index` every other write. What was read between two readings of the same
    /// settled stamp stays current for as long as that stamp stands. Both are read at one
    /// instant: a bucket's generation may start again from 0, and the index's then advances at
    /// that same instant, so no stamp from before matches one from after.
    func writeStamp(bucketID: Int64) -> WriteStamp

    // MARK: buckets

    /// `bucketAlreadyOwnedByYou` when `owner` has the name already, `bucketAlreadyExists` when another does.
    func createBucket(name: String, region: String, now: Milliseconds, owner: String?, settings: BucketSettings) async throws(StoreError) -> BucketRecord
    /// Sets (JSON text) or removes (nil) one member of a bucket's settings, leaving the others as they are.
    func setBucketSetting(bucketID: Int64, _ field: BucketSettings.Field, json: String?) async throws(StoreError)
    func bucket(named name: String) async throws(StoreError) -> BucketRecord?
    func listBuckets() async throws(StoreError) -> [BucketRecord]
    /// Deletes a bucket with no versions and no uploads left; `bucketNotEmpty` otherwise.
    func deleteBucket(named name: String) async throws(StoreError)
    /// `invalidBucketState` for Suspended on a bucket with Object Lock (checked in the transaction).
    func setVersioning(bucketID: Int64, _ state: VersioningState) async throws(StoreError)
    /// Sets a bucket's Object Lock configuration (JSON) if the bucket has lock already or its
    /// versioning is Enabled, checked in the same transaction; `invalidBucketState` otherwise.
    func setObjectLock(bucketID: Int64, json: String) async throws(StoreError)
    /// Stores (or with nil removes) a bucket policy document, as given.
    func setBucketPolicy(bucketID: Int64, _ policy: String?) async throws(StoreError)
    func bucketTags(bucketID: Int64) async throws(StoreError) -> [MetadataEntry]?
    func setBucketTags(bucketID: Int64, _ tags: [MetadataEntry]?) async throws(StoreError)

    // MARK: versions

    /// Makes `version` the latest for its key, after checking `condition` against the current
    /// latest object in the same transaction. A version with id `null` replaces the existing
    /// `null` version, unless Object Lock keeps that one (`objectLocked`). Returns the blobs no longer referenced; the caller deletes them.
    /// `events` go to the outbox in the same transaction.
    func putVersion(bucketID: Int64, _ version: ObjectVersion, condition: WriteCondition?, events: [OutboxEvent]) async throws(StoreError) -> [String]
    /// With `withData`, an inline object's bytes come with it (`ObjectVersion.inlineData`);
    /// without, only its metadata is read (HEAD, preconditions, tags).
    func latestVersion(bucketID: Int64, key: String, withData: Bool) async throws(StoreError) -> ObjectVersion?
    func version(bucketID: Int64, key: String, versionID: String, withData: Bool) async throws(StoreError) -> ObjectVersion?
    /// Removes one version for good; if it was the latest, the next newest becomes latest.
    /// Returns the removed version (nil if there was none) and its blobs.
    /// With `guard`, the version is removed only if it matches (`versionChanged` when it is not
    /// the one expected, `preconditionFailed` when a condition fails).
    /// A version Object Lock keeps (`ObjectLockRules.checkRemoval`) is not removed: `objectLocked`.
    /// `events` go to the outbox in the same transaction, if a version was removed.
    func deleteVersion(bucketID: Int64, key: String, versionID: String, guard: DeleteGuard?, bypassGovernance: Bool, events: [OutboxEvent]) async throws(StoreError)
        -> (ObjectVersion?, [String])
    /// Changes one version's (the latest's when `versionID` is nil) retention or legal hold,
    /// checking `ObjectLockRules` against its current lock in the same transaction. Returns the
    /// version as it now is. With `expecting`, only if the version found is that one
    /// (`versionChanged` otherwise).
    func setLock(bucketID: Int64, key: String, versionID: String?, _ change: LockChange, expecting: ExpectedVersion?) async throws(StoreError) -> ObjectVersion
    /// Replaces the tags of one version; with `expecting`, only if it is still that one
    /// (`versionChanged` otherwise, or when the version is gone).
    func setTags(bucketID: Int64, key: String, versionID: String, _ tags: [MetadataEntry], expecting: ExpectedVersion?) async throws(StoreError)
    /// Replaces the ACL of one version, as `setTags` its tags.
    func setACL(bucketID: Int64, key: String, versionID: String, _ acl: AccessControlList?, expecting: ExpectedVersion?) async throws(StoreError)

    /// Runs `body` against one consistent snapshot of the index, on the index's own threads: a
    /// listing page's scans (one per common prefix it skips) cost one hop, not one each.
    func reading<T: Sendable>(_ body: @escaping @Sendable (any IndexSnapshot) throws(StoreError) -> T) async throws(StoreError) -> T

    // MARK: multipart uploads

    /// Records a new upload; returns its row id.
    func createUpload(bucketID: Int64, _ upload: UploadRecord) async throws(StoreError) -> Int64
    func upload(bucketID: Int64, uploadID: String) async throws(StoreError) -> UploadRecord?
    /// Records a part; returns the blob of the part it replaced, if any.
    func putPart(uploadRowID: Int64, _ part: StoredPart) async throws(StoreError) -> [String]
    /// Parts with a number greater than `after`, in order, at most `limit`.
    func parts(uploadRowID: Int64, after: Int, limit: Int) async throws(StoreError) -> [StoredPart]
    /// Turns an upload into the latest version in one transaction: checks `condition`,
    /// writes the version, removes the upload. Returns blobs no longer referenced (parts left
    /// out of the object, a replaced `null` version).
    func completeUpload(bucketID: Int64, uploadRowID: Int64, _ version: ObjectVersion, condition: WriteCondition?, events: [OutboxEvent]) async throws(StoreError)
        -> [String]
    /// The version a finished upload produced, for a retried completion.
    func completedVersion(bucketID: Int64, uploadID: String) async throws(StoreError) -> ObjectVersion?
    /// Removes an upload and returns its parts' blobs.
    func abortUpload(bucketID: Int64, uploadID: String) async throws(StoreError) -> [String]?
    /// Removes one of the uploads of a bucket being deleted and returns its parts' blobs, in the
    /// write that finds the bucket holding no version (`bucketNotEmpty(name)` otherwise); nil
    /// when no upload is left.
    func abortUploadOfEmptyBucket(bucketID: Int64, name: String) async throws(StoreError) -> [String]?
    /// (bucket id, upload id) of uploads initiated before `cutoff`.
    func uploads(initiatedBefore cutoff: Milliseconds) async throws(StoreError) -> [(Int64, String)]

    // MARK: the SSE-KMS key store

    /// Every version of the named key (or of every key, for nil), oldest first.
    func kmsKeys(named name: String?) async throws(StoreError) -> [KMSKeyRecord]
    /// Adds version 1 of a new key (`invalidArgument` if the name exists), or with `rotate` the
    /// next version of an existing one (`kmsKeyNotFound` if there is none); `seal` makes the
    /// sealed material for the version number chosen inside the transaction.
    func addKMSKey(name: String, rotate: Bool, seal: @escaping @Sendable (Int) throws(StoreError) -> [UInt8]) async throws(StoreError) -> KMSKeyRecord

    // MARK: notifications

    func notificationTargets() async throws(StoreError) -> [StoredTarget]
    func putNotificationTarget(_ target: StoredTarget) async throws(StoreError)
    /// False when there was no such target.
    func deleteNotificationTarget(name: String) async throws(StoreError) -> Bool
    /// The head of every target's queue: its oldest undelivered, not dead-lettered rows, at most
    /// `perTarget` of each, so one stalled target never hides the others' events.
    func pendingOutbox(perTarget: Int) async throws(StoreError) -> [OutboxEntry]
    /// Dead-lettered rows of a target (all targets for nil) back in the queue; returns how many.
    func redriveOutbox(target: String?) async throws(StoreError) -> Int
    /// Dead-lettered rows of a target (all for nil) dropped; returns how many.
    func purgeDeadLetters(target: String?) async throws(StoreError) -> Int
    /// Delivered rows leave the outbox.
    func acknowledgeOutbox(ids: [Int64]) async throws(StoreError)
    /// A failed delivery: its attempt counted, and with `dead` set aside (dead-lettered).
    func recordOutboxFailure(id: Int64, error: String, dead: Bool) async throws(StoreError)
    /// Rows waiting and rows dead-lettered, per target.
    func outboxCounts() async throws(StoreError) -> [String: (pending: Int, dead: Int)]

    // MARK: maintenance

    /// Of the given blob ids, the ones a version, a version's part or an upload's part references.
    func referencedBlobs(among blobIDs: [String]) async throws(StoreError) -> Set<String>
    /// Object count and total bytes of latest versions, over all buckets.
    func usage() async throws(StoreError) -> (buckets: Int, objects: Int64, bytes: Int64)
    /// Objects and bytes per bucket, as kept with each change (the figures `usage` sums).
    func bucketUsage() async throws(StoreError) -> [String: (objects: Int64, bytes: Int64)]
}

/// The index's range scans, synchronous, inside one read (`ObjectIndex.reading`).
public protocol IndexSnapshot {
    /// Latest, non-delete-marker versions with `lowerBound < key < upperBound` (or `>=` when
    /// `inclusive`) in byte order, at most `limit` of them. A nil upper bound means no bound.
    func scanLatest(bucketID: Int64, from lowerBound: [UInt8], inclusive: Bool, before upperBound: [UInt8]?, limit: Int) throws(StoreError)
        -> [ObjectVersion]
    /// The key of the first row `scanLatest` would return, without the row: a delimiter listing
    /// rolls most such keys up into a common prefix and needs nothing else of them.
    func firstLatestKey(bucketID: Int64, from lowerBound: [UInt8], inclusive: Bool, before upperBound: [UInt8]?) throws(StoreError) -> [UInt8]?
    /// All versions in (key ascending, newest first) order, starting after `key`'s version with
    /// `sequence` (or at `key` itself, every version, when `afterSequence` is nil and `inclusive`).
    func scanVersions(bucketID: Int64, from key: [UInt8], inclusive: Bool, afterSequence: Int64?, before upperBound: [UInt8]?, limit: Int)
        throws(StoreError) -> [ObjectVersion]
    /// The key of the first row `scanVersions` would return, without the row.
    func firstVersionKey(bucketID: Int64, from key: [UInt8], inclusive: Bool, afterSequence: Int64?, before upperBound: [UInt8]?)
        throws(StoreError) -> [UInt8]?
    /// Uploads in (key, initiated) order after the marker, within the prefix bounds.
    func scanUploads(bucketID: Int64, from key: [UInt8], inclusive: Bool, afterUploadID: String?, before upperBound: [UInt8]?, limit: Int)
        throws(StoreError) -> [UploadRecord]
}
