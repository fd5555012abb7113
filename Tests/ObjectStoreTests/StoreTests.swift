import Crypto
import Foundation
import Logging
import NIOCore
@testable import ObjectIndexSQLite
import SQLiteSupport
import Synchronization
import Testing

@testable import ObjectStore

/// The store over the real SQLite index and disk blob store, in a fresh temporary directory.
struct StoreFixture {
    let directory: String
    let index: SQLiteObjectIndex
    let store: ObjectStore

    /// - Parameter inlineLimit: 0 puts every object in a blob, for the tests of the blob path.
    init(inlineLimit: Int = ObjectStore.defaultInlineLimit) throws {
        directory = NSTemporaryDirectory() + "floe-store-test-" + RandomID.make()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        index = try SQLiteObjectIndex(path: directory + "/index.sqlite")
        store = ObjectStore(
            index: index, blobs: try DiskBlobStore(root: directory + "/blobs"), region: "us-east-1", logger: Logger(label: "test"),
            inlineLimit: inlineLimit)
    }

    func cleanup() async {
        await index.close()
        try? FileManager.default.removeItem(atPath: directory)
    }

    @discardableResult
    func put(_ bucket: BucketRecord, _ key: String, _ text: String) async throws -> ObjectVersion {
        let staged = try await store.stage(Chunks([ByteBuffer(string: text)]), plan: HashingPlan(), maxSize: 1 << 30)
        return try await store.commit(staged, bucket: bucket, key: key, attributes: ObjectAttributes())
    }

    func read(_ bucket: BucketRecord, _ key: String) async throws -> String {
        let (_, body) = try await store.open(bucket: bucket, key: key, versionID: nil, range: nil)
        guard let body else { return "" }
        var text = ""
        try await body.stream { text += String(buffer: $0) }
        return text
    }

    /// The blob files in place once every blob released so far is deleted (`BlobReclaimer`).
    func blobFiles() async -> [String] {
        await store.blobs.settle()
        return (FileManager.default.enumerator(atPath: directory + "/blobs/objects")?.allObjects as? [String] ?? [])
            .filter { $0.split(separator: "/").count == 3 }
    }
}

/// A request body made of fixed buffers.
struct Chunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let buffers: [ByteBuffer]
    init(_ buffers: [ByteBuffer]) { self.buffers = buffers }
    struct AsyncIterator: AsyncIteratorProtocol {
        var rest: [ByteBuffer]
        mutating func next() async throws -> ByteBuffer? { rest.isEmpty ? nil : rest.removeFirst() }
    }
    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(rest: buffers) }
}

@Suite struct StoreTests {
    @Test func bucketLifecycle() async throws {
        let f = try StoreFixture()
        let bucket = try await f.store.createBucket("alpha")
        await #expect(throws: StoreError.bucketAlreadyOwnedByYou("alpha")) { try await f.store.createBucket("alpha") }
        await #expect(throws: StoreError.invalidBucketName("Bad_Name")) { try await f.store.createBucket("Bad_Name") }
        try await f.put(bucket, "k", "v")
        await #expect(throws: StoreError.bucketNotEmpty("alpha")) { try await f.store.deleteBucket("alpha") }
        _ = try await f.store.delete(bucket: bucket, key: "k", versionID: nil)
        try await f.store.deleteBucket("alpha")
        await #expect(throws: StoreError.noSuchBucket("alpha")) { try await f.store.bucket("alpha") }
        await f.cleanup()
    }

    /// A DeleteBucket refused because objects remain leaves the bucket's multipart uploads in
    /// progress (review finding: they were aborted first, so a refused delete lost them).
    @Test func aRefusedDeleteOfABucketKeepsItsUploads() async throws {
        let f = try StoreFixture()
        defer { Task { await f.cleanup() } }
        let bucket = try await f.store.createBucket("kept-uploads")
        try await f.put(bucket, "k", "v")
        let upload = try await f.store.createUpload(bucket: bucket, key: "mp", attributes: ObjectAttributes(), checksumAlgorithm: nil, checksumType: nil)
        await #expect(throws: StoreError.bucketNotEmpty("kept-uploads")) { try await f.store.deleteBucket("kept-uploads") }
        #expect(try await f.store.upload(bucket: bucket, key: "mp", uploadID: upload.uploadID).uploadID == upload.uploadID)
        _ = try await f.store.delete(bucket: bucket, key: "k", versionID: nil)
        try await f.store.deleteBucket("kept-uploads")
        await #expect(throws: StoreError.noSuchBucket("kept-uploads")) { try await f.store.bucket("kept-uploads") }
    }

