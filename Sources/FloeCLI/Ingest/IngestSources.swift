import AsyncHTTPClient
import FloeClient
import Foundation
import NIOCore

/// One input of `floe ingest`: a local file or an object, with the identity that makes a re-run
/// skip it (an object's key and ETag or version, a local file's path, size and modification time).
struct IngestSource {
    enum Location {
        case local(String)
        case remote(S3Client, bucket: String, key: String)
    }
    var location: Location
    var display: String
    var identity: String
    var size: Int64
    var format: IngestFormat

    /// The bytes in chunks of about 1 MiB, in order; `body` answers false to stop early.
    func chunks(_ body: ([UInt8]) async throws -> Bool) async throws {
        switch location {
        case .local(let path):
            guard let handle = FileHandle(forReadingAtPath: path) else { throw CLIError("cannot read \(path)") }
            defer { try? handle.close() }
            while let data = try handle.read(upToCount: 1 << 20), !data.isEmpty {
                guard try await body([UInt8](data)) else { return }
            }
        case .remote(let client, let bucket, let key):
            let response = try await client.get(bucket: bucket, key: key)
            for try await buffer in response.body {
                guard try await body(Array(buffer.readableBytesView)) else { return }
            }
        }
    }
}

enum IngestFormat: String, CaseIterable {
    case csv, tsv, jsonl, parquet

    static func guess(_ name: String) -> IngestFormat? {
        let lower = name.lowercased()
        if lower.hasSuffix(".csv") { return .csv }
        if lower.hasSuffix(".tsv") || lower.hasSuffix(".tab") { return .tsv }
        if lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson") || lower.hasSuffix(".json") { return .jsonl }
        if lower.hasSuffix(".parquet") { return .parquet }
        return nil
    }
}

enum IngestSources {
    /// `*`, `?` and `[…]` in the last path element.
    static func matches(_ name: String, _ pattern: String) -> Bool {
        fnmatch(pattern, name, 0) == 0
    }

    static func hasGlob(_ text: String) -> Bool { text.contains { "*?[".contains($0) } }

    /// Expands local paths (files, folders, globs), `ALIAS/BUCKET/PREFIX` paths and `s3://` URLs
    /// (a trailing `/` or a glob lists objects) into sources, sorted by name within each argument.
    static func expand(_ arguments: [String], format forced: IngestFormat?, session: Session, alias tableAlias: String) async throws -> [IngestSource] {
        var sources: [IngestSource] = []
        for argument in arguments {
            var found: [IngestSource] = []
            if argument.hasPrefix("s3://") || (!argument.hasPrefix("/") && !argument.hasPrefix(".") && session.aliases.endpoint(String(argument.split(separator: "/").first ?? "")) != nil) {
                let client: S3Client
                let bucket: String
                var key: String
                if argument.hasPrefix("s3://") {
                    let rest = argument.dropFirst(5)
                    let parts = rest.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                    guard let first = parts.first, !first.isEmpty else { throw CLIError("\"\(argument)\" names no bucket") }
                    client = try session.s3(tableAlias)
                    bucket = first
                    key = parts.count > 1 ? parts[1] : ""
                } else {
                    let remote = try session.remote(argument)
                    (client, bucket, key) = (remote.client, remote.bucket, remote.key)
                }
                let lastSlash = key.lastIndex(of: "/")
                let lastPart = lastSlash.map { String(key[key.index(after: $0)...]) } ?? key
                if key.isEmpty || key.hasSuffix("/") || hasGlob(lastPart) {
                    let prefix = hasGlob(lastPart) ? (lastSlash.map { String(key[...$0]) } ?? "") : key
                    try await session.eachObject(client, bucket: bucket, prefix: prefix) { object in
                        let name = String(object.key.dropFirst(prefix.count))
                        guard !name.contains("/") || !hasGlob(lastPart) else { return }
                        if hasGlob(lastPart) && !matches(name, lastPart) { return }
                        guard let format = forced ?? IngestFormat.guess(object.key) else { return }
                        found.append(IngestSource(
                            location: .remote(client, bucket: bucket, key: object.key), display: "s3://\(bucket)/\(object.key)",
                            identity: "s3://\(bucket)/\(object.key)#\(object.versionID ?? object.etag)", size: object.size, format: format))
                    }
                } else {
                    let head = try await client.head(bucket: bucket, key: key)
                    guard let format = forced ?? IngestFormat.guess(key) else {
                        throw CLIError("cannot tell the format of \(argument)", hint: "add --format csv|tsv|jsonl|parquet")
                    }
                    found.append(IngestSource(
                        location: .remote(client, bucket: bucket, key: key), display: "s3://\(bucket)/\(key)",
                        identity: "s3://\(bucket)/\(key)#\(head.versionID ?? head.etag)", size: head.size, format: format))
                }
            } else {
                let url = URL(fileURLWithPath: argument)
                var isDirectory: ObjCBool = false
                var paths: [String] = []
                if FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory) {
                    if isDirectory.boolValue {
                        paths = try FileManager.default.contentsOfDirectory(atPath: argument).sorted().map { url.appendingPathComponent($0).path }
                    } else {
                        paths = [url.path]
                    }
                } else if hasGlob(url.lastPathComponent) {
                    let folder = url.deletingLastPathComponent().path
                    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
                    paths = names.filter { matches($0, url.lastPathComponent) }.sorted().map { folder + "/" + $0 }
                } else {
                    throw CLIError("\(argument): no such file", hint: "sources are local files or globs, ALIAS/BUCKET/PREFIX paths, or s3:// URLs")
                }
                for path in paths {
                    let attributes = try FileManager.default.attributesOfItem(atPath: path)
                    guard (attributes[.type] as? FileAttributeType) == .typeRegular else { continue }
                    guard let format = forced ?? IngestFormat.guess(path) else {
                        if paths.count == 1 { throw CLIError("cannot tell the format of \(path)", hint: "add --format csv|tsv|jsonl|parquet") }
                        continue
                    }
                    let size = (attributes[.size] as? NSNumber)?.int64Value ?? 0
                    let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
                    found.append(IngestSource(
                        location: .local(path), display: path, identity: "file://\(path)#\(size)-\(Int64(modified * 1000))", size: size, format: format))
                }
            }
            if found.isEmpty { throw CLIError("\(argument) matches no CSV, JSON lines or Parquet file") }
            sources += found
        }
        return sources
    }
}
