import Foundation
import Testing

@testable import Console

@Suite struct ConsoleRouteTests {
    @Test func pagesAndActionsResolve() {
        #expect(ConsoleRoute(method: "GET", path: "/") == .home)
        #expect(ConsoleRoute(method: "GET", path: "/buckets") == .buckets)
        #expect(ConsoleRoute(method: "POST", path: "/buckets") == .createBucket)
        #expect(ConsoleRoute(method: "GET", path: "/buckets/photos") == .browse(bucket: "photos"))
        #expect(ConsoleRoute(method: "GET", path: "/buckets/photos/object") == .object(bucket: "photos"))
        #expect(ConsoleRoute(method: "POST", path: "/buckets/photos/object/delete-version") == .objectAction(bucket: "photos", .deleteVersion))
        #expect(ConsoleRoute(method: "POST", path: "/buckets/photos/uploads/part") == .uploadStep(bucket: "photos", .part))
        #expect(ConsoleRoute(method: "POST", path: "/buckets/photos/policy") == .bucketAction(bucket: "photos", .policy))
        #expect(ConsoleRoute(method: "POST", path: "/identity/users/delete") == .identityAction(.deleteUser))
        #expect(ConsoleRoute(method: "POST", path: "/catalog/table/drop") == .catalogAction(.dropTable))
        #expect(ConsoleRoute(method: "GET", path: "/catalog/table") == .table)
        #expect(ConsoleRoute(method: "GET", path: "/static/console.js") == .asset("console.js"))
    }

    @Test func methodsThatDoNotFitAreRefused() {
        // A state change is never reachable by GET (a link or an <img> cannot trigger it).
        #expect(ConsoleRoute(method: "GET", path: "/buckets/photos/delete") == nil)
        #expect(ConsoleRoute(method: "GET", path: "/signout") == nil)
        #expect(ConsoleRoute(method: "GET", path: "/identity/users") == nil)
        #expect(ConsoleRoute(method: "POST", path: "/buckets/photos") == nil)
        #expect(ConsoleRoute(method: "DELETE", path: "/buckets/photos") == nil)
        #expect(ConsoleRoute(method: "POST", path: "/buckets/photos/object/unknown") == nil)
    }

    @Test func onlyBucketNamesAreBuckets() {
        #expect(ConsoleRoute(method: "GET", path: "/buckets/..") == nil)
        #expect(ConsoleRoute(method: "GET", path: "/buckets/Photos") == nil)
        #expect(ConsoleRoute(method: "GET", path: "/buckets/a%2Fb") == nil)
        #expect(ConsoleRoute(method: "GET", path: "/buckets/ab") == nil)
    }

    @Test func stateChangesAndPublicPages() {
        #expect(ConsoleRoute.createBucket.changesState)
        #expect(ConsoleRoute.uploadStep(bucket: "b", .part).changesState)
        #expect(!ConsoleRoute.browse(bucket: "b").changesState)
        #expect(ConsoleRoute.signInPage.isPublic && ConsoleRoute.asset("console.css").isPublic)
        #expect(!ConsoleRoute.health.isPublic && !ConsoleRoute.download(bucket: "b").isPublic)
    }

    @Test func formsDecodeAndEncode() {
        let form = FormFields("a=1&b=x+y&c=%3Cscript%3E&d&a=2&e=%E2%9C%93&f=%zz")
        #expect(form["a"] == "1")
        #expect(form.all("a") == ["1", "2"])
        #expect(form["b"] == "x y")
        #expect(form["c"] == "<script>")
        #expect(form["d"] == "")
        #expect(form["e"] == "✓")
        #expect(form["f"] == "%zz")
        #expect(FormFields.encode("a b/ü&=") == "a%20b%2F%C3%BC%26%3D")
        #expect(FormFields.query([("prefix", "x/y"), ("token", nil)]) == "?prefix=x%2Fy")
        #expect(FormFields(FormFields.encode("key with+plus")) .pairs.first?.name == "key with+plus")
    }