    @Test func overwriteReplacesAndRemovesOldBlob() async throws {
        let f = try StoreFixture(inlineLimit: 0)
        let bucket = try await f.store.createBucket("bkt")
        let first = try await f.put(bucket, "key", "first")
        let second = try await f.put(bucket, "key", "second version")
        #expect(first.blobID != second.blobID)
        #expect(try await f.read(bucket, "key") == "second version")
        #expect(await f.blobFiles().count == 1)
        let usage = try await f.index.usage()
        #expect(usage.objects == 1 && usage.bytes == 14)
        _ = try await f.store.delete(bucket: bucket, key: "key", versionID: nil)
        #expect(await f.blobFiles().isEmpty)
        await #expect(throws: StoreError.noSuchKey("key")) { try await f.store.head(bucket: bucket, key: "key") }
        // Deleting again is not an error.
        _ = try await f.store.delete(bucket: bucket, key: "key", versionID: nil)
        await f.cleanup()
    }

    @Test func keysAreNeverPaths() async throws {
        let f = try StoreFixture()
        let bucket = try await f.store.createBucket("bkt")
        let keys = ["../x", "../../etc/passwd", "a//b", "dir/", "/lead", " space ", "a+b=c", "é", "e\u{301}", "tab\there", "nul\u{0}byte", "\u{7f}"]
        for key in keys { try await f.put(bucket, key, "value of \(key)") }
        for key in keys { #expect(try await f.read(bucket, key) == "value of \(key)") }
        // Canonically equal but byte-different keys are different objects.
        let composed = try await f.read(bucket, "\u{E9}")
        let decomposed = try await f.read(bucket, "e\u{301}")
        #expect(!composed.utf8.elementsEqual(decomposed.utf8))
        #expect(!FileManager.default.fileExists(atPath: f.directory + "/x"))
        let listed = try await f.store.list(bucket: bucket, ListRequest(maxKeys: 1000)).objects.map(\.key)
        #expect(listed.count == keys.count)
        #expect(listed == listed.sorted { keyPrecedes($0, $1) })
        await f.cleanup()
    }

    @Test func listingWithDelimiterAndPages() async throws {
        let f = try StoreFixture()
        let bucket = try await f.store.createBucket("bkt")
        let keys = ["a/1", "a/2", "a/b/3", "b", "c/1", "c/2", "d", "e/f/g", "e/x"]
        for key in keys { try await f.put(bucket, key, key) }

        let all = try await f.store.list(bucket: bucket, ListRequest(delimiter: "/"))
        #expect(all.entries.map(\.marker) == ["a/", "b", "c/", "d", "e/"])
        #expect(all.commonPrefixes == ["a/", "c/", "e/"])
        #expect(!all.isTruncated)

        // Page through with max-keys 2: every entry exactly once, in order.
        var seen: [String] = []
        var after: String?
        var pages = 0
        repeat {
            let page = try await f.store.list(bucket: bucket, ListRequest(delimiter: "/", after: after, maxKeys: 2))
            seen += page.entries.map(\.marker)
            after = page.nextMarker
            pages += 1
        } while after != nil && pages < 10
        #expect(seen == ["a/", "b", "c/", "d", "e/"])
        #expect(pages == 3)

        let prefixed = try await f.store.list(bucket: bucket, ListRequest(prefix: "a/", delimiter: "/"))
        #expect(prefixed.entries.map(\.marker) == ["a/1", "a/2", "a/b/"])
        let noDelimiter = try await f.store.list(bucket: bucket, ListRequest(prefix: "e", maxKeys: 1))
        #expect(noDelimiter.entries.map(\.marker) == ["e/f/g"])
        #expect(noDelimiter.isTruncated)
        let empty = try await f.store.list(bucket: bucket, ListRequest(maxKeys: 0))
        #expect(empty.entries.isEmpty)
        let multiByteDelimiter = try await f.store.list(bucket: bucket, ListRequest(delimiter: "/1"))
        #expect(multiByteDelimiter.commonPrefixes == ["a/1", "c/1"])
        await f.cleanup()
    }

    @Test func verifyCatchesBrokenPromises() async throws {
        let f = try StoreFixture()
        let staged = try await f.store.stage(Chunks([ByteBuffer(string: "hello "), ByteBuffer(string: "world")]), plan: HashingPlan(sha256: true, checksums: [.crc32]), maxSize: 100)
        #expect(staged.etag == "\"5eb63bbbe01eeed093cb22bb8f5acdc3\"")
        #expect(staged.checksums[.crc32] == "DUoRhQ==")
        try staged.verify(UploadExpectations(length: 11, sha256Hex: "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9", checksums: [.crc32: "DUoRhQ=="]))
        #expect(throws: StoreError.incompleteBody(expected: 12, received: 11)) { try staged.verify(UploadExpectations(length: 12)) }
        #expect(throws: StoreError.badDigest) { try staged.verify(UploadExpectations(md5: [UInt8](repeating: 0, count: 16))) }
        #expect(throws: StoreError.contentSHA256Mismatch) { try staged.verify(UploadExpectations(sha256Hex: String(repeating: "0", count: 64))) }
        #expect(throws: StoreError.checksumMismatch(.crc32)) { try staged.verify(UploadExpectations(checksums: [.crc32: "AAAAAA=="])) }
        await f.store.discard(staged)
        await #expect(throws: StoreError.entityTooLarge(limit: 5)) {
            _ = try await f.store.stage(Chunks([ByteBuffer(string: "123456")]), plan: HashingPlan(), maxSize: 5)
        }
        // Nothing staged survives: both temporary files are gone.
        #expect((try FileManager.default.contentsOfDirectory(atPath: f.directory + "/blobs/tmp")).isEmpty)
        await f.cleanup()
    }

