/// Recent answers to the question every GET and HEAD asks the index: which version a key (and
/// version id) names. Readers ask for the same objects again and again (table metadata and
/// manifests, hot files); on SQLite each answer is a read transaction with two file-lock system
/// calls. Versions are kept by the index's write stamp (`GenerationCache`), so a write to a bucket's
/// objects makes that bucket's held versions stale at once, and any other write every one.
public final class VersionCache: Sendable {
    /// Keys and version ids as bytes, compared byte-wise as the index compares them.
    struct Key: Hashable {
        let bucketID: Int64
        let key: [UInt8]
        let versionID: [UInt8]?
        /// A version read with its inline data (GET) is held apart from one read without (HEAD).
        let withData: Bool
    }

    private let versions: GenerationCache<Key, ObjectVersion>

    /// A GET's version holds the object's bytes when they are inline (up to 64 KiB). 16 MiB holds
    /// about 3,000 versions of 4 KiB objects: a client reading a set of a thousand small files in
    /// turn found none of them within 4 MiB, since the oldest leave first.
    public init(budget: Int = 16 * 1024 * 1024, maxVersions: Int = 8192) {
        versions = GenerationCache(budget: budget, maxEntries: maxVersions)
    }

    func version(for key: Key, at stamp: WriteStamp) -> ObjectVersion? {
        versions.value(for: key, at: stamp)
    }

    /// Keeps `version`, read after `stamp` was taken and before `current` was. Charged its slot
    /// in the table and in the eviction order besides its heap.
    func keep(_ version: ObjectVersion, for key: Key, readAt stamp: WriteStamp, current: WriteStamp) {
        let slots = 2 * MemoryLayout<(Key, (ObjectVersion, Int))>.stride + MemoryLayout<Key>.stride
        let arrayHeaders = 2 * 32  // the key's and the version id's byte arrays
        let bytes = slots + arrayHeaders + key.key.count + (key.versionID?.count ?? 0) + version.heapBytes
        versions.keep(version, bytes: bytes, for: key, readAt: stamp, current: current)
    }

    public func removeAll() { versions.removeAll() }

    /// How many lookups were answered from the cache, and what it holds now.
    public var statistics: (hits: Int, bytes: Int, versions: Int) {
        let held = versions.statistics
        return (held.hits, held.bytes, held.entries)
    }
}
