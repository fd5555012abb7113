@testable import FloeClient
import Foundation
import Testing

@testable import FloeCLI

@Suite struct LocationTests {
    let aliases: Set<String> = ["local", "play"]

    @Test func remotePathsStartWithAnAlias() {
        let parse = { (text: String) in Location.parse(text) { aliases.contains($0) } }
        #expect(parse("local") == .remote(alias: "local", bucket: nil, key: ""))
        #expect(parse("local/") == .remote(alias: "local", bucket: nil, key: ""))
        #expect(parse("local/b") == .remote(alias: "local", bucket: "b", key: ""))
        #expect(parse("local/b/") == .remote(alias: "local", bucket: "b", key: ""))
        #expect(parse("local/b/raw/x y.csv") == .remote(alias: "local", bucket: "b", key: "raw/x y.csv"))
        #expect(parse("local/b/dir/") == .remote(alias: "local", bucket: "b", key: "dir/"))
        #expect(parse("data/file.csv") == .local("data/file.csv"))
        #expect(parse("./local/b") == .local("./local/b"))
        #expect(parse("/local/b") == .local("/local/b"))
        #expect(parse("file.csv") == .local("file.csv"))
    }

    @Test func baseNames() {
        #expect(Location.baseName("a/b/c.csv") == "c.csv")
        #expect(Location.baseName("a/b/") == "b")
        #expect(Location.baseName("c") == "c")
    }
}

@Suite struct FormatTests {
    @Test func sizesReadAndWrite() {
        #expect(Format.bytes(0) == "0 B")
        #expect(Format.bytes(1023) == "1023 B")
        #expect(Format.bytes(1536) == "1.5 KiB")
        #expect(Format.bytes(150 << 20) == "150 MiB")
        #expect(Format.parseSize("10MiB") == 10 << 20)
        #expect(Format.parseSize("10MB") == 10_000_000)
        #expect(Format.parseSize("1.5g") == 1_610_612_736)
        #expect(Format.parseSize("4096") == 4096)
        #expect(Format.parseSize("ten") == nil)
        #expect(Format.parseSize("5 parsecs") == nil)
    }

    @Test func durations() {
        #expect(Format.parseDuration("90s") == 90)
        #expect(Format.parseDuration("7d") == 604_800)
        #expect(Format.parseDuration("1d12h") == 129_600)
        #expect(Format.parseDuration("2w") == 1_209_600)
        #expect(Format.parseDuration("120") == 120)
        #expect(Format.parseDuration("3y") == nil)
        #expect(Format.parseDuration("1d2") == nil)
        #expect(Format.parseDuration("") == nil)
    }

    @Test func globsAndTables() {
        #expect(Format.glob("*.csv", "part-1.csv"))
        #expect(!Format.glob("*.csv", "part-1.csv.gz"))
        #expect(Format.glob("part-?.csv", "part-7.csv"))
        #expect(Format.glob("*", ""))
        #expect(Format.table([["a", "1", "x"], ["bbb", "22", "y"]], rightAligned: [1]) == ["a     1  x", "bbb  22  y"])
    }
}

@Suite struct PlanTests {
    @Test func copyTargets() {
        let file = Location.baseName("/tmp/a.csv")
        #expect(CopyPlan.destination(relative: file, target: "raw/", targetIsContainer: false) == "raw/a.csv")
        #expect(CopyPlan.destination(relative: file, target: "", targetIsContainer: false) == "a.csv")
        #expect(CopyPlan.destination(relative: file, target: "raw/b.csv", targetIsContainer: false) == "raw/b.csv")
        #expect(CopyPlan.destination(relative: file, target: "raw", targetIsContainer: true) == "raw/a.csv")
        #expect(CopyPlan.relativeRoot(ofSource: "data") == "data/")
        #expect(CopyPlan.relativeRoot(ofSource: "data/") == "")
        #expect(CopyPlan.relativeRoot(ofSource: "/home/me/data") == "data/")
        #expect(CopyPlan.join("raw", "x/y") == "raw/x/y")
        #expect(CopyPlan.join("raw/", "x") == "raw/x")
        #expect(CopyPlan.join("", "x") == "x")
    }

    @Test func mirrorCopiesWhatChangedAndRemovesWhatIsGone() {
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        let source: [String: MirrorPlan.Entry] = [
            "same": .init(size: 10, modified: t0), "resized": .init(size: 11, modified: t0), "newer": .init(size: 5, modified: t0.addingTimeInterval(60)),
            "new": .init(size: 1, modified: t0), "clockskew": .init(size: 3, modified: t0.addingTimeInterval(0.5)),
        ]
        let target: [String: MirrorPlan.Entry] = [
            "same": .init(size: 10, modified: t0.addingTimeInterval(5)), "resized": .init(size: 10, modified: t0), "newer": .init(size: 5, modified: t0),
            "clockskew": .init(size: 3, modified: t0), "stale": .init(size: 9, modified: t0),
        ]
        let keep = MirrorPlan.plan(source: source, target: target, remove: false)
        #expect(keep.copy == ["new", "newer", "resized"])
        #expect(keep.delete.isEmpty)
        #expect(MirrorPlan.plan(source: source, target: target, remove: true).delete == ["stale"])
        #expect(MirrorPlan.plan(source: [:], target: [:], remove: true).copy.isEmpty)
    }

