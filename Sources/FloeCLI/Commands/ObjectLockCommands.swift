import ArgumentParser
import FloeClient
import Foundation
import SigV4

/// `floe retention`: a bucket's default retention (ALIAS/BUCKET) or one object version's (ALIAS/BUCKET/KEY).
struct RetentionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retention", abstract: "Set, clear or show Object Lock retention of a bucket (its default) or of an object version.",
        discussion: """
            The bucket must have Object Lock (floe mb --with-lock, or versioning enabled and then `retention set`).
            GOVERNANCE retention can be shortened or cleared with --bypass by a caller allowed s3:BypassGovernanceRetention;
            COMPLIANCE retention can only be extended, by anyone, and ends only at its date.
            """,
        subcommands: [Set.self, Clear.self, Info.self])

    struct Period: ParsableArguments {
        @Option(help: "governance or compliance.") var mode: String
        @Option(help: "Retain for this many days from now (objects) or from each write (bucket default).") var days: Int?
        @Option(help: "Retain for this many years (365 days each).") var years: Int?
        @Option(help: "Retain until this ISO 8601 date, e.g. 2030-01-01T00:00:00Z (objects only).") var until: String?

        var normalizedMode: String { mode.uppercased() }
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set", abstract: "Set retention (a bucket's default, or an object version's).")
        @Argument(help: "ALIAS/BUCKET or ALIAS/BUCKET/KEY") var target: String
        @OptionGroup var period: Period
        @Option(help: "The version to lock (default: the latest).") var versionId: String?
        @Flag(help: "Shorten or change governance retention (needs s3:BypassGovernanceRetention).") var bypass = false
        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard ["GOVERNANCE", "COMPLIANCE"].contains(period.normalizedMode) else { throw ValidationError("--mode is governance or compliance") }
            let given = [period.days != nil, period.years != nil, period.until != nil].filter { $0 }.count
            guard given == 1 else { throw ValidationError("give exactly one of --days, --years, --until") }
        }

        func run() async throws {
            try await Session.with { session in
                let (client, _, bucket, key) = try session.remote(target)
                let mode = period.normalizedMode
                if key.isEmpty {
                    guard period.until == nil else { throw CLIError("a bucket's default retention is a period", hint: "use --days or --years") }
                    try await client.setLockConfiguration(bucket: bucket, mode: mode, days: period.days, years: period.years)
                    let length = period.days.map { "\($0) days" } ?? "\(period.years ?? 0) years"
                    Printer(options: output).done(
                        ["bucket": bucket, "mode": mode, "days": period.days as Any, "years": period.years as Any],
                        "\(target): new objects are retained \(length) in \(mode.lowercased()) mode")
                    return
                }
                let until = try RetentionCommand.until(period)
                try await client.setRetention(bucket: bucket, key: key, versionID: versionId, mode: mode, until: until, bypassGovernance: bypass)
                let text = HTTPDate.iso8601(milliseconds: Int64(until.timeIntervalSince1970 * 1000))
                Printer(options: output).done(["target": target, "mode": mode, "retainUntil": text], "\(target) is retained in \(mode.lowercased()) mode until \(text)")
            }
        }
    }

    struct Clear: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "clear", abstract: "Remove a bucket's default retention, or an object version's governance retention (with --bypass).")
        @Argument(help: "ALIAS/BUCKET or ALIAS/BUCKET/KEY") var target: String
        @Option(help: "The version (default: the latest).") var versionId: String?
        @Flag(help: "Needed to clear governance retention before its date.") var bypass = false
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await Session.with { session in
                let (client, _, bucket, key) = try session.remote(target)
                if key.isEmpty {
                    try await client.setLockConfiguration(bucket: bucket, mode: nil, days: nil, years: nil)
                } else {
                    try await client.setRetention(bucket: bucket, key: key, versionID: versionId, mode: nil, until: nil, bypassGovernance: bypass)
                }
                Printer(options: output).done(["target": target, "retention": NSNull()], "\(target): retention cleared")
            }
        }
    }

    struct Info: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "info", abstract: "Show a bucket's Object Lock default or an object version's lock.")
        @Argument(help: "ALIAS/BUCKET or ALIAS/BUCKET/KEY") var target: String
        @Option(help: "The version (default: the latest).") var versionId: String?
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await Session.with { session in
                let (client, _, bucket, key) = try session.remote(target)
                let printer = Printer(options: output)
                if key.isEmpty {
                    guard let configuration = try await client.lockConfiguration(bucket: bucket) else {
                        printer.record(["bucket": bucket, "objectLock": false], "\(target) has no Object Lock")
                        return
                    }
                    let period = configuration.days.map { "\($0) days" } ?? configuration.years.map { "\($0) years" }
                    printer.record(
                        ["bucket": bucket, "objectLock": true, "mode": configuration.mode as Any, "days": configuration.days as Any, "years": configuration.years as Any],
                        "\(target) has Object Lock; default retention: " + (configuration.mode.map { "\($0.lowercased()), \(period ?? "")" } ?? "none"))
                    return
                }
                let state = try await client.lockState(bucket: bucket, key: key, versionID: versionId)
                let until = state.retainUntil.map { HTTPDate.iso8601(milliseconds: Int64($0.timeIntervalSince1970 * 1000)) }
                printer.record(
                    ["target": target, "mode": state.mode as Any, "retainUntil": until as Any, "legalHold": state.legalHold.map { $0 ? "ON" : "OFF" } as Any],
                    "\(target): retention " + (state.mode.map { "\($0.lowercased()) until \(until ?? "")" } ?? "none")
                        + ", legal hold " + (state.legalHold == true ? "on" : "off"))
            }
        }
    }

    static func until(_ period: Period) throws -> Date {
        if let text = period.until {
            guard let ms = HTTPDate.parseISO8601(text) else { throw CLIError("\(text) is not an ISO 8601 date", hint: "e.g. 2030-01-01T00:00:00Z") }
            return Date(timeIntervalSince1970: Double(ms) / 1000)
        }
        let days = period.days ?? (period.years ?? 0) * 365
        return Date().addingTimeInterval(Double(days) * 86_400)
    }
}

