import Foundation
import NIOCore
import Testing

@testable import ObjectStore

@Suite struct LifecyclePlannerTests {
    let day: Milliseconds = 10_000
    var clock: LifecycleClock { LifecycleClock(dayLength: day) }

    func v(_ key: String, _ id: String, at time: Milliseconds, marker: Bool = false, tags: [MetadataEntry] = [], size: Int64 = 3) -> ObjectVersion {
        var attributes = ObjectAttributes()
        attributes.tags = tags
        return ObjectVersion(
            key: key, versionID: id, isLatest: false, isDeleteMarker: marker, size: marker ? 0 : size, etag: marker ? "" : "\"e\"", lastModified: time,
            blobID: nil, attributes: attributes)
    }

    /// Feeds `versions` in order, numbered as the index would (newer is larger, so the listing
    /// order gives decreasing numbers).
    func plan(_ rules: [LifecycleRule], _ versions: [ObjectVersion], now: Milliseconds) -> [LifecycleAction] {
        var planner = LifecyclePlanner(configuration: LifecycleConfiguration(rules: rules), clock: clock, now: now)
        let numbered = versions.enumerated().map { offset, version in
            var version = version
            version.sequence = Int64(versions.count - offset)
            return version
        }
        return (numbered.flatMap { planner.feed($0) } + planner.finish()).map { action in
            // Compared with the versions as given (unnumbered).
            func plain(_ v: ObjectVersion) -> ObjectVersion {
                var v = v
                v.sequence = 0
                return v
            }
            switch action {
            case .expireCurrent(let v, let rule): return .expireCurrent(plain(v), ruleID: rule)
            case .removeNoncurrent(let v, let rule): return .removeNoncurrent(plain(v), ruleID: rule)
            case .removeExpiredDeleteMarker(let v, let rule): return .removeExpiredDeleteMarker(plain(v), ruleID: rule)
            }
        }
    }

