#if canImport(Glibc)
import Glibc
#endif
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

    public static let maxSinglePutSize: Int64 = 5 * 1024 * 1024 * 1024

    public init(index: any ObjectIndex, blobs: DiskBlobStore, region: String, logger: Logger) {
        self.index = index
        self.blobs = blobs
        self.region = region
        self.logger = logger
    }

    static func now() -> Milliseconds {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    // MARK: buckets

    public func createBucket(_ name: String) async throws(StoreError) -> BucketRecord {
        guard BucketNaming.isValid(name) else { throw .invalidBucketName(name) }
        return try await index.createBucket(name: name, region: region, now: Self.now())
    }

    public func bucket(_ name: String) async throws(StoreError) -> BucketRecord {
        guard let bucket = try await index.bucket(named: name) else { throw .noSuchBucket(name) }
        return bucket
    }

    public func deleteBucket(_ name: String) async throws(StoreError) {
        try await index.deleteBucket(named: name)
    }

    public func listBuckets() async throws(StoreError) -> [BucketRecord] {
        try await index.listBuckets()
    }

    // MARK: objects

    /// Makes a staged upload the latest version of `key`. The blob is made durable before the
    /// index row is written; if the index write fails the blob is removed.
    public func commit(_ staged: StagedUpload, bucket: BucketRecord, key: String, attributes: ObjectAttributes) async throws(StoreError) -> ObjectVersion {
        try ObjectKeyRules.validate(key)
        try await staged.writer.commit()
        let version = ObjectVersion(
            key: key,
            versionID: "null",
            isLatest: true,
            isDeleteMarker: false,
            size: staged.size,
            etag: staged.etag,
            lastModified: Self.now(),
            blobID: staged.writer.blobID,
            attributes: attributes
        )
        do {
            let obsolete = try await index.putVersion(bucketID: bucket.id, version)
            await blobs.delete(obsolete)
        } catch {
            await blobs.delete([staged.writer.blobID])
            throw error
        }
        return version
    }

    public func head(bucket: BucketRecord, key: String) async throws(StoreError) -> ObjectVersion {
        try ObjectKeyRules.validate(key)
        guard let version = try await index.latestVersion(bucketID: bucket.id, key: key), !version.isDeleteMarker else {
            throw .noSuchKey(key)
        }
        return version
    }

    /// The latest version and its open blob. A concurrent overwrite may delete the blob between
    /// the index read and the open; then the index is read again, so a reader always gets one
    /// whole version, the old or the new.
    public func open(bucket: BucketRecord, key: String) async throws(StoreError) -> (ObjectVersion, BlobReader?) {
        for _ in 0..<5 {
            let version = try await head(bucket: bucket, key: key)
            guard let blobID = version.blobID else { return (version, nil) }
            if let reader = try await blobs.open(blobID) { return (version, reader) }
        }
        throw .internalFailure("object \(key) changed too often while opening")
    }

    /// Deletes a key in an unversioned bucket; deleting a missing key succeeds (S3 semantics).
    public func delete(bucket: BucketRecord, key: String) async throws(StoreError) {
        try ObjectKeyRules.validate(key)
        let obsolete = try await index.deleteNullVersion(bucketID: bucket.id, key: key)
        await blobs.delete(obsolete)
    }

    // MARK: listing

    /// One page of latest objects with delimiter roll-up. Each common prefix is skipped with a
    /// single index seek, so the cost of a page does not depend on how many keys it rolls up.
    public func list(bucket: BucketRecord, _ request: ListRequest) async throws(StoreError) -> ListPage {
        let upper = Self.successor(of: Array(request.prefix.utf8))
        var entries: [ListPage.Entry] = []
        var cursor = Array(request.prefix.utf8)
        var inclusive = true
        if let after = request.after, !keyPrecedes(after, request.prefix) {
            cursor = Array(after.utf8)
            inclusive = false
        }
        let maxKeys = max(0, request.maxKeys)
        while true {
            // One more than still fits tells whether the page is truncated.
            let limit = min(maxKeys - entries.count + 1, 1000)
            let batch = try await index.scanLatest(bucketID: bucket.id, from: cursor, inclusive: inclusive, before: upper, limit: limit)
            var seeked = false
            for version in batch {
                if let delimiter = request.delimiter,
                    let commonPrefix = Self.commonPrefix(of: version.key, prefix: request.prefix, delimiter: delimiter)
                {
                    // A marker at or inside this prefix means an earlier page already returned it.
                    let alreadyReturned = request.after.map { !keyPrecedes($0, commonPrefix) } ?? false
                    if !alreadyReturned {
                        if entries.count == maxKeys { return ListPage(entries: entries, isTruncated: true) }
                        entries.append(.commonPrefix(commonPrefix))
                    }
                    guard let next = Self.successor(of: Array(commonPrefix.utf8)) else {
                        return ListPage(entries: entries, isTruncated: false)
                    }
                    cursor = next
                    inclusive = true
                    seeked = true
                    break
                }
                if entries.count == maxKeys { return ListPage(entries: entries, isTruncated: true) }
                entries.append(.object(version))
                cursor = Array(version.key.utf8)
                inclusive = false
            }
            if !seeked && batch.count < limit {
                return ListPage(entries: entries, isTruncated: false)
            }
        }
    }

    /// The common prefix `key` rolls up into, if the delimiter occurs after `prefix`.
    static func commonPrefix(of key: String, prefix: String, delimiter: String) -> String? {
        let keyBytes = Array(key.utf8)
        let start = prefix.utf8.count
        let delimiterBytes = Array(delimiter.utf8)
        guard keyBytes.count >= start + delimiterBytes.count else { return nil }
        var i = start
        while i + delimiterBytes.count <= keyBytes.count {
            if Array(keyBytes[i..<(i + delimiterBytes.count)]) == delimiterBytes {
                return String(decoding: keyBytes[0..<(i + delimiterBytes.count)], as: UTF8.self)
            }
            i += 1
        }
        return nil
    }

    /// The smallest byte string greater than every string that starts with `bytes`; nil if none
    /// (empty input, or all 0xFF).
    static func successor(of bytes: [UInt8]) -> [UInt8]? {
        var out = bytes
        while let last = out.last {
            if last < 0xFF {
                out[out.count - 1] = last + 1
                return out
            }
            out.removeLast()
        }
        return nil
    }
}