/// `floe legalhold`: put an object version under a legal hold, release it, or show it.
struct LegalHoldCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "legalhold", abstract: "Set or show the Object Lock legal hold of an object version.",
        discussion: "A version under a legal hold cannot be deleted or overwritten by anyone, whatever its retention, until the hold is released.",
        subcommands: [Set.self, Info.self])

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set", abstract: "Turn a legal hold on or off.")
        @Argument(help: "ALIAS/BUCKET/KEY") var target: String
        @Argument(help: "on or off") var status: String
        @Option(help: "The version (default: the latest).") var versionId: String?
        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard ["on", "off"].contains(status.lowercased()) else { throw ValidationError("the status is on or off") }
        }

        func run() async throws {
            try await Session.with { session in
                let (client, _, bucket, key) = try session.remote(target)
                guard !key.isEmpty else { throw CLIError("a legal hold is set on an object", hint: "write ALIAS/BUCKET/KEY") }
                let on = status.lowercased() == "on"
                try await client.setLegalHold(bucket: bucket, key: key, versionID: versionId, on: on)
                Printer(options: output).done(["target": target, "legalHold": on ? "ON" : "OFF"], "\(target): legal hold \(on ? "on" : "off")")
            }
        }
    }

    struct Info: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "info", abstract: "Show whether a legal hold is on.")
        @Argument(help: "ALIAS/BUCKET/KEY") var target: String
        @Option(help: "The version (default: the latest).") var versionId: String?
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await Session.with { session in
                let (client, _, bucket, key) = try session.remote(target)
                let state = try await client.lockState(bucket: bucket, key: key, versionID: versionId)
                let on = state.legalHold == true
                Printer(options: output).record(["target": target, "legalHold": on ? "ON" : "OFF"], "\(target): legal hold \(on ? "on" : "off")")
            }
        }
    }
}
