import AsyncHTTPClient
import Foundation
import NIOCore

/// Whole-object transfers: uploads that switch to parallel multipart for large files, downloads
/// that land atomically (temporary file, then rename), copies within and across endpoints.
extension S3Client {
    /// Files at least this large go up as multipart uploads.
    public static let multipartThreshold: Int64 = 64 << 20
    public static let partsInFlight = 4

    /// Part size for a file: 16 MiB, larger when needed to stay within 10,000 parts.
    public static func partSize(for size: Int64) -> Int64 {
        let minimum: Int64 = 16 << 20
        let needed = (size + 9_999) / 10_000
        return max(minimum, (needed + (1 << 20) - 1) / (1 << 20) * (1 << 20))
    }

    public func upload(file: String, size: Int64, bucket: String, key: String, headers: [(name: String, value: String)] = [], progress: TransferProgress? = nil) async throws {
        guard size >= Self.multipartThreshold else {
            try await put(bucket: bucket, key: key, body: .file(path: file, offset: 0, length: size, progress: progress), headers: headers)
            return
        }
        let uploadID = try await createMultipartUpload(bucket: bucket, key: key, headers: headers)
        do {
            let partSize = Self.partSize(for: size)
            let count = Int((size + partSize - 1) / partSize)
            var etags: [(number: Int, etag: String)] = []
            try await withThrowingTaskGroup(of: (Int, String).self) { group in
                var next = 1
                func start() {
                    let number = next
                    next += 1
                    let offset = Int64(number - 1) * partSize
                    let length = min(partSize, size - offset)
                    group.addTask {
                        let etag = try await self.uploadPart(
                            bucket: bucket, key: key, uploadID: uploadID, number: number,
                            body: .file(path: file, offset: offset, length: length, progress: progress))
                        return (number, etag)
                    }
                }
                while next <= min(count, Self.partsInFlight) { start() }
                while let (number, etag) = try await group.next() {
                    etags.append((number, etag))
                    if next <= count { start() }
                }
            }
            _ = try await completeMultipartUpload(bucket: bucket, key: key, uploadID: uploadID, parts: etags)
        } catch {
            try? await abortMultipartUpload(bucket: bucket, key: key, uploadID: uploadID)
            throw error
        }
    }

    /// Streams an object into `file` (created or replaced atomically); answers its head.
    @discardableResult
    public func download(bucket: String, key: String, versionID: String? = nil, to file: String, progress: TransferProgress? = nil) async throws -> ObjectHead {
        let response = try await get(bucket: bucket, key: key, versionID: versionID)
        let directory = (file as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        let temporary = file + ".floe-partial-\(UInt32.random(in: 0...UInt32.max))"
        guard FileManager.default.createFile(atPath: temporary, contents: nil) else { throw ClientError.transport("cannot create \(temporary)") }
        do {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
            defer { try? handle.close() }
            for try await chunk in response.body {
                try chunk.withUnsafeReadableBytes { try handle.write(contentsOf: $0) }
                progress?(Int64(chunk.readableBytes))
            }
            try handle.synchronize()
            if FileManager.default.fileExists(atPath: file) { try FileManager.default.removeItem(atPath: file) }
            try FileManager.default.moveItem(atPath: temporary, toPath: file)
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
        return Self.objectHead(response.headers)
    }

    /// Copies an object of `size` bytes to `target`: server-side when that is this endpoint (no
    /// bytes travel), otherwise streamed through (GET body straight into the PUT), keeping content
    /// type and user metadata.
    public func copy(
        bucket: String, key: String, versionID: String? = nil, size: Int64, to target: S3Client, bucket targetBucket: String, key targetKey: String,
        headers replacement: [(name: String, value: String)]? = nil, progress: TransferProgress? = nil
    ) async throws {
        if target.endpoint == endpoint {
            try await target.copy(from: (bucket, key, versionID), to: targetBucket, key: targetKey, replace: replacement)
            progress?(size)
            return
        }
        let response = try await get(bucket: bucket, key: key, versionID: versionID)
        let head = Self.objectHead(response.headers)
        let body = response.body.map { chunk in
            progress?(Int64(chunk.readableBytes))
            return chunk
        }
        try await target.put(
            bucket: targetBucket, key: targetKey, body: .stream(.stream(body, length: .known(head.size))),
            headers: replacement ?? head.headers.map { (name: $0.0, value: $0.1) })
    }
}
