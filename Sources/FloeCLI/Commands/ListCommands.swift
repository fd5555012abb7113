import ArgumentParser
import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import FloeClient
import Foundation

struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls", abstract: "List buckets, or objects and prefixes under a path.",
        discussion: "ALIAS lists buckets; ALIAS/BUCKET[/PREFIX] lists one level (prefixes end with /) unless --recursive.")
    @Argument(help: "ALIAS or ALIAS/BUCKET[/PREFIX]") var target: String
    @Flag(name: [.short, .long], help: "List every object below the path.") var recursive = false
    @Flag(help: "List every version and delete marker.") var versions = false
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await Session.with { session in
            let printer = Printer(options: output)
            guard case .remote(let alias, let bucket, let key) = session.location(target) else {
                throw CLIError("\"\(target)\" does not start with a known alias", hint: session.aliasHint)
            }
            let client = try session.s3(alias)
            guard let bucket else {
                let buckets = try await client.listBuckets()
                var rows: [[String]] = []
                for b in buckets {
                    printer.json(["name": b.name, "created": Format.iso(b.created), "type": "bucket"])
                    rows.append(["[\(Format.date(b.created))]", Format.color(b.name + "/", 34)])
                }
                if !output.json { printer.text(Format.table(rows)) }
                return
            }
            let delimiter = recursive ? nil : "/"
            if versions {
                var keyMarker: String?
                var versionMarker: String?
                repeat {
                    let page = try await client.listVersions(bucket: bucket, prefix: key, delimiter: delimiter, keyMarker: keyMarker, versionMarker: versionMarker)
                    var rows: [[String]] = []
                    for prefix in page.prefixes {
                        printer.json(["key": prefix, "type": "prefix"])
                        rows.append(["", "PRE", "", "", Format.color(prefix, 34)])
                    }
                    for v in page.objects {
                        printer.json(
                            ["key": v.key, "versionId": v.versionID ?? "null", "isLatest": v.isLatest, "deleteMarker": v.isDeleteMarker, "size": v.size,
                             "lastModified": Format.iso(v.lastModified), "type": "version"])
                        rows.append([
                            "[\(Format.date(v.lastModified))]", v.isDeleteMarker ? "DEL" : Format.bytes(v.size), v.versionID ?? "null",
                            v.isLatest ? "latest" : "", v.key,
                        ])
                    }
                    if !output.json { printer.text(Format.table(rows, rightAligned: [1])) }
                    keyMarker = page.next
                    versionMarker = page.nextVersionMarker
                } while keyMarker != nil
                return
            }
            var token: String?
            repeat {
                let page = try await client.listObjects(bucket: bucket, prefix: key, delimiter: delimiter, continuation: token)
                var rows: [[String]] = []
                for prefix in page.prefixes {
                    printer.json(["key": prefix, "type": "prefix"])
                    rows.append(["", "PRE", Format.color(Self.relative(prefix, to: key, recursive: recursive), 34)])
                }
                for object in page.objects {
                    printer.json(["key": object.key, "size": object.size, "etag": object.etag, "lastModified": Format.iso(object.lastModified), "type": "object"])
                    rows.append(["[\(Format.date(object.lastModified))]", Format.bytes(object.size), Self.relative(object.key, to: key, recursive: recursive)])
                }
                if !output.json { printer.text(Format.table(rows, rightAligned: [1])) }
                token = page.next
            } while token != nil
        }
    }

    /// Keys are shown relative to the listed prefix's directory, as `ls` shows names in a folder.
    static func relative(_ key: String, to prefix: String, recursive: Bool) -> String {
        let directory = prefix.hasSuffix("/") || prefix.isEmpty ? prefix : String(prefix[..<(prefix.lastIndex(of: "/").map { prefix.index(after: $0) } ?? prefix.startIndex)])
        return key.hasPrefix(directory) ? String(key.dropFirst(directory.count)) : key
    }
}

