import CSystemCalls
import Foundation
import NIOCore
import NIOPosix
@testable import ObjectStore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Blob bytes written straight to the device where they are long and aligned, through the page
/// cache otherwise (`BlobFileOutput`): what is read back is what was written, whichever way each
/// stretch went.
@Suite struct BlobFileOutputTests {
    @Test func theDirectPartIsTheLongestAlignedPrefixOfALongAlignedWrite() {
        #expect(DirectWritePlan.directLength(offset: 0, count: 1 << 20, alignment: 4096, minimum: 256 << 10) == 1 << 20)
        #expect(DirectWritePlan.directLength(offset: 1 << 20, count: (1 << 20) + 4095, alignment: 4096, minimum: 256 << 10) == 1 << 20)
        #expect(DirectWritePlan.directLength(offset: 4096, count: 300_000, alignment: 4096, minimum: 256 << 10) == 299_008)
        // Short, or starting off alignment: all of it through the page cache.
        #expect(DirectWritePlan.directLength(offset: 0, count: (256 << 10) - 1, alignment: 4096, minimum: 256 << 10) == 0)
        #expect(DirectWritePlan.directLength(offset: 4097, count: 1 << 20, alignment: 4096, minimum: 256 << 10) == 0)
    }

    /// Whether blobs of `store` under `directory` go direct: the store writes direct (not in
    /// memory, as on tmpfs) and the file system takes `O_DIRECT`.
    static func takesDirectIO(_ directory: String, _ store: DiskBlobStore) -> Bool {
        guard store.directWrites != nil else { return false }
        let path = directory + "/probe-\(UUID().uuidString)"
        guard let fd = try? Posix.openForWriting(path) else { return false }
        defer {
            close(fd)
            unlink(path)
        }
        return floe_set_direct_io(fd, 1) == 0
    }