    @Test func defaultPortsDoNotSeparateOrigins() {
        #expect(ConsoleResponder.withoutDefaultPort("http://console.lan:80") == "http://console.lan")
        #expect(ConsoleResponder.withoutDefaultPort("https://console.lan:443") == "https://console.lan")
        #expect(ConsoleResponder.withoutDefaultPort("https://console.lan:80") == "https://console.lan:80")
        #expect(ConsoleResponder.withoutDefaultPort("http://console.lan:9001") == "http://console.lan:9001")
    }

    @Test func returnsStayOnTheConsole() {
        #expect(ConsoleResponder.safeReturn("/buckets/x?prefix=a") == "/buckets/x?prefix=a")
        #expect(ConsoleResponder.safeReturn("//evil.example/") == nil)
        #expect(ConsoleResponder.safeReturn("https://evil.example/") == nil)
        #expect(ConsoleResponder.safeReturn("/\\evil.example") == nil)
        #expect(ConsoleResponder.safeReturn("/a\r\nSet-Cookie: x") == nil)
        #expect(ConsoleResponder.safeReturn(nil) == nil)
    }
}

@Suite struct ConsoleSessionTests {
    @Test func sessionsExpireWhenIdleAndAtTheirAbsoluteLimit() {
        let sessions = ConsoleSessions(limits: .init(idle: 60, absolute: 300, maxSessions: 10))
        let start = Date(timeIntervalSince1970: 1_000_000)
        let s = sessions.create(accessKey: "AK", secretKey: "SK", principal: "alice", now: start)
        #expect(sessions.touch(s.id, now: start.addingTimeInterval(50))?.principal == "alice")
        #expect(sessions.touch(s.id, now: start.addingTimeInterval(100)) != nil)  // idle clock restarted at 50
        #expect(sessions.touch(s.id, now: start.addingTimeInterval(161)) == nil)  // idle > 60
        let t = sessions.create(accessKey: "AK", secretKey: "SK", principal: "alice", now: start)
        for minute in 1...5 { #expect(sessions.touch(t.id, now: start.addingTimeInterval(Double(minute * 55))) != nil) }
        #expect(sessions.touch(t.id, now: start.addingTimeInterval(330)) == nil)  // absolute > 300
    }

    @Test func theNumberOfSessionsIsCapped() {
        let sessions = ConsoleSessions(limits: .init(idle: 600, absolute: 600, maxSessions: 3))
        let start = Date(timeIntervalSince1970: 1_000_000)
        let first = sessions.create(accessKey: "A", secretKey: "S", principal: "p", now: start)
        for i in 1...5 { _ = sessions.create(accessKey: "A", secretKey: "S", principal: "p", now: start.addingTimeInterval(Double(i))) }
        #expect(sessions.count == 3)
        #expect(sessions.touch(first.id, now: start.addingTimeInterval(10)) == nil)
    }

    @Test func tokensAreRandomAndCheckedExactly() {
        let sessions = ConsoleSessions()
        let a = sessions.create(accessKey: "A", secretKey: "S", principal: "p")
        let b = sessions.create(accessKey: "A", secretKey: "S", principal: "p")
        #expect(a.id != b.id && a.csrfToken != b.csrfToken && a.id.count == 64)
        #expect(ConsoleSessions.csrfMatches(a, a.csrfToken))
        #expect(!ConsoleSessions.csrfMatches(a, b.csrfToken))
        #expect(!ConsoleSessions.csrfMatches(a, nil))
        #expect(!ConsoleSessions.csrfMatches(a, ""))
        #expect(!ConsoleSessions.csrfMatches(a, String(a.csrfToken.dropLast())))
    }

    @Test func flashIsShownOnce() {
        let sessions = ConsoleSessions()
        let s = sessions.create(accessKey: "A", secretKey: "S", principal: "p")
        sessions.setFlash(s.id, Flash(text: "done", isError: false))
        #expect(sessions.takeFlash(s.id)?.text == "done")
        #expect(sessions.takeFlash(s.id) == nil)
    }
}

@Suite struct ConsolePageLogicTests {
    @Test func anonymousPresetsRoundTrip() throws {
        for preset in AnonymousPreset.allCases where preset != .none {
            let policy = try #require(preset.policy(bucket: "b"))
            #expect(AnonymousPreset.recognize(policy, bucket: "b") == preset)
            #expect(AnonymousPreset.recognize(policy, bucket: "other") == .none)
        }
        #expect(AnonymousPreset.none.policy(bucket: "b") == nil)
        #expect(AnonymousPreset.recognize("{\"Version\":\"2012-10-17\",\"Statement\":[]}", bucket: "b") == .none)
    }

