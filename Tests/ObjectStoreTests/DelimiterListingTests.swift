import Foundation
@testable import ObjectStore
import Testing

/// Delimiter listings against a model: the same keys listed without a delimiter and rolled up
/// here. The store skips each common prefix by reading only the key it starts with, so these
/// pin that a prefix holding only delete markers, a marker inside a prefix and paging all agree.
@Suite struct DelimiterListingTests {
    /// Entries as (marker, is a prefix), the shape both sides are compared in.
    static func rolledUp(_ entries: [(key: String, row: String)], prefix: String, delimiter: String) -> [String] {
        var out: [String] = []
        for entry in entries where entry.key.utf8.starts(with: prefix.utf8) {
            let rest = Array(entry.key.utf8.dropFirst(prefix.utf8.count))
            if let cut = Self.firstIndex(of: Array(delimiter.utf8), in: rest) {
                let common = prefix + String(decoding: rest[..<(cut + delimiter.utf8.count)], as: UTF8.self)
                if out.last != "P:" + common { out.append("P:" + common) }
            } else {
                out.append("R:" + entry.row)
            }
        }
        return out
    }

    static func firstIndex(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        return (0...(haystack.count - needle.count)).first { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
    }

    static func shown(_ page: ListPage) -> [String] {
        page.entries.map {
            switch $0 {
            case .commonPrefix(let p): return "P:" + p
            case .object(let v): return "R:" + v.key + "#" + v.versionID + (v.isDeleteMarker ? "(marker)" : "")
            }
        }
    }

    @Test func latestAndVersionListingsRollUpAsTheModelDoes() async throws {
        let f = try StoreFixture()
        var bucket = try await f.store.createBucket("roll")
        try await f.store.setVersioning(bucket, .enabled)
        bucket = try await f.store.bucket("roll")
        var random = SystemRandomNumberGenerator()
        let alphabet = ["a", "b", "/", "-", "é"]
        var keys: Set<String> = []
        while keys.count < 120 {
            keys.insert((0..<Int.random(in: 1...5, using: &random)).map { _ in alphabet.randomElement(using: &random)! }.joined())
        }
        for key in keys.sorted() {
            try await f.put(bucket, key, key)
            // Some keys end as a delete marker (hidden from the latest listing), some with two versions.
            switch Int.random(in: 0..<4, using: &random) {
            case 0: _ = try await f.store.delete(bucket: bucket, key: key, versionID: nil)
            case 1: try await f.put(bucket, key, key + "2")
            default: break
            }
        }
        let everyLatest = try await f.store.list(bucket: bucket, ListRequest(maxKeys: 1000))
        #expect(!everyLatest.isTruncated)
        let latestRows = everyLatest.objects.map { (key: $0.key, row: $0.key + "#" + $0.versionID) }
        let everyVersion = try await f.store.listVersions(bucket: bucket, ListRequest(maxKeys: 1000), versionIDMarker: nil)
        #expect(!everyVersion.isTruncated)
        let versionRows = everyVersion.objects.map { (key: $0.key, row: $0.key + "#" + $0.versionID + ($0.isDeleteMarker ? "(marker)" : "")) }
        #expect(versionRows.count > latestRows.count)

        for delimiter in ["/", "a", "/-", "é"] {
            for prefix in ["", "a", "/", "b/", "é"] {
                let expectedLatest = Self.rolledUp(latestRows, prefix: prefix, delimiter: delimiter)
                let expectedVersions = Self.rolledUp(versionRows, prefix: prefix, delimiter: delimiter)
                let whole = try await f.store.list(bucket: bucket, ListRequest(prefix: prefix, delimiter: delimiter, maxKeys: 1000))
                #expect(Self.shown(whole) == expectedLatest, "prefix \(prefix) delimiter \(delimiter)")
                let wholeVersions = try await f.store.listVersions(
                    bucket: bucket, ListRequest(prefix: prefix, delimiter: delimiter, maxKeys: 1000), versionIDMarker: nil)
                #expect(Self.shown(wholeVersions) == expectedVersions, "versions: prefix \(prefix) delimiter \(delimiter)")

                // Paged by 3: each entry once, in order, whatever a page ends on.
                var paged: [String] = []
                var after: String?
                for _ in 0..<200 {
                    let page = try await f.store.list(bucket: bucket, ListRequest(prefix: prefix, delimiter: delimiter, after: after, maxKeys: 3))
                    paged += Self.shown(page)
                    guard let next = page.nextMarker else { break }
                    after = next
                }
                #expect(paged == expectedLatest, "paged: prefix \(prefix) delimiter \(delimiter)")
            }
        }
        await f.cleanup()
    }
}
