import Foundation
import Logging
import NIOCore
import ObjectIndexSQLite
@testable import ObjectStore
import Testing

/// The ListObjects page cache answers a repeated listing without the index, and never answers
/// a listing that starts after an acknowledged write with a page from before it.
@Suite struct ListingCacheTests {
    /// The same index and blobs without a cache: what a listing must answer.
    static func uncached(_ f: StoreFixture) throws -> ObjectStore {
        ObjectStore(
            index: f.index, blobs: f.store.blobs, region: "us-east-1", logger: Logger(label: "test"),
            listings: ListingCache(budget: 0))
    }

    static func shown(_ page: ListPage) -> [String] {
        page.entries.map {
            switch $0 {
            case .commonPrefix(let p): return "P:" + p
            case .object(let v): return "R:\(v.key) \(v.etag) \(v.size) \(v.attributes.tags.map(\.value))"
            }
        }
    }

    @Test func aRepeatedListingIsAnsweredFromTheCache() async throws {
        let f = try StoreFixture()
        defer { Task { await f.cleanup() } }
        let bucket = try await f.store.createBucket("hits")
        for p in 0..<5 { for k in 0..<3 { try await f.put(bucket, "p\(p)/k\(k)", "x") } }
        let request = ListRequest(prefix: "", delimiter: "/", maxKeys: 1000)
        let first = try await f.store.list(bucket: bucket, request)
        #expect(f.store.listings.statistics.hits == 0)
        let second = try await f.store.list(bucket: bucket, request)
        #expect(f.store.listings.statistics.hits == 1)
        #expect(Self.shown(second) == Self.shown(first))
        #expect(Self.shown(first) == (0..<5).map { "P:p\($0)/" })
        // Another bucket, another prefix or another page size is another listing.
        let other = try await f.store.createBucket("hits-other")
        try await f.put(other, "p0/k0", "x")
        _ = try await f.store.list(bucket: other, request)
        _ = try await f.store.list(bucket: bucket, ListRequest(prefix: "p1/", delimiter: "/", maxKeys: 1000))
        _ = try await f.store.list(bucket: bucket, ListRequest(prefix: "", delimiter: "/", maxKeys: 2))
        #expect(f.store.listings.statistics.hits == 1)
        #expect(Self.shown(try await f.store.list(bucket: other, request)) == ["P:p0/"])
        #expect(f.store.listings.statistics.hits == 2)
    }

    /// Emptied when the server is quiet, the cache holds nothing and the next listing is read
    /// from the index again, the same as before.
    @Test func anEmptiedCacheListsFromTheIndexAgain() async throws {
        let f = try StoreFixture()
        defer { Task { await f.cleanup() } }
        let bucket = try await f.store.createBucket("emptied")
        for k in 0..<4 { try await f.put(bucket, "p\(k)/k", "x") }
        let request = ListRequest(prefix: "", delimiter: "/", maxKeys: 1000)
        let first = try await f.store.list(bucket: bucket, request)
        #expect(f.store.listings.statistics.pages == 1)
        f.store.listings.removeAll()
        #expect(f.store.listings.statistics.pages == 0)
        #expect(f.store.listings.statistics.bytes == 0)
        let again = try await f.store.list(bucket: bucket, request)
        #expect(f.store.listings.statistics.hits == 0)
        #expect(Self.shown(again) == Self.shown(first))
        #expect(f.store.listings.statistics.pages == 1)
    }

