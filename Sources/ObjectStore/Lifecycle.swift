/// S3 lifecycle configuration and the pure rules that decide what expires when. The scanner
/// (`ObjectStore.applyLifecycle`) feeds a bucket's versions through `LifecyclePlanner` and carries
/// out what it decides through the store's ordinary (lock-checked, guarded) deletes.
public struct LifecycleConfiguration: Sendable, Equatable, Codable {
    public var rules: [LifecycleRule]

    public init(rules: [LifecycleRule]) {
        self.rules = rules
    }

    public var enabledRules: [LifecycleRule] { rules.filter(\.enabled) }
}

public struct LifecycleRule: Sendable, Equatable, Codable {
    public var id: String
    public var enabled: Bool
    public var filter: LifecycleFilter
    public var expiration: Expiration?
    public var noncurrentExpiration: NoncurrentExpiration?
    /// AbortIncompleteMultipartUpload's DaysAfterInitiation.
    public var abortIncompleteUploadDays: Int?

    public init(
        id: String, enabled: Bool, filter: LifecycleFilter, expiration: Expiration? = nil, noncurrentExpiration: NoncurrentExpiration? = nil,
        abortIncompleteUploadDays: Int? = nil
    ) {
        self.id = id
        self.enabled = enabled
        self.filter = filter
        self.expiration = expiration
        self.noncurrentExpiration = noncurrentExpiration
        self.abortIncompleteUploadDays = abortIncompleteUploadDays
    }

    public struct Expiration: Sendable, Equatable, Codable {
        public var days: Int?
        /// Midnight UTC, in milliseconds.
        public var date: Milliseconds?
        public var expiredObjectDeleteMarker: Bool?

        public init(days: Int? = nil, date: Milliseconds? = nil, expiredObjectDeleteMarker: Bool? = nil) {
            self.days = days
            self.date = date
            self.expiredObjectDeleteMarker = expiredObjectDeleteMarker
        }
    }

    public struct NoncurrentExpiration: Sendable, Equatable, Codable {
        public var days: Int
        /// How many of the newest noncurrent versions are kept whatever their age.
        public var newerNoncurrentVersions: Int?

        public init(days: Int, newerNoncurrentVersions: Int? = nil) {
            self.days = days
            self.newerNoncurrentVersions = newerNoncurrentVersions
        }
    }
}

/// Which objects a rule applies to. `form` remembers how the configuration said it, so it is
/// answered back the same way (the rule-level `Prefix` of the 2006 schema, or a `Filter`).
public struct LifecycleFilter: Sendable, Equatable, Codable {
    public enum Form: String, Sendable, Codable {
        /// `<Rule><Prefix>…` (deprecated but common).
        case rulePrefix
        /// `<Filter/>`, or no filter at all.
        case empty
        case prefix, tag, sizeGreaterThan, sizeLessThan
        case and
    }

    public var form: Form
    public var prefix: String
    public var tags: [MetadataEntry]
    public var sizeGreaterThan: Int64?
    public var sizeLessThan: Int64?

    public init(form: Form, prefix: String = "", tags: [MetadataEntry] = [], sizeGreaterThan: Int64? = nil, sizeLessThan: Int64? = nil) {
        self.form = form
        self.prefix = prefix
        self.tags = tags
        self.sizeGreaterThan = sizeGreaterThan
        self.sizeLessThan = sizeLessThan
    }

    /// Whether a version falls under the filter: its key, its own tags and its size. A delete
    /// marker has no tags and no size, so tag and size filters never select one.
    public func matches(_ version: ObjectVersion) -> Bool {
        guard version.key.utf8.starts(with: prefix.utf8) else { return false }
        if version.isDeleteMarker { return tags.isEmpty && sizeGreaterThan == nil && sizeLessThan == nil }
        for tag in tags where !version.attributes.tags.contains(tag) { return false }
        if let sizeGreaterThan, !(version.size > sizeGreaterThan) { return false }
        if let sizeLessThan, !(version.size < sizeLessThan) { return false }
        return true
    }

    public func matches(uploadKey key: String) -> Bool {
        tags.isEmpty && sizeGreaterThan == nil && sizeLessThan == nil && key.utf8.starts(with: prefix.utf8)
    }
}

/// How long a lifecycle "day" is. As S3, a real day's deadline is rounded up to the next midnight
/// UTC; a compressed day (`FLOE_LIFECYCLE_DAY_SECONDS`, for tests) is counted exactly.
public struct LifecycleClock: Sendable, Equatable {
    public static let realDay: Milliseconds = 86_400_000
    public var dayLength: Milliseconds

    public init(dayLength: Milliseconds = LifecycleClock.realDay) {
        self.dayLength = max(1, dayLength)
    }

    public func deadline(from start: Milliseconds, days: Int) -> Milliseconds {
        // Saturating: a rule's day count is a client's number.
        let (span, overflow) = Milliseconds(days).multipliedReportingOverflow(by: dayLength)
        if overflow || span > Milliseconds.max - start { return Milliseconds.max }
        let due = start + span
        guard due <= Milliseconds.max - Self.realDay else { return due }
        guard dayLength == Self.realDay else { return due }
        let remainder = due % Self.realDay
        return remainder == 0 ? due : due - remainder + Self.realDay
    }
}