    @Test func tagsParseOneLineEach() throws {
        let tags = try TagText.parse("team = data\n\nstage=gold=1\n")
        #expect(tags.map { "\($0.0)|\($0.1)" } == ["team|data", "stage|gold=1"])
        #expect(throws: ConsoleError.self) { try TagText.parse("novalue") }
        #expect(throws: ConsoleError.self) { try TagText.parse("=x") }
    }

    @Test func previewsFollowTypeAndName() {
        #expect(PreviewKind(key: "a.csv", contentType: "binary/octet-stream") == .text)
        #expect(PreviewKind(key: "a", contentType: "application/json") == .text)
        #expect(PreviewKind(key: "p.png", contentType: "image/png") == .image)
        // SVG can carry script: never shown inline.
        #expect(PreviewKind(key: "p.svg", contentType: "image/svg+xml") != .image)
        #expect(PreviewKind(key: "t/part-0.parquet", contentType: nil) == .parquet)
        #expect(PreviewKind(key: "blob.bin", contentType: "application/octet-stream") == .none)
    }

    @Test func uploadedNamesAreTheLastComponent() {
        #expect(UploadHandlers.fileName("C:\\Users\\me\\data.csv") == "data.csv")
        #expect(UploadHandlers.fileName("dir/../x.txt") == "x.txt")
        #expect(UploadHandlers.fileName("..") == "")
        #expect(UploadHandlers.fileName("a\u{0}b\nc.txt") == "abc.txt")
        #expect(UploadHandlers.fileName("<script>alert(1)</script>.txt") == "script>.txt")
    }

    @Test func downloadNamesAreQuotedSafely() {
        #expect(ObjectPages.asciiFallback("naïve \"x\".txt") == "na_ve _x_.txt")
    }

    @Test func figuresRead() {
        #expect(Format.bytes(512) == "512 B")
        #expect(Format.bytes(1536) == "1.5 KiB")
        #expect(Format.bytes(5 << 30) == "5.0 GiB")
        #expect(Format.count(1_234_567) == "1,234,567")
        #expect(Format.date(millis: 0) == "1970-01-01T00:00:00Z")
    }
}

@Suite struct ConsoleAbuseTests {
    @Test func failedSignInsSlowDownExponentially() {
        let throttle = SignInThrottle(limits: .init(freeFailures: 3, maxLockout: 60, window: 600, maxEntries: 100))
        let t0 = Date(timeIntervalSince1970: 1_000_000)
        for i in 0..<3 {
            #expect(throttle.wait(["k"], now: t0.addingTimeInterval(Double(i))) == nil)
            throttle.failed(["k"], now: t0.addingTimeInterval(Double(i)))
        }
        #expect(throttle.wait(["k"], now: t0.addingTimeInterval(3)) == nil)
        throttle.failed(["k"], now: t0.addingTimeInterval(3))  // 4th: 1 s
        #expect(throttle.wait(["k"], now: t0.addingTimeInterval(3.5)) == 0.5)
        throttle.failed(["k"], now: t0.addingTimeInterval(4))  // 5th: 2 s
        throttle.failed(["k"], now: t0.addingTimeInterval(6))  // 6th: 4 s
        #expect(throttle.wait(["k", "other"], now: t0.addingTimeInterval(7)) == 3)
        for i in 0..<20 { throttle.failed(["k"], now: t0.addingTimeInterval(Double(10 + i))) }
        #expect(throttle.wait(["k"], now: t0.addingTimeInterval(29))! <= 60)  // capped
        throttle.succeeded(["k"])
        #expect(throttle.wait(["k"], now: t0.addingTimeInterval(30)) == nil)
        // A quiet window forgets the failures.
        for i in 0..<4 { throttle.failed(["q"], now: t0.addingTimeInterval(Double(i))) }
        throttle.failed(["q"], now: t0.addingTimeInterval(1000))
        #expect(throttle.wait(["q"], now: t0.addingTimeInterval(1000)) == nil)
    }

