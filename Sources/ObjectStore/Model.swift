import NIOCore

/// Milliseconds since 1970, the resolution the index stores.
public typealias Milliseconds = Int64

public enum VersioningState: String, Sendable, Codable {
    case unversioned = ""
    case enabled = "Enabled"
    case suspended = "Suspended"
}

public struct BucketRecord: Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var region: String
    public var createdAt: Milliseconds
    public var versioning: VersioningState
    /// The bucket policy document as stored, read with the bucket so authorization costs no extra lookup.
    public var policy: String?
    /// The principal that created the bucket; nil for buckets from before owners were kept,
    /// which belong to root.
    public var owner: String?
    public var settings: BucketSettings

    public init(
        id: Int64, name: String, region: String, createdAt: Milliseconds, versioning: VersioningState, policy: String? = nil,
        owner: String? = nil, settings: BucketSettings = BucketSettings()
    ) {
        self.id = id
        self.name = name
        self.region = region
        self.createdAt = createdAt
        self.versioning = versioning
        self.policy = policy
        self.owner = owner
        self.settings = settings
    }
}

/// Everything about an object that is not its bytes, stored with the version row.
public struct ObjectAttributes: Sendable, Equatable, Codable {
    /// Content-Type, Cache-Control, Content-Disposition, Content-Encoding, Content-Language,
    /// Expires, keyed by the lower-case header name.
    public var contentHeaders: [String: String]
    /// x-amz-meta-* pairs, names lower-cased and without the prefix, in the order received.
    public var userMetadata: [MetadataEntry]
    /// Checksums computed at upload, base64 values keyed by algorithm.
    public var checksums: [ChecksumAlgorithm: String]
    public var tags: [MetadataEntry]
    public var storageClass: String
    /// `FULL_OBJECT` or `COMPOSITE` (a checksum of the parts' checksums, suffixed `-N`).
    public var checksumType: String?
    /// The principal that wrote the object when it is not the bucket's owner (ObjectWriter
    /// ownership); nil means the bucket owner owns it.
    public var owner: String?
    /// The object's ACL when one was set (ACL-enabled buckets only); nil is the private default.
    public var acl: AccessControlList?
    /// Object Lock retention of this version (lock-enabled buckets only).
    public var retention: ObjectRetention?
    /// Object Lock legal hold: nil when never set, false once released.
    public var legalHold: Bool?
    /// Server-side encryption of the stored bytes: nil when they are stored as sent.
    public var encryption: EncryptionInfo?

    public init(
        contentHeaders: [String: String] = [:],
        userMetadata: [MetadataEntry] = [],
        checksums: [ChecksumAlgorithm: String] = [:],
        tags: [MetadataEntry] = [],
        storageClass: String = "STANDARD",
        checksumType: String? = nil
    ) {
        self.contentHeaders = contentHeaders
        self.userMetadata = userMetadata
        self.checksums = checksums
        self.tags = tags
        self.storageClass = storageClass
        self.checksumType = checksumType
    }
}

/// One part of a multipart object (or of an upload in progress), stored as its own blob.
public struct StoredPart: Sendable, Equatable, Codable {
    public var number: Int
    public var size: Int64
    /// The part's MD5 in hex, which is its ETag without quotes.
    public var md5Hex: String
    public var blobID: String
    /// Base64 checksum of the part in the upload's checksum algorithm, if it has one.
    public var checksum: String?
    public var lastModified: Milliseconds

    public init(number: Int, size: Int64, md5Hex: String, blobID: String, checksum: String?, lastModified: Milliseconds) {
        self.number = number
        self.size = size
        self.md5Hex = md5Hex
        self.blobID = blobID
        self.checksum = checksum
        self.lastModified = lastModified
    }

    public var etag: String { "\"\(md5Hex)\"" }
}