    @Test func currentExpirationByDaysDateAndFilter() {
        let rule = LifecycleRule(id: "r", enabled: true, filter: LifecycleFilter(form: .prefix, prefix: "logs/"), expiration: .init(days: 2))
        let old = v("logs/a", "1", at: 0)
        let other = v("data/a", "1", at: 0)
        #expect(plan([rule], [other, old], now: 2 * day - 1).isEmpty)
        #expect(plan([rule], [other, old], now: 2 * day) == [.expireCurrent(old, ruleID: "r")])
        var disabled = rule
        disabled.enabled = false
        #expect(plan([disabled], [old], now: 100 * day).isEmpty)
        let dated = LifecycleRule(id: "d", enabled: true, filter: LifecycleFilter(form: .empty), expiration: .init(date: 5 * day))
        #expect(plan([dated], [old], now: 5 * day) == [.expireCurrent(old, ruleID: "d")])
        let tagged = LifecycleRule(
            id: "t", enabled: true, filter: LifecycleFilter(form: .and, tags: [MetadataEntry("k", "v")], sizeGreaterThan: 2), expiration: .init(days: 1))
        let withTag = v("x", "1", at: 0, tags: [MetadataEntry("k", "v"), MetadataEntry("o", "p")])
        #expect(plan([tagged], [withTag, v("y", "1", at: 0), v("z", "1", at: 0, tags: [MetadataEntry("k", "v")], size: 2)], now: day)
            == [.expireCurrent(withTag, ruleID: "t")])
    }

    @Test func noncurrentAgeCountsFromTheSuccessorAndKeepsTheNewest() {
        let rule = LifecycleRule(
            id: "n", enabled: true, filter: LifecycleFilter(form: .empty), noncurrentExpiration: .init(days: 1, newerNoncurrentVersions: 2))
        // Newest first: v5 current, v4…v1 noncurrent since their successor was written.
        let versions = (1...5).reversed().map { v("k", "\($0)", at: Milliseconds($0) * day) }
        let actions = plan([rule], versions, now: 6 * day)
        // v4 and v3 are the two newest noncurrent ones and stay; v2 (noncurrent since v3, 3 days) and v1 go.
        #expect(actions == [.removeNoncurrent(versions[3], ruleID: "n"), .removeNoncurrent(versions[4], ruleID: "n")])
        // v4 became noncurrent at day 5: not yet a day old at 5.5 days, so nothing with no newer rule.
        let young = LifecycleRule(id: "y", enabled: true, filter: LifecycleFilter(form: .empty), noncurrentExpiration: .init(days: 1))
        #expect(plan([young], Array(versions[0...1]), now: 5 * day + day / 2).isEmpty)
    }

    @Test func loneDeleteMarkersGoAndOthersStay() {
        let marker = LifecycleRule(id: "m", enabled: true, filter: LifecycleFilter(form: .empty), expiration: .init(expiredObjectDeleteMarker: true))
        let lone = v("a", "m1", at: 0, marker: true)
        let covering = v("b", "m2", at: 0, marker: true)
        let under = v("b", "1", at: 0)
        #expect(plan([marker], [lone, covering, under], now: day) == [.removeExpiredDeleteMarker(lone, ruleID: "m")])
        // Expiration in days also clears a lone marker once it is that old.
        let days = LifecycleRule(id: "d", enabled: true, filter: LifecycleFilter(form: .empty), expiration: .init(days: 3))
        #expect(plan([days], [lone], now: 3 * day - 1).isEmpty)
        #expect(plan([days], [lone], now: 3 * day) == [.removeExpiredDeleteMarker(lone, ruleID: "d")])
        // A marker at the end of one feed is settled by finish().
        var planner = LifecyclePlanner(configuration: LifecycleConfiguration(rules: [marker]), clock: clock, now: day)
        #expect(planner.feed(lone).isEmpty)
        #expect(planner.finish() == [.removeExpiredDeleteMarker(lone, ruleID: "m")])
    }

    /// Review finding: when the version a page ended on was removed, the next page lists the key
    /// again from its newest version; the planner must not take that current version for a
    /// noncurrent one (it did, and lifecycle removed the current version).
    @Test func aKeyListedAgainIsPlannedAfresh() {
        let rule = LifecycleRule(id: "n", enabled: true, filter: LifecycleFilter(form: .empty), noncurrentExpiration: .init(days: 1))
        var current = v("b", "2", at: 5 * day)
        current.sequence = 20
        var old = v("b", "1", at: 0)
        old.sequence = 10
        var planner = LifecyclePlanner(configuration: LifecycleConfiguration(rules: [rule]), clock: clock, now: 10 * day)
        #expect(planner.feed(current).isEmpty)
        #expect(planner.feed(old) == [.removeNoncurrent(old, ruleID: "n")])
        // The next page starts the key over at its newest version.
        #expect(planner.feed(current).isEmpty)
        #expect(planner.finish().isEmpty)
    }

    @Test func lockedVersionsAreNotPlannedForRemoval() {
        let rule = LifecycleRule(id: "n", enabled: true, filter: LifecycleFilter(form: .empty), noncurrentExpiration: .init(days: 1))
        let current = v("k", "2", at: day)
        var held = v("k", "1", at: 0)
        held.attributes.legalHold = true
        #expect(plan([rule], [current, held], now: 10 * day).isEmpty)
    }

    /// Review finding: a rule's day count is the client's number; the deadline must not overflow.
    @Test func hugeDayCountsSaturate() {
        let real = LifecycleClock()
        #expect(real.deadline(from: 1_800_000_000_000, days: Int(Int32.max)) > 1_800_000_000_000)
        #expect(real.deadline(from: 1_800_000_000_000, days: Int.max) == Milliseconds.max)
        let configuration = LifecycleConfiguration(rules: [
            LifecycleRule(id: "far", enabled: true, filter: LifecycleFilter(form: .empty), expiration: .init(days: Int.max))
        ])
        var latest = v("k", "1", at: 1_800_000_000_000)
        latest.isLatest = true
        #expect(configuration.expiry(of: latest)?.date == Milliseconds.max)
        #expect(plan(configuration.rules, [latest], now: 1_900_000_000_000).isEmpty)
    }

    @Test func realDaysRoundUpToMidnightAsS3() {
        let real = LifecycleClock()
        let noon: Milliseconds = 1_800_000_000_000 - 1_800_000_000_000 % 86_400_000 + 43_200_000
        let due = real.deadline(from: noon, days: 1)
        #expect(due % 86_400_000 == 0 && due - noon == 86_400_000 + 43_200_000)
        let midnight = noon - 43_200_000
        #expect(real.deadline(from: midnight, days: 2) == midnight + 2 * 86_400_000)
        let configuration = LifecycleConfiguration(rules: [
            LifecycleRule(id: "late", enabled: true, filter: LifecycleFilter(form: .empty), expiration: .init(days: 30)),
            LifecycleRule(id: "soon", enabled: true, filter: LifecycleFilter(form: .rulePrefix, prefix: "k"), expiration: .init(days: 1)),
        ])
        var latest = v("k", "1", at: noon)
        latest.isLatest = true
        let expiry = configuration.expiry(of: latest)
        #expect(expiry?.ruleID == "soon" && expiry?.date == due)
        // Expiration is of current versions: a noncurrent one has no expiry to announce.
        #expect(configuration.expiry(of: v("k", "0", at: noon)) == nil)
    }
}