    static func pattern(_ count: Int, seed: UInt8) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 12 &+ Int(seed)) }
    }

    static func store(_ buffers: DirectWriteBuffers?) throws -> (DiskBlobStore, String) {
        let root = NSTemporaryDirectory() + "blob-output-\(UUID().uuidString)"
        return (try DiskBlobStore(root: root, directWrites: buffers), root)
    }

    /// Writes `pieces` as one blob's appends, then reads the blob back whole.
    static func roundTrip(_ store: DiskBlobStore, pieces: [[UInt8]], last: [UInt8] = []) async throws -> (read: [UInt8], direct: Int64, path: String) {
        let writer = try await store.beginWrite()
        for piece in pieces { try await writer.append(ByteBuffer(bytes: piece)) }
        try await writer.finish(appending: ByteBuffer(bytes: last))
        let direct = writer.directBytes
        let reader = try #require(try await store.open(writer.blobID))
        defer { reader.close() }
        var body = try await reader.read(offset: 0, length: Int(reader.size))
        return (body.readBytes(length: body.readableBytes) ?? [], direct, store.finalPath(writer.blobID).file)
    }

    @Test(arguments: [
        [1 << 20], [(1 << 20) + 1], [4096, 1 << 20], [1 << 20, 1 << 20, 3 * 4096 + 17], [(3 << 20) + 4095], [255 << 10],
        [100, 200, 300_000, 1 << 20],
    ])
    func everyByteComesBackWhicheverWayItWent(sizes: [Int]) async throws {
        let (store, root) = try Self.store(DirectWriteBuffers())
        defer { try? FileManager.default.removeItem(atPath: root) }
        let pieces = sizes.enumerated().map { Self.pattern($1, seed: UInt8($0)) }
        let written = Array(pieces.dropLast().joined())
        let (read, direct, _) = try await Self.roundTrip(store, pieces: Array(pieces.dropLast()), last: pieces.last!)
        let expected = written + pieces.last!
        #expect(read.count == expected.count)
        #expect(read == expected)
        if Self.takesDirectIO(root, store) {
            // The first write of 1 MiB or more starts at 0: its aligned part at least went direct.
            if let first = sizes.first, first >= 256 << 10 {
                #expect(direct >= Int64(first - first % 4096))
            }
            #expect(direct <= Int64(expected.count))
        } else {
            #expect(direct == 0)
        }
    }

    @Test func bytesWrittenDirectAreNotLeftInThePageCache() async throws {
        let (store, root) = try Self.store(DirectWriteBuffers())
        defer { try? FileManager.default.removeItem(atPath: root) }
        guard Self.takesDirectIO(root, store) else { return }
        let body = Self.pattern((4 << 20) + 100, seed: 7)
        let writer = try await store.beginWrite()
        try await writer.append(ByteBuffer(bytes: body[..<(4 << 20)]))
        try await writer.finish(appending: ByteBuffer(bytes: body[(4 << 20)...]))
        #expect(writer.directBytes == 4 << 20)
        // Looked at before anything reads the blob: written through the page cache, its pages
        // would be there (clean after the fsync); only the short tail went that way.
        let fd = open(store.finalPath(writer.blobID).file, O_RDONLY | O_CLOEXEC)
        try #require(fd >= 0)
        defer { close(fd) }
        #expect(!PageCache.holds(descriptor: fd, offset: 0, length: 4 << 20))
        #expect(PageCache.holds(descriptor: fd, offset: 4 << 20, length: 100))
        var read = ByteBuffer()
        let reader = try #require(try await store.open(writer.blobID))
        read = try await reader.read(offset: 0, length: Int(reader.size))
        reader.close()
        #expect(read.readBytes(length: read.readableBytes) == body)
    }

    @Test func aDirectPartTheFileSystemRefusesIsWrittenThroughThePageCache() async throws {
        // Eight-byte alignment passes our checks and no device's: the kernel refuses the write
        // (EINVAL), or the flag where the file system takes no direct I/O at all.
        let (store, root) = try Self.store(DirectWriteBuffers(alignment: 8, minimum: 1))
        defer { try? FileManager.default.removeItem(atPath: root) }
        let pieces = [Self.pattern(300_008, seed: 1), Self.pattern(1 << 20, seed: 2)]
        let (read, direct, _) = try await Self.roundTrip(store, pieces: [pieces[0]], last: pieces[1])
        #expect(read == pieces[0] + pieces[1])
        #expect(direct == 0)
    }

    @Test func eachDirectWriteCopiesThroughOneReusedBuffer() async throws {
        let buffers = DirectWriteBuffers()
        let (store, root) = try Self.store(buffers)
        defer { try? FileManager.default.removeItem(atPath: root) }
        guard Self.takesDirectIO(root, store) else { return }
        let body = Self.pattern(1 << 20, seed: 3)
        let fd = try Posix.openForWriting(store.tempDirectory + "/reused")
        defer { close(fd) }
        var output = BlobFileOutput(fd: fd, path: "reused", buffers: buffers)
        // From an address one byte off alignment: only a copy makes it a direct write.
        let shifted = [UInt8(0)] + body
        for _ in 0..<3 {
            try shifted.withUnsafeBytes { bytes in try output.write(UnsafeRawBufferPointer(rebasing: bytes[1...])) }
            #expect(buffers.idleCount == 1)  // taken for the copy and given back, the same one each time
        }
        #expect(output.directBytes == 3 << 20)
        let written = try #require(FileManager.default.contents(atPath: store.tempDirectory + "/reused"))
        #expect(Array(written) == body + body + body)
    }

    @Test func writesOffAlignmentKeepTheFileAlignedByHoldingBackTheirTails() async throws {
        // A sealed upload's chunks: 16 frames of 64 KiB + 16 bytes each.
        let buffers = DirectWriteBuffers()
        let (store, root) = try Self.store(buffers)
        defer { try? FileManager.default.removeItem(atPath: root) }
        guard Self.takesDirectIO(root, store) else { return }
        let chunks = (0..<5).map { Self.pattern(16 * (65_536 + 16), seed: UInt8($0)) }
        let fd = try Posix.openForWriting(store.tempDirectory + "/sealed")
        defer { close(fd) }
        var output = BlobFileOutput(fd: fd, path: "sealed", buffers: buffers)
        for chunk in chunks { try chunk.withUnsafeBytes { try output.write($0) } }
        try output.finish()
        let total = chunks.reduce(0) { $0 + $1.count }
        // All of it direct but the last, unaligned, few bytes.
        #expect(output.directBytes == Int64(total - total % 4096))
        #expect(output.offset == Int64(total))
        let written = try #require(FileManager.default.contents(atPath: store.tempDirectory + "/sealed"))
        #expect(Array(written) == Array(chunks.joined()))
    }

    @Test func aWriteThatFailsAsTheBlobIsFinishedClosesItsFile() async throws {
        let (store, root) = try Self.store(DirectWriteBuffers())
        defer { try? FileManager.default.removeItem(atPath: root) }
        // Every write to /dev/full fails (ENOSPC). Reached through a link of our own, since a
        // failed blob's path is unlinked.
        let link = root + "/tmp/full"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "/dev/full")
        let fd = open(link, O_WRONLY | O_CLOEXEC)
        try #require(fd >= 0)
        var full = stat()
        try #require(fstat(fd, &full) == 0)
        let writer = BlobWriter(store: store, blobID: DiskBlobStore.newBlobID(), path: link, inPlace: false, fd: fd)
        await #expect(throws: StoreError.self) { try await writer.finish(appending: ByteBuffer(bytes: [1, 2, 3])) }
        #expect(Self.closed(fd, was: full))
        #expect(FileManager.default.fileExists(atPath: "/dev/full"))
    }

    /// The descriptor `fd` no longer refers to the file `before` described (closed, or taken
    /// since by another test's file).
    static func closed(_ fd: Int32, was before: stat) -> Bool {
        var now = stat()
        return fstat(fd, &now) != 0 || now.st_ino != before.st_ino || now.st_dev != before.st_dev
    }

    @Test(arguments: [true, false])
    func aBlobEndedAfterThePoolStoppedClosesItsFile(finishing: Bool) async throws {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        let root = NSTemporaryDirectory() + "blob-output-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = try DiskBlobStore(root: root, threadPool: pool, directWrites: DirectWriteBuffers())
        let writer = try await store.beginWrite()
        try await writer.append(ByteBuffer(bytes: [1, 2, 3]))
        let fd = try #require(writer.fd)
        var before = stat()
        try #require(fstat(fd, &before) == 0)
        try await pool.shutdownGracefully()
        // The pool runs nothing more: what the writer's closures would have closed, it closes.
        if finishing {
            await #expect(throws: StoreError.self) { try await writer.finish() }
        } else {
            await writer.discard()
        }
        #expect(Self.closed(fd, was: before))
        #expect(!FileManager.default.fileExists(atPath: writer.path))
    }

    @Test func aStoreInMemoryWritesThroughThePageCache() throws {
        let (onDisk, diskRoot) = try Self.store(DirectWriteBuffers())
        defer { try? FileManager.default.removeItem(atPath: diskRoot) }
        #expect((onDisk.directWrites == nil) == (floe_is_in_memory_file_system(diskRoot) == 1))
        guard floe_is_in_memory_file_system("/dev/shm") == 1 else { return }
        let root = "/dev/shm/blob-output-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let inMemory = try DiskBlobStore(root: root, directWrites: DirectWriteBuffers())
        #expect(inMemory.directWrites == nil)
    }

    @Test func buffersPastTheKeptFewAreFreedAndTheKeptOnesOnRelease() throws {
        let buffers = DirectWriteBuffers(size: 64 << 10, keep: 2)
        let taken = (0..<3).map { _ in buffers.take() }
        for buffer in taken {
            let buffer = try #require(buffer)
            #expect(Int(bitPattern: buffer) % buffers.alignment == 0)
            buffers.give(buffer)
        }
        #expect(buffers.idleCount == 2)
        // A kept one is handed out again before a new one is made.
        let again = try #require(buffers.take())
        #expect(again == taken[1]! || again == taken[0]!)
        buffers.give(again)
        buffers.releaseIdle()
        #expect(buffers.idleCount == 0)
    }
}