/// A multipart upload in progress.
public struct UploadRecord: Sendable, Equatable {
    public var rowID: Int64
    public var key: String
    public var uploadID: String
    public var initiated: Milliseconds
    /// What the completed object will carry (content headers, metadata, tags, storage class).
    public var attributes: ObjectAttributes
    public var checksumAlgorithm: ChecksumAlgorithm?
    /// `COMPOSITE` or `FULL_OBJECT`, when an algorithm is set.
    public var checksumType: String?

    public init(
        rowID: Int64, key: String, uploadID: String, initiated: Milliseconds, attributes: ObjectAttributes,
        checksumAlgorithm: ChecksumAlgorithm?, checksumType: String?
    ) {
        self.rowID = rowID
        self.key = key
        self.uploadID = uploadID
        self.initiated = initiated
        self.attributes = attributes
        self.checksumAlgorithm = checksumAlgorithm
        self.checksumType = checksumType
    }
}

/// A precondition on the current object, checked in the same transaction as the write.
public enum WriteCondition: Sendable, Equatable {
    /// `If-None-Match: *`: the key must not exist.
    case absent
    /// `If-Match: <etag>`: the current object must have this ETag.
    case etagMatches(String)
    /// `If-None-Match: <etag>`: the current object, if any, must not have this ETag.
    case etagDiffers(String)
    /// A conditional delete: the object it removes, if there is one, must match every given
    /// property (`If-Match`, `x-amz-if-match-size`, `x-amz-if-match-last-modified-time` in
    /// whole seconds). Deleting nothing succeeds, conditions or not.
    case deleteMatches(DeleteGuard)
}

public struct DeleteGuard: Sendable, Equatable {
    public var etag: String?
    public var size: Int64?
    public var lastModifiedSeconds: Int64?
    /// The version the caller decided the delete on: a removal finding another answers
    /// `versionChanged` (checked before the conditions above).
    public var expected: ExpectedVersion?
    /// With versioning suspended, a delete marker replaces the `null` version, which need not be
    /// the latest: the `null` version the caller decided on, checked as `expected` is.
    public var expectedNull: ExpectedVersion?

    public init(etag: String? = nil, size: Int64? = nil, lastModifiedSeconds: Int64? = nil, expected: ExpectedVersion? = nil) {
        self.etag = etag
        self.size = size
        self.lastModifiedSeconds = lastModifiedSeconds
        self.expected = expected
    }

    public var isEmpty: Bool { etag == nil && size == nil && lastModifiedSeconds == nil && expected == nil && expectedNull == nil }

    public func admits(_ version: ObjectVersion) -> Bool {
        if let etag, ETag.bare(etag) != "*", !ETag.same(version.etag, etag) { return false }
        if let size, version.size != size { return false }
        if let lastModifiedSeconds, version.lastModified / 1000 != lastModifiedSeconds { return false }
        return true
    }
}

/// The version a write to an existing object was decided on, as the caller read it: what an
/// authorization decision reads of a version (its tags, ACL and owner), nil where there was no
/// version or a delete marker. A write that finds the object otherwise changes nothing and throws
/// `StoreError.versionChanged`: a version read as the latest, or as `null`, may have been
/// replaced by another before the write, and a row id may be reused by that successor. Only what
/// decisions read is compared, so that writes of other attributes (a legal hold, retention)
/// racing beside do not count as changes.
public struct ExpectedVersion: Sendable, Equatable {
    public struct Decided: Sendable, Equatable {
        public var tags: [MetadataEntry]
        public var acl: AccessControlList?
        public var owner: String?

        init(_ attributes: ObjectAttributes) {
            (tags, acl, owner) = (attributes.tags, attributes.acl, attributes.owner)
        }
    }
    public var decided: Decided?

    public init(attributes: ObjectAttributes?) { decided = attributes.map(Decided.init) }

    public init(of version: ObjectVersion?) {
        self.init(attributes: version.flatMap { $0.isDeleteMarker ? nil : $0.attributes })
    }

    public func matches(_ version: ObjectVersion?) -> Bool { self == ExpectedVersion(of: version) }
}

