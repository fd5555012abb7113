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

    public init(id: Int64, name: String, region: String, createdAt: Milliseconds, versioning: VersioningState) {
        self.id = id
        self.name = name
        self.region = region
        self.createdAt = createdAt
        self.versioning = versioning
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

    public init(
        contentHeaders: [String: String] = [:],
        userMetadata: [MetadataEntry] = [],
        checksums: [ChecksumAlgorithm: String] = [:],
        tags: [MetadataEntry] = [],
        storageClass: String = "STANDARD"
    ) {
        self.contentHeaders = contentHeaders
        self.userMetadata = userMetadata
        self.checksums = checksums
        self.tags = tags
        self.storageClass = storageClass
    }
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
    /// The blob holding the bytes; nil for delete markers.
    public var blobID: String?
    public var attributes: ObjectAttributes

    public init(
        key: String, versionID: String, isLatest: Bool, isDeleteMarker: Bool, size: Int64, etag: String,
        lastModified: Milliseconds, blobID: String?, attributes: ObjectAttributes
    ) {
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

    public var objects: [ObjectVersion] {
        entries.compactMap { if case .object(let v) = $0 { return v } else { return nil } }
    }
    public var commonPrefixes: [String] {
        entries.compactMap { if case .commonPrefix(let p) = $0 { return p } else { return nil } }
    }
    /// The marker to continue from when truncated.
    public var nextMarker: String? { isTruncated ? entries.last?.marker : nil }
}

/// Byte-wise key order, as S3 lists keys (Swift's `<` on String is not byte-wise).
public func keyPrecedes(_ a: String, _ b: String) -> Bool {
    a.utf8.lexicographicallyPrecedes(b.utf8)
}

public func keyEquals(_ a: String, _ b: String) -> Bool {
    a.utf8.elementsEqual(b.utf8)
}
