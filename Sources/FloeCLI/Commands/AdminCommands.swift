import ArgumentParser
import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import FloeClient
import Foundation

struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin", abstract: "Administer a Floe: users, groups, policies, service accounts, KMS keys, notification targets, server info.",
        subcommands: [Info.self, User.self, Group.self, Policy.self, ServiceAccount.self, KMS.self, Notify.self])

    /// Reads a policy argument: a file path, `-` for standard input, or inline JSON.
    static func policyText(_ argument: String) throws -> String {
        if argument.trimmingCharacters(in: .whitespaces).hasPrefix("{") { return argument }
        let data = argument == "-" ? FileHandle.standardInput.readDataToEndOfFile() : FileManager.default.contents(atPath: argument)
        guard let data else { throw CLIError("cannot read policy file \(argument)", hint: "give a path to a JSON policy, - for standard input, or the JSON itself") }
        return String(decoding: data, as: UTF8.self)
    }

    struct Info: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "info", abstract: "Show what a server holds.")
        @Argument(help: "ALIAS") var alias: String
        @OptionGroup var output: OutputOptions
        func run() async throws {
            try await Session.with { session in
                let info = try await session.s3(alias).admin(.GET, "info") as? [String: Any] ?? [:]
                let rows = info.keys.sorted().map { ["\($0):", "\(info[$0]!)"] }
                Printer(options: output).record(info, Format.table(rows).joined(separator: "\n"))
            }
        }
    }

    struct User: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "user", abstract: "Users and their access keys.",
            subcommands: [Add.self, List.self, Info.self, Remove.self, Enable.self, Disable.self, AddKey.self, RemoveKey.self])

        struct Add: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "add", abstract: "Create a user and print its first access key (shown once).")
            @Argument(help: "ALIAS") var alias: String
            @Argument(help: "User name.") var name: String
            @Option(name: .customLong("policy"), help: "Policy to attach (repeatable).") var policies: [String] = []
            @Flag(help: "Create the user without an access key.") var noKey = false
            @OptionGroup var output: OutputOptions
            func run() async throws {
                try await Session.with { session in
                    let client = try session.s3(alias)
                    _ = try await client.admin(.PUT, "users/\(name)", json: ["policies": policies])
                    var record: [String: Any] = ["user": name, "policies": policies]
                    var human = "Added user \(name)"
                    if !noKey, let key = try await client.admin(.POST, "users/\(name)/keys", json: [String: Any]()) as? [String: Any] {
                        record["accessKey"] = key["accessKey"]
                        record["secretKey"] = key["secretKey"]
                        human += "\n  Access key: \(key["accessKey"] ?? "")\n  Secret key: \(key["secretKey"] ?? "")  (shown only now)"
                    }
                    Printer(options: output).record(record, human)
                }
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "ls", abstract: "List users.")
            @Argument(help: "ALIAS") var alias: String
            @OptionGroup var output: OutputOptions
            func run() async throws {
                try await Session.with { session in
                    let users = (try await session.s3(alias).admin(.GET, "users") as? [String: Any])?["users"] as? [[String: Any]] ?? []
                    let printer = Printer(options: output)
                    for user in users { printer.json(user) }
                    printer.text(Format.table(users.map {
                        [$0["name"] as? String ?? "", ($0["enabled"] as? Bool ?? false) ? "enabled" : "disabled",
                         ($0["policies"] as? [String] ?? []).joined(separator: ","), "\(($0["accessKeys"] as? [String] ?? []).count) key(s)"]
                    }))
                }
            }
        }

        struct Info: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "info", abstract: "Show a user: policies, groups, keys, service accounts.")
            @Argument(help: "ALIAS") var alias: String
            @Argument(help: "User name.") var name: String
            @OptionGroup var output: OutputOptions
            func run() async throws {
                try await AdminCommand.show(alias, "users/\(name)", output)
            }
        }

        struct Remove: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "rm", abstract: "Delete a user with its keys and service accounts.")
            @Argument(help: "ALIAS") var alias: String
            @Argument(help: "User name.") var name: String
            @OptionGroup var output: OutputOptions
            func run() async throws {
                try await AdminCommand.remove(alias, "users/\(name)", ["user": name], "Removed user \(name)", output)
            }
        }

        struct Enable: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "enable", abstract: "Let a user sign in again.")
            @Argument(help: "ALIAS") var alias: String
            @Argument(help: "User name.") var name: String
            @OptionGroup var output: OutputOptions
            func run() async throws { try await AdminCommand.setUser(alias, name, enabled: true, output) }
        }

        struct Disable: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "disable", abstract: "Stop a user (its keys, service accounts and sessions) at once.")
            @Argument(help: "ALIAS") var alias: String
            @Argument(help: "User name.") var name: String
            @OptionGroup var output: OutputOptions
            func run() async throws { try await AdminCommand.setUser(alias, name, enabled: false, output) }
        }

        struct AddKey: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "add-key", abstract: "Give a user another access key (shown once).")
            @Argument(help: "ALIAS") var alias: String
            @Argument(help: "User name.") var name: String
            @Option(help: "Let the key expire after this long (e.g. 30d).") var expires: String?
            @OptionGroup var output: OutputOptions
            func run() async throws {
                try await Session.with { session in
                    var body: [String: Any] = [:]
                    if let expires {
                        guard let seconds = Format.parseDuration(expires), seconds >= 1 else { throw CLIError("--expires \(expires) is not a duration", hint: "write e.g. 12h or 30d") }
                        body["expiresInSeconds"] = Int(seconds)
                    }
                    let key = try await session.s3(alias).admin(.POST, "users/\(name)/keys", json: body) as? [String: Any] ?? [:]
                    Printer(options: output).record(key, "Access key: \(key["accessKey"] ?? "")\nSecret key: \(key["secretKey"] ?? "")  (shown only now)")
                }
            }
        }

        struct RemoveKey: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "rm-key", abstract: "Delete an access key (or a service account).")
            @Argument(help: "ALIAS") var alias: String
            @Argument(help: "Access key id.") var accessKey: String
            @OptionGroup var output: OutputOptions
            func run() async throws {
                try await AdminCommand.remove(alias, "keys/\(accessKey)", ["accessKey": accessKey], "Removed access key \(accessKey)", output)
            }
        }
    }

    static func setUser(_ alias: String, _ name: String, enabled: Bool, _ output: OutputOptions) async throws {
        try await Session.with { session in
            let client = try session.s3(alias)
            guard (try await client.admin(.GET, "users/\(name)")) != nil else { return }
            _ = try await client.admin(.PUT, "users/\(name)", json: ["enabled": enabled])
            Printer(options: output).done(["user": name, "enabled": enabled], "User \(name) \(enabled ? "enabled" : "disabled")")
        }
    }

    /// Prints one admin object (a user, a group) as aligned `key: value` lines or JSON.
    static func show(_ alias: String, _ path: String, _ output: OutputOptions) async throws {
        try await Session.with { session in
            let object = try await session.s3(alias).admin(.GET, path) as? [String: Any] ?? [:]
            Printer(options: output).record(object, describe(object))
        }
    }

    static func remove(_ alias: String, _ path: String, _ record: [String: Any], _ human: String, _ output: OutputOptions) async throws {
        try await Session.with { session in
            _ = try await session.s3(alias).admin(.DELETE, path)
            Printer(options: output).done(record.merging(["status": "removed"]) { $1 }, human)
        }
    }

    static func describe(_ object: [String: Any]) -> String {
        Format.table(object.keys.sorted().map { key in
            let value = object[key]!
            let text = (value as? [String]).map { $0.isEmpty ? "-" : $0.joined(separator: ", ") } ?? "\(value)"
            return ["\(key):", text]
        }).joined(separator: "\n")
    }

    struct Group: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "group", abstract: "Groups: members share the group's policies.",
            subcommands: [Add.self, List.self, Info.self, Remove.self, AddMember.self, RemoveMember.self])

        struct Add: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "add", abstract: "Create or update a group.")
            @Argument(help: "ALIAS") var alias: String
            @Argument(help: "Group name.") var name: String
            @Option(name: .customLong("member"), help: "Member user (repeatable).") var members: [String] = []
            @Option(name: .customLong("policy"), help: "Policy to attach (repeatable).") var policies: [String] = []
            @OptionGroup var output: OutputOptions
            func run() async throws {
                try await Session.with { session in
                    let group = try await session.s3(alias).admin(.PUT, "groups/\(name)", json: ["members": members, "policies": policies]) as? [String: Any] ?? [:]
                    Printer(options: output).record(group, "Group \(name): members \(members.joined(separator: ", ")), policies \(policies.joined(separator: ", "))")
                }
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "ls", abstract: "List groups.")
            @Argument(help: "ALIAS") var alias: String
            @OptionGroup var output: OutputOptions
            func run() async throws {
                try await Session.with { session in
                    let groups = (try await session.s3(alias).admin(.GET, "groups") as? [String: Any])?["groups"] as? [[String: Any]] ?? []
                    let printer = Printer(options: output)
                    for group in groups { printer.json(group) }
                    printer.text(Format.table(groups.map {
                        [$0["name"] as? String ?? "", ($0["enabled"] as? Bool ?? false) ? "enabled" : "disabled",
                         "members: " + ($0["members"] as? [String] ?? []).joined(separator: ","), "policies: " + ($0["policies"] as? [String] ?? []).joined(separator: ",")]
                    }))
                }
            }
        }

        struct Info: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "info", abstract: "Show a group.")
            @Argument(help: "ALIAS") var alias: String
            @Argument(help: "Group name.") var name: String
            @OptionGroup var output: OutputOptions
            func run() async throws {
                try await AdminCommand.show(alias, "groups/\(name)", output)
            }
        }

        struct Remove: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "rm", abstract: "Delete a group (its members stay).")
            @Argument(help: "ALIAS") var alias: String
            @Argument(help: "Group name.") var name: String
            @OptionGroup var output: OutputOptions
            func run() async throws {
                try await AdminCommand.remove(alias, "groups/\(name)", ["group": name], "Removed group \(name)", output)
            }
        }

        struct AddMember: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "add-member", abstract: "Add users to a group.")
            @Argument(help: "ALIAS") var alias: String
            @Argument(help: "Group name.") var name: String
            @Argument(help: "Users.") var users: [String]
            @OptionGroup var output: OutputOptions
            func run() async throws {
                try await Session.with { session in
                    for user in users { _ = try await session.s3(alias).admin(.PUT, "groups/\(name)/members/\(user)") }
                    Printer(options: output).done(["group": name, "added": users], "Added \(users.joined(separator: ", ")) to \(name)")
                }
            }
        }

        struct RemoveMember: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "rm-member", abstract: "Remove users from a group.")
            @Argument(help: "ALIAS") var alias: String
            @Argument(help: "Group name.") var name: String
            @Argument(help: "Users.") var users: [String]
            @OptionGroup var output: OutputOptions
            func run() async throws {
                try await Session.with { session in
                    for user in users { _ = try await session.s3(alias).admin(.DELETE, "groups/\(name)/members/\(user)") }
                    Printer(options: output).done(["group": name, "removed": users], "Removed \(users.joined(separator: ", ")) from \(name)")
                }
            }
        }
    }

    struct Policy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "policy", abstract: "Named IAM policies and where they are attached.",
            subcommands: [Add.self, List.self, Info.self, Remove.self, Attach.self, Detach.self])

        struct Add: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "add", abstract: "Create or replace a policy from a JSON file (- for stdin).")
            @Argument(help: "ALIAS") var alias: String
            @Argument(help: "Policy name.") var name: String
            @Argument(help: "Policy JSON file, - or inline JSON.") var file: String
            @OptionGroup var output: OutputOptions
            func run() async throws {
                try await Session.with { session in
                    _ = try await session.s3(alias).admin(.PUT, "policies/\(name)", raw: try AdminCommand.policyText(file))
                    Printer(options: output).done(["policy": name, "status": "saved"], "Saved policy \(name)")
                }
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "ls", abstract: "List policies (built-in ones included).")
            @Argument(help: "ALIAS") var alias: String
            @OptionGroup var output: OutputOptions
            func run() async throws {
                try await Session.with { session in
                    let names = (try await session.s3(alias).admin(.GET, "policies") as? [String: Any])?["policies"] as? [String] ?? []
                    let printer = Printer(options: output)
                    for name in names { printer.record(["policy": name], name) }
                }
            }
        }

        struct Info: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "info", abstract: "Print a policy document.")
            @Argument(help: "ALIAS") var alias: String
            @Argument(help: "Policy name.") var name: String
            @OptionGroup var output: OutputOptions
            func run() async throws {
                try await Session.with { session in
                    let document = try await session.s3(alias).admin(.GET, "policies/\(name)") ?? [:]
                    let data = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
                    Printer(options: output).record(["policy": name, "document": document], String(decoding: data, as: UTF8.self))
                }
            }
        }

        struct Remove: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "rm", abstract: "Delete a policy (it must be detached first).")
            @Argument(help: "ALIAS") var alias: String
            @Argument(help: "Policy name.") var name: String
            @OptionGroup var output: OutputOptions
            func run() async throws {
                try await AdminCommand.remove(alias, "policies/\(name)", ["policy": name], "Removed policy \(name)", output)
            }
        }

        struct Attach: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "attach", abstract: "Attach a policy to a user or group.")
            @Argument(help: "ALIAS") var alias: String
            @Argument(help: "Policy name.") var name: String
            @Option(help: "User to attach it to.") var user: String?
            @Option(help: "Group to attach it to.") var group: String?
            @OptionGroup var output: OutputOptions
            func run() async throws { try await AdminCommand.attach(alias, name, user: user, group: group, attach: true, output) }
        }

        struct Detach: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "detach", abstract: "Detach a policy from a user or group.")
            @Argument(help: "ALIAS") var alias: String
            @Argument(help: "Policy name.") var name: String
            @Option(help: "User to detach it from.") var user: String?
            @Option(help: "Group to detach it from.") var group: String?
            @OptionGroup var output: OutputOptions
            func run() async throws { try await AdminCommand.attach(alias, name, user: user, group: group, attach: false, output) }
        }
    }

    static func attach(_ alias: String, _ policy: String, user: String?, group: String?, attach: Bool, _ output: OutputOptions) async throws {
        try await Session.with { session in
            guard (user == nil) != (group == nil) else { throw CLIError("give exactly one of --user and --group", hint: nil) }
            let path = user.map { "users/\($0)" } ?? "groups/\(group!)"
            _ = try await session.s3(alias).admin(attach ? .PUT : .DELETE, "\(path)/policies/\(policy)")
            Printer(options: output).done(["policy": policy, "target": path, "status": attach ? "attached" : "detached"], "\(attach ? "Attached" : "Detached") \(policy) \(attach ? "to" : "from") \(path)")
        }
    }

    struct ServiceAccount: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "svcacct", abstract: "Service accounts: keys that act for a user, optionally narrowed by a policy.",
            subcommands: [Add.self, List.self, Remove.self])

        struct Add: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "add", abstract: "Create a service account for a user (the secret is shown once).")
            @Argument(help: "ALIAS") var alias: String
            @Argument(help: "Parent user.") var user: String
            @Option(help: "Narrowing policy: a JSON file, - or inline JSON.") var policy: String?
            @Option(help: "Let it expire after this long (e.g. 90d).") var expires: String?
            @OptionGroup var output: OutputOptions
            func run() async throws {
                try await Session.with { session in
                    var body: [String: Any] = [:]
                    if let policy { body["policy"] = try AdminCommand.policyText(policy) }
                    if let expires {
                        guard let seconds = Format.parseDuration(expires), seconds >= 1 else { throw CLIError("--expires \(expires) is not a duration", hint: "write e.g. 90d") }
                        body["expiresInSeconds"] = Int(seconds)
                    }
                    let key = try await session.s3(alias).admin(.POST, "users/\(user)/service-accounts", json: body) as? [String: Any] ?? [:]
                    Printer(options: output).record(key, "Access key: \(key["accessKey"] ?? "")\nSecret key: \(key["secretKey"] ?? "")  (shown only now)")
                }
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "ls", abstract: "List service accounts.")
            @Argument(help: "ALIAS") var alias: String
            @OptionGroup var output: OutputOptions
            func run() async throws {
                try await Session.with { session in
                    let accounts = (try await session.s3(alias).admin(.GET, "service-accounts") as? [String: Any])?["serviceAccounts"] as? [[String: Any]] ?? []
                    let printer = Printer(options: output)
                    for account in accounts { printer.json(account) }
                    printer.text(Format.table(accounts.map {
                        [$0["accessKey"] as? String ?? "", "user: \($0["user"] as? String ?? "")", ($0["enabled"] as? Bool ?? false) ? "enabled" : "disabled",
                         $0["policy"] == nil ? "inherits" : "narrowed"]
                    }))
                }
            }
        }

        struct Remove: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "rm", abstract: "Delete a service account.")
            @Argument(help: "ALIAS") var alias: String
            @Argument(help: "Access key id.") var accessKey: String
            @OptionGroup var output: OutputOptions
            func run() async throws {
                try await AdminCommand.remove(alias, "keys/\(accessKey)", ["accessKey": accessKey], "Removed service account \(accessKey)", output)
            }
        }
    }
}
