import Crypto
import Foundation
import Logging
import NIOCore
import Testing

@testable import ObjectIndexSQLite
@testable import ObjectStore

@Suite struct SealedChunksTests {
    func seal(_ plaintext: [UInt8], key: SymmetricKey, pieces: Int = 3) throws -> ByteBuffer {
        var sealer = ChunkSealer(key: key)
        var output = ByteBuffer()
        let step = max(1, plaintext.count / pieces)
        var start = 0
        while start < plaintext.count {
            let end = min(plaintext.count, start + step)
            var sealed = try sealer.feed(ByteBuffer(bytes: plaintext[start..<end]))
            output.writeBuffer(&sealed)
            start = end
        }
        var last = try sealer.finish()
        output.writeBuffer(&last)
        return output
    }

    @Test func roundTripsEveryRangeAcrossChunkBoundaries() throws {
        let key = SymmetricKey(size: .bits256)
        let chunk = SealedChunks.chunkSize
        for size in [0, 1, chunk - 1, chunk, chunk + 1, 3 * chunk + 17] {
            let plaintext = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            let sealed = try seal(plaintext, key: key)
            #expect(Int64(sealed.readableBytes) == SealedChunks.sealedSize(plaintextSize: Int64(size)))
            // The plaintext is not in the sealed bytes.
            if size >= 64 { #expect(!Array(sealed.readableBytesView).starts(with: plaintext.prefix(64))) }
            guard size > 0 else { continue }
            let ranges: [ClosedRange<Int64>] = [0...Int64(size - 1), 0...0, Int64(size - 1)...Int64(size - 1), Int64(size / 2)...Int64(size - 1)]
                + (size > chunk ? [Int64(chunk - 2)...Int64(min(chunk + 1, size - 1))] : [])
            for range in ranges {
                let opened = try ObjectBody.openChunks(of: sealed, plaintextSize: Int64(size), range: range, key: key)
                #expect(Array(opened.readableBytesView) == Array(plaintext[Int(range.lowerBound)...Int(range.upperBound)]), "\(size) \(range)")
            }
        }
    }

    @Test func tamperingTruncationAndWrongKeysAreRefused() throws {
        let key = SymmetricKey(size: .bits256)
        let plaintext = [UInt8](repeating: 7, count: 2 * SealedChunks.chunkSize + 5)
        let sealed = try seal(plaintext, key: key)
        let size = Int64(plaintext.count)
        // A flipped bit in a chunk.
        var flipped = sealed
        flipped.setInteger(flipped.getInteger(at: 100, as: UInt8.self)! ^ 1, at: 100)
        #expect(throws: StoreError.self) { try ObjectBody.openChunks(of: flipped, plaintextSize: size, range: 0...10, key: key) }
        // Another key.
        #expect(throws: StoreError.self) { try ObjectBody.openChunks(of: sealed, plaintextSize: size, range: 0...10, key: SymmetricKey(size: .bits256)) }
        // Cut after the second chunk and claimed to be that long: its last chunk was not sealed as final.
        let cut = sealed.getSlice(at: 0, length: Int(SealedChunks.sealedOffset(ofChunk: 2)))!
        #expect(throws: StoreError.self) {
            try ObjectBody.openChunks(of: cut, plaintextSize: 2 * Int64(SealedChunks.chunkSize), range: 0...Int64(2 * SealedChunks.chunkSize - 1), key: key)
        }
        // Chunks swapped.
        var swapped = ByteBuffer(buffer: sealed)
        let one = sealed.getSlice(at: Int(SealedChunks.sealedOffset(ofChunk: 0)), length: SealedChunks.chunkSize + SealedChunks.tagSize)!
        let two = sealed.getSlice(at: Int(SealedChunks.sealedOffset(ofChunk: 1)), length: SealedChunks.chunkSize + SealedChunks.tagSize)!
        swapped.setBuffer(two, at: Int(SealedChunks.sealedOffset(ofChunk: 0)))
        swapped.setBuffer(one, at: Int(SealedChunks.sealedOffset(ofChunk: 1)))
        #expect(throws: StoreError.self) { try ObjectBody.openChunks(of: swapped, plaintextSize: size, range: 0...10, key: key) }
    }
}

