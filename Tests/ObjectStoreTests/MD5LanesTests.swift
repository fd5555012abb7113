import CMD5
import Crypto
import NIOCore
@testable import ObjectStore
import Synchronization
import Testing

/// Floe's own MD5 (the ETag of every upload): one stream at a time, concurrent streams sharing
/// vector lanes, and uploads cut into chunks, all against swift-crypto's MD5.
@Suite struct MD5LanesTests {
    /// Bytes that differ from stream to stream and from block to block.
    static func bytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<count).map { _ in
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return UInt8(truncatingIfNeeded: state)
        }
    }

    static func reference(_ bytes: [UInt8]) -> [UInt8] { Array(Insecure.MD5.hash(data: bytes)) }

    /// Cuts `bytes` into pieces whose lengths follow `seed` (from 1 byte to `largest`).
    static func pieces(_ bytes: [UInt8], seed: UInt64, largest: Int) -> [ArraySlice<UInt8>] {
        var cuts: [ArraySlice<UInt8>] = []
        var at = 0
        var state = seed | 1
        while at < bytes.count {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let length = min(bytes.count - at, 1 + Int(state >> 33) % largest)
            cuts.append(bytes[at..<at + length])
            at += length
        }
        return cuts
    }

    @Test func aStreamFedInPiecesGivesTheDigestOfItsBytes() {
        for length in Array(0...200) + [1023, 4096, 65_599, 300_001] {
            let data = Self.bytes(length, seed: UInt64(length))
            for largest in [1, 7, 64, 100, 5000] where largest < 100 || length > 200 || largest == 100 {
                var stream = MD5Stream()
                for piece in Self.pieces(data, seed: UInt64(largest), largest: largest) {
                    piece.withUnsafeBytes { stream.update($0) }
                }
                #expect(stream.finalize() == Self.reference(data), "length \(length), pieces up to \(largest)")
            }
        }
    }

    /// Chunks handed to the lanes while the ones before them are still being hashed, mixed with
    /// small pieces hashed in place, give the digest of the bytes in order: each chunk's hash
    /// starts from the state the chunk before it ends with, however far behind the hashing runs.
    @Test func chunksHashedBehindTheUploadGiveTheDigestOfItsBytes() async {
        for seed in UInt64(1)...6 {
            let data = Self.bytes(3_000_000 + Int(seed) * 9_973, seed: seed)
            var md5 = LaggingMD5()
            for piece in Self.pieces(data, seed: seed, largest: 300_000) {
                if piece.count >= MD5Lanes.smallest {
                    await md5.add(ByteBuffer(bytes: piece))
                } else {
                    await md5.update(ByteBuffer(bytes: piece))
                }
            }
            #expect(await md5.current().finalize() == Self.reference(data), "seed \(seed)")
        }
    }

    /// An upload that fails (here: over its size limit) waits for the hashing of the chunks it
    /// handed over: a client breaking uploads off could otherwise leave chunks held and hashed
    /// after their uploads, faster than the lanes let them go.
    @Test func anUploadThatFailsLeavesNoHashingBehind() async throws {
        let f = try StoreFixture(inlineLimit: 0)
        let chunk = DiskBlobStore.writeChunk
        for round in 0..<5 {
            let data = Self.bytes(4 * chunk, seed: UInt64(round) + 31)
            let body = Chunks(Self.pieces(data, seed: UInt64(round), largest: 300_000).map { ByteBuffer(bytes: $0) })
            let tracker = RunningCount()
            await #expect(throws: StoreError.self) {
                try await LaggingMD5.$tracker.withValue(tracker) {
                    _ = try await f.store.stage(body, plan: HashingPlan(), maxSize: Int64(3 * chunk + 5))
                }
            }
            #expect(tracker.running.load(ordering: .relaxed) == 0, "round \(round)")
        }
        await f.cleanup()
    }

    /// Chunks hashed behind their uploads are bounded across every upload, not per upload: four
    /// uploads of 6 MiB at once, sharing two slots, never have more than two chunks hashed
    /// behind them (up to eight without a shared bound: two each), and each still gets the
    /// digest of its bytes.
    @Test func chunksHashedBehindAreBoundedAcrossUploads() async {
        let behind = SlotLimit(slots: 2)
        let tracker = RunningCount()
        let chunk = DiskBlobStore.writeChunk
        let digests = await LaggingMD5.$tracker.withValue(tracker) {
            await withTaskGroup(of: Bool.self) { group in
                for upload in 0..<4 {
                    group.addTask {
                        let data = Self.bytes(6 * chunk + upload * 4_099, seed: UInt64(upload) + 71)
                        var md5 = LaggingMD5(behind: behind)
                        var at = 0
                        while at < data.count {
                            let piece = data[at..<min(at + chunk, data.count)]
                            at += piece.count
                            if piece.count >= MD5Lanes.smallest {
                                await md5.add(ByteBuffer(bytes: piece))
                            } else {
                                await md5.update(ByteBuffer(bytes: piece))
                            }
                        }
                        return await md5.current().finalize() == Self.reference(data)
                    }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
        }
        #expect(digests == [true, true, true, true])
        #expect(tracker.peak.load(ordering: .relaxed) <= 2)
        #expect(tracker.peak.load(ordering: .relaxed) >= 1)
        #expect(behind.inUse == 0)
    }

    /// Many streams at once, with lengths that are not whole blocks, so passes mix streams of
    /// different lengths, streams that end early and streams joining later.
    @Test func concurrentStreamsOnTheLanesGiveTheirOwnDigests() async {
        let streams = 40
        let results = await withTaskGroup(of: (Int, Bool).self) { group in
            for n in 0..<streams {
                group.addTask {
                    let data = Self.bytes(1000 + n * 37_129, seed: UInt64(n) + 99)
                    var stream = MD5Stream()
                    for piece in Self.pieces(data, seed: UInt64(n), largest: 70_000) {
                        await MD5Lanes.shared.update(&stream, with: ByteBuffer(bytes: piece))
                    }
                    return (n, stream.finalize() == Self.reference(data))
                }
            }
            var results: [Int: Bool] = [:]
            for await (n, same) in group { results[n] = same }
            return results
        }
        #expect(results.count == streams)
        #expect(results.values.allSatisfy { $0 }, "streams with a wrong digest: \(results.filter { !$0.value }.keys.sorted())")
    }

    /// `floe_md5_lanes` for every count of streams, each of a different length, so that every
    /// count of lanes in use is hashed, down to the last stream alone.
    @Test func everyCountOfStreamsHashedTogetherGivesEachItsOwnDigest() {
        for count in 1...8 {
            let data = (0..<count).map { Self.bytes(64 * (3 + 11 * $0), seed: UInt64(count * 10 + $0)) }
            let starts = data.indices.map { data[..<$0].reduce(0) { $0 + $1.count } }
            var words = [MD5State](repeating: MD5State(), count: count).map(\.words)
            data.joined().map { $0 }.withUnsafeBufferPointer { all in
                let pointers = starts.map { UnsafePointer<UInt8>?(all.baseAddress! + $0) }
                words.withUnsafeMutableBufferPointer { states in
                    floe_md5_lanes(states.baseAddress, pointers, data.map { $0.count / 64 }, Int32(count))
                }
            }
            for i in 0..<count {
                var stream = MD5Stream()
                stream.state.words = words[i]
                stream.length = UInt64(data[i].count)
                #expect(stream.finalize() == Self.reference(data[i]), "stream \(i) of \(count)")
            }
        }
    }

    /// Bodies around the write chunk's size, in pieces of every kind, into blobs and inline:
    /// the ETag is the MD5 of the bytes and the object reads back the same.
    @Test func stagedBodiesAroundTheChunkSizeKeepTheirBytesAndDigest() async throws {
        let chunk = DiskBlobStore.writeChunk
        for inlineLimit in [0, ObjectStore.defaultInlineLimit] {
            let f = try StoreFixture(inlineLimit: inlineLimit)
            let bucket = try await f.store.createBucket("chunks")
            for (i, length) in [0, 1, 63, 64 * 1024 - 1, 64 * 1024, 64 * 1024 + 1, chunk - 1, chunk, chunk + 1, 2 * chunk + 12_345].enumerated() {
                let data = Self.bytes(length, seed: UInt64(i) + 7)
                let body = Chunks(Self.pieces(data, seed: UInt64(i), largest: 200_000).map { ByteBuffer(bytes: $0) })
                let staged = try await f.store.stage(body, plan: HashingPlan(), maxSize: 1 << 30)
                #expect(staged.md5 == Self.reference(data), "length \(length)")
                #expect(staged.size == Int64(length))
                try await f.store.commit(staged, bucket: bucket, key: "k\(i)", attributes: ObjectAttributes())
                let (_, stored) = try await f.store.open(bucket: bucket, key: "k\(i)", versionID: nil, range: nil)
                var back: [UInt8] = []
                try await stored?.stream { back += Array($0.readableBytesView) }
                #expect(back == data, "length \(length), inline limit \(inlineLimit)")
            }
            await f.cleanup()
        }
    }

    /// A blob's last bytes are written, fsynced and put in place while their MD5 is taken:
    /// staging hands over a blob already durable, sealed or not, so its commit has nothing left
    /// to do; discarding it removes it from its place. A finished blob takes no more bytes.
    @Test func stagedBlobsAreDurableBeforeTheirCommit() async throws {
        let chunk = DiskBlobStore.writeChunk
        let f = try StoreFixture(inlineLimit: 0)
        for key in [nil, SymmetricKey(size: .bits256)] {
            for (i, length) in [1, 64 * 1024 + 1, chunk - 1, chunk, chunk + 1, 2 * chunk].enumerated() {
                let data = Self.bytes(length, seed: UInt64(i) + 99)
                let body = Chunks(Self.pieces(data, seed: UInt64(i), largest: 300_000).map { ByteBuffer(bytes: $0) })
                let staged = try await f.store.stage(body, plan: HashingPlan(), maxSize: 1 << 30, encryptingWith: key)
                guard case .blob(let writer) = staged.storage else {
                    Issue.record("length \(length) was not staged in a blob")
                    continue
                }
                #expect(writer.isPlaced, "length \(length), sealed \(key != nil)")
                #expect(staged.md5 == Self.reference(data))
                await f.store.discard(staged)
                #expect(try await f.store.blobs.open(writer.blobID) == nil, "discarded, length \(length)")
            }
        }
        // A commit refused before the index is written leaves no placed blob behind.
        let bucket = try await f.store.createBucket("durable")
        let refused = try await f.store.stage(Chunks([ByteBuffer(bytes: Self.bytes(chunk, seed: 5))]), plan: HashingPlan(), maxSize: 1 << 30)
        guard case .blob(let placed) = refused.storage else { throw StoreError.internalFailure("not staged in a blob") }
        await #expect(throws: StoreError.self) { try await f.store.commit(refused, bucket: bucket, key: "", attributes: ObjectAttributes()) }
        #expect(try await f.store.blobs.open(placed.blobID) == nil)
        let writer = try await f.store.blobs.beginWrite()
        try await writer.append(ByteBuffer(bytes: [1, 2]))
        try await writer.finish(appending: ByteBuffer(bytes: [3]))
        #expect(writer.isPlaced)
        await #expect(throws: StoreError.self) { try await writer.append(ByteBuffer(bytes: [4])) }
        try await writer.commit()
        let reader = try #require(try await f.store.blobs.open(writer.blobID))
        #expect(reader.size == 3)
        reader.close()
        await writer.discard()
        #expect(try await f.store.blobs.open(writer.blobID) == nil)
        await f.cleanup()
    }
}