@Suite struct LifecycleStoreTests {
    @Test func scannerExpiresGuardedAndRespectsObjectLock() async throws {
        let f = try StoreFixture()
        defer { Task { await f.cleanup() } }
        _ = try await f.store.createBucket("lcy", settings: BucketSettings(objectLock: ObjectLockConfiguration()))
        let bucket = try await f.store.bucket("lcy")
        let kept = try await f.put(bucket, "a", "1")
        _ = try await f.store.setLock(bucket: bucket, key: "a", versionID: kept.versionID, .legalHold(true))
        try await f.put(bucket, "a", "2")
        for index in 0..<(ObjectStore.lifecyclePageSize + 5) { try await f.put(bucket, "many/\(index)", "x") }
        let rules = LifecycleConfiguration(rules: [
            LifecycleRule(id: "all", enabled: true, filter: LifecycleFilter(form: .empty), expiration: .init(days: 1), noncurrentExpiration: .init(days: 1))
        ])
        let clock = LifecycleClock(dayLength: 1)
        var planner = LifecyclePlanner(configuration: rules, clock: clock, now: ObjectStore.now() + 10)
        var cursor = ObjectStore.LifecycleCursor(bucket: "lcy")
        var outcomes: [ObjectStore.LifecycleOutcome] = []
        var pages = 0
        while true {
            let (done, next) = try await f.store.applyLifecycle(bucket: bucket, rules, clock: clock, from: cursor, planner: &planner)
            outcomes += done
            pages += 1
            guard let next else { break }
            #expect(next.completedKey != nil)
            cursor = next
        }
        #expect(pages == 2)
        // Every current version got a delete marker (versioned bucket); the held one stayed.
        #expect(outcomes.filter { $0.kind == .expired }.count == ObjectStore.lifecyclePageSize + 6)
        // The held version is not even tried (the planner skips what a lock keeps).
        #expect(outcomes.filter { $0.kind == .keptByLock || $0.versionID == kept.versionID }.isEmpty)
        let held = try await f.store.version(bucket: bucket, key: "a", versionID: kept.versionID)
        #expect(!held.isDeleteMarker)
    }

    @Test func aPassResumedAfterARestartStartsAtAKeyBoundary() async throws {
        let f = try StoreFixture()
        defer { Task { await f.cleanup() } }
        var bucket = try await f.store.createBucket("resume")
        try await f.store.setVersioning(bucket, .enabled)
        bucket = try await f.store.bucket("resume")
        for index in 0..<2 { try await f.put(bucket, "a", "\(index)") }
        for index in 0..<1200 { try await f.put(bucket, "k", "\(index)") }
        let rules = LifecycleConfiguration(rules: [
            LifecycleRule(id: "old", enabled: true, filter: LifecycleFilter(form: .empty), noncurrentExpiration: .init(days: 1))
        ])
        let clock = LifecycleClock(dayLength: 1)
        let now = ObjectStore.now() + 10
        var planner = LifecyclePlanner(configuration: rules, clock: clock, now: now)
        let (_, next) = try await f.store.applyLifecycle(bucket: bucket, rules, clock: clock, from: .init(bucket: "resume"), planner: &planner)
        // "k" spans the page: a restart may only resume after "a", never inside "k".
        let saved = try #require(next)
        #expect(saved.completedKey == "a" && saved.key == "k")
        var cursor: ObjectStore.LifecycleCursor? = saved.resumable
        var fresh = LifecyclePlanner(configuration: rules, clock: clock, now: now)
        while let current = cursor {
            (_, cursor) = try await f.store.applyLifecycle(bucket: bucket, rules, clock: clock, from: current, planner: &fresh)
        }
        let left = try await f.store.listVersions(bucket: bucket, ListRequest(), versionIDMarker: nil).objects
        // Only the current versions are left, and "k" kept its latest (no noncurrent taken for current).
        #expect(left.map(\.key) == ["a", "k"] && left.allSatisfy(\.isLatest))
        #expect(try await f.read(bucket, "k") == "1199")
    }
}
