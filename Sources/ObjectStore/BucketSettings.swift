/// A bucket's sub-resource configurations that are not objects: stored as one document with the
/// bucket record (so authorization and CORS read them with the bucket, at no extra lookup).
/// A nil member means "never set", which S3 reports as its own NotFound error.
public struct BucketSettings: Sendable, Equatable, Codable {
    public var objectOwnership: ObjectOwnership?
    /// The bucket's ACL; nil is the default private ACL (the owner has FULL_CONTROL).
    public var acl: AccessControlList?
    public var publicAccessBlock: PublicAccessBlock?
    public var cors: [CORSRule]?
    /// Server access logging: where this bucket's request records go.
    public var logging: BucketLogging?
    /// Object Lock: present once enabled, which is for good (it cannot be turned off).
    public var objectLock: ObjectLockConfiguration?
    public var lifecycle: LifecycleConfiguration?
    /// Default encryption of new objects that ask for none (PutBucketEncryption).
    public var encryption: BucketEncryption?
    /// Where changes to the bucket's objects are reported (PutBucketNotificationConfiguration).
    public var notification: NotificationConfiguration?

    public init(
        objectOwnership: ObjectOwnership? = nil, acl: AccessControlList? = nil, publicAccessBlock: PublicAccessBlock? = nil, cors: [CORSRule]? = nil,
        logging: BucketLogging? = nil, objectLock: ObjectLockConfiguration? = nil
    ) {
        self.objectLock = objectLock
        self.objectOwnership = objectOwnership
        self.acl = acl
        self.publicAccessBlock = publicAccessBlock
        self.cors = cors
        self.logging = logging
    }

    /// The members, named as they are stored (each is set on its own: `ObjectStore.setSetting`).
    public enum Field: String, Sendable {
        case objectOwnership, acl, publicAccessBlock, cors, logging, objectLock, lifecycle, encryption, notification
    }

    /// ACLs take part in authorization unless ownership is enforced for the bucket owner.
    public var aclsEnabled: Bool { (objectOwnership ?? .objectWriter) != .bucketOwnerEnforced }
}

public enum ObjectOwnership: String, Sendable, Codable, CaseIterable {
    case bucketOwnerEnforced = "BucketOwnerEnforced"
    case bucketOwnerPreferred = "BucketOwnerPreferred"
    case objectWriter = "ObjectWriter"
}

/// An S3 access control list: the owner's canonical id and the grants.
public struct AccessControlList: Sendable, Equatable, Codable {
    public var owner: String
    public var grants: [Grant]

    public init(owner: String, grants: [Grant]) {
        self.owner = owner
        self.grants = grants
    }

    public struct Grant: Sendable, Equatable, Codable, Hashable {
        public var grantee: Grantee
        public var permission: Permission

        public init(grantee: Grantee, permission: Permission) {
            self.grantee = grantee
            self.permission = permission
        }
    }

    public enum Grantee: Sendable, Equatable, Codable, Hashable {
        /// A canonical user id.
        case user(String)
        /// A predefined group's URI (AllUsers, AuthenticatedUsers, LogDelivery).
        case group(String)
        case email(String)
    }

    public enum Permission: String, Sendable, Codable, CaseIterable, Hashable {
        case fullControl = "FULL_CONTROL"
        case read = "READ"
        case write = "WRITE"
        case readACP = "READ_ACP"
        case writeACP = "WRITE_ACP"
    }

    public static let allUsers = "http://acs.amazonaws.com/groups/global/AllUsers"
    public static let authenticatedUsers = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
    public static let logDelivery = "http://acs.amazonaws.com/groups/s3/LogDelivery"

    /// The ACL a bucket or object has when none was set: its owner has full control.
    public static func `private`(owner: String) -> AccessControlList {
        AccessControlList(owner: owner, grants: [Grant(grantee: .user(owner), permission: .fullControl)])
    }

    /// Whether the ACL grants `permission` to the caller: `canonicalID` nil for anonymous callers.
    public func grants(_ permission: Permission, to canonicalID: String?) -> Bool {
        grants.contains { grant in
            guard grant.permission == permission || grant.permission == .fullControl else { return false }
            switch grant.grantee {
            case .user(let id): return id == canonicalID
            case .group(let uri): return uri == Self.allUsers || (uri == Self.authenticatedUsers && canonicalID != nil)
            case .email: return false
            }
        }
    }

