import Foundation
import Logging
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// Start-up runs code that serving never runs again (migrations, the sweeps, the runtime's first
/// scans over every protocol conformance of every image), and the kernel maps code in 64 KiB
/// blocks around each page touched. A fresh release server held 15 MB of its own executable's
/// code and 20 MB of its libraries'; serving small requests afterwards uses about half as much
/// (docs/benchmarks.md). Once the listeners are up, this hands the code pages back to the kernel
/// (`MADV_PAGEOUT`). They are clean pages of files, and the kernel skips any page another process
/// maps. Requests fault back in the pages they run. Anonymous memory is not touched.
struct StartupCodeRelease: Service {
    /// One element from each listener once it is bound; the release waits for `listeners` of them.
    let listening: AsyncStream<Void>
    let listeners: Int
    /// After the listeners are up: long enough for the rest of start-up and the first probes.
    let delay: Duration
    let logger: Logger

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                var bound = 0
                for await _ in listening {
                    bound += 1
                    if bound == listeners { break }
                }
                try await Task.sleep(for: delay)
            }
        } catch {
            return  // shutdown came first
        }
        let released = CodeMappings.release()
        logger.info("advised the kernel to reclaim start-up code pages", metadata: ["mappings": "\(released.mappings)", "bytes": "\(released.bytes)"])
        try? await gracefulShutdown()
    }
}

/// The process's code mappings, as `/proc/self/maps` lists them.
enum CodeMappings {
    /// Address ranges of the private, read-only, executable mappings of files in `maps` text (the
    /// code of the executable and of its shared libraries); writable, anonymous and special
    /// mappings (`[vdso]`) are left out.
    static func executableFileRanges(_ maps: Substring) -> [Range<UInt>] {
        var ranges: [Range<UInt>] = []
        for line in maps.split(separator: "\n") {
            // address perms offset device inode path
            let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
            guard fields.count == 6, fields[1] == "r-xp", fields[4] != "0" else { continue }
            let path = fields[5].drop { $0 == " " }
            guard path.hasPrefix("/") else { continue }
            let bounds = fields[0].split(separator: "-")
            guard bounds.count == 2, let start = UInt(bounds[0], radix: 16), let end = UInt(bounds[1], radix: 16), start < end else { continue }
            ranges.append(start..<end)
        }
        return ranges
    }

    /// Asks the kernel to reclaim the pages of every code mapping of this process (Linux 5.4 and
    /// later; on older kernels nothing happens). Returns how many mappings and bytes were named.
    @discardableResult
    static func release() -> (mappings: Int, bytes: UInt) {
        #if os(Linux)
        guard let maps = readProcFile("/proc/self/maps") else { return (0, 0) }
        let ranges = executableFileRanges(maps[...])
        var bytes: UInt = 0
        for range in ranges {
            guard let start = UnsafeMutableRawPointer(bitPattern: range.lowerBound) else { continue }
            if madvise(start, Int(range.upperBound - range.lowerBound), pageOutAdvice) == 0 { bytes += range.upperBound - range.lowerBound }
        }
        return (ranges.count, bytes)
        #else
        return (0, 0)
        #endif
    }

    /// A file of /proc read to its end, up to `limit` bytes (nil past it or on failure). Such files
    /// report a size of 0 and come in pieces, so reading by the size a stat gives gets the first piece only.
    static func readProcFile(_ path: String, limit: Int = 4 << 20) -> String? {
        #if os(Linux)
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { return nil }
            if count == 0 { return String(decoding: bytes, as: UTF8.self) }
            guard bytes.count + count <= limit else { return nil }
            bytes.append(contentsOf: chunk[0..<count])
        }
        #else
        return nil
        #endif
    }

    /// `MADV_PAGEOUT` (linux/mman.h), which older C library headers do not name.
    static let pageOutAdvice: Int32 = 21
}
