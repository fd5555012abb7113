import Crypto
import NIOCore

/// Writing, reading and deleting object versions, with S3's versioning rules.
extension ObjectStore {
    /// Makes a staged upload the latest version of `key`. The blob is made durable before the
    /// index row is written; if the index write (or its precondition) fails the blob is removed.
    /// - Parameters:
    ///   - eventName: how a bucket notification names the write (`ObjectCreated:Put`, `…:Copy`, `…:Post`).
    ///   - context: who wrote it, for the event record.
    public func commit(
        _ staged: StagedUpload, bucket: BucketRecord, key: String, attributes: ObjectAttributes, condition: WriteCondition? = nil,
        eventName: String = "ObjectCreated:Put", context: EventContext = .internal
    ) async throws(StoreError) -> ObjectVersion {
        do {
            try ObjectKeyRules.validate(key)
        } catch {
            await discard(staged)  // a staged blob is already in place: it is not left behind
            throw error
        }
        let now = Self.now()
        var version = ObjectVersion(
            key: key, versionID: Self.newVersionID(bucket), isLatest: true, isDeleteMarker: false, size: staged.size,
            etag: staged.etag(for: attributes.encryption), lastModified: now, blobID: nil, attributes: ObjectLockRules.applyingDefault(attributes, in: bucket.settings, now: now))
        switch staged.storage {
        case .inline(let bytes): version.inlineData = bytes
        case .blob: version.blobID = try await commitBlob(staged)
        }
        do {
            let change = ObjectChange(
                eventName: eventName, key: key, size: version.size, etag: version.etag, versionID: version.versionID, time: version.lastModified)
            let obsolete = try await index.putVersion(bucketID: bucket.id, version, condition: condition, events: events(bucket, change, context))
            await blobs.deleteLater(obsolete)
        } catch {
            await blobs.delete(version.blobIDs)
            throw error
        }
        return version
    }

    /// Writes a small object on the server's own behalf (table metadata, access logs), encrypted
    /// as the bucket's default says (an `aws:kms` default without a key: SSE-S3).
    public func writeInternal(_ bytes: ByteBuffer, bucket: BucketRecord, key: String, attributes: ObjectAttributes) async throws -> ObjectVersion {
        let request = bucket.settings.encryption.map { $0.request(defaultKMSKey: nil) ?? .s3(bucketKey: nil) }
        let encryption = try await newDataKey(request)
        let staged = try await stage(OneBufferBody(buffer: bytes), plan: HashingPlan(), maxSize: Int64(bytes.readableBytes), encryptingWith: encryption?.0)
        var stored = attributes
        stored.encryption = encryption?.1
        return try await commit(staged, bucket: bucket, key: key, attributes: stored)
    }

    /// The outbox entries a change makes in `bucket` (none without a notification configuration).
    func events(_ bucket: BucketRecord, _ change: ObjectChange, _ context: EventContext) -> [OutboxEvent] {
        bucket.settings.notification?.events(for: change, bucket: bucket, region: region, context: context) ?? []
    }

    /// A version of `key` (the latest when `versionID` is nil), delete markers included: the
    /// caller answers 404 or 405 for those as S3 does.
    /// - Parameter withData: whether an inline object's bytes are read too (to serve or copy them).
    /// - Parameter cached: whether the answer may come from, and go to, the version cache; a
    ///   request refused anyway reads past it, so refused callers neither fill nor probe it.
    public func version(bucket: BucketRecord, key: String, versionID: String?, withData: Bool = false, cached: Bool = true) async throws(StoreError) -> ObjectVersion {
        try ObjectKeyRules.validate(key)
        // Taken before the index is read: a write that lands meanwhile makes the answer stale at once.
        let stamp = index.writeStamp(bucketID: bucket.id)
        let cacheKey = VersionCache.Key(bucketID: bucket.id, key: Array(key.utf8), versionID: versionID.map { Array($0.utf8) }, withData: withData)
        if cached, let held = versions.version(for: cacheKey, at: stamp) { return held }
        let version: ObjectVersion
        if let versionID {
            guard let found = try await index.version(bucketID: bucket.id, key: key, versionID: versionID, withData: withData) else {
                throw .noSuchVersion(key: key, versionID: versionID)
            }
            version = found
        } else {
            guard let found = try await index.latestVersion(bucketID: bucket.id, key: key, withData: withData) else { throw .noSuchKey(key) }
            version = found
        }
        if cached { versions.keep(version, for: cacheKey, readAt: stamp, current: index.writeStamp(bucketID: bucket.id)) }
        return version
    }

    /// The latest version, which must not be a delete marker.
    public func head(bucket: BucketRecord, key: String) async throws(StoreError) -> ObjectVersion {
        let version = try await version(bucket: bucket, key: key, versionID: nil)
        if version.isDeleteMarker { throw .noSuchKey(key) }
        return version
    }

