import Foundation
import NIOCore
import Testing

import ObjectIndexSQLite
@testable import ObjectStore

@Suite struct VersioningStoreTests {
    @Test func crcCombineEqualsCRCOfConcatenation() {
        let a = Array("The quick brown fox ".utf8)
        let b = Array(String(repeating: "jumps over the lazy dog ", count: 50).utf8)
        for algorithm in [ChecksumAlgorithm.crc32, .crc32c, .crc64nvme] {
            func digest(_ bytes: [UInt8]) -> [UInt8] {
                var h = ChecksumHasher(algorithm)
                h.update(bytes)
                return h.digest()
            }
            let combined = algorithm.multipartChecksum(parts: [(digest(a), Int64(a.count)), (digest(b), Int64(b.count))], fullObject: true)
            var whole = ChecksumHasher(algorithm)
            whole.update(a + b)
            #expect(combined == whole.base64Digest(), "\(algorithm)")
        }
        #expect(ChecksumAlgorithm.sha256.multipartChecksum(parts: [([1], 1)], fullObject: true) == nil)
        #expect(ChecksumAlgorithm.sha256.multipartChecksum(parts: [([1], 1), ([2], 1)], fullObject: false)?.hasSuffix("-2") == true)
    }

    @Test func versionsMarkersAndListing() async throws {
        let f = try StoreFixture()
        var bucket = try await f.store.createBucket("vers")
        try await f.put(bucket, "k", "unversioned")
        try await f.store.setVersioning(bucket, .enabled)
        bucket = try await f.store.bucket("vers")
        let v1 = try await f.put(bucket, "k", "one")
        let v2 = try await f.put(bucket, "k", "two")
        #expect(v1.versionID != "null" && v1.versionID != v2.versionID)
        let marker = try await f.store.delete(bucket: bucket, key: "k", versionID: nil)
        #expect(marker.isDeleteMarker)
        await #expect(throws: StoreError.noSuchKey("k")) { try await f.store.head(bucket: bucket, key: "k") }
        let page = try await f.store.listVersions(bucket: bucket, ListRequest(), versionIDMarker: nil)
        #expect(page.objects.map(\.versionID) == [marker.versionID!, v2.versionID, v1.versionID, "null"])
        #expect(page.objects.map(\.isLatest) == [true, false, false, false])
        // Continue after the second entry of the key.
        let rest = try await f.store.listVersions(bucket: bucket, ListRequest(after: "k"), versionIDMarker: v2.versionID)
        #expect(rest.objects.map(\.versionID) == [v1.versionID, "null"])
        // Removing the marker makes the newest version latest again.
        _ = try await f.store.delete(bucket: bucket, key: "k", versionID: marker.versionID)
        #expect(try await f.read(bucket, "k") == "two")
        await f.cleanup()
    }

    /// A completion that read the upload before another completion or an abort ended it answers
    /// as a retry does: with the version made, or NoSuchUpload (review finding: InvalidPart or
    /// NoSuchUpload to the second of two racing completions).
    @Test func aCompletionOfAnUploadEndedMeanwhileAnswersAsARetry() async throws {
        let f = try StoreFixture()
        defer { Task { await f.cleanup() } }
        try await f.store.setVersioning(try await f.store.createBucket("mpu-race"), .enabled)
        let bucket = try await f.store.bucket("mpu-race")  // versioned: each completion would make a version of its own
        for ending in ["completed", "aborted"] {
            let upload = try await f.store.createUpload(bucket: bucket, key: ending, attributes: ObjectAttributes(), checksumAlgorithm: nil, checksumType: nil)
            let staged = try await f.store.stage(Chunks([ByteBuffer(string: "only part")]), plan: HashingPlan(checksums: []), maxSize: 1 << 20)
            let part = try await f.store.commitPart(staged, upload: upload, number: 1)
            let requested = [ObjectStore.RequestedPart(number: 1, etag: part.etag, checksum: nil)]
            if ending == "completed" {
                let first = try await f.store.complete(bucket: bucket, upload: upload, requested: requested, fullObjectChecksum: nil, condition: nil)
                // The same upload record, read before the first completion committed.
                let second = try await f.store.complete(bucket: bucket, upload: upload, requested: requested, fullObjectChecksum: nil, condition: nil)
                #expect(first.versionID != "null" && second.versionID == first.versionID && second.etag == first.etag)
            } else {
                try await f.store.abort(bucket: bucket, key: ending, uploadID: upload.uploadID)
                await #expect(throws: StoreError.noSuchUpload(upload.uploadID)) {
                    try await f.store.complete(bucket: bucket, upload: upload, requested: requested, fullObjectChecksum: nil, condition: nil)
                }
            }
        }
    }

    @Test func multipartCompletionRecordsPartsWithoutCopying() async throws {
        let f = try StoreFixture()
        let bucket = try await f.store.createBucket("mpu")
        let upload = try await f.store.createUpload(bucket: bucket, key: "big", attributes: ObjectAttributes(), checksumAlgorithm: .crc32, checksumType: nil)
        #expect(upload.checksumType == "COMPOSITE")
        let first = String(repeating: "a", count: Int(ObjectStore.minimumPartSize))
        var parts: [StoredPart] = []
        for (number, text) in [(1, first), (2, "tail")] {
            let staged = try await f.store.stage(Chunks([ByteBuffer(string: text)]), plan: HashingPlan(checksums: [.crc32]), maxSize: 1 << 30)
            parts.append(try await f.store.commitPart(staged, upload: upload, number: number))
        }
        let blobsBefore = Set(await f.blobFiles().map { String($0.split(separator: "/").last!) })
        let version = try await f.store.complete(
            bucket: bucket, upload: upload, requested: parts.map { .init(number: $0.number, etag: $0.etag, checksum: nil) },
            fullObjectChecksum: nil, condition: nil)
        #expect(version.etag.hasSuffix("-2\""))
        #expect(version.size == ObjectStore.minimumPartSize + 4)
        // The object's bytes are the part blobs themselves.
        #expect(Set(await f.blobFiles().map { String($0.split(separator: "/").last!) }) == blobsBefore)
        let (_, body) = try await f.store.open(bucket: bucket, key: "big", versionID: nil, range: (ObjectStore.minimumPartSize - 2)...(ObjectStore.minimumPartSize + 1))
        var read = ""
        try await body!.stream { read += String(buffer: $0) }
        #expect(read == "aata")
        // Lookups by key read a multipart version's parts in the same transaction as the version
        // (on the pool); a version written whole carries none.
        let byKey = try await f.index.latestVersion(bucketID: bucket.id, key: "big", withData: false)
        let byID = try await f.index.version(bucketID: bucket.id, key: "big", versionID: version.versionID, withData: false)
        let byUpload = try await f.index.completedVersion(bucketID: bucket.id, uploadID: upload.uploadID)
        for found in [byKey, byID, byUpload] {
            #expect(found?.parts?.map(\.number) == [1, 2] && found?.parts?.map(\.blobID) == parts.map(\.blobID))
        }
        try await f.put(bucket, "whole", "bytes")
        let whole = try await f.index.latestVersion(bucketID: bucket.id, key: "whole", withData: true)
        #expect(whole?.parts == nil && whole?.inlineData.map { Array($0.readableBytesView) } == Array("bytes".utf8))
        await #expect(throws: StoreError.noSuchUpload(upload.uploadID)) { try await f.store.abort(bucket: bucket, key: "big", uploadID: upload.uploadID) }
        await f.cleanup()
    }
}
