import ArgumentParser
import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import FloeClient
import Foundation

struct CatCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cat", abstract: "Write objects to standard output.")
    @Argument(help: "ALIAS/BUCKET/KEY") var targets: [String]
    @Option(help: "A specific version of the object.") var versionId: String?

    func run() async throws {
        try await Session.with { session in
            for target in targets {
                let (client, _, bucket, key) = try session.remote(target)
                let response = try await client.get(bucket: bucket, key: key, versionID: versionId)
                for try await chunk in response.body {
                    chunk.withUnsafeReadableBytes { FileHandle.standardOutput.write(Data($0)) }
                }
            }
        }
    }
}

struct HeadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "head", abstract: "Write the first lines of an object to standard output.")
    @Argument(help: "ALIAS/BUCKET/KEY") var target: String
    @Option(name: [.customShort("n"), .long], help: "How many lines.") var lines = 10
    @Option(help: "A specific version of the object.") var versionId: String?

    func run() async throws {
        try await Session.with { session in
            let (client, _, bucket, key) = try session.remote(target)
            let response = try await client.get(bucket: bucket, key: key, versionID: versionId)
            var remaining = lines
            guard remaining > 0 else { return }
            // Stops reading as soon as enough lines arrived: the rest of a large object is never fetched.
            stream: for try await chunk in response.body {
                let bytes = Array(chunk.readableBytesView)
                var end = bytes.count
                for (i, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
                    remaining -= 1
                    if remaining == 0 {
                        end = i + 1
                        FileHandle.standardOutput.write(Data(bytes[..<end]))
                        break stream
                    }
                }
                FileHandle.standardOutput.write(Data(bytes[..<end]))
            }
        }
    }
}

struct RemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm", abstract: "Remove objects, versions or everything below a prefix.",
        discussion: "On a versioned bucket a plain remove adds a delete marker (undo it with `floe undo`); --versions removes versions for good.")
    @Argument(help: "ALIAS/BUCKET/KEY (a prefix with --recursive)") var targets: [String]
    @Flag(name: [.short, .long], help: "Remove every object below the prefix.") var recursive = false
    @Flag(help: "Remove every version and delete marker (permanently).") var versions = false
    @Option(help: "Remove only this version (permanently).") var versionId: String?
    @Option(help: "Only objects last modified longer ago than this (e.g. 7d).") var olderThan: String?
    @Flag(help: "Print what would be removed, remove nothing.") var dryRun = false
    @Flag(help: "Accepted for mc compatibility; removal never asks.") var force = false
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await Session.with { session in
            let printer = Printer(options: output)
            let filter = try ObjectFilter(olderThan: olderThan)
            for target in targets {
                let (client, alias, bucket, key) = try session.remote(target)
                var doomed: [(key: String, versionID: String?)] = []
                if let versionId {
                    doomed.append((key, versionId))
                } else if versions {
                    try await session.eachVersion(client, bucket: bucket, prefix: key) { v in
                        if (recursive || v.key == key) && filter.matches(v) { doomed.append((v.key, v.versionID)) }
                    }
                } else if recursive {
                    try await session.eachObject(client, bucket: bucket, prefix: key) { if filter.matches($0) { doomed.append(($0.key, nil)) } }
                } else {
                    guard !key.isEmpty else { throw CLIError("\"\(target)\" names a bucket", hint: "use `floe rm --recursive` for its objects or `floe rb` for the bucket") }
                    if olderThan != nil {
                        let head = try await client.head(bucket: bucket, key: key)
                        if filter.matches(ObjectInfo(key: key, size: head.size, etag: head.etag, lastModified: head.lastModified)) { doomed.append((key, nil)) }
                    } else {
                        doomed.append((key, nil))
                    }
                }
                for item in doomed {
                    let path = "\(alias)/\(bucket)/\(item.key)"
                    if !dryRun { try await client.delete(bucket: bucket, key: item.key, versionID: item.versionID) }
                    var record: [String: Any] = ["key": item.key, "status": dryRun ? "would-remove" : "removed"]
                    if let version = item.versionID { record["versionId"] = version }
                    printer.done(record, "\(dryRun ? "Would remove" : "Removed") \(path)\(item.versionID.map { " (version \($0))" } ?? "")")
                }
            }
        }
    }
}