    @Test func theThrottleKeepsABoundedNumberOfEntriesAndNeverDropsALock() {
        // Every failure locks here, so the flood below fills the table with locked entries.
        let throttle = SignInThrottle(limits: .init(freeFailures: 0, maxLockout: 600, window: 600, maxEntries: 10))
        let t0 = Date(timeIntervalSince1970: 1_000_000)
        for i in 0..<5 { throttle.failed(["root"], now: t0.addingTimeInterval(Double(i))) }
        #expect(throttle.wait(["root"], now: t0.addingTimeInterval(5)) != nil)
        // Review finding: flooding with new names used to evict the locked entry.
        for i in 0..<50 { throttle.failed(["s\(i)"], now: t0.addingTimeInterval(5 + Double(i) / 100)) }
        #expect(throttle.wait(["root"], now: t0.addingTimeInterval(6)) != nil)
        // Full of locked entries: a new name waits too, rather than go unrecorded.
        #expect(throttle.wait(["fresh"], now: t0.addingTimeInterval(6)) == 1)
    }

    @Test func onePrincipalsSignInsReplaceOnlyItsOwnSessions() {
        let sessions = ConsoleSessions(limits: .init(idle: 600, absolute: 600, maxSessions: 100, maxSessionsPerPrincipal: 3))
        let t0 = Date(timeIntervalSince1970: 1_000_000)
        let admin = sessions.create(accessKey: "ADMIN", secretKey: "s", principal: "root", now: t0)
        var own: [ConsoleSession] = []
        // Many keys (service accounts) of one user count together.
        for i in 1...10 { own.append(sessions.create(accessKey: "READER\(i)", secretKey: "s", principal: "r", now: t0.addingTimeInterval(Double(i)))) }
        #expect(sessions.count == 4)
        #expect(sessions.touch(admin.id, now: t0.addingTimeInterval(20)) != nil)
        #expect(sessions.touch(own[9].id, now: t0.addingTimeInterval(20)) != nil)
        #expect(sessions.touch(own[0].id, now: t0.addingTimeInterval(20)) == nil)
    }

    @Test func formUploadSlotsAreBounded() {
        let slots = ConcurrencySlots(limit: 2)
        #expect(slots.take() && slots.take())
        #expect(!slots.take())
        slots.give()
        #expect(slots.take())
    }

    /// Review finding: a download's slot was given back only by its response body, so a body the
    /// server dropped unwritten (the browser gone before the headers) kept the slot for good.
    @Test func aLeaseGivesItsSlotBackWhenDroppedUnused() {
        let slots = ConcurrencySlots(limit: 1)
        #expect(slots.take("alice"))
        var body: (() -> Void)? = { [lease = ConcurrencySlots.Lease(slots, key: "alice")] in withExtendedLifetime(lease) {} }
        #expect(!slots.take("alice"))
        body = nil  // dropped without ever running
        _ = body
        #expect(slots.take("alice"))
    }
}
