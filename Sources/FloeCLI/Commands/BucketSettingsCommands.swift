import ArgumentParser
import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import FloeClient
import Foundation

struct VersionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version", abstract: "Turn bucket versioning on or off, or show it.", subcommands: [Enable.self, Suspend.self, Info.self])

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "enable", abstract: "Keep every version of every object from now on.")
        @Argument(help: "ALIAS/BUCKET") var target: String
        @OptionGroup var output: OutputOptions
        func run() async throws { try await VersionCommand.set(target, enabled: true, output) }
    }

    struct Suspend: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "suspend", abstract: "Stop keeping new versions (existing ones stay).")
        @Argument(help: "ALIAS/BUCKET") var target: String
        @OptionGroup var output: OutputOptions
        func run() async throws { try await VersionCommand.set(target, enabled: false, output) }
    }

    struct Info: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "info", abstract: "Show whether versioning is on.")
        @Argument(help: "ALIAS/BUCKET") var target: String
        @OptionGroup var output: OutputOptions
        func run() async throws {
            try await Session.with { session in
                let (client, _, bucket, _) = try session.remote(target)
                let status = try await client.versioning(bucket: bucket)
                Printer(options: output).record(["bucket": bucket, "versioning": status], "\(target) versioning is \(status.lowercased())")
            }
        }
    }

    static func set(_ target: String, enabled: Bool, _ output: OutputOptions) async throws {
        try await Session.with { session in
            let (client, _, bucket, _) = try session.remote(target)
            try await client.setVersioning(bucket: bucket, enabled: enabled)
            Printer(options: output).done(["bucket": bucket, "versioning": enabled ? "Enabled" : "Suspended"], "\(target) versioning is \(enabled ? "enabled" : "suspended")")
        }
    }
}

struct UndoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "undo", abstract: "Bring back the previous version of an object.",
        discussion: "After an accidental delete (the latest version is a delete marker) the marker is removed; after an accidental overwrite the previous version is copied back on top. Nothing is destroyed: the undone version stays in the history.")
    @Argument(help: "ALIAS/BUCKET/KEY") var target: String
    @Flag(help: "Print what would be done, change nothing.") var dryRun = false
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await Session.with { session in
            let (client, _, bucket, key) = try session.remote(target)
            var history: [ObjectInfo] = []
            try await session.eachVersion(client, bucket: bucket, prefix: key) { if $0.key == key { history.append($0) } }
            guard let latest = history.first(where: \.isLatest) ?? history.first else {
                throw CLIError("\(target) has no versions", hint: "is versioning on? (`floe version info`)")
            }
            let printer = Printer(options: output)
            if latest.isDeleteMarker {
                if !dryRun { try await client.delete(bucket: bucket, key: key, versionID: latest.versionID) }
                printer.done(["key": key, "action": "removed-delete-marker", "versionId": latest.versionID ?? ""], "\(dryRun ? "Would restore" : "Restored") \(target) by removing delete marker \(latest.versionID ?? "")")
                return
            }
            guard let previous = history.first(where: { $0.versionID != latest.versionID }), !previous.isDeleteMarker else {
                throw CLIError("\(target) has no earlier version to go back to", hint: "`floe ls --versions \(target)` shows its history")
            }
            if !dryRun { try await client.copy(from: (bucket, key, previous.versionID), to: bucket, key: key) }
            printer.done(["key": key, "action": "restored-version", "versionId": previous.versionID ?? ""], "\(dryRun ? "Would restore" : "Restored") \(target) to version \(previous.versionID ?? "")")
        }
    }
}

