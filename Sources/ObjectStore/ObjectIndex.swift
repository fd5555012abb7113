/// The metadata index behind the store: buckets and object versions. Implementations keep
/// each call atomic (one transaction) and order keys byte-wise.
public protocol ObjectIndex: Sendable {
    func createBucket(name: String, region: String, now: Milliseconds) async throws(StoreError) -> BucketRecord
    func bucket(named name: String) async throws(StoreError) -> BucketRecord?
    func listBuckets() async throws(StoreError) -> [BucketRecord]
    /// Deletes an empty bucket; `bucketNotEmpty` if any version remains.
    func deleteBucket(named name: String) async throws(StoreError)

    /// Makes `version` the latest for its key and returns the blobs no longer referenced
    /// (the replaced `null` version's), which the caller deletes after the commit.
    func putVersion(bucketID: Int64, _ version: ObjectVersion) async throws(StoreError) -> [String]
    func latestVersion(bucketID: Int64, key: String) async throws(StoreError) -> ObjectVersion?
    /// Removes the `null` version of a key in an unversioned bucket; returns its blob, if any.
    func deleteNullVersion(bucketID: Int64, key: String) async throws(StoreError) -> [String]

    /// Latest, non-delete-marker versions with `lowerBound < key < upperBound` (or `>=` when
    /// `inclusive`) in byte order, at most `limit` of them. A nil upper bound means no bound.
    func scanLatest(bucketID: Int64, from lowerBound: [UInt8], inclusive: Bool, before upperBound: [UInt8]?, limit: Int)
        async throws(StoreError) -> [ObjectVersion]

    /// Of the given blob ids, the ones some version row references.
    func referencedBlobs(among blobIDs: [String]) async throws(StoreError) -> Set<String>

    /// Object count and total bytes of latest versions, over all buckets.
    func usage() async throws(StoreError) -> (buckets: Int, objects: Int64, bytes: Int64)
}