    @Test func attributesSplitIntoHeadersAndMetadata() throws {
        let headers = try Attributes.headers("Cache-Control=max-age=60;owner=etl;Content-Type=text/csv")
        #expect(headers.map(\.name) == ["cache-control", "x-amz-meta-owner", "content-type"])
        #expect(headers.map(\.value) == ["max-age=60", "etl", "text/csv"])
        #expect(throws: CLIError.self) { try Attributes.headers("novalue") }
        #expect(try Attributes.headers(nil).isEmpty)
        #expect(ContentTypes.guess("x/part-0.parquet") == "application/vnd.apache.parquet")
        #expect(ContentTypes.guess("README") == "application/octet-stream")
    }

    @Test func findFilters() throws {
        let now = Date()
        var filter = try ObjectFilter(name: "*.csv", larger: "1KiB", olderThan: "1h")
        filter.now = now
        let old = now.addingTimeInterval(-7200)
        #expect(filter.matches(ObjectInfo(key: "raw/a.csv", size: 2048, etag: "", lastModified: old)))
        #expect(!filter.matches(ObjectInfo(key: "raw/a.csv", size: 100, etag: "", lastModified: old)))
        #expect(!filter.matches(ObjectInfo(key: "raw/a.json", size: 2048, etag: "", lastModified: old)))
        #expect(!filter.matches(ObjectInfo(key: "raw/a.csv", size: 2048, etag: "", lastModified: now)))
        #expect(throws: CLIError.self) { try ObjectFilter(larger: "big") }
        #expect(throws: CLIError.self) { try ObjectFilter(olderThan: "soon") }
    }
}

@Suite struct AnonymousPresetTests {
    @Test func presetsRoundTripThroughThePolicyText() throws {
        for preset in AnonymousCommand.Preset.allCases where preset != .none {
            let text = try #require(AnonymousCommand.policy(preset, bucket: "b", prefix: "pub/"))
            let match = AnonymousCommand.Preset.allCases.first { AnonymousCommand.normalized(AnonymousCommand.policy($0, bucket: "b", prefix: "pub/")) == AnonymousCommand.normalized(text) }
            #expect(match == preset)
        }
        #expect(AnonymousCommand.policy(.none, bucket: "b", prefix: "") == nil)
    }
}

@Suite struct AliasStoreTests {
    @Test func aliasesPersistWithPrivatePermissionsAndEnvironmentWins() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("floe-cli-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/config.json"
        var store = try AliasStore(path: path, environment: [:])
        try store.set("local", Endpoint(url: "http://127.0.0.1:9000/", accessKey: "AK", secretKey: "SK"))
        let permissions = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(permissions == 0o600)
        let reread = try AliasStore(path: path, environment: ["FLOE_ALIAS_EDGE_1": "https://edge:9000,EK,ES,https://edge:8181"])
        #expect(reread.endpoint("local")?.url == "http://127.0.0.1:9000")
        #expect(reread.endpoint("edge-1")?.accessKey == "EK")
        #expect(reread.endpoint("edge-1")?.resolvedCatalogURL == "https://edge:8181")
        #expect(reread.names == ["edge-1", "local"])
        let overridden = try AliasStore(path: path, environment: ["FLOE_ALIAS_LOCAL": "http://other:9000,K2,S2"])
        #expect(overridden.endpoint("local")?.accessKey == "K2")
        #expect(throws: CLIError.self) { var s = reread; try s.set("bad name", Endpoint(url: "http://x", accessKey: "a", secretKey: "b")) }
        #expect(AliasStore.defaultPath(environment: ["HOME": "/home/me"]) == "/home/me/.config/floe/config.json")
        #expect(AliasStore.defaultPath(environment: ["HOME": "/home/me", "XDG_CONFIG_HOME": "/cfg"]) == "/cfg/floe/config.json")
    }
}

@Suite struct ClientTests {
    @Test func partSizesStayWithinTenThousandParts() {
        #expect(S3Client.partSize(for: 100 << 20) == 16 << 20)
        let huge: Int64 = 1 << 40
        let size = S3Client.partSize(for: huge)
        #expect((huge + size - 1) / size <= 10_000)
        #expect(size % (1 << 20) == 0)
    }

    @Test func endpointsKnowTheirCatalog() {
        let endpoint = Endpoint(url: "http://10.0.0.5:9000", accessKey: "a", secretKey: "b")
        #expect(endpoint.resolvedCatalogURL == "http://10.0.0.5:8181")
        #expect(endpoint.authority == "10.0.0.5:9000")
        #expect(Endpoint(url: "http://[::1]:9000", accessKey: "a", secretKey: "b").authority == "[::1]:9000")
    }
}

@Suite struct DateFormatTests {
    @Test func listingDatesReadAndPrint() {
        let date = Date(timeIntervalSince1970: 1_795_318_016.25)
        #expect(Format.iso(date) == "2026-11-22T03:26:56.250Z")
        #expect(Format.date(date) == "2026-11-22 03:26:56 UTC")
        #expect(Format.date(nil) == "")
        #expect(S3Client.date("2026-11-22T03:26:56.250Z") == date)
    }
}

/// Keys are any string: a local copy never lets one lead out of its target directory.
@Suite struct LocalTargetTests {
    @Test func keysThatLeaveTheTargetAreSkipped() {
        for unsafe in ["../../x", "a/../../x", "sub/../../../y", "/abs", "..", "a/..", "nul\u{0}"] {
            #expect(!CopyPlan.staysInside(unsafe), "\(unsafe)")
        }
        for safe in ["a/b.csv", "a..b", "..a/b", "a//b", "./a", "dt=2026-01-01/x"] {
            #expect(CopyPlan.staysInside(safe), "\(safe)")
        }
        var skipped: [String] = []
        #expect(CopyPlan.localSafe(["ok", "../bad"], skipped: { skipped.append($0) }) == ["ok"])
        #expect(skipped == ["../bad"])
    }
}