    /// A version and its bytes in `range` opened for reading. A concurrent overwrite may delete
    /// the blobs between the index read and the open; then the index is read again, so a reader
    /// always gets one whole version, the old or the new.
    public func open(bucket: BucketRecord, key: String, versionID: String?, range: ClosedRange<Int64>?, customerKey: [UInt8]? = nil) async throws(StoreError)
        -> (ObjectVersion, ObjectBody?)
    {
        for _ in 0..<Self.openAttempts {
            let version = try await version(bucket: bucket, key: key, versionID: versionID, withData: true)
            if version.isDeleteMarker || version.size == 0 { return (version, nil) }
            if let body = try await openBody(version, range: range ?? 0...(version.size - 1), customerKey: customerKey) {
                return (version, body)
            }
        }
        throw .internalFailure("object \(key) changed too often while opening")
    }

    /// How often a reader re-reads the index when the version it resolved was replaced meanwhile.
    public static let openAttempts = 5

    /// The bytes of a version already resolved; nil when its blobs are gone (the version was
    /// replaced or removed after the caller read it), in which case the caller resolves again.
    /// - Parameter customerKey: the SSE-C key of a version stored with one.
    public func openBody(_ version: ObjectVersion, range: ClosedRange<Int64>, customerKey: [UInt8]? = nil) async throws(StoreError) -> ObjectBody? {
        try await ObjectBody.open(version, range: range, blobs: blobs, key: try await dataKey(of: version, customerKey: customerKey))
    }

    /// The data key of an encrypted version (nil for one stored as sent).
    public func dataKey(of version: ObjectVersion, customerKey: [UInt8]?) async throws(StoreError) -> SymmetricKey? {
        guard let encryption = version.attributes.encryption else { return nil }
        guard let vault else { throw .internalFailure("an encrypted version, and no key vault") }
        return try await vault.dataKey(encryption, customerKey: customerKey)
    }

    /// A data key for a new version (or upload) that asks for encryption, and how it is kept.
    public func newDataKey(_ request: EncryptionRequest?) async throws(StoreError) -> (SymmetricKey, EncryptionInfo)? {
        guard let request else { return nil }
        guard let vault else { throw .internalFailure("encryption asked for, and no key vault") }
        return try await vault.newDataKey(request)
    }

    public struct DeleteOutcome: Sendable, Equatable {
        /// The version id S3 reports (`x-amz-version-id`), if the bucket has versioning configured.
        public var versionID: String?
        public var isDeleteMarker: Bool
    }

    /// DeleteObject. Without a version id: removes the object (unversioned), or adds a delete
    /// marker (versioning enabled: a new version; suspended: the `null` version). With one:
    /// removes that version for good. Deleting what does not exist succeeds, as in S3.
    /// A `guard` makes the removal conditional on the object it would remove (atomically).
    /// A version Object Lock keeps is not removed (`objectLocked`); `bypassGovernance` lifts
    /// governance-mode retention for a caller allowed to.
    /// `lifecycle` names the events `LifecycleExpiration:*` instead of `ObjectRemoved:*`.
    public func delete(
        bucket: BucketRecord, key: String, versionID: String?, guard guarded: DeleteGuard? = nil, bypassGovernance: Bool = false,
        context: EventContext = .internal, lifecycle: Bool = false
    ) async throws(StoreError) -> DeleteOutcome {
        try ObjectKeyRules.validate(key)
        let family = lifecycle ? "LifecycleExpiration" : "ObjectRemoved"
        let now = Self.now()
        if let versionID {
            let removal = events(bucket, ObjectChange(eventName: family + ":Delete", key: key, versionID: versionID, time: now), context)
            let (removed, obsolete) = try await index.deleteVersion(
                bucketID: bucket.id, key: key, versionID: versionID, guard: guarded, bypassGovernance: bypassGovernance, events: removal)
            await blobs.deleteLater(obsolete)
            return DeleteOutcome(versionID: versionID, isDeleteMarker: removed?.isDeleteMarker ?? false)
        }
        switch bucket.versioning {
        case .unversioned:
            let removal = events(bucket, ObjectChange(eventName: family + ":Delete", key: key, time: now), context)
            let (_, obsolete) = try await index.deleteVersion(
                bucketID: bucket.id, key: key, versionID: "null", guard: guarded, bypassGovernance: bypassGovernance, events: removal)
            await blobs.deleteLater(obsolete)
            return DeleteOutcome(versionID: nil, isDeleteMarker: false)
        case .enabled, .suspended:
            let marker = ObjectVersion(
                key: key, versionID: Self.newVersionID(bucket), isLatest: true, isDeleteMarker: true, size: 0, etag: "",
                lastModified: now, blobID: nil, attributes: ObjectAttributes())
            let created = events(bucket, ObjectChange(eventName: family + ":DeleteMarkerCreated", key: key, versionID: marker.versionID, time: now), context)
            let obsolete = try await index.putVersion(bucketID: bucket.id, marker, condition: guarded.map { .deleteMatches($0) }, events: created)
            await blobs.deleteLater(obsolete)
            return DeleteOutcome(versionID: marker.versionID, isDeleteMarker: true)
        }
    }