extension LifecycleConfiguration {
    /// When the current version `version` expires and by which rule (`x-amz-expiration`): the
    /// earliest Expiration (Days or Date) of the enabled rules that select it.
    public func expiry(of version: ObjectVersion, clock: LifecycleClock = LifecycleClock()) -> (date: Milliseconds, ruleID: String)? {
        guard !version.isDeleteMarker, version.isLatest else { return nil }
        var best: (date: Milliseconds, ruleID: String)?
        for rule in enabledRules where rule.filter.matches(version) {
            guard let expiration = rule.expiration else { continue }
            var date: Milliseconds?
            if let days = expiration.days { date = clock.deadline(from: version.lastModified, days: days) }
            if let fixed = expiration.date { date = fixed }
            if let date, best == nil || date < best!.date { best = (date, rule.id) }
        }
        return best
    }
}

/// What the scanner does to one version.
public enum LifecycleAction: Sendable, Equatable {
    /// The current version expired: removed (unversioned bucket) or hidden by a delete marker,
    /// only if it is still the same object (guarded by ETag and time).
    case expireCurrent(ObjectVersion, ruleID: String)
    /// A noncurrent version expired: removed for good.
    case removeNoncurrent(ObjectVersion, ruleID: String)
    /// A delete marker with no versions left under it: removed.
    case removeExpiredDeleteMarker(ObjectVersion, ruleID: String)
}

/// Decides actions for a stream of versions in index order (key ascending, newest first), one
/// version at a time: memory does not grow with the bucket or with a key's history.
public struct LifecyclePlanner: Sendable {
    let rules: [LifecycleRule]
    let clock: LifecycleClock
    let now: Milliseconds

    private var key: String?
    /// The previous (newer) version of the current key, whose time is when the next one became noncurrent.
    private var newer: ObjectVersion?
    private var noncurrentRank = 0
    /// A latest delete marker whose key has shown no other version yet.
    private var loneMarker: ObjectVersion?

    public init(configuration: LifecycleConfiguration, clock: LifecycleClock, now: Milliseconds) {
        self.rules = configuration.enabledRules
        self.clock = clock
        self.now = now
    }

    public mutating func feed(_ version: ObjectVersion) -> [LifecycleAction] {
        var actions: [LifecycleAction] = []
        // A key's versions come newest first. One no older than the last seen means the listing
        // started the key over (the version it was to continue after is gone, removed by this
        // pass or by a client): plan the key afresh, or its current version would be taken for
        // a noncurrent one.
        let restarted = newer.map { keyEquals($0.key, version.key) && version.sequence >= $0.sequence } ?? false
        if restarted {
            loneMarker = nil
            newer = nil
            noncurrentRank = 0
        } else if key.map({ !keyEquals($0, version.key) }) ?? true {
            actions += finishKey()
            key = version.key
            newer = nil
            noncurrentRank = 0
        }
        if let newer {
            loneMarker = nil
            if let action = noncurrentAction(version, since: newer.lastModified) { actions.append(action) }
            noncurrentRank += 1
        } else if version.isDeleteMarker {
            loneMarker = version
        } else if let action = currentAction(version) {
            actions.append(action)
        }
        // A version Object Lock keeps is not planned for removal (a delete marker hiding the
        // current one is still fine): the scanner does not retry, and audit, it every pass.
        actions.removeAll { action in
            guard case .removeNoncurrent(let kept, _) = action else { return false }
            return (try? ObjectLockRules.checkRemoval(of: kept, now: now, bypassGovernance: false)) == nil
        }
        newer = version
        return actions
    }

    /// Call after the last version: settles the final key.
    public mutating func finish() -> [LifecycleAction] {
        let actions = finishKey()
        key = nil
        newer = nil
        return actions
    }

    private mutating func finishKey() -> [LifecycleAction] {
        defer { loneMarker = nil }
        guard let marker = loneMarker else { return [] }
        for rule in rules where rule.filter.matches(marker) {
            guard let expiration = rule.expiration else { continue }
            if expiration.expiredObjectDeleteMarker == true { return [.removeExpiredDeleteMarker(marker, ruleID: rule.id)] }
            // As S3: an Expiration in days also clears delete markers that have nothing under them.
            if let days = expiration.days, now >= clock.deadline(from: marker.lastModified, days: days) {
                return [.removeExpiredDeleteMarker(marker, ruleID: rule.id)]
            }
        }
        return []
    }

    private func currentAction(_ version: ObjectVersion) -> LifecycleAction? {
        for rule in rules where rule.filter.matches(version) {
            guard let expiration = rule.expiration else { continue }
            if let days = expiration.days, now >= clock.deadline(from: version.lastModified, days: days) {
                return .expireCurrent(version, ruleID: rule.id)
            }
            if let date = expiration.date, now >= date { return .expireCurrent(version, ruleID: rule.id) }
        }
        return nil
    }

    private func noncurrentAction(_ version: ObjectVersion, since: Milliseconds) -> LifecycleAction? {
        for rule in rules where rule.filter.matches(version) {
            guard let noncurrent = rule.noncurrentExpiration else { continue }
            if noncurrentRank < (noncurrent.newerNoncurrentVersions ?? 0) { continue }
            if now >= clock.deadline(from: since, days: noncurrent.days) { return .removeNoncurrent(version, ruleID: rule.id) }
        }
        return nil
    }
}
