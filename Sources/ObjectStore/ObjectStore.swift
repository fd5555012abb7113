#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import NIOCore

/// The object store: buckets and objects over an index (metadata) and a blob store (bytes).
/// Writes follow the crash-safe protocol: blob durable and in place first, then one index
/// transaction; only after both does the caller acknowledge.
public struct ObjectStore: Sendable {
    public let index: any ObjectIndex
    public let blobs: DiskBlobStore
    public let region: String
    let logger: Logger
    /// Objects up to this many bytes are stored in their index row, not in a blob of their own.
    public let inlineLimit: Int
    /// Data keys of server-side encryption; nil: objects cannot be encrypted (tests of the rest).
    public let vault: KeyVault?
    public let listings: ListingCache
    public let versions: VersionCache

    public static let maxSinglePutSize: Int64 = 5 * 1024 * 1024 * 1024
    /// As MinIO and Garage do for small objects: one durable commit covers data and metadata,
    /// and reading one needs no file. Bounded so a version row stays small to read and copy.
    public static let defaultInlineLimit = 64 * 1024

    public init(
        index: any ObjectIndex, blobs: DiskBlobStore, region: String, logger: Logger, inlineLimit: Int = ObjectStore.defaultInlineLimit,
        vault: KeyVault? = nil, listings: ListingCache = ListingCache(), versions: VersionCache = VersionCache()
    ) {
        self.listings = listings
        self.versions = versions
        self.vault = vault
        self.inlineLimit = inlineLimit
        self.index = index
        self.blobs = blobs
        self.region = region
        self.logger = logger
    }

    public static func now() -> Milliseconds {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    // MARK: buckets

    public func createBucket(_ name: String, owner: String? = nil, settings: BucketSettings = BucketSettings()) async throws(StoreError) -> BucketRecord {
        guard BucketNaming.isValid(name) else { throw .invalidBucketName(name) }
        return try await index.createBucket(name: name, region: region, now: Self.now(), owner: owner, settings: settings)
    }

    /// Sets or (with nil) removes one member of a bucket's settings.
    public func setSetting<Value: Encodable>(_ bucket: BucketRecord, _ field: BucketSettings.Field, _ value: Value?) async throws(StoreError) {
        var json: String?
        if let value {
            do {
                json = String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
            } catch {
                throw .internalFailure("bucket setting \(field.rawValue): \(error)")
            }
        }
        try await index.setBucketSetting(bucketID: bucket.id, field, json: json)
    }

    /// PutObjectLockConfiguration: enables Object Lock on a bucket whose versioning is Enabled
    /// (a bucket created with lock has it already) and sets its default retention.
    public func setObjectLock(_ bucket: BucketRecord, _ configuration: ObjectLockConfiguration) async throws(StoreError) {
        guard bucket.settings.objectLock != nil || bucket.versioning == .enabled else {
            throw .invalidBucketState("Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration")
        }
        let json: String
        do {
            json = String(decoding: try JSONEncoder().encode(configuration), as: UTF8.self)
        } catch {
            throw .internalFailure("object lock configuration: \(error)")
        }
        // Checked again in the index's transaction, against a concurrent versioning change.
        try await index.setObjectLock(bucketID: bucket.id, json: json)
    }

    public func bucket(_ name: String) async throws(StoreError) -> BucketRecord {
        guard let bucket = try await index.bucket(named: name) else { throw .noSuchBucket(name) }
        return bucket
    }

    /// Deletes an empty bucket. Uploads still in progress do not keep it (as S3): they are
    /// aborted first, one at a time, each in a write that finds the bucket without objects, so a
    /// bucket that has some is refused with its uploads left whole. The index checks again as it
    /// deletes the bucket.
    public func deleteBucket(_ name: String) async throws(StoreError) {
        if let bucket = try await index.bucket(named: name) {
            for _ in 0..<1_000_000 {
                guard let blobIDs = try await index.abortUploadOfEmptyBucket(bucketID: bucket.id, name: name) else { break }
                await blobs.delete(blobIDs)
            }
        }
        try await index.deleteBucket(named: name)
    }

    public func listBuckets() async throws(StoreError) -> [BucketRecord] {
        try await index.listBuckets()
    }

    /// Enabled or Suspended; a bucket never returns to unversioned, and one with Object Lock
    /// stays Enabled.
    public func setVersioning(_ bucket: BucketRecord, _ state: VersioningState) async throws(StoreError) {
        guard state != .unversioned else { throw .invalidRequest("A versioned bucket cannot become unversioned; use Suspended.") }
        if state == .suspended, bucket.settings.objectLock != nil {
            throw .invalidBucketState("An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.")
        }
        try await index.setVersioning(bucketID: bucket.id, state)
    }

    /// The id a new version of an object in this bucket gets: `null` unless versioning is enabled.
    static func newVersionID(_ bucket: BucketRecord) -> String {
        bucket.versioning == .enabled ? RandomID.make() : "null"
    }
}