    /// Keys are bytes: `é` as one code point and as `e` with a combining accent are different
    /// keys, so listings of either are different listings (review finding: `String` equality in
    /// the cache key answered one with the other, and past an `s3:prefix` condition).
    @Test func listingsThatDifferOnlyInUnicodeNormalizationAreNotConfused() async throws {
        let f = try StoreFixture()
        defer { Task { await f.cleanup() } }
        let bucket = try await f.store.createBucket("normalization")
        let (composed, decomposed) = ("caf\u{E9}", "cafe\u{301}")
        try await f.put(bucket, composed + "/secret", "s")
        try await f.put(bucket, decomposed + "/public", "p")
        try await f.put(bucket, "zz", "z")
        func keys(_ request: ListRequest) async throws -> [[UInt8]] {
            try await f.store.list(bucket: bucket, request).entries.map { Array($0.marker.utf8) }
        }
        for _ in 0..<2 {
            #expect(try await keys(ListRequest(prefix: composed + "/", maxKeys: 1000)) == [Array((composed + "/secret").utf8)])
            #expect(try await keys(ListRequest(prefix: decomposed + "/", maxKeys: 1000)) == [Array((decomposed + "/public").utf8)])
            #expect(try await keys(ListRequest(delimiter: "/", after: composed, maxKeys: 1000)) == [Array((composed + "/").utf8), Array("zz".utf8)])
            #expect(
                try await keys(ListRequest(delimiter: "/", after: decomposed, maxKeys: 1000))
                    == [Array((decomposed + "/").utf8), Array((composed + "/").utf8), Array("zz".utf8)])
        }
    }

    @Test func aPageIsChargedAtLeastTheSlotsOfItsEntries() async throws {
        let f = try StoreFixture()
        defer { Task { await f.cleanup() } }
        let bucket = try await f.store.createBucket("charge")
        for p in 0..<50 { try await f.put(bucket, "d\(p)/k", "x") }
        let request = ListRequest(delimiter: "/", maxKeys: 1000)
        let page = try await f.store.list(bucket: bucket, request)
        #expect(page.entries.count == 50)
        let charged = ListingCache.estimatedBytes(of: page, key: ListingCache.Key(bucketID: bucket.id, request))
        #expect(charged >= 50 * MemoryLayout<ListPage.Entry>.stride)
        #expect(MemoryLayout<ListPage.Entry>.stride >= MemoryLayout<ObjectVersion>.stride)
    }

    @Test func everyWriteMakesTheNextListingCurrent() async throws {
        let f = try StoreFixture()
        defer { Task { await f.cleanup() } }
        var bucket = try await f.store.createBucket("writes")
        let model = try Self.uncached(f)
        let requests = [ListRequest(maxKeys: 1000), ListRequest(prefix: "a/", delimiter: "/", maxKeys: 1000), ListRequest(delimiter: "/", maxKeys: 1)]
        func check(_ step: String) async throws {
            for request in requests {
                // Twice: the first fills the cache, the second is answered from it.
                for _ in 0..<2 {
                    let cached = Self.shown(try await f.store.list(bucket: bucket, request))
                    let truth = Self.shown(try await model.list(bucket: bucket, request))
                    #expect(cached == truth, "\(step): \(request.prefix) \(request.maxKeys)")
                }
            }
        }
        try await check("empty")
        try await f.put(bucket, "a/one", "1")
        try await check("put")
        try await f.put(bucket, "a/one", "one, longer")
        try await check("overwrite")
        try await f.put(bucket, "a/b/two", "2")
        try await check("put in a sub-prefix")
        _ = try await f.store.setTags(bucket: bucket, key: "a/one", versionID: nil, tags: [MetadataEntry("t", "v")])
        try await check("tags")
        try await f.store.setVersioning(bucket, .enabled)
        bucket = try await f.store.bucket("writes")
        try await f.put(bucket, "a/one", "versioned")
        try await check("versioned put")
        _ = try await f.store.delete(bucket: bucket, key: "a/one", versionID: nil)
        try await check("delete marker")
        _ = try await f.store.delete(bucket: bucket, key: "a/b/two", versionID: "null")
        try await check("version deleted")
        #expect(f.store.listings.statistics.hits >= 8 * requests.count)
    }

    /// Writers and listers at once: each writer lists right after its write is acknowledged and
    /// must find it, while listers keep refilling the cache from snapshots taken mid-write.
    @Test func aListingAfterAnAcknowledgedWriteFindsIt() async throws {
        let f = try StoreFixture()
        defer { Task { await f.cleanup() } }
        let bucket = try await f.store.createBucket("race")
        let store = f.store
        let missing = try await withThrowingTaskGroup(of: [String].self) { group in
            for writer in 0..<4 {
                group.addTask {
                    var missing: [String] = []
                    for i in 0..<60 {
                        let key = "w\(writer)/k\(String(format: "%03d", i))"
                        let staged = try await store.stage(Chunks([ByteBuffer(string: key)]), plan: HashingPlan(), maxSize: 1 << 20)
                        _ = try await store.commit(staged, bucket: bucket, key: key, attributes: ObjectAttributes())
                        let listed = try await store.list(bucket: bucket, ListRequest(prefix: "w\(writer)/", maxKeys: 1000)).objects.map(\.key)
                        if listed.last != key || listed.count != i + 1 { missing.append(key) }
                    }
                    return missing
                }
            }
            for lister in 0..<2 {
                group.addTask {
                    for _ in 0..<300 {
                        _ = try await store.list(bucket: bucket, ListRequest(prefix: "w\(lister)/", maxKeys: 1000))
                    }
                    return []
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(missing.isEmpty)
    }

    @Test func heldPagesStayWithinTheBudget() async throws {
        let f = try StoreFixture()
        defer { Task { await f.cleanup() } }
        let bucket = try await f.store.createBucket("budget")
        for k in 0..<200 { try await f.put(bucket, "k\(String(format: "%03d", k))-" + String(repeating: "n", count: 200), "x") }
        let cache = ListingCache(budget: 128 * 1024, maxPages: 16)
        let store = ObjectStore(index: f.index, blobs: f.store.blobs, region: "us-east-1", logger: Logger(label: "test"), listings: cache)
        // Pages of 20 large entries fill the bytes first, pages of one entry the page count.
        for maxKeys in [20, 1] {
            for start in 0..<100 {
                _ = try await store.list(bucket: bucket, ListRequest(after: "k\(String(format: "%03d", start))", maxKeys: maxKeys))
                let held = cache.statistics
                #expect(held.bytes <= 128 * 1024 && held.pages <= 16)
                #expect(held.pages >= min(start + 1, maxKeys == 1 ? 16 : 2))
            }
        }
        // A page larger than a quarter of the budget is never held.
        _ = try await store.list(bucket: bucket, ListRequest(maxKeys: 1000))
        _ = try await store.list(bucket: bucket, ListRequest(maxKeys: 1000))
        #expect(cache.statistics.hits == 0)
        // The newest small pages are still there.
        _ = try await store.list(bucket: bucket, ListRequest(after: "k099", maxKeys: 1))
        #expect(cache.statistics.hits == 1)
    }
}
