import Logging

/// Carrying out a bucket's lifecycle rules, a page at a time: each page is one read of the index,
/// each action one small write through the ordinary delete paths, so Object Lock and concurrent
/// writers are respected exactly as for a client's request.
extension ObjectStore {
    /// Where a pass over a bucket's versions stands. `key`/`versionID` continue a pass in memory
    /// exactly; `completedKey` is what a pass resumed after a restart starts after: every version
    /// of it and of the keys before it has been planned (a fresh planner must start at a key's
    /// newest version, or it would take a noncurrent version for the current one).
    public struct LifecycleCursor: Sendable, Equatable, Codable {
        public var bucket: String
        public var key: String?
        public var versionID: String?
        public var completedKey: String?

        public init(bucket: String, key: String? = nil, versionID: String? = nil, completedKey: String? = nil) {
            self.bucket = bucket
            self.key = key
            self.versionID = versionID
            self.completedKey = completedKey
        }

        /// The cursor a restarted pass continues from.
        public var resumable: LifecycleCursor { LifecycleCursor(bucket: bucket, key: completedKey, versionID: nil, completedKey: completedKey) }
    }

    /// What a batch did, for metrics and the audit log.
    public struct LifecycleOutcome: Sendable, Equatable {
        public enum Kind: String, Sendable, CaseIterable {
            case expired, noncurrentRemoved = "noncurrent_removed", deleteMarkerRemoved = "delete_marker_removed"
            case uploadAborted = "upload_aborted", keptByLock = "kept_by_lock"
        }
        public var kind: Kind
        public var key: String
        public var versionID: String?
        public var ruleID: String
    }

    public static let lifecyclePageSize = 1000

    /// Applies `configuration` to one page of `bucket`'s versions starting at `cursor`. Returns
    /// what was done and the cursor to continue from, nil when the bucket's versions are done.
    /// Versions of one key that span pages are planned across them: the planner's state for the
    /// key is rebuilt from the page's first version.
    public func applyLifecycle(
        bucket: BucketRecord, _ configuration: LifecycleConfiguration, clock: LifecycleClock, from cursor: LifecycleCursor,
        planner: inout LifecyclePlanner
    ) async throws(StoreError) -> ([LifecycleOutcome], LifecycleCursor?) {
        var request = ListRequest(maxKeys: Self.lifecyclePageSize)
        request.after = cursor.key
        let page = try await listVersions(bucket: bucket, request, versionIDMarker: cursor.versionID)
        var actions: [LifecycleAction] = []
        for version in page.objects { actions += planner.feed(version) }
        if !page.isTruncated { actions += planner.finish() }
        var outcomes: [LifecycleOutcome] = []
        for action in actions { if let outcome = await perform(action, bucket: bucket) { outcomes.append(outcome) } }
        guard page.isTruncated, let last = page.objects.last else { return (outcomes, nil) }
        let completed = page.objects.last { !keyEquals($0.key, last.key) }?.key ?? cursor.completedKey
        return (outcomes, LifecycleCursor(bucket: bucket.name, key: last.key, versionID: last.versionID, completedKey: completed))
    }

    /// Carries out one action; nil when the version changed meanwhile (nothing was done).
    func perform(_ action: LifecycleAction, bucket: BucketRecord) async -> LifecycleOutcome? {
        let (version, ruleID, kind, versionID): (ObjectVersion, String, LifecycleOutcome.Kind, String?)
        switch action {
        case .expireCurrent(let v, let rule): (version, ruleID, kind, versionID) = (v, rule, .expired, nil)
        case .removeNoncurrent(let v, let rule): (version, ruleID, kind, versionID) = (v, rule, .noncurrentRemoved, v.versionID)
        case .removeExpiredDeleteMarker(let v, let rule): (version, ruleID, kind, versionID) = (v, rule, .deleteMarkerRemoved, v.versionID)
        }
        // Guarded: only the version that was planned goes, not one written since.
        let guarded = version.isDeleteMarker ? nil : DeleteGuard(etag: version.etag, size: version.size, lastModifiedSeconds: version.lastModified / 1000)
        do {
            _ = try await delete(bucket: bucket, key: version.key, versionID: versionID, guard: guarded, context: .lifecycle, lifecycle: true)
            return LifecycleOutcome(kind: kind, key: version.key, versionID: version.versionID, ruleID: ruleID)
        } catch {
            if case .objectLocked = error { return LifecycleOutcome(kind: .keptByLock, key: version.key, versionID: version.versionID, ruleID: ruleID) }
            if case .preconditionFailed = error { return nil }
            logger.warning("lifecycle action failed", metadata: ["bucket": "\(bucket.name)", "key": "\(version.key)", "error": "\(error)"])
            return nil
        }
    }

    /// Aborts the bucket's uploads that a rule's AbortIncompleteMultipartUpload has made due, a
    /// page of uploads at a time.
    public func abortDueUploads(bucket: BucketRecord, _ configuration: LifecycleConfiguration, clock: LifecycleClock, now: Milliseconds) async throws(StoreError)
        -> [LifecycleOutcome]
    {
        let rules = configuration.enabledRules.filter { $0.abortIncompleteUploadDays != nil }
        guard !rules.isEmpty else { return [] }
        var outcomes: [LifecycleOutcome] = []
        var marker: (key: String, uploadID: String)?
        for _ in 0..<10_000 {
            var request = ListRequest(maxKeys: Self.lifecyclePageSize)
            request.after = marker?.key
            let page = try await listUploads(bucket: bucket, request, uploadIDMarker: marker?.uploadID)
            var last: UploadRecord?
            for case .upload(let upload) in page.entries {
                last = upload
                let due = rules.first { rule in
                    rule.filter.matches(uploadKey: upload.key) && now >= clock.deadline(from: upload.initiated, days: rule.abortIncompleteUploadDays!)
                }
                guard let due, let blobIDs = try await index.abortUpload(bucketID: bucket.id, uploadID: upload.uploadID) else { continue }
                await blobs.delete(blobIDs)
                outcomes.append(LifecycleOutcome(kind: .uploadAborted, key: upload.key, versionID: upload.uploadID, ruleID: due.id))
            }
            guard page.isTruncated, let last else { break }
            marker = (last.key, last.uploadID)
        }
        return outcomes
    }
}
