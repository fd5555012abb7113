import ArgumentParser
import FloeClient
import Foundation
import S3Model

/// `floe ilm rule add|ls|rm`: a bucket's lifecycle rules, as `mc ilm rule` manages them.
struct LifecycleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ilm", abstract: "Manage lifecycle rules: expire objects, old versions and abandoned uploads.", subcommands: [Rule.self])

    struct Rule: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rule", abstract: "Add, list or remove lifecycle rules.", subcommands: [Add.self, List.self, Remove.self])
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add", abstract: "Add a rule to a bucket's lifecycle configuration.",
            discussion: "Example: floe ilm rule add --prefix logs/ --expire-days 30 --noncurrent-expire-days 7 --abort-uploads-days 2 t/bucket")
        @Argument(help: "ALIAS/BUCKET") var target: String
        @Option(help: "Rule id (default: generated).") var id: String?
        @Option(help: "Only keys starting with this prefix.") var prefix: String?
        @Option(help: "Only objects with these tags (k1=v1&k2=v2).") var tags: String?
        @Option(help: "Expire current objects this many days after they were written.") var expireDays: Int?
        @Option(help: "Expire current objects on this date (YYYY-MM-DD, midnight UTC).") var expireDate: String?
        @Flag(help: "Remove delete markers that have no versions left under them.") var expireDeleteMarker = false
        @Option(help: "Remove versions this many days after they stopped being current.") var noncurrentExpireDays: Int?
        @Option(help: "Keep this many newest noncurrent versions whatever their age.") var newerNoncurrentVersions: Int?
        @Option(help: "Abort multipart uploads this many days after they started.") var abortUploadsDays: Int?
        @Flag(help: "Add the rule disabled.") var disable = false
        @OptionGroup var output: OutputOptions

        func validate() throws {
            let actions = [expireDays != nil, expireDate != nil, expireDeleteMarker, noncurrentExpireDays != nil, abortUploadsDays != nil]
            guard actions.contains(true) else { throw ValidationError("give at least one action (--expire-days, --expire-date, --expire-delete-marker, --noncurrent-expire-days, --abort-uploads-days)") }
            guard [expireDays != nil, expireDate != nil, expireDeleteMarker].filter({ $0 }).count <= 1 else {
                throw ValidationError("--expire-days, --expire-date and --expire-delete-marker exclude each other")
            }
        }

        func run() async throws {
            try await Session.with { session in
                let (client, _, bucket, _) = try session.remote(target)
                var rules = try await client.lifecycleRules(bucket: bucket)
                let ruleID = id ?? "rule-" + UUID().uuidString.prefix(8).lowercased()
                if rules.contains(where: { $0.value("ID") == ruleID }) { throw CLIError("\(target) has a rule \(ruleID) already", hint: "floe ilm rule rm --id \(ruleID) \(target)") }
                rules.append(try rule(id: ruleID))
                try await client.setLifecycleRules(bucket: bucket, rules)
                Printer(options: output).done(["bucket": bucket, "id": ruleID], "Lifecycle rule \(ruleID) added to \(target)")
            }
        }

        func rule(id: String) throws -> XMLElement {
            var children = [XMLElement("ID", text: id), try filter(), XMLElement("Status", text: disable ? "Disabled" : "Enabled")]
            var expiration: [XMLElement] = []
            if let expireDays { expiration.append(XMLElement("Days", text: String(expireDays))) }
            if let expireDate { expiration.append(XMLElement("Date", text: expireDate.contains("T") ? expireDate : expireDate + "T00:00:00Z")) }
            if expireDeleteMarker { expiration.append(XMLElement("ExpiredObjectDeleteMarker", text: "true")) }
            if !expiration.isEmpty { children.append(XMLElement("Expiration", children: expiration)) }
            if let noncurrentExpireDays {
                var noncurrent = [XMLElement("NoncurrentDays", text: String(noncurrentExpireDays))]
                if let newerNoncurrentVersions { noncurrent.append(XMLElement("NewerNoncurrentVersions", text: String(newerNoncurrentVersions))) }
                children.append(XMLElement("NoncurrentVersionExpiration", children: noncurrent))
            }
            if let abortUploadsDays {
                children.append(XMLElement("AbortIncompleteMultipartUpload", children: [XMLElement("DaysAfterInitiation", text: String(abortUploadsDays))]))
            }
            return XMLElement("Rule", children: children)
        }

        /// One filter member alone, or an And of them all, as S3's schema wants.
        func filter() throws -> XMLElement {
            var members: [XMLElement] = []
            if let prefix, !prefix.isEmpty { members.append(XMLElement("Prefix", text: prefix)) }
            for pair in (tags ?? "").split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2, !parts[0].isEmpty else { throw CLIError("tag \"\(pair)\" is not KEY=VALUE", hint: "write tags as k1=v1&k2=v2") }
                members.append(XMLElement("Tag", children: [XMLElement("Key", text: String(parts[0])), XMLElement("Value", text: String(parts[1]))]))
            }
            if members.count > 1 { return XMLElement("Filter", children: [XMLElement("And", children: members)]) }
            return XMLElement("Filter", children: members)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List a bucket's lifecycle rules.")
        @Argument(help: "ALIAS/BUCKET") var target: String
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await Session.with { session in
                let (client, _, bucket, _) = try session.remote(target)
                let printer = Printer(options: output)
                let rules = try await client.lifecycleRules(bucket: bucket)
                if rules.isEmpty { printer.text(["\(target) has no lifecycle rules"]) }
                for rule in rules {
                    let summary = Self.summary(rule)
                    printer.record(summary.json, summary.line)
                }
            }
        }

        static func summary(_ rule: XMLElement) -> (json: [String: Any], line: String) {
            let filter = rule.child("Filter")
            let scope = filter?.child("And") ?? filter
            let prefix = scope?.value("Prefix") ?? rule.value("Prefix") ?? ""
            let tags = (scope?.children("Tag") ?? []).map { "\($0.value("Key") ?? "")=\($0.value("Value") ?? "")" }
            var actions: [String: Any] = [:]
            if let expiration = rule.child("Expiration") {
                if let days = expiration.value("Days") { actions["expireDays"] = Int(days) ?? days }
                if let date = expiration.value("Date") { actions["expireDate"] = date }
                if expiration.value("ExpiredObjectDeleteMarker") == "true" { actions["expireDeleteMarker"] = true }
            }
            if let noncurrent = rule.child("NoncurrentVersionExpiration") {
                actions["noncurrentExpireDays"] = noncurrent.value("NoncurrentDays").flatMap { Int($0) } as Any
                if let newer = noncurrent.value("NewerNoncurrentVersions") { actions["newerNoncurrentVersions"] = Int(newer) ?? newer }
            }
            if let days = rule.child("AbortIncompleteMultipartUpload")?.value("DaysAfterInitiation") { actions["abortUploadsDays"] = Int(days) ?? days }
            let id = rule.value("ID") ?? ""
            let status = rule.value("Status") ?? ""
            var json: [String: Any] = ["id": id, "status": status, "prefix": prefix, "tags": tags]
            json.merge(actions) { $1 }
            let described = actions.keys.sorted().map { "\($0)=\(actions[$0]!)" }.joined(separator: " ")
            return (json, "\(id)  \(status)  prefix=\"\(prefix)\"\(tags.isEmpty ? "" : " tags=" + tags.joined(separator: "&"))  \(described)")
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove one lifecycle rule, or all of them.")
        @Argument(help: "ALIAS/BUCKET") var target: String
        @OptionGroup var selection: RuleSelection
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await Session.with { session in
                let (client, _, bucket, _) = try session.remote(target)
                let rules = try await client.lifecycleRules(bucket: bucket)
                let kept = try selection.remaining(rules, idElement: "ID", target: target, listCommand: "floe ilm rule ls")
                try await client.setLifecycleRules(bucket: bucket, kept)
                Printer(options: output).done(["bucket": bucket, "removed": rules.count - kept.count], "Removed \(rules.count - kept.count) lifecycle rule(s) from \(target)")
            }
        }
    }
}