struct TreeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tree", abstract: "Show the prefixes below a path as a tree.")
    @Argument(help: "ALIAS/BUCKET[/PREFIX]") var target: String
    @Flag(name: [.short, .long], help: "Show objects too, not only prefixes.") var files = false
    @Option(name: [.short, .long], help: "How many levels to show.") var depth: Int = 10
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await Session.with { session in
            let (client, _, bucket, key) = try session.remote(target)
            let printer = Printer(options: output)
            printer.text([target])
            try await walk(client, bucket: bucket, prefix: key.isEmpty || key.hasSuffix("/") ? key : key + "/", indent: "", level: 1, printer: printer)
        }
    }

    func walk(_ client: S3Client, bucket: String, prefix: String, indent: String, level: Int, printer: Printer) async throws {
        guard level <= depth else { return }
        var entries: [(name: String, isPrefix: Bool, size: Int64)] = []
        var token: String?
        repeat {
            let page = try await client.listObjects(bucket: bucket, prefix: prefix, delimiter: "/", continuation: token)
            entries += page.prefixes.map { ($0, true, 0) }
            if files { entries += page.objects.map { ($0.key, false, $0.size) } }
            token = page.next
        } while token != nil
        entries.sort { $0.name < $1.name }
        for (i, entry) in entries.enumerated() {
            let last = i == entries.count - 1
            let name = String(entry.name.dropFirst(prefix.count))
            printer.record(["key": entry.name, "type": entry.isPrefix ? "prefix" : "object", "depth": level],
                           indent + (last ? "└─ " : "├─ ") + (entry.isPrefix ? Format.color(name, 34) : "\(name) (\(Format.bytes(entry.size)))"))
            if entry.isPrefix {
                try await walk(client, bucket: bucket, prefix: entry.name, indent: indent + (last ? "   " : "│  "), level: level + 1, printer: printer)
            }
        }
    }
}

struct DiskUsage: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "du", abstract: "Summarize the size and object count below a path.")
    @Argument(help: "ALIAS/BUCKET[/PREFIX]") var target: String
    @Flag(help: "Count every version and delete marker too.") var versions = false
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await Session.with { session in
            let (client, _, bucket, key) = try session.remote(target)
            var bytes: Int64 = 0
            var count = 0
            if versions {
                try await session.eachVersion(client, bucket: bucket, prefix: key) { bytes += $0.size; count += 1 }
            } else {
                try await session.eachObject(client, bucket: bucket, prefix: key) { bytes += $0.size; count += 1 }
            }
            Printer(options: output).record(["path": target, "bytes": bytes, "objects": count], "\(Format.bytes(bytes))\t\(count) object\(count == 1 ? "" : "s")\t\(target)")
        }
    }
}

struct FindCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "find", abstract: "Find objects by name, size and age.",
        discussion: "Sizes accept B, KiB, MiB, GiB (or KB, MB, GB); ages accept s, m, h, d, w (e.g. 7d, 1d12h).")
    @Argument(help: "ALIAS/BUCKET[/PREFIX]") var target: String
    @Option(help: "Glob (* and ?) matched against the object's name (the last path element).") var name: String?
    @Option(help: "Glob matched against the whole key.") var path: String?
    @Option(help: "Only objects larger than this size.") var larger: String?
    @Option(help: "Only objects smaller than this size.") var smaller: String?
    @Option(help: "Only objects last modified longer ago than this.") var olderThan: String?
    @Option(help: "Only objects modified more recently than this.") var newerThan: String?
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await Session.with { session in
            let (client, alias, bucket, key) = try session.remote(target)
            let filter = try ObjectFilter(name: name, path: path, larger: larger, smaller: smaller, olderThan: olderThan, newerThan: newerThan)
            let printer = Printer(options: output)
            try await session.eachObject(client, bucket: bucket, prefix: key) { object in
                guard filter.matches(object) else { return }
                printer.record(["key": object.key, "size": object.size, "lastModified": Format.iso(object.lastModified)], "\(alias)/\(bucket)/\(object.key)")
            }
        }
    }
}

