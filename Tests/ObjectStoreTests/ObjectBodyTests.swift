import Foundation
import NIOCore
import Testing

@testable import ObjectStore

/// A body of many part blobs holds one of them open at a time, and the parts it has not passed
/// yet survive a concurrent delete (`BlobPins`).
@Suite struct ObjectBodyTests {
    struct Fixture {
        let directory = NSTemporaryDirectory() + "floe-body-" + UUID().uuidString
        let store: DiskBlobStore
        var version: ObjectVersion
        var contents: [UInt8] = []

        init(parts sizes: [Int]) async throws {
            store = try DiskBlobStore(root: directory)
            var parts: [StoredPart] = []
            for (n, size) in sizes.enumerated() {
                let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ n &* 101) }
                let writer = try await store.beginWrite()
                try await writer.append(ByteBuffer(bytes: bytes))
                try await writer.commit()
                contents += bytes
                parts.append(StoredPart(number: n + 1, size: Int64(size), md5Hex: "", blobID: writer.blobID, checksum: nil, lastModified: 0))
            }
            version = ObjectVersion(
                key: "k", versionID: "v", isLatest: true, isDeleteMarker: false, size: Int64(contents.count), etag: "e",
                lastModified: 0, blobID: nil, attributes: ObjectAttributes(), parts: parts)
        }

        var blobIDs: [String] { version.parts!.map(\.blobID) }
        func exists(_ blobID: String) -> Bool { FileManager.default.fileExists(atPath: store.finalPath(blobID).file) }
        func remove() { try? FileManager.default.removeItem(atPath: directory) }
    }

    @Test func aBodyOfManyPartsReadsThroughOneOpenBlobAtATime() async throws {
        let fixture = try await Fixture(parts: [300_000, 200_000, 1, 450_000, 70_000, 90_000])
        defer { fixture.remove() }
        let range: ClosedRange<Int64> = 150_000...Int64(fixture.contents.count - 10)
        let body = try #require(try await ObjectBody.open(fixture.version, range: range, blobs: fixture.store))
        #expect(body.openBlobCount == 1)
        var read: [UInt8] = []
        var mostOpen = 0
        var iterator = ObjectBodySequence(body).makeAsyncIterator()
        while let chunk = try await iterator.next() {
            read += chunk.readableBytesView
            mostOpen = max(mostOpen, body.openBlobCount)
        }
        #expect(read == Array(fixture.contents[Int(range.lowerBound)...Int(range.upperBound)]))
        #expect(mostOpen == 1)
        #expect(body.openBlobCount == 0)
        body.close()
        #expect(fixture.store.pins.pinnedCount == 0)
    }

    @Test func slicesOfManyPartsHoldOneOpenBlobAtATime() async throws {
        let fixture = try await Fixture(parts: [5 << 20, 5 << 20, 5 << 20, 1 << 20])
        defer { fixture.remove() }
        let body = try #require(try await ObjectBody.open(fixture.version, range: 0...Int64(fixture.contents.count - 1), blobs: fixture.store))
        var slices = try #require(body.cachedSlices())
        var read: [UInt8] = []
        var mostOpen = 0
        while let slice = try await slices.next() {
            var bytes = [UInt8](repeating: 0, count: Int(slice.length))
            let count = bytes.withUnsafeMutableBytes { pread(slice.descriptor, $0.baseAddress, Int(slice.length), off_t(slice.offset)) }
            #expect(count == Int(slice.length))
            read += bytes
            mostOpen = max(mostOpen, body.openBlobCount)
        }
        #expect(read == fixture.contents)
        #expect(mostOpen == 1)
        body.close()
        #expect(fixture.store.pins.pinnedCount == 0)
    }

    /// Deleted while a body reads them, its blobs stay until the read has passed each (the first
    /// included: unlinked by the reclaimer, not by the body's close); the body reads every byte of
    /// the version it opened.
    @Test func partsDeletedWhileABodyReadsStayUntilItPassesThem() async throws {
        let fixture = try await Fixture(parts: [1 << 20, 1 << 20, 1 << 20])
        defer { fixture.remove() }
        let body = try #require(try await ObjectBody.open(fixture.version, range: 0...Int64(fixture.contents.count - 1), blobs: fixture.store))
        await fixture.store.delete(fixture.blobIDs)
        #expect(fixture.blobIDs.allSatisfy(fixture.exists))
        var read: [UInt8] = []
        var iterator = ObjectBodySequence(body).makeAsyncIterator()
        // The first part, and the first chunk of the second: the first is passed.
        for _ in 0..<2 { read += try #require(try await iterator.next()).readableBytesView }
        #expect(await fixture.store.settle() == 0)
        #expect(!fixture.exists(fixture.blobIDs[0]))
        #expect(fixture.exists(fixture.blobIDs[1]) && fixture.exists(fixture.blobIDs[2]))
        while let chunk = try await iterator.next() { read += chunk.readableBytesView }
        #expect(read == fixture.contents)
        body.close()
        #expect(await fixture.store.settle() == 0)
        #expect(!fixture.blobIDs.contains(where: fixture.exists))
        #expect(fixture.store.pins.pinnedCount == 0 && fixture.store.pins.waitingCount == 0 && fixture.store.pins.doomedCount == 0)
    }

    /// A version whose later part is gone, or being unlinked, opens as replaced (nil), so the
    /// reader reads the index again; it pins nothing.
    @Test func aVersionWithAPartGoneOrBeingUnlinkedOpensAsReplaced() async throws {
        let fixture = try await Fixture(parts: [10_000, 10_000, 10_000])
        defer { fixture.remove() }
        let whole: ClosedRange<Int64> = 0...Int64(fixture.contents.count - 1)
        let third = fixture.store.finalPath(fixture.blobIDs[2]).file
        // Claimed for unlinking and not unlinked yet.
        #expect(fixture.store.pins.claim([third]) == [third])
        #expect(try await ObjectBody.open(fixture.version, range: whole, blobs: fixture.store) == nil)
        try FileManager.default.removeItem(atPath: third)
        fixture.store.pins.unlinked([third])
        // Gone.
        #expect(try await ObjectBody.open(fixture.version, range: whole, blobs: fixture.store) == nil)
        #expect(fixture.store.pins.pinnedCount == 0)
        // A range that does not reach the missing part still opens.
        let firstTwo = try #require(try await ObjectBody.open(fixture.version, range: 5_000...19_999, blobs: fixture.store))
        firstTwo.close()
        #expect(fixture.store.pins.pinnedCount == 0)
    }

    /// Two bodies pin the same parts; a delete waits for both.
    @Test func aDeleteWaitsForEveryBodyPinningAPart() async throws {
        let fixture = try await Fixture(parts: [1_000, 1_000])
        defer { fixture.remove() }
        let whole: ClosedRange<Int64> = 0...1_999
        let first = try #require(try await ObjectBody.open(fixture.version, range: whole, blobs: fixture.store))
        let second = try #require(try await ObjectBody.open(fixture.version, range: whole, blobs: fixture.store))
        await fixture.store.deleteLater(fixture.blobIDs)
        first.close()
        first.close()  // a second close does nothing
        #expect(await fixture.store.settle() == 0)
        #expect(fixture.exists(fixture.blobIDs[1]))
        second.close()
        #expect(await fixture.store.settle() == 0)
        #expect(!fixture.exists(fixture.blobIDs[1]))
    }

    /// A body never closed (an answer that was never sent) lets go of its pins when dropped.
    @Test func aBodyDroppedUnclosedLetsGoOfItsPins() async throws {
        let fixture = try await Fixture(parts: [1_000, 1_000, 1_000])
        defer { fixture.remove() }
        var body = try await ObjectBody.open(fixture.version, range: 0...2_999, blobs: fixture.store)
        #expect(body != nil && fixture.store.pins.pinnedCount == 3)
        body = nil
        #expect(fixture.store.pins.pinnedCount == 0)
    }
}
