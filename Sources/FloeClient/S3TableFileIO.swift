import AsyncHTTPClient
import IcebergData
import NIOCore

/// Reads a table's files (`s3://bucket/key` paths in its metadata) through Floe's S3 API with the
/// caller's credentials, so the catalog's and the bucket's authorization both apply.
public struct S3TableFileIO: TableFileIO {
    public let client: S3Client
    /// Largest file read whole (manifests, manifest lists, Puffin footers); data files are read by range.
    public static let wholeFileLimit = 256 << 20

    public static func split(_ path: String) throws -> (bucket: String, key: String) {
        for scheme in ["s3://", "s3a://", "s3n://"] where path.hasPrefix(scheme) {
            let rest = path.dropFirst(scheme.count)
            guard let slash = rest.firstIndex(of: "/"), slash != rest.startIndex, rest.index(after: slash) != rest.endIndex else { break }
            return (String(rest[..<slash]), String(rest[rest.index(after: slash)...]))
        }
        throw ClientError(status: 400, code: "InvalidTablePath", message: "the table refers to \"\(path)\", which is not an s3:// object path")
    }

    /// Largest file this reader reads whole (`wholeFileLimit` unless given).
    public let maxWholeFile: Int

    public init(client: S3Client, maxWholeFile: Int = S3TableFileIO.wholeFileLimit) {
        self.client = client
        self.maxWholeFile = maxWholeFile
    }

    public func read(_ path: String) async throws -> [UInt8] {
        let (bucket, key) = try Self.split(path)
        let response = try await client.get(bucket: bucket, key: key)
        let body = try await response.body.collect(upTo: maxWholeFile)
        return Array(body.readableBytesView)
    }

    public func read(_ path: String, range: Range<Int64>) async throws -> [UInt8] {
        guard !range.isEmpty else { return [] }
        let (bucket, key) = try Self.split(path)
        let response = try await client.get(bucket: bucket, key: key, range: "bytes=\(range.lowerBound)-\(range.upperBound - 1)")
        let body = try await response.body.collect(upTo: Int(range.count))
        guard body.readableBytes == range.count else {
            throw ClientError.transport("\(path): asked for \(range.count) bytes at \(range.lowerBound), got \(body.readableBytes)")
        }
        return Array(body.readableBytesView)
    }

    public func size(_ path: String) async throws -> Int64 {
        let (bucket, key) = try Self.split(path)
        return try await client.head(bucket: bucket, key: key).size
    }
}
