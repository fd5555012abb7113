import ArgumentParser
import FloeClient
import Foundation
import NIOHTTP1
import S3Model

/// `floe event add|ls|rm`: a bucket's notifications to webhook targets, as `mc event` manages them.
struct EventCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "event", abstract: "Report object changes of a bucket to a webhook target.",
        discussion: "Targets are configured by an admin: floe admin notify target add ALIAS NAME --url URL [--auth VALUE] [--secret KEY].",
        subcommands: [Add.self, List.self, Remove.self])

    static let shorthands = [
        "put": "s3:ObjectCreated:*", "delete": "s3:ObjectRemoved:*", "lifecycle": "s3:LifecycleExpiration:*",
    ]

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Send a bucket's events to a target.")
        @Argument(help: "ALIAS/BUCKET") var target: String
        @Argument(help: "The target's name (or an ARN ending in it).") var destination: String
        @Option(help: "Events: put, delete, lifecycle or S3 names such as s3:ObjectCreated:Put (comma-separated).") var event = "put,delete"
        @Option(help: "Only keys starting with this.") var prefix: String?
        @Option(help: "Only keys ending with this.") var suffix: String?
        @Option(help: "Configuration id (default: generated).") var id: String?
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await Session.with { session in
                let (client, _, bucket, _) = try session.remote(target)
                var rules = try await client.notificationRules(bucket: bucket)
                let ruleID = id ?? "event-" + UUID().uuidString.prefix(8).lowercased()
                let arn = destination.hasPrefix("arn:") ? destination : "arn:floe:sqs::\(destination):webhook"
                var children = [XMLElement("Id", text: ruleID), XMLElement("Queue", text: arn)]
                for name in event.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
                    children.append(XMLElement("Event", text: EventCommand.shorthands[name] ?? name))
                }
                var filters: [XMLElement] = []
                for (name, value) in [("prefix", prefix), ("suffix", suffix)] {
                    guard let value else { continue }
                    filters.append(XMLElement("FilterRule", children: [XMLElement("Name", text: name), XMLElement("Value", text: value)]))
                }
                if !filters.isEmpty { children.append(XMLElement("Filter", children: [XMLElement("S3Key", children: filters)])) }
                rules.append(XMLElement("QueueConfiguration", children: children))
                try await client.setNotificationRules(bucket: bucket, rules)
                Printer(options: output).done(["bucket": bucket, "id": ruleID, "arn": arn], "Events of \(target) now go to \(destination) (\(ruleID))")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List a bucket's notification configurations.")
        @Argument(help: "ALIAS/BUCKET") var target: String
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await Session.with { session in
                let (client, _, bucket, _) = try session.remote(target)
                let printer = Printer(options: output)
                for rule in try await client.notificationRules(bucket: bucket) {
                    let filters = rule.child("Filter")?.child("S3Key")?.children("FilterRule") ?? []
                    let filter = Dictionary(filters.map { ($0.value("Name") ?? "", $0.value("Value") ?? "") }, uniquingKeysWith: { $1 })
                    let arn = rule.value("Queue") ?? rule.value("Topic") ?? rule.value("CloudFunction") ?? ""
                    let events = rule.children("Event").map(\.text)
                    printer.record(
                        ["id": rule.value("Id") ?? "", "arn": arn, "events": events, "prefix": filter["prefix"] as Any, "suffix": filter["suffix"] as Any],
                        "\(rule.value("Id") ?? "")  \(arn)  \(events.joined(separator: ","))  prefix=\"\(filter["prefix"] ?? "")\" suffix=\"\(filter["suffix"] ?? "")\"")
                }
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove one notification configuration, or all.")
        @Argument(help: "ALIAS/BUCKET") var target: String
        @OptionGroup var selection: RuleSelection
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await Session.with { session in
                let (client, _, bucket, _) = try session.remote(target)
                let rules = try await client.notificationRules(bucket: bucket)
                let kept = try selection.remaining(rules, idElement: "Id", target: target, listCommand: "floe event ls")
                try await client.setNotificationRules(bucket: bucket, kept)
                Printer(options: output).done(["bucket": bucket, "removed": rules.count - kept.count], "Removed \(rules.count - kept.count) configuration(s) from \(target)")
            }
        }
    }
}

