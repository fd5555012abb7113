import NIOCore
/// Recent ListObjects pages, as MinIO's metacache and rclone's directory cache keep them: clients
/// and engines list the same prefixes again and again (query planning, sync tools, dashboards),
/// and a delimiter listing costs one index seek per common prefix. Pages are kept by the index's
/// write stamp (`GenerationCache`), within a byte budget; one leaves at random when it is full.
public final class ListingCache: Sendable {
    /// A listing's parameters as bytes: keys, prefixes and markers compare byte-wise, as the index
    /// and the policy engine compare them. `String` equality would make `café` written with one
    /// code point and with a combining accent the same listing.
    struct Key: Hashable {
        let bucketID: Int64
        let prefix: [UInt8]
        let delimiter: [UInt8]?
        let after: [UInt8]?
        let includesAfter: Bool
        let maxKeys: Int

        init(bucketID: Int64, _ request: ListRequest) {
            self.bucketID = bucketID
            prefix = Array(request.prefix.utf8)
            delimiter = request.delimiter.map { Array($0.utf8) }
            after = request.after.map { Array($0.utf8) }
            includesAfter = request.includesAfter
            maxKeys = request.maxKeys
        }
    }

    private let pages: GenerationCache<Key, ListPage>
    public var budget: Int { pages.budget }
    public var maxPages: Int { pages.maxEntries }

    public init(budget: Int = 8 * 1024 * 1024, maxPages: Int = 1024) {
        pages = GenerationCache(budget: budget, maxEntries: maxPages)
    }

    /// The page kept for `key` at `stamp`, the index's current one.
    func page(for key: Key, at stamp: WriteStamp) -> ListPage? {
        pages.value(for: key, at: stamp)
    }

    /// Keeps `page`, read after `stamp` was taken and before `current` was.
    func keep(_ page: ListPage, for key: Key, readAt stamp: WriteStamp, current: WriteStamp) {
        pages.keep(page, bytes: Self.estimatedBytes(of: page, key: key), for: key, readAt: stamp, current: current)
    }

    public func removeAll() { pages.removeAll() }

    /// How many listings were answered from the cache, and how many bytes it holds now.
    public var statistics: (hits: Int, bytes: Int, pages: Int) {
        let held = pages.statistics
        return (held.hits, held.bytes, held.entries)
    }

    /// Each entry takes the array slot of the largest case (an `ObjectVersion`) plus what it points to.
    static func estimatedBytes(of page: ListPage, key: Key) -> Int {
        let keyBytes = 3 * 64 + key.prefix.count + (key.delimiter?.count ?? 0) + (key.after?.count ?? 0)
        return page.entries.reduce(keyBytes + 128) { total, entry in
            let slot = MemoryLayout<ListPage.Entry>.stride
            switch entry {
            case .commonPrefix(let prefix): return total + slot + ObjectVersion.heapBytes(of: prefix)
            case .object(let version): return total + slot + version.heapBytes
            }
        }
    }
}

extension ObjectVersion {
    static func heapBytes(of s: String?) -> Int { s.map(HeapEstimate.bytes(of:)) ?? 0 }

    /// A generous estimate of the heap a copy keeps alive beyond its own stride: its strings,
    /// arrays and dictionaries with their allocation overhead.
    var heapBytes: Int {
        let text = Self.heapBytes(of:)
        func entries(_ list: [MetadataEntry]) -> Int { list.reduce(32) { $0 + 32 + text($1.name) + text($1.value) } }
        let a = attributes
        var bytes = 64
        bytes += text(key) + text(versionID) + text(etag) + text(blobID) + text(uploadID) + (inlineData.map { 32 + $0.capacity } ?? 0)
        bytes += parts.map { $0.reduce(32) { $0 + MemoryLayout<StoredPart>.stride + text($1.md5Hex) + text($1.blobID) + text($1.checksum) } } ?? 0
        bytes += a.contentHeaders.reduce(64) { $0 + 48 + text($1.key) + text($1.value) }
        bytes += entries(a.userMetadata) + entries(a.tags)
        bytes += a.checksums.reduce(64) { $0 + 48 + text($1.value) }
        bytes += text(a.storageClass) + text(a.checksumType) + text(a.owner)
        bytes += a.acl.map { 64 + text($0.owner) + $0.grants.count * 384 } ?? 0
        bytes += a.retention == nil ? 0 : 96
        bytes += a.encryption.map { 64 + text($0.wrappedKey) + text($0.kmsKeyID) + text($0.customerKeyMD5) + text($0.context) } ?? 0
        return bytes
    }
}