    @Test func smallObjectsLiveInTheIndexRow() async throws {
        let f = try StoreFixture()
        let bucket = try await f.store.createBucket("bkt")
        let limit = ObjectStore.defaultInlineLimit
        // Up to the limit, however the body is chunked: no blob, no temporary file.
        let small = String(repeating: "s", count: limit)
        let staged = try await f.store.stage(
            Chunks([ByteBuffer(string: String(small.prefix(1000))), ByteBuffer(string: String(small.dropFirst(1000)))]), plan: HashingPlan(),
            maxSize: 1 << 30)
        let inline = try await f.store.commit(staged, bucket: bucket, key: "small", attributes: ObjectAttributes())
        #expect(inline.blobID == nil && inline.inlineData?.readableBytes == limit)
        #expect(await f.blobFiles().isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: f.directory + "/blobs/tmp").isEmpty)
        #expect(try await f.read(bucket, "small") == small)
        let (_, ranged) = try await f.store.open(bucket: bucket, key: "small", versionID: nil, range: 10...19)
        #expect(ranged?.inMemory.map { String(buffer: $0) } == String(small.dropFirst(10).prefix(10)))
        // Empty objects are inline too.
        try await f.put(bucket, "empty", "")
        #expect(try await f.store.version(bucket: bucket, key: "empty", versionID: nil, withData: true).inlineData.map { Array($0.readableBytesView) } == [])
        // Metadata reads (HEAD, preconditions, tags) leave the bytes in the row.
        #expect(try await f.store.head(bucket: bucket, key: "small").inlineData == nil)
        #expect(try await f.store.version(bucket: bucket, key: "small", versionID: nil, withData: true).inlineData?.readableBytes == limit)
        // One byte more goes to a blob, even when the first chunks fit.
        let large = String(repeating: "L", count: limit + 1)
        let blobStaged = try await f.store.stage(
            Chunks([ByteBuffer(string: String(large.prefix(limit))), ByteBuffer(string: "L")]), plan: HashingPlan(), maxSize: 1 << 30)
        let blob = try await f.store.commit(blobStaged, bucket: bucket, key: "small", attributes: ObjectAttributes())
        #expect(blob.blobID != nil && blob.inlineData == nil && blob.etag == ETag.quoted(md5: Array(Insecure.MD5.hash(data: Array(large.utf8)))))
        #expect(await f.blobFiles().count == 1)
        #expect(try await f.read(bucket, "small") == large)
        // Overwriting with a small body again frees the blob; listing never carries the bytes.
        try await f.put(bucket, "small", "tiny")
        #expect(await f.blobFiles().isEmpty)
        #expect(try await f.read(bucket, "small") == "tiny")
        let page = try await f.store.list(bucket: bucket, ListRequest())
        #expect(page.objects.map(\.key) == ["empty", "small"] && page.objects.allSatisfy { $0.inlineData == nil })
        // A multipart part always gets a blob of its own, even a small one.
        let upload = try await f.store.createUpload(bucket: bucket, key: "mp", attributes: ObjectAttributes(), checksumAlgorithm: nil, checksumType: nil)
        let part = try await f.store.commitPart(
            try await f.store.stage(Chunks([ByteBuffer(string: "part")]), plan: HashingPlan(), maxSize: 100), upload: upload, number: 1)
        #expect(await f.blobFiles().map { String($0.split(separator: "/").last!) } == [part.blobID])
        await f.cleanup()
    }

