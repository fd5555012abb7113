import CSystemCalls

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A file range's pages in the page cache: asked after without reading them, and read in without
/// copying them. `sendfile` of pages that are not cached reads the disk on the calling thread, an
/// event loop, and every connection on that loop waits for the disk meanwhile: milliseconds on an
/// SSD, seconds on an SD card (docs/benchmarks.md, "cold").
enum PageCache {
    #if os(Linux)
    static let pageSize = Int64(max(4096, sysconf(Int32(_SC_PAGESIZE))))
    /// Where `load` sends the pages it reads; -1 when it cannot be opened.
    static let discard: Int32 = open("/dev/null", O_WRONLY | O_CLOEXEC)
    /// Whether the kernel has `cachestat` (Linux 6.5): asked about no file, it says EBADF.
    static let countsCachedPages: Bool = {
        var cached: UInt64 = 0
        var total: UInt64 = 0
        return floe_cachestat(-1, 0, 1, &cached, &total) != 0 && errno == EBADF
    }()

    /// True when every page of `offset ..< offset + length` of `descriptor` is in the page cache;
    /// false when any is not, or when the kernel will not say. Does not block. `cachestat` where
    /// the kernel has it: one call and no mapping (`mincore` of an untouched mapping, which older
    /// kernels get, cost warm GETs of 1 MiB 7 %). It counts pages still being read in as cached,
    /// and `sendfile` waits for those; but once a body is found cold, its later windows are read
    /// in on the pool before they are sent whatever this says (`ObjectBody.CachedSlices`).
    /// Where `cachestat` fails (a file Floe neither owns nor may write: EPERM) or counts no page
    /// at all (overlayfs, as in a container without a volume, answers 0 for cached files too),
    /// `mincore` is asked instead: a cold window costs the mapping, a warm one does not.
    static func holds(descriptor: Int32, offset: Int64, length: Int64) -> Bool {
        guard length > 0 else { return true }
        if countsCachedPages {
            var cached: UInt64 = 0
            var total: UInt64 = 0
            if floe_cachestat(descriptor, UInt64(offset), UInt64(length), &cached, &total) == 0 && cached > 0 {
                return cached >= total
            }
        }
        return mappedPagesCached(descriptor: descriptor, offset: offset, length: length)
    }

    /// `mincore` of a mapping that is never touched: true when every page of the range is cached
    /// and read. It answers for a file's pages only to its owner or a writer (anyone else is told
    /// none are cached).
    static func mappedPagesCached(descriptor: Int32, offset: Int64, length: Int64) -> Bool {
        guard length > 0 else { return true }
        let start = offset - offset % pageSize
        let mappedLength = Int(offset + length - start)
        guard let mapping = mmap(nil, mappedLength, PROT_READ, MAP_SHARED, descriptor, off_t(start)),
            mapping != UnsafeMutableRawPointer(bitPattern: -1)
        else { return false }
        defer { munmap(mapping, mappedLength) }
        let pages = (mappedLength + Int(pageSize) - 1) / Int(pageSize)
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: pages) { residency in
            guard mincore(mapping, mappedLength, residency.baseAddress!) == 0 else { return false }
            return residency.allSatisfy { $0 & 1 != 0 }
        }
    }

    /// Reads the range into the page cache and waits for it: blocking, for a thread pool. The
    /// range is sent to /dev/null, which waits for its pages without copying them to Floe's
    /// memory, and reads ahead as any sequential read does. Measured slower with cold readers
    /// (docs/benchmarks.md, "cold"): a prefaulted mapping (`MADV_POPULATE_READ`), and asking for
    /// the next window first (`POSIX_FADV_WILLNEED`).
    static func load(descriptor: Int32, offset: Int64, length: Int64) {
        guard length > 0, discard >= 0 else { return }
        var position = off_t(offset)
        let end = off_t(offset + length)
        while position < end {
            let sent = sendfile(discard, descriptor, &position, Int(end - position))
            if sent < 0 && errno == EINTR { continue }
            if sent <= 0 { return }  // the file's end (a blob cut short) or an error: the send reports it
        }
    }
    #else
    // Elsewhere (a development build on macOS) every range counts as cached, as before.
    static func holds(descriptor: Int32, offset: Int64, length: Int64) -> Bool { true }
    static func mappedPagesCached(descriptor: Int32, offset: Int64, length: Int64) -> Bool { true }
    static func load(descriptor: Int32, offset: Int64, length: Int64) {}
    #endif
}