    /// Whether any grant opens the resource to everyone (or every signed-in caller).
    public var isPublic: Bool {
        grants.contains { if case .group(let uri) = $0.grantee { return uri == Self.allUsers || uri == Self.authenticatedUsers } else { return false } }
    }
}

public struct PublicAccessBlock: Sendable, Equatable, Codable {
    public var blockPublicAcls: Bool
    public var ignorePublicAcls: Bool
    public var blockPublicPolicy: Bool
    public var restrictPublicBuckets: Bool

    public init(blockPublicAcls: Bool = false, ignorePublicAcls: Bool = false, blockPublicPolicy: Bool = false, restrictPublicBuckets: Bool = false) {
        self.blockPublicAcls = blockPublicAcls
        self.ignorePublicAcls = ignorePublicAcls
        self.blockPublicPolicy = blockPublicPolicy
        self.restrictPublicBuckets = restrictPublicBuckets
    }
}

public struct CORSRule: Sendable, Equatable, Codable {
    public var id: String?
    public var allowedOrigins: [String]
    public var allowedMethods: [String]
    public var allowedHeaders: [String]
    public var exposeHeaders: [String]
    public var maxAgeSeconds: Int?

    public init(id: String? = nil, allowedOrigins: [String], allowedMethods: [String], allowedHeaders: [String] = [], exposeHeaders: [String] = [], maxAgeSeconds: Int? = nil) {
        self.id = id
        self.allowedOrigins = allowedOrigins
        self.allowedMethods = allowedMethods
        self.allowedHeaders = allowedHeaders
        self.exposeHeaders = exposeHeaders
        self.maxAgeSeconds = maxAgeSeconds
    }
}

/// A bucket's server access logging target (PutBucketLogging's LoggingEnabled).
public struct BucketLogging: Sendable, Equatable, Codable {
    public enum KeyFormat: Sendable, Equatable, Codable {
        /// `[prefix]YYYY-mm-DD-HH-MM-SS-[unique]`
        case simple
        /// `[prefix][owner]/[region]/[bucket]/YYYY/mm/DD/YYYY-mm-DD-HH-MM-SS-[unique]`, dated by
        /// `EventTime` or `DeliveryTime`.
        case partitioned(dateSource: String)
    }

    public var targetBucket: String
    public var targetPrefix: String
    /// Nil when the configuration named no TargetObjectKeyFormat (simple keys all the same).
    public var keyFormat: KeyFormat?
    public var targetGrants: [AccessControlList.Grant]

    public init(targetBucket: String, targetPrefix: String, keyFormat: KeyFormat? = nil, targetGrants: [AccessControlList.Grant] = []) {
        self.targetBucket = targetBucket
        self.targetPrefix = targetPrefix
        self.keyFormat = keyFormat
        self.targetGrants = targetGrants
    }
}

/// A bucket's default encryption (ServerSideEncryptionConfiguration's one rule).
public struct BucketEncryption: Sendable, Equatable, Codable {
    public enum Algorithm: String, Sendable, Codable {
        case aes256 = "AES256"
        case kms = "aws:kms"
    }

    public var algorithm: Algorithm
    public var kmsKeyID: String?
    public var bucketKeyEnabled: Bool?

    /// The encryption a write that names none gets; an `aws:kms` default without a key id uses
    /// `defaultKMSKey`, and without that is nil (the caller decides).
    public func request(defaultKMSKey: String?) -> EncryptionRequest? {
        switch algorithm {
        case .aes256: return .s3(bucketKey: bucketKeyEnabled)
        case .kms: return (kmsKeyID ?? defaultKMSKey).map { .kms(keyID: $0, context: nil, bucketKey: bucketKeyEnabled) }
        }
    }

    public init(algorithm: Algorithm, kmsKeyID: String? = nil, bucketKeyEnabled: Bool? = nil) {
        self.algorithm = algorithm
        self.kmsKeyID = kmsKeyID
        self.bucketKeyEnabled = bucketKeyEnabled
    }
}