public struct MetadataEntry: Sendable, Equatable, Codable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// One version of an object as the index holds it.
public struct ObjectVersion: Sendable, Equatable {
    public var key: String
    /// `null` for objects written while the bucket was unversioned.
    public var versionID: String
    public var isLatest: Bool
    public var isDeleteMarker: Bool
    public var size: Int64
    /// The quoted ETag, as sent in headers.
    public var etag: String
    public var lastModified: Milliseconds
    /// The blob holding the bytes; nil for delete markers, multipart objects and inline objects.
    public var blobID: String?
    /// The bytes of a small object, kept in its index row (one durable commit covers data and
    /// metadata); nil for every other version. A buffer, so that a GET answers with a slice of
    /// the cached version's bytes instead of a copy.
    public var inlineData: ByteBuffer?
    public var attributes: ObjectAttributes
    /// The parts, in order, of an object completed from a multipart upload.
    public var parts: [StoredPart]?
    /// The upload this version was completed from, so a retried completion finds it.
    public var uploadID: String?
    /// Index order of versions (newer is larger); 0 until stored.
    public var sequence: Int64 = 0

    public init(
        key: String, versionID: String, isLatest: Bool, isDeleteMarker: Bool, size: Int64, etag: String,
        lastModified: Milliseconds, blobID: String?, attributes: ObjectAttributes, parts: [StoredPart]? = nil,
        uploadID: String? = nil, inlineData: ByteBuffer? = nil
    ) {
        self.inlineData = inlineData
        self.parts = parts
        self.uploadID = uploadID
        self.key = key
        self.versionID = versionID
        self.isLatest = isLatest
        self.isDeleteMarker = isDeleteMarker
        self.size = size
        self.etag = etag
        self.lastModified = lastModified
        self.blobID = blobID
        self.attributes = attributes
    }
}

/// A request for one page of latest objects in key order.
public struct ListRequest: Sendable {
    public var prefix: String
    public var delimiter: String?
    /// Only keys (and common prefixes) strictly after this one.
    public var after: String?
    /// `after` itself is listed too (versions of a marker key whose marked version is gone).
    public var includesAfter = false
    public var maxKeys: Int

    public init(prefix: String = "", delimiter: String? = nil, after: String? = nil, maxKeys: Int = 1000) {
        self.prefix = prefix
        self.delimiter = delimiter?.isEmpty == true ? nil : delimiter
        self.after = after?.isEmpty == true ? nil : after
        self.maxKeys = maxKeys
    }
}

public struct ListPage: Sendable {
    public enum Entry: Sendable, Equatable {
        case object(ObjectVersion)
        case commonPrefix(String)

        /// The key or prefix, which is what a continuation marker names.
        public var marker: String {
            switch self {
            case .object(let v): return v.key
            case .commonPrefix(let p): return p
            }
        }
    }

    /// Objects and common prefixes interleaved in key order, as S3 counts them against max-keys.
    public var entries: [Entry]
    public var isTruncated: Bool

    public init(entries: [Entry], isTruncated: Bool) {
        self.entries = entries
        self.isTruncated = isTruncated
    }

    public var objects: [ObjectVersion] {
        entries.compactMap { if case .object(let v) = $0 { return v } else { return nil } }
    }
    public var commonPrefixes: [String] {
        entries.compactMap { if case .commonPrefix(let p) = $0 { return p } else { return nil } }
    }
    /// The marker to continue from when truncated.
    public var nextMarker: String? { isTruncated ? entries.last?.marker : nil }
}

/// Every blob a version's bytes live in.
extension ObjectVersion {
    public var blobIDs: [String] {
        if let parts { return parts.map(\.blobID) }
        return blobID.map { [$0] } ?? []
    }
}

/// Byte-wise key order, as S3 lists keys (Swift's `<` on String is not byte-wise).
public func keyPrecedes(_ a: String, _ b: String) -> Bool {
    a.utf8.lexicographicallyPrecedes(b.utf8)
}

public func keyEquals(_ a: String, _ b: String) -> Bool {
    a.utf8.elementsEqual(b.utf8)
}