    /// Review finding: the decoded-attributes cache was keyed by String, which equates canonically
    /// equivalent texts, so one user's NFC tag came back for another's NFD tag. Bytes are kept.
    @Test func attributesComeBackByteForByte() async throws {
        let f = try StoreFixture()
        let bucket = try await f.store.createBucket("bkt")
        let composed = "caf\u{E9}", decomposed = "cafe\u{301}"
        for (key, text) in [("nfc", composed), ("nfd", decomposed)] {
            var attributes = ObjectAttributes()
            attributes.tags = [MetadataEntry("t", text)]
            attributes.userMetadata = [MetadataEntry("m", text)]
            let staged = try await f.store.stage(Chunks([ByteBuffer(string: "x")]), plan: HashingPlan(), maxSize: 10)
            _ = try await f.store.commit(staged, bucket: bucket, key: key, attributes: attributes)
        }
        for (key, text) in [("nfc", composed), ("nfd", decomposed)] {
            let stored = try await f.store.head(bucket: bucket, key: key).attributes
            #expect(Array(stored.tags[0].value.utf8) == Array(text.utf8), "\(key) tag")
            #expect(Array(stored.userMetadata[0].value.utf8) == Array(text.utf8), "\(key) metadata")
        }
        await f.cleanup()
    }

    /// The same finding at the cache itself, with two attribute documents that differ only in the
    /// normalization of one value (the encoder's key order varies, so the store-level test above
    /// reaches the collision only sometimes).
    @Test func attributeCacheKeepsEquivalentTextsApart() throws {
        var attributes = ObjectAttributes()
        attributes.tags = [MetadataEntry("t", "caf\u{E9} 7f3a")]
        let nfc = try VersionRows.encode(attributes)
        // The same document, byte for byte, but for the decomposed é.
        let nfd = String(decoding: Array(nfc.utf8).split(separator: 0xC3, maxSplits: 1, omittingEmptySubsequences: false)
            .enumerated().flatMap { $0.offset == 0 ? Array($0.element) : Array("e\u{301}".utf8) + Array($0.element.dropFirst()) }, as: UTF8.self)
        #expect(nfc == nfd)  // Swift equates them; the cache must not
        let first = try VersionRows.decodeAttributes(.text(nfc))
        let second = try VersionRows.decodeAttributes(.text(nfd))
        #expect(Array(first.tags[0].value.utf8) == Array("caf\u{E9} 7f3a".utf8))
        #expect(Array(second.tags[0].value.utf8) == Array("cafe\u{301} 7f3a".utf8))
    }