/// The object tests of `find` (and `rm --older-than`).
public struct ObjectFilter {
    var name: String?
    var path: String?
    var larger: Int64?
    var smaller: Int64?
    var olderThan: TimeInterval?
    var newerThan: TimeInterval?
    var now = Date()

    public init(name: String? = nil, path: String? = nil, larger: String? = nil, smaller: String? = nil, olderThan: String? = nil, newerThan: String? = nil) throws {
        self.name = name
        self.path = path
        func size(_ text: String?, _ flag: String) throws -> Int64? {
            guard let text else { return nil }
            guard let value = Format.parseSize(text) else { throw CLIError("\(flag) \(text) is not a size", hint: "write e.g. 10MiB, 1.5GB or 4096") }
            return value
        }
        func age(_ text: String?, _ flag: String) throws -> TimeInterval? {
            guard let text else { return nil }
            guard let value = Format.parseDuration(text) else { throw CLIError("\(flag) \(text) is not a duration", hint: "write e.g. 30m, 12h, 7d or 2w") }
            return value
        }
        self.larger = try size(larger, "--larger")
        self.smaller = try size(smaller, "--smaller")
        self.olderThan = try age(olderThan, "--older-than")
        self.newerThan = try age(newerThan, "--newer-than")
    }

    public func matches(_ object: ObjectInfo) -> Bool {
        if let name, !Format.glob(name, Location.baseName(object.key)) { return false }
        if let path, !Format.glob(path, object.key) { return false }
        if let larger, object.size <= larger { return false }
        if let smaller, object.size >= smaller { return false }
        let age = object.lastModified.map { now.timeIntervalSince($0) } ?? 0
        if let olderThan, age <= olderThan { return false }
        if let newerThan, age >= newerThan { return false }
        return true
    }
}

struct StatCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stat", abstract: "Show an object's (or a bucket's) details.")
    @Argument(help: "ALIAS/BUCKET[/KEY]") var target: String
    @Option(help: "A specific version of the object.") var versionId: String?
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await Session.with { session in
            let (client, _, bucket, key) = try session.remote(target)
            let printer = Printer(options: output)
            if key.isEmpty {
                let versioning = try await client.versioning(bucket: bucket)
                let policy = try await client.policy(bucket: bucket)
                printer.record(["bucket": bucket, "versioning": versioning, "policy": policy != nil], Format.table([
                    ["Bucket:", bucket], ["Versioning:", versioning], ["Policy:", policy == nil ? "none" : "set (`floe anonymous get` shows it)"],
                ]).joined(separator: "\n"))
                return
            }
            let head = try await client.head(bucket: bucket, key: key, versionID: versionId)
            let tags = (try? await client.tags(bucket: bucket, key: key)) ?? []
            var object: [String: Any] = ["key": key, "size": head.size, "etag": head.etag, "lastModified": Format.iso(head.lastModified),
                                         "contentType": head.contentType ?? "", "metadata": head.metadata, "tags": Dictionary(tags, uniquingKeysWith: { $1 })]
            if let version = head.versionID { object["versionId"] = version }
            var rows = [["Name:", key], ["Size:", "\(Format.bytes(head.size)) (\(head.size) bytes)"], ["ETag:", head.etag],
                        ["Type:", head.contentType ?? ""], ["Modified:", Format.date(head.lastModified)]]
            if let version = head.versionID { rows.append(["Version:", version]) }
            for (name, value) in head.metadata.sorted(by: { $0.key < $1.key }) { rows.append(["Metadata:", "\(name)=\(value)"]) }
            for (name, value) in tags { rows.append(["Tag:", "\(name)=\(value)"]) }
            printer.record(object, Format.table(rows).joined(separator: "\n"))
        }
    }
}