@Suite struct KeyVaultTests {
    @Test func dataKeysUnwrapOnlyWithTheirKey() async throws {
        let f = try StoreFixture()
        defer { Task { await f.cleanup() } }
        let master = (0..<32).map { UInt8($0) }
        let vault = KeyVault(masterKey: master, index: f.index)
        let (s3Key, s3Info) = try await vault.newDataKey(.s3(bucketKey: nil))
        #expect(try await vault.dataKey(s3Info, customerKey: nil) == s3Key)
        // Another master key cannot open it.
        let other = KeyVault(masterKey: (0..<32).map { UInt8(31 - $0) }, index: f.index)
        await #expect(throws: StoreError.self) { try await other.dataKey(s3Info, customerKey: nil) }

        let customer = (0..<32).map { _ in UInt8.random(in: 0...255) }
        let md5 = Data(Insecure.MD5.hash(data: customer)).base64EncodedString()
        let (cKey, cInfo) = try await vault.newDataKey(.customer(key: customer, keyMD5: md5))
        #expect(!cInfo.wrappedKey.isEmpty && cInfo.customerKeyMD5 == md5)
        #expect(try await vault.dataKey(cInfo, customerKey: customer) == cKey)
        await #expect(throws: StoreError.encryptionKeyRequired) { try await vault.dataKey(cInfo, customerKey: nil) }
        await #expect(throws: StoreError.encryptionKeyMismatch) { try await vault.dataKey(cInfo, customerKey: customer.reversed()) }

        await #expect(throws: StoreError.kmsKeyNotFound("app")) { try await vault.newDataKey(.kms(keyID: "app", context: nil, bucketKey: nil)) }
        _ = try await vault.addKey("app", rotate: false)
        await #expect(throws: StoreError.self) { try await vault.addKey("app", rotate: false) }
        let (kKey, kInfo) = try await vault.newDataKey(.kms(keyID: "app", context: nil, bucketKey: true))
        #expect(kInfo.kmsKeyVersion == 1)
        // Rotation: new objects use version 2, old ones still open with version 1.
        _ = try await vault.addKey("app", rotate: true)
        let (_, rotated) = try await vault.newDataKey(.kms(keyID: "app", context: nil, bucketKey: nil))
        #expect(rotated.kmsKeyVersion == 2)
        #expect(try await KeyVault(masterKey: master, index: f.index).dataKey(kInfo, customerKey: nil) == kKey)
        // A wrapped key cannot be moved to another key's record.
        var moved = kInfo
        moved.kmsKeyVersion = 2
        await #expect(throws: StoreError.self) { try await vault.dataKey(moved, customerKey: nil) }
    }

    @Test func encryptedObjectsStreamRangesFromBlobsAndRows() async throws {
        for inlineLimit in [0, ObjectStore.defaultInlineLimit] {
            let directory = NSTemporaryDirectory() + "floe-enc-" + RandomID.make()
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let index = try SQLiteObjectIndex(path: directory + "/index.sqlite")
            let store = ObjectStore(
                index: index, blobs: try DiskBlobStore(root: directory + "/blobs"), region: "us-east-1", logger: .init(label: "t"),
                inlineLimit: inlineLimit, vault: KeyVault(masterKey: [UInt8](repeating: 9, count: 32), index: index))
            let bucket = try await store.createBucket("enc")
            let size = inlineLimit == 0 ? 3 * SealedChunks.chunkSize + 100 : 1000
            let plaintext = (0..<size).map { UInt8(truncatingIfNeeded: $0 * 7) }
            let (dataKey, info) = try #require(try await store.newDataKey(.s3(bucketKey: nil)))
            let staged = try await store.stage(Chunks([ByteBuffer(bytes: plaintext)]), plan: HashingPlan(), maxSize: 1 << 30, encryptingWith: dataKey)
            var attributes = ObjectAttributes()
            attributes.encryption = info
            let version = try await store.commit(staged, bucket: bucket, key: "k", attributes: attributes)
            // SSE-S3's ETag is the plaintext's MD5, as S3.
            #expect(version.etag == ETag.quoted(md5: Array(Insecure.MD5.hash(data: plaintext))))
            for range in [0...Int64(size - 1), Int64(size - 70)...Int64(size - 1), 5...5] {
                let (_, body) = try await store.open(bucket: bucket, key: "k", versionID: nil, range: range)
                var read: [UInt8] = []
                try await body!.stream { read += Array($0.readableBytesView) }
                #expect(read == Array(plaintext[Int(range.lowerBound)...Int(range.upperBound)]))
            }
            // What is on disk (or in the row) is not the plaintext.
            let stored = try await index.version(bucketID: bucket.id, key: "k", versionID: "null", withData: true)
            if let inline = stored?.inlineData.map({ Array($0.readableBytesView) }) { #expect(inline.count > size && !inline.starts(with: plaintext.prefix(32))) }
            await index.close()
            try? FileManager.default.removeItem(atPath: directory)
        }
    }
}