struct TagCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tag", abstract: "Set, show or remove tags of an object or bucket.", subcommands: [Set.self, Get.self, Remove.self])

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set", abstract: "Replace the tags (\"k1=v1&k2=v2\").")
        @Argument(help: "ALIAS/BUCKET[/KEY]") var target: String
        @Argument(help: "Tags as k1=v1&k2=v2.") var tags: String
        @OptionGroup var output: OutputOptions
        func run() async throws {
            try await Session.with { session in
                let (client, _, bucket, key) = try session.remote(target)
                let pairs = try tags.split(separator: "&").map { pair -> (String, String) in
                    let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                    guard parts.count == 2, !parts[0].isEmpty else { throw CLIError("tag \"\(pair)\" is not KEY=VALUE", hint: "write tags as k1=v1&k2=v2") }
                    return (String(parts[0]), String(parts[1]))
                }
                try await client.setTags(bucket: bucket, key: key.isEmpty ? nil : key, pairs)
                Printer(options: output).done(["target": target, "tags": Dictionary(pairs, uniquingKeysWith: { $1 })], "Tags set on \(target)")
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "get", abstract: "Show the tags.")
        @Argument(help: "ALIAS/BUCKET[/KEY]") var target: String
        @OptionGroup var output: OutputOptions
        func run() async throws {
            try await Session.with { session in
                let (client, _, bucket, key) = try session.remote(target)
                let tags = try await client.tags(bucket: bucket, key: key.isEmpty ? nil : key)
                let printer = Printer(options: output)
                printer.record(["target": target, "tags": Dictionary(tags, uniquingKeysWith: { $1 })], Format.table(tags.map { [$0.0, $0.1] }).joined(separator: "\n"))
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove all tags.")
        @Argument(help: "ALIAS/BUCKET[/KEY]") var target: String
        @OptionGroup var output: OutputOptions
        func run() async throws {
            try await Session.with { session in
                let (client, _, bucket, key) = try session.remote(target)
                try await client.removeTags(bucket: bucket, key: key.isEmpty ? nil : key)
                Printer(options: output).done(["target": target, "status": "removed"], "Tags removed from \(target)")
            }
        }
    }
}

struct AnonymousCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "anonymous", abstract: "Set or show anonymous (public) access to a bucket or prefix.",
        discussion: "Presets: none, download (public read), upload (public write), public (both). Written as the bucket policy.",
        subcommands: [Set.self, Get.self])

    enum Preset: String, ExpressibleByArgument, CaseIterable {
        case none, download, upload, `public`
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set", abstract: "Apply a preset to ALIAS/BUCKET[/PREFIX].")
        @Argument(help: "none, download, upload or public.") var preset: Preset
        @Argument(help: "ALIAS/BUCKET[/PREFIX]") var target: String
        @OptionGroup var output: OutputOptions
        func run() async throws {
            try await Session.with { session in
                let (client, _, bucket, key) = try session.remote(target)
                try await client.setPolicy(bucket: bucket, AnonymousCommand.policy(preset, bucket: bucket, prefix: key))
                Printer(options: output).done(["target": target, "anonymous": preset.rawValue], "Anonymous access to \(target) is now \(preset.rawValue)")
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "get", abstract: "Show the preset in effect (or the policy, when it is custom).")
        @Argument(help: "ALIAS/BUCKET[/PREFIX]") var target: String
        @OptionGroup var output: OutputOptions
        func run() async throws {
            try await Session.with { session in
                let (client, _, bucket, key) = try session.remote(target)
                let policy = try await client.policy(bucket: bucket)
                let preset = AnonymousCommand.Preset.allCases.first { candidate in
                    AnonymousCommand.normalized(AnonymousCommand.policy(candidate, bucket: bucket, prefix: key)) == AnonymousCommand.normalized(policy)
                }
                var record: [String: Any] = ["target": target, "anonymous": preset?.rawValue ?? "custom"]
                if preset == nil, let policy { record["policy"] = policy }
                Printer(options: output).record(record, preset.map { "Anonymous access to \(target) is \($0.rawValue)" } ?? "Custom bucket policy:\n\(policy ?? "")")
            }
        }
    }

    static func policy(_ preset: Preset, bucket: String, prefix: String) -> String? {
        let objects = "arn:aws:s3:::\(bucket)/\(prefix)*"
        var statements: [[String: Any]] = []
        if preset == .download || preset == .public {
            statements.append(["Effect": "Allow", "Principal": ["AWS": ["*"]], "Action": ["s3:GetObject"], "Resource": [objects]])
            var list: [String: Any] = ["Effect": "Allow", "Principal": ["AWS": ["*"]], "Action": ["s3:ListBucket", "s3:GetBucketLocation"], "Resource": ["arn:aws:s3:::\(bucket)"]]
            if !prefix.isEmpty { list["Condition"] = ["StringLike": ["s3:prefix": ["\(prefix)*"]]] }
            statements.append(list)
        }
        if preset == .upload || preset == .public {
            statements.append(["Effect": "Allow", "Principal": ["AWS": ["*"]], "Action": ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"], "Resource": [objects]])
        }
        guard !statements.isEmpty else { return nil }
        let data = try? JSONSerialization.data(withJSONObject: ["Version": "2012-10-17", "Statement": statements], options: [.sortedKeys, .withoutEscapingSlashes])
        return data.map { String(decoding: $0, as: UTF8.self) }
    }

    /// A policy as a comparable value (key order and spacing ignored).
    static func normalized(_ text: String?) -> String? {
        guard let text, let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)),
            let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}

struct PresignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "presign", abstract: "Print a URL that allows one GET or PUT without credentials until it expires.")
    enum Method: String, ExpressibleByArgument, CaseIterable { case get, put }
    @Argument(help: "get or put.") var method: Method
    @Argument(help: "ALIAS/BUCKET/KEY") var target: String
    @Option(help: "How long the URL works (e.g. 15m, 12h, 7d; at most 7d).") var expires = "7d"
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await Session.with { session in
            let (client, _, bucket, key) = try session.remote(target)
            guard !key.isEmpty else { throw CLIError("\"\(target)\" names no object", hint: "write ALIAS/BUCKET/KEY") }
            guard let seconds = Format.parseDuration(expires), seconds >= 1, seconds <= 604_800 else {
                throw CLIError("--expires \(expires) is not a duration up to 7d", hint: "write e.g. 15m, 12h or 7d")
            }
            let url = client.presign(method: method.rawValue.uppercased(), bucket: bucket, key: key, expires: Int(seconds))
            Printer(options: output).record(["url": url, "method": method.rawValue.uppercased(), "expiresInSeconds": Int(seconds)], url)
        }
    }
}
