import ArgumentParser
import FloeClient
import Foundation
import NIOHTTP1
import S3Model

/// `floe encrypt set|info|clear`: a bucket's default server-side encryption.
struct EncryptCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encrypt", abstract: "Set, show or clear a bucket's default server-side encryption.",
        discussion: "New objects that ask for no encryption get the bucket's default: sse-s3 (AES256 under the server's key) or sse-kms with a key of Floe's key store (floe admin kms key add).",
        subcommands: [Set.self, Info.self, Clear.self])

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set", abstract: "Encrypt new objects of a bucket by default.")
        @Argument(help: "sse-s3 or sse-kms") var mode: String
        @Argument(help: "ALIAS/BUCKET") var target: String
        @Option(help: "The key-store key for sse-kms.") var kmsKey: String?
        @Flag(help: "Record S3 bucket keys as enabled (accepted for compatibility; every object has its own data key).") var bucketKey = false
        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard ["sse-s3", "sse-kms"].contains(mode) else { throw ValidationError("the mode is sse-s3 or sse-kms") }
            if mode == "sse-s3" && kmsKey != nil { throw ValidationError("--kms-key goes with sse-kms") }
        }

        func run() async throws {
            try await Session.with { session in
                let (client, _, bucket, _) = try session.remote(target)
                let algorithm = mode == "sse-s3" ? "AES256" : "aws:kms"
                var rule = [XMLElement("SSEAlgorithm", text: algorithm)]
                if let kmsKey { rule.append(XMLElement("KMSMasterKeyID", text: kmsKey)) }
                var children = [XMLElement("ApplyServerSideEncryptionByDefault", children: rule)]
                if bucketKey { children.append(XMLElement("BucketKeyEnabled", text: "true")) }
                try await client.setBucketEncryption(bucket: bucket, XMLElement("Rule", children: children))
                Printer(options: output).done(["bucket": bucket, "algorithm": algorithm, "kmsKey": kmsKey as Any], "\(target): new objects are encrypted with \(mode)\(kmsKey.map { " (key \($0))" } ?? "")")
            }
        }
    }

    struct Info: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "info", abstract: "Show a bucket's default encryption.")
        @Argument(help: "ALIAS/BUCKET") var target: String
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await Session.with { session in
                let (client, _, bucket, _) = try session.remote(target)
                let rule = try await client.bucketEncryption(bucket: bucket)
                let apply = rule?.child("ApplyServerSideEncryptionByDefault")
                let algorithm = apply?.value("SSEAlgorithm")
                Printer(options: output).record(
                    ["bucket": bucket, "algorithm": algorithm as Any, "kmsKey": apply?.value("KMSMasterKeyID") as Any],
                    "\(target): " + (algorithm.map { "new objects are encrypted with \($0)" + (apply?.value("KMSMasterKeyID").map { " (key \($0))" } ?? "") } ?? "no default encryption"))
            }
        }
    }

    struct Clear: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "clear", abstract: "Remove a bucket's default encryption (objects already stored stay encrypted).")
        @Argument(help: "ALIAS/BUCKET") var target: String
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await Session.with { session in
                let (client, _, bucket, _) = try session.remote(target)
                try await client.setBucketEncryption(bucket: bucket, nil)
                Printer(options: output).done(["bucket": bucket, "algorithm": NSNull()], "\(target): no default encryption")
            }
        }
    }
}

extension AdminCommand {
    /// `floe admin kms key add|ls|rotate`: the SSE-KMS key store.
    struct KMS: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "kms", abstract: "The key store of SSE-KMS.", subcommands: [Key.self])

        struct Key: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "key", abstract: "Named keys: created and rotated here, never shown (material stays sealed in the server).",
                subcommands: [Add.self, List.self, Rotate.self])

            struct Add: AsyncParsableCommand {
                static let configuration = CommandConfiguration(commandName: "add", abstract: "Create a key.")
                @Argument(help: "ALIAS") var alias: String
                @Argument(help: "Key name (letters, digits, - _ . / :).") var name: String
                @OptionGroup var output: OutputOptions
                func run() async throws {
                    try await Session.with { session in
                        let key = try await session.s3(alias).admin(.PUT, "kms/keys/\(name)") as? [String: Any] ?? [:]
                        Printer(options: output).done(key, "Key \(name) created")
                    }
                }
            }

            struct List: AsyncParsableCommand {
                static let configuration = CommandConfiguration(commandName: "ls", abstract: "List keys with their newest version.")
                @Argument(help: "ALIAS") var alias: String
                @OptionGroup var output: OutputOptions
                func run() async throws {
                    try await Session.with { session in
                        let listed = try await session.s3(alias).admin(.GET, "kms/keys") as? [String: Any] ?? [:]
                        let keys = listed["keys"] as? [[String: Any]] ?? []
                        let printer = Printer(options: output)
                        for key in keys { printer.json(key) }
                        printer.text(Format.table([["NAME", "VERSION", "ROTATED"]] + keys.map { ["\($0["name"] ?? "")", "\($0["version"] ?? "")", "\($0["rotated"] ?? "")"] }))
                    }
                }
            }

            struct Rotate: AsyncParsableCommand {
                static let configuration = CommandConfiguration(
                    commandName: "rotate", abstract: "Add a new version of a key: new objects use it, existing ones keep theirs.")
                @Argument(help: "ALIAS") var alias: String
                @Argument(help: "Key name.") var name: String
                @OptionGroup var output: OutputOptions
                func run() async throws {
                    try await Session.with { session in
                        let key = try await session.s3(alias).admin(.POST, "kms/keys/\(name)/rotate") as? [String: Any] ?? [:]
                        Printer(options: output).done(key, "Key \(name) is now at version \(key["version"] ?? "?")")
                    }
                }
            }
        }
    }
}