    /// Encodings of shared attribute sets are kept, but never handed to a set that only
    /// `String` equality (canonical equivalence) would take for the same.
    @Test func attributeEncodingsAreSharedOnlyByteForByte() throws {
        var plain = ObjectAttributes(contentHeaders: ["content-type": "application/json"])
        #expect(VersionRows.isShared(plain))
        let first = try VersionRows.encode(plain)
        #expect(try VersionRows.encode(plain) == first)
        plain.contentHeaders["content-type"] = "text/plain"
        #expect(try VersionRows.encode(plain) != first)

        let composed = ObjectAttributes(contentHeaders: ["content-disposition": "attachment; filename=caf\u{E9}"])
        let decomposed = ObjectAttributes(contentHeaders: ["content-disposition": "attachment; filename=cafe\u{301}"])
        #expect(composed == decomposed)  // Swift equates them
        #expect(!VersionRows.isShared(composed) && !VersionRows.isShared(decomposed))
        let texts = [try VersionRows.encode(composed), try VersionRows.encode(decomposed)]
        #expect(try JSONDecoder().decode(ObjectAttributes.self, from: Data(texts[1].utf8)).contentHeaders["content-disposition"].map { Array($0.utf8) }
            == Array("attachment; filename=cafe\u{301}".utf8))
        // Per-object values are not kept.
        var checksummed = ObjectAttributes()
        checksummed.checksums[.crc32] = "AAAAAA=="
        #expect(!VersionRows.isShared(checksummed))
    }

    @Test func sweepRemovesOrphansAndTemporaries() async throws {
        let f = try StoreFixture(inlineLimit: 0)
        let bucket = try await f.store.createBucket("bkt")
        try await f.put(bucket, "kept", "data")
        // A crash after the blob was renamed but before the index commit (a staged upload is
        // already in place) leaves an orphan; a crash before the body's end, a temporary file.
        let orphan = try await f.store.stage(Chunks([ByteBuffer(string: "orphan")]), plan: HashingPlan(), maxSize: 100)
        _ = try await f.store.commitBlob(orphan)
        let partial = try await f.store.blobs.beginWrite()
        try await partial.append(ByteBuffer(string: "partial"))
        #expect(await f.blobFiles().count == 2)
        #expect(f.store.blobs.sweepTemporary() == 1)
        let now = Int64(Date().timeIntervalSince1970) * 1_000_000_000
        // A blob written after the sweep's cutoff (this process's start) may be an upload in
        // flight: it is kept; one written before it is an orphan and goes.
        let young = try await f.store.blobs.sweepOrphans(writtenBefore: now - 60_000_000_000) { ids throws(StoreError) in try await f.index.referencedBlobs(among: ids) }
        #expect(young == 0)
        #expect(await f.blobFiles().count == 2)
        let old = try await f.store.blobs.sweepOrphans(writtenBefore: now + 60_000_000_000) { ids throws(StoreError) in try await f.index.referencedBlobs(among: ids) }
        #expect(old == 1)
        #expect(await f.blobFiles().count == 1)
        #expect(try await f.read(bucket, "kept") == "data")
        await f.cleanup()
    }

    @Test func concurrentOverwritesNeverMix() async throws {
        let f = try StoreFixture()
        let bucket = try await f.store.createBucket("bkt")
        let bodies = (0..<16).map { i in String(repeating: Character(UnicodeScalar(UInt8(65 + i))), count: 200_000) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for body in bodies {
                group.addTask {
                    let chunks = stride(from: 0, to: body.utf8.count, by: 8192).map { start in
                        ByteBuffer(string: String(body.dropFirst(start).prefix(8192)))
                    }
                    let staged = try await f.store.stage(Chunks(chunks), plan: HashingPlan(), maxSize: 1 << 30)
                    _ = try await f.store.commit(staged, bucket: bucket, key: "hot", attributes: ObjectAttributes())
                }
            }
            try await group.waitForAll()
        }
        let final = try await f.read(bucket, "hot")
        #expect(bodies.contains(final))
        #expect(await f.blobFiles().count == 1)
        await f.cleanup()
    }
}

/// A copy reads only a source version its caller prepared (authorized, checked): CopyObject
/// looked the source up, authorized it, and staged it by its version id, so an unversioned source
/// replaced in between (both `null`) was read as its successor, whose SSE-KMS key nobody had
/// checked.
@Suite struct CopySourceTests {
    @Test func everyVersionReadWasPreparedFirst() async throws {
        let f = try StoreFixture(inlineLimit: 0)
        let bucket = try await f.store.createBucket("copies")
        try await f.put(bucket, "src", "first")
        let seen = Mutex<[ObjectVersion]>([])
        let (read, staged) = try await f.store.stageCopy(bucket: bucket, key: "src", versionID: nil) { version in
            let first = seen.withLock { seen in
                seen.append(version)
                return seen.count == 1
            }
            if first {
                // Replaced after it was prepared and before its bytes are read: the old blob is
                // unlinked, and the copy reads the version that replaced it.
                try await f.put(bucket, "src", "second")
                _ = await f.store.blobs.settle()
            }
            return (HashingPlan(), nil)
        }
        let prepared = seen.withLock { $0 }
        #expect(prepared.count == 2)
        #expect(read == prepared.last)
        let copy = try await f.store.commit(staged, bucket: bucket, key: "copy", attributes: ObjectAttributes())
        #expect(copy.size == 6)
        #expect(try await f.read(bucket, "copy") == "second")
        await f.cleanup()
    }
}
