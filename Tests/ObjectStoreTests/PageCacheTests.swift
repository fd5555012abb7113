import Foundation
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