    /// Replaces the tags of a version (the latest when `versionID` is nil). With `expecting`, only
    /// if that is the version the caller decided on, then and when the tags are written
    /// (`versionChanged` otherwise).
    public func setTags(bucket: BucketRecord, key: String, versionID: String?, tags: [MetadataEntry], expecting: ExpectedVersion? = nil)
        async throws(StoreError) -> ObjectVersion
    {
        let target = try await version(bucket: bucket, key: key, versionID: versionID)
        if let expecting, !expecting.matches(target) { throw .versionChanged(key: key) }
        if target.isDeleteMarker { throw versionID == nil ? .noSuchKey(key) : .invalidRequest("A delete marker has no tags.") }
        try await index.setTags(bucketID: bucket.id, key: key, versionID: target.versionID, tags, expecting: expecting)
        return target
    }

    /// PutObjectRetention / PutObjectLegalHold: only in a bucket with Object Lock. With
    /// `expecting`, only if the version found is the one the caller decided on.
    public func setLock(bucket: BucketRecord, key: String, versionID: String?, _ change: LockChange, expecting: ExpectedVersion? = nil)
        async throws(StoreError) -> ObjectVersion
    {
        try ObjectKeyRules.validate(key)
        guard bucket.settings.objectLock != nil else { throw .invalidRequest("Bucket is missing Object Lock Configuration") }
        return try await index.setLock(bucketID: bucket.id, key: key, versionID: versionID, change, expecting: expecting)
    }

    /// Replaces the ACL of `version`, as read by the caller; with `exactly`, only while it is that
    /// version (`versionChanged` if it was replaced since).
    public func setACL(bucket: BucketRecord, version: ObjectVersion, acl: AccessControlList?, exactly: Bool) async throws(StoreError) {
        if version.isDeleteMarker { throw .invalidRequest("A delete marker has no ACL.") }
        try await index.setACL(
            bucketID: bucket.id, key: version.key, versionID: version.versionID, acl, expecting: exactly ? ExpectedVersion(of: version) : nil)
    }
}

extension ObjectStore {
    /// Reads a source version (or a byte range of it) through the upload pipeline into a new
    /// staged blob, for CopyObject and UploadPartCopy. `prepare` sees each version resolved before
    /// any of its bytes are read, to authorize reading it and apply copy-source preconditions (it
    /// may throw), and says what to hash and the source's SSE-C key: the version read is always
    /// one that `prepare` saw, also when the source is replaced between a caller's own lookup and
    /// the copy (a version resolved as latest, or as `null`, may be another by then).
    /// - Parameters:
    ///   - encryptingWith: the data key of the copy, when it is to be stored encrypted.
    public func stageCopy(
        bucket: BucketRecord, key: String, versionID: String?, range: ((Int64) throws(StoreError) -> ClosedRange<Int64>?)? = nil,
        encryptingWith destinationKey: SymmetricKey? = nil,
        prepare: (ObjectVersion) async throws -> (plan: HashingPlan, sourceCustomerKey: [UInt8]?)
    ) async throws -> (ObjectVersion, StagedUpload) {
        for _ in 0..<5 {
            let source = try await version(bucket: bucket, key: key, versionID: versionID, withData: true)
            if source.isDeleteMarker {
                throw versionID == nil ? StoreError.noSuchKey(key) : StoreError.invalidRequest("The source of a copy request may not specifically refer to a delete marker by version id.")
            }
            let (plan, sourceCustomerKey) = try await prepare(source)
            let wanted = try range?(source.size)
            let sourceKey = try await dataKey(of: source, customerKey: sourceCustomerKey)
            if source.size == 0 || wanted.map({ $0.isEmpty }) == true {
                return (source, try await stage(EmptyBody(), plan: plan, maxSize: 0, encryptingWith: destinationKey))
            }
            guard let body = try await ObjectBody.open(source, range: wanted ?? 0...(source.size - 1), blobs: blobs, key: sourceKey) else { continue }
            defer { body.close() }
            return (source, try await stage(ObjectBodySequence(body), plan: plan, maxSize: Self.maxSinglePutSize, encryptingWith: destinationKey))
        }
        throw StoreError.internalFailure("copy source \(key) changed too often while opening")
    }
}

struct OneBufferBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let buffer: ByteBuffer
    struct AsyncIterator: AsyncIteratorProtocol {
        var buffer: ByteBuffer?
        mutating func next() async throws -> ByteBuffer? {
            defer { buffer = nil }
            return buffer
        }
    }
    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(buffer: buffer) }
}

struct EmptyBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    struct AsyncIterator: AsyncIteratorProtocol {
        mutating func next() async throws -> ByteBuffer? { nil }
    }
    func makeAsyncIterator() -> AsyncIterator { AsyncIterator() }
}
