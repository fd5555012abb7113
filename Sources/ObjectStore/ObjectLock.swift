/// S3 Object Lock (write once, read many): a version under retention or a legal hold cannot be
/// removed or replaced. The rules are pure; the index applies them inside the transaction that
/// would remove or change a version, so every deleting path meets the same check.
public enum RetentionMode: String, Sendable, Codable, CaseIterable {
    /// Removable early by a caller allowed `s3:BypassGovernanceRetention` who asks for it.
    case governance = "GOVERNANCE"
    /// Removable by nobody until the date passes; the date can only move later.
    case compliance = "COMPLIANCE"
}

public struct ObjectRetention: Sendable, Equatable, Codable {
    public var mode: RetentionMode
    public var retainUntil: Milliseconds

    public init(mode: RetentionMode, retainUntil: Milliseconds) {
        self.mode = mode
        self.retainUntil = retainUntil
    }

    public func isActive(at now: Milliseconds) -> Bool { retainUntil > now }
}

/// A bucket's Object Lock configuration: its presence means lock is enabled (for good).
public struct ObjectLockConfiguration: Sendable, Equatable, Codable {
    /// The retention new versions get when their write names none.
    public var defaultRetention: DefaultRetention?

    public init(defaultRetention: DefaultRetention? = nil) {
        self.defaultRetention = defaultRetention
    }

    public struct DefaultRetention: Sendable, Equatable, Codable {
        public enum Period: Sendable, Equatable, Codable {
            case days(Int)
            case years(Int)
        }

        public var mode: RetentionMode
        public var period: Period

        public init(mode: RetentionMode, period: Period) {
            self.mode = mode
            self.period = period
        }

        /// As AWS counts them: a day is 24 hours, a year 365 days.
        public func retention(from now: Milliseconds) -> ObjectRetention {
            let days: Int64
            switch period {
            case .days(let count): days = Int64(count)
            case .years(let count): days = Int64(count) * 365
            }
            return ObjectRetention(mode: mode, retainUntil: now + days * 86_400_000)
        }

        /// AWS accepts at most 36,500 days or 100 years.
        public static let maxDays = 36_500
        public static let maxYears = 100

        public var isValid: Bool {
            switch period {
            case .days(let count): return (1...Self.maxDays).contains(count)
            case .years(let count): return (1...Self.maxYears).contains(count)
            }
        }
    }
}

/// The lock-related attributes a write asks for (`x-amz-object-lock-*` headers).
public struct LockRequest: Sendable, Equatable {
    public var retention: ObjectRetention?
    public var legalHold: Bool?

    public init(retention: ObjectRetention? = nil, legalHold: Bool? = nil) {
        self.retention = retention
        self.legalHold = legalHold
    }

    public var isEmpty: Bool { retention == nil && legalHold == nil }
}

/// A change to one version's lock (PutObjectRetention, PutObjectLegalHold).
public enum LockChange: Sendable, Equatable {
    /// nil removes the retention (governance mode, bypassed, only).
    case retention(ObjectRetention?, bypassGovernance: Bool)
    case legalHold(Bool)

    /// Applies the change to `attributes` if the rules allow it at `now`.
    public func apply(to attributes: inout ObjectAttributes, now: Milliseconds) throws(StoreError) {
        switch self {
        case .retention(let retention, let bypass):
            try ObjectLockRules.checkRetentionChange(from: attributes.retention, to: retention, now: now, bypassGovernance: bypass)
            attributes.retention = retention
        case .legalHold(let on):
            attributes.legalHold = on
        }
    }
}

public enum ObjectLockRules {
    /// Whether `version` may be removed (or replaced) now. Delete markers carry no lock.
    /// - Parameter bypassGovernance: the caller asked to bypass governance retention and is
    ///   allowed to (`s3:BypassGovernanceRetention`).
    public static func checkRemoval(of version: ObjectVersion, now: Milliseconds, bypassGovernance: Bool) throws(StoreError) {
        if version.attributes.legalHold == true { throw .objectLocked("Object is under a legal hold") }
        guard let retention = version.attributes.retention, retention.isActive(at: now) else { return }
        if retention.mode == .compliance || !bypassGovernance {
            throw .objectLocked("Object is WORM protected and cannot be overwritten or deleted")
        }
    }

    /// Whether a version's retention may change from `current` to `new` (nil: removed). Moving
    /// the date later in the same mode is always allowed; anything else weakens the lock and is
    /// refused under compliance, and under governance unless bypassed.
    public static func checkRetentionChange(
        from current: ObjectRetention?, to new: ObjectRetention?, now: Milliseconds, bypassGovernance: Bool
    ) throws(StoreError) {
        guard let current, current.isActive(at: now) else { return }
        if let new, new.mode == current.mode, new.retainUntil >= current.retainUntil { return }
        if current.mode == .governance && bypassGovernance { return }
        throw .objectLocked(
            current.mode == .compliance
                ? "Compliance-mode retention can only be extended"
                : "Shortening, removing or changing governance-mode retention needs x-amz-bypass-governance-retention")
    }

    /// Checks the lock a write asks for: one in a bucket without Object Lock is refused, and a
    /// retention must end in the future.
    public static func validate(_ request: LockRequest, in settings: BucketSettings, now: Milliseconds) throws(StoreError) {
        if request.isEmpty { return }
        guard settings.objectLock != nil else { throw .invalidRequest("Bucket is missing Object Lock Configuration") }
        if let retention = request.retention, !retention.isActive(at: now) {
            throw .invalidArgument("The retain until date must be in the future!")
        }
    }

    /// A new version's attributes with the bucket's default retention when its write named none,
    /// counted from the moment the version is stored.
    public static func applyingDefault(_ attributes: ObjectAttributes, in settings: BucketSettings, now: Milliseconds) -> ObjectAttributes {
        guard attributes.retention == nil, let rule = settings.objectLock?.defaultRetention else { return attributes }
        var locked = attributes
        locked.retention = rule.retention(from: now)
        return locked
    }
}
