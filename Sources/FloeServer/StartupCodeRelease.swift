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
/// (docs/benchmarks.md). Once the listeners are up, this unmaps the code pages from the process
/// (`MADV_DONTNEED` on its private read-and-execute file mappings): they stay in the page cache,
/// where the kernel can reclaim them like any file it has read, and requests map back, without
/// reading the disk, the ones they run. Only mappings whose pages are all the file's own are
/// touched (none copied on write, as a debugger's breakpoint would be). Anonymous memory is not.
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
        logger.info("unmapped start-up code pages", metadata: ["mappings": "\(released.mappings)", "bytes": "\(released.bytes)"])
        try? await gracefulShutdown()
    }
}

/// The process's code mappings, as `/proc/self/smaps` lists them.
enum CodeMappings {
    /// Address ranges of the private, read-and-execute mappings of files in `smaps` text (the code
    /// of the executable and of its shared libraries) none of whose pages is anonymous, that is,
    /// copied on write and changed; writable, shared, anonymous and special mappings (`[vdso]`)
    /// are left out, and so is a mapping whose `Anonymous:` line is missing.
    static func unmodifiedCodeRanges(_ smaps: Substring) -> [Range<UInt>] {
        var ranges: [Range<UInt>] = []
        var candidate: Range<UInt>?
        for line in smaps.split(separator: "\n") {
            // A mapping's header: address perms offset device inode [path]
            let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
            if fields.count >= 5, fields[1].utf8.count == 4, let bounds = Self.bounds(fields[0]) {
                candidate = nil
                guard fields.count == 6, fields[1] == "r-xp", fields[4] != "0", fields[5].drop(while: { $0 == " " }).hasPrefix("/") else { continue }
                candidate = bounds
            } else if let range = candidate, fields.count >= 2, fields[0] == "Anonymous:" {
                if fields[1] == "0" { ranges.append(range) }
                candidate = nil
            }
        }
        return ranges
    }

    static func bounds(_ text: Substring) -> Range<UInt>? {
        let parts = text.split(separator: "-")
        guard parts.count == 2, let start = UInt(parts[0], radix: 16), let end = UInt(parts[1], radix: 16), start < end else { return nil }
        return start..<end
    }

    /// Unmaps the pages of every unmodified code mapping of this process; the next use of each
    /// maps it again from the page cache (or reads it from the file if the kernel reclaimed it).
    /// Returns how many mappings and bytes were named.
    @discardableResult
    static func release() -> (mappings: Int, bytes: UInt) {
        #if os(Linux)
        guard let smaps = readProcFile("/proc/self/smaps", limit: 16 << 20) else { return (0, 0) }
        let ranges = unmodifiedCodeRanges(smaps[...])
        var bytes: UInt = 0
        for range in ranges {
            guard let start = UnsafeMutableRawPointer(bitPattern: range.lowerBound) else { continue }
            if madvise(start, Int(range.upperBound - range.lowerBound), MADV_DONTNEED) == 0 { bytes += range.upperBound - range.lowerBound }
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
}
