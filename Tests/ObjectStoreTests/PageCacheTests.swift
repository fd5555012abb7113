import Foundation
import NIOCore
@testable import ObjectStore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A file range's pages looked up in the page cache (both ways the kernel may offer) and read
/// into it, checked against a file whose pages were dropped.
@Suite struct PageCacheTests {
    /// A synced 9 MiB + 5 file, its pages dropped from the cache (clean after the sync).
    static func coldFile() throws -> (descriptor: Int32, path: String) {
        let path = NSTemporaryDirectory() + "page-cache-\(UUID().uuidString)"
        let fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        try #require(fd >= 0)
        let bytes = [UInt8](repeating: 0x5A, count: 9 << 20 + 5)
        #expect(bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == bytes.count)
        #expect(fsync(fd) == 0)
        #expect(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) == 0)
        return (fd, path)
    }

    @Test func aRangeIsFoundCachedOnlyOnceItIsReadIn() throws {
        let (fd, path) = try Self.coldFile()
        defer {
            close(fd)
            unlink(path)
        }
        let (offset, length): (Int64, Int64) = (1 << 20 + 77, 4 << 20)
        // tmpfs keeps the pages DONTNEED drops elsewhere: nothing to tell apart there.
        guard !PageCache.mappedPagesCached(descriptor: fd, offset: 0, length: 9 << 20 + 5) else { return }
        #expect(!PageCache.holds(descriptor: fd, offset: offset, length: length))
        #expect(!PageCache.mappedPagesCached(descriptor: fd, offset: offset, length: length))
        PageCache.load(descriptor: fd, offset: offset, length: length)
        #expect(PageCache.holds(descriptor: fd, offset: offset, length: length))
        #expect(PageCache.mappedPagesCached(descriptor: fd, offset: offset, length: length))
        // Dropped again from 8 MiB on (the kernel's readahead may have read it in): found cold.
        #expect(posix_fadvise(fd, off_t(8 << 20), 0, POSIX_FADV_DONTNEED) == 0)
        #expect(!PageCache.holds(descriptor: fd, offset: 8 << 20, length: 1 << 20))
        #expect(!PageCache.mappedPagesCached(descriptor: fd, offset: 8 << 20, length: 1 << 20))
    }

    @Test func loadingPastTheFilesEndReturnsAndLeavesTheRestCached() throws {
        let (fd, path) = try Self.coldFile()
        defer {
            close(fd)
            unlink(path)
        }
        let size = Int64(9 << 20 + 5)
        PageCache.load(descriptor: fd, offset: size - 100, length: 1 << 20)  // a blob cut short
        #expect(PageCache.holds(descriptor: fd, offset: size - 100, length: 100))
    }
}

/// A plain body handed out as file ranges (`ObjectBody.CachedSlices`) across several blobs and a
/// range that starts and ends inside them, with every page dropped first: the ranges cover the
/// body's bytes exactly, in order, in windows of at most 4 MiB that never cross a blob, and each
/// is in the page cache by the time it is handed out.
@Suite struct CachedSlicesTests {
    @Test func coldSlicesCoverARangeAcrossBlobsInCachedWindows() async throws {
        let directory = NSTemporaryDirectory() + "floe-slices-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try DiskBlobStore(root: directory)
        let sizes = [9 << 20 + 5, 5 << 20, 6 << 20 - 3]
        var contents: [[UInt8]] = []
        var readers: [BlobReader] = []
        for (n, size) in sizes.enumerated() {
            let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ n &* 7 &+ $0 >> 12) }
            let writer = try await store.beginWrite()
            try await writer.append(ByteBuffer(bytes: bytes))
            try await writer.commit()
            contents.append(bytes)
            readers.append(try #require(try await store.open(writer.blobID)))
        }
        // From 3 MiB + 7 into the first blob to 2 MiB into the third.
        let segments: [(reader: BlobReader, offset: Int64, length: Int64)] = [
            (readers[0], 3 << 20 + 7, Int64(sizes[0]) - (3 << 20 + 7)),
            (readers[1], 0, Int64(sizes[1])),
            (readers[2], 0, 2 << 20),
        ]
        var expected: [UInt8] = []
        for (n, segment) in segments.enumerated() {
            expected += contents[n][Int(segment.offset)..<Int(segment.offset + segment.length)]
        }
        for reader in readers { _ = posix_fadvise(reader.fd, 0, 0, POSIX_FADV_DONTNEED) }
        let body = ObjectBody(opened: segments)
        var slices = try #require(body.cachedSlices())
        var sent: [UInt8] = []
        var perBlob: [Int32: Int] = [:]
        while let slice = try await slices.next() {
            #expect(slice.length > 0 && slice.length <= 4 << 20)
            #expect(PageCache.holds(descriptor: slice.descriptor, offset: slice.offset, length: slice.length))
            let n = try #require(readers.firstIndex { $0.fd == slice.descriptor })
            let segment = segments[n]
            #expect(slice.offset >= segment.offset && slice.offset + slice.length <= segment.offset + segment.length, "a window crosses its blob's segment")
            sent += contents[n][Int(slice.offset)..<Int(slice.offset + slice.length)]
            perBlob[slice.descriptor, default: 0] += 1
        }
        slices.cancel()
        #expect(sent.count == expected.count)
        #expect(sent == expected)
        // 6 MiB - 7 in two windows, 5 MiB in two, 2 MiB in one.
        #expect(perBlob.values.sorted() == [1, 2, 2])
        body.close()
    }

    /// A body whose client has gone (`wanted` says no) hands out nothing and reads nothing of a
    /// cold window: a GET dropped while it waited for a cold-read slot gives it on at once.
    @Test func aColdWindowIsNotReadForAClientThatLeft() async throws {
        let directory = NSTemporaryDirectory() + "floe-slices-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try DiskBlobStore(root: directory)
        let writer = try await store.beginWrite()
        try await writer.append(ByteBuffer(repeating: 0x33, count: 8 << 20))
        try await writer.commit()
        let reader = try #require(try await store.open(writer.blobID))
        _ = posix_fadvise(reader.fd, 0, 0, POSIX_FADV_DONTNEED)
        // tmpfs keeps the pages DONTNEED drops elsewhere: nothing to tell apart there.
        guard !PageCache.mappedPagesCached(descriptor: reader.fd, offset: 0, length: 4 << 20) else {
            reader.close()
            return
        }
        let body = ObjectBody(opened: [(reader, 0, 8 << 20)])
        var slices = try #require(body.cachedSlices())
        #expect(try await slices.next(while: { false }) == nil)
        #expect(!PageCache.mappedPagesCached(descriptor: reader.fd, offset: 0, length: 4 << 20))
        #expect(store.coldReads.inUse == 0)
        body.close()
    }
}