extension AdminCommand {
    /// `floe admin notify target add|ls|rm` and `floe admin notify status`.
    struct Notify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "notify", abstract: "Webhook targets of bucket notifications, and delivery status.",
            subcommands: [Target.self, Status.self, Redrive.self, Purge.self])

        struct Target: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "target", abstract: "Named webhook targets.", subcommands: [Add.self, List.self, Remove.self])

            struct Add: AsyncParsableCommand {
                static let configuration = CommandConfiguration(commandName: "add", abstract: "Create or replace a target.")
                @Argument(help: "ALIAS") var alias: String
                @Argument(help: "Target name (letters, digits, - and _).") var name: String
                @Option(help: "Where events are POSTed.") var url: String
                @Option(help: "The Authorization header value sent with each event.") var auth: String?
                @Option(help: "A key that signs each body: X-Floe-Signature: sha256=<hex HMAC>.") var secret: String?
                @Option(name: .customLong("bucket"), help: "A bucket (pattern, * wildcards) whose events may go here (repeatable; none: no bucket may).")
                var buckets: [String] = []
                @OptionGroup var output: OutputOptions
                func run() async throws {
                    try await Session.with { session in
                        var body: [String: Any] = ["url": url, "buckets": buckets]
                        if let auth { body["authorization"] = auth }
                        if let secret { body["secret"] = secret }
                        _ = try await session.s3(alias).admin(.PUT, "notify/targets/\(name)", json: body)
                        Printer(options: output).done(["name": name, "url": url], "Target \(name) → \(url)")
                    }
                }
            }

            struct List: AsyncParsableCommand {
                static let configuration = CommandConfiguration(commandName: "ls", abstract: "List targets (credentials are never shown).")
                @Argument(help: "ALIAS") var alias: String
                @OptionGroup var output: OutputOptions
                func run() async throws {
                    try await Session.with { session in
                        let listed = try await session.s3(alias).admin(.GET, "notify/targets") as? [String: Any] ?? [:]
                        let targets = listed["targets"] as? [[String: Any]] ?? []
                        let printer = Printer(options: output)
                        for target in targets { printer.json(target) }
                        printer.text(Format.table([["NAME", "URL", "AUTH", "SIGNED", "BUCKETS"]] + targets.map {
                            ["\($0["name"] ?? "")", "\($0["url"] ?? "")", "\($0["authorization"] ?? "")", "\($0["signed"] ?? "")",
                             (($0["buckets"] as? [String]) ?? []).joined(separator: ",")]
                        }))
                    }
                }
            }

            struct Remove: AsyncParsableCommand {
                static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove a target (its undelivered events are dead-lettered).")
                @Argument(help: "ALIAS") var alias: String
                @Argument(help: "Target name.") var name: String
                @OptionGroup var output: OutputOptions
                func run() async throws {
                    try await Session.with { session in
                        _ = try await session.s3(alias).admin(.DELETE, "notify/targets/\(name)")
                        Printer(options: output).done(["name": name, "removed": true], "Target \(name) removed")
                    }
                }
            }
        }

        struct Redrive: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "redrive", abstract: "Put dead-lettered events back in their target's queue.")
            @Argument(help: "ALIAS") var alias: String
            @Argument(help: "Only this target's (default: every target's).") var target: String?
            @OptionGroup var output: OutputOptions
            func run() async throws {
                try await Session.with { session in
                    let result = try await session.s3(alias).admin(.POST, "notify/redrive" + (target.map { "/\($0)" } ?? "")) as? [String: Any] ?? [:]
                    Printer(options: output).done(result, "\(result["redriven"] ?? 0) event(s) queued again")
                }
            }
        }

        struct Purge: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "purge", abstract: "Drop dead-lettered events for good.")
            @Argument(help: "ALIAS") var alias: String
            @Argument(help: "Only this target's (default: every target's).") var target: String?
            @OptionGroup var output: OutputOptions
            func run() async throws {
                try await Session.with { session in
                    let result = try await session.s3(alias).admin(.DELETE, "notify/dead" + (target.map { "/\($0)" } ?? "")) as? [String: Any] ?? [:]
                    Printer(options: output).done(result, "\(result["purged"] ?? 0) dead-lettered event(s) dropped")
                }
            }
        }

        struct Status: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "status", abstract: "Events waiting and dead-lettered, per target.")
            @Argument(help: "ALIAS") var alias: String
            @OptionGroup var output: OutputOptions
            func run() async throws {
                try await Session.with { session in
                    let status = try await session.s3(alias).admin(.GET, "notify/status") as? [String: Any] ?? [:]
                    let targets = status["targets"] as? [String: [String: Any]] ?? [:]
                    let rows = targets.keys.sorted().map { ["\($0)", "\(targets[$0]?["pending"] ?? 0)", "\(targets[$0]?["dead"] ?? 0)"] }
                    Printer(options: output).record(status, Format.table([["TARGET", "PENDING", "DEAD"]] + rows).joined(separator: "\n")
                        + "\ntotal: \(status["pending"] ?? 0) pending, \(status["dead"] ?? 0) dead-lettered")
                }
            }
        }
    }
}
