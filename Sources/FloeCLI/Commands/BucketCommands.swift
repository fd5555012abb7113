import ArgumentParser
import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import FloeClient

struct MakeBucket: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "mb", abstract: "Make a bucket.")
    @Argument(help: "ALIAS/BUCKET") var targets: [String]
    @Flag(help: "Succeed when the bucket exists already.") var ignoreExisting = false
    @Flag(help: "Turn on versioning for the new bucket.") var withVersioning = false
    @Flag(help: "Turn on Object Lock (and so versioning, for good) for the new bucket.") var withLock = false
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await Session.with { session in
            for target in targets {
                let (client, _, bucket, _) = try session.remote(target)
                do {
                    try await client.makeBucket(bucket, objectLock: withLock)
                } catch let error as ClientError where ignoreExisting && error.code == "BucketAlreadyOwnedByYou" {}
                if withVersioning { try await client.setVersioning(bucket: bucket, enabled: true) }
                Printer(options: output).done(["bucket": target, "status": "created"], "Bucket created: \(target)")
            }
        }
    }
}

struct RemoveBucket: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rb", abstract: "Remove a bucket.")
    @Argument(help: "ALIAS/BUCKET") var targets: [String]
    @Flag(help: "Delete every object, version and delete marker first.") var force = false
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await Session.with { session in
            for target in targets {
                let (client, _, bucket, _) = try session.remote(target)
                if force {
                    try await session.eachVersion(client, bucket: bucket, prefix: "") { version in
                        try await client.delete(bucket: bucket, key: version.key, versionID: version.versionID)
                    }
                }
                try await client.removeBucket(bucket)
                Printer(options: output).done(["bucket": target, "status": "removed"], "Bucket removed: \(target)")
            }
        }
    }
}
