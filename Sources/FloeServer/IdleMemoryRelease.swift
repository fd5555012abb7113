import CAllocator
import Logging
import SQLiteSupport
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// Gives memory back once the server has gone quiet. A burst of requests leaves the allocator
/// holding freed pages in every arena a thread used, and maps back the code the requests ran;
/// neither is handed back by itself, nor are the caches kept for speed. When a whole interval
/// passes with the process using almost no CPU, this empties the object store's listing and
/// version caches and SQLite's page caches (closing reader connections past two per database),
/// then trims the allocator (`malloc_trim`) and unmaps the code pages again, as start-up does
/// (`CodeMappings.release`). It runs once per quiet spell: nothing is done again until the server
/// has been busy in between. The first requests after a quiet spell read from disk again.
struct IdleMemoryRelease: Service {
    let interval: Duration
    /// Caches to empty, besides SQLite's.
    let caches: [@Sendable () -> Void]
    let logger: Logger

    func run() async throws {
        var watch = QuietWatch()
        var lastCPU = Self.processCPUSeconds()
        while true {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return
            }
            let cpu = Self.processCPUSeconds()
            let quiet = watch.shouldRelease(cpuSeconds: cpu - lastCPU, intervalSeconds: Self.seconds(interval))
            lastCPU = cpu
            guard quiet else { continue }
            for empty in caches { empty() }
            let sqlite = await SQLiteDatabase.releaseIdleMemory()
            let trimmed = Self.trimAllocator()
            let code = CodeMappings.release()
            logger.debug(
                "returned idle memory",
                metadata: [
                    "sqlite_bytes": "\(sqlite)", "allocator_trimmed": "\(trimmed)", "code_bytes": "\(code.bytes)",
                    "allocated_bytes": "\(Self.allocatedBytes() ?? -1)",
                ])
            // The release's own CPU must not count as the next interval's activity.
            lastCPU = Self.processCPUSeconds()
        }
    }

    /// Caps the allocator's arenas at one per core (at least two). glibc makes up to eight per
    /// core, one for each thread that meets a locked arena, and each keeps the pages freed in it:
    /// after a full benchmark run the server held 54 MB instead of 45 MB (docs/benchmarks.md),
    /// with no difference in throughput. Called once, before the server's threads start.
    static func limitAllocatorArenas(cores: Int) {
        _ = floe_allocator_limit_arenas(Int32(max(2, cores)))
    }

    /// Hands the allocator's free pages back to the kernel; true when some were.
    static func trimAllocator() -> Bool {
        floe_allocator_trim() == 1
    }

    /// Bytes the program holds allocated and not yet freed, where the C library says (glibc).
    static func allocatedBytes() -> Int? {
        let bytes = floe_allocator_in_use_bytes()
        return bytes < 0 ? nil : Int(bytes)
    }

    /// User and system CPU time of the process so far, from `/proc/self/stat` (0 elsewhere).
    static func processCPUSeconds() -> Double {
        #if os(Linux)
        guard let stat = CodeMappings.readProcFile("/proc/self/stat", limit: 4096), let ticks = cpuTicks(stat: stat) else { return 0 }
        return Double(ticks) / Double(sysconf(Int32(_SC_CLK_TCK)))
        #else
        return 0
        #endif
    }

    /// utime + stime, the 14th and 15th fields; counted after the command name's closing
    /// parenthesis, since the name may hold spaces and parentheses itself.
    static func cpuTicks(stat: String) -> Int? {
        guard let close = stat.utf8.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let fields = stat[stat.utf8.index(after: close)...].split(separator: " ")
        // fields[0] is the state, the 3rd field of the line.
        guard fields.count > 12, let user = Int(fields[11]), let system = Int(fields[12]) else { return nil }
        return user + system
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

/// When to give memory back: after an interval in which the process used under 1 % of one core,
/// once per quiet spell (the first quiet interval after a busy one, or after start).
struct QuietWatch {
    static let quietShare = 0.01
    private var releasedThisSpell = false

    mutating func shouldRelease(cpuSeconds: Double, intervalSeconds: Double) -> Bool {
        guard cpuSeconds < intervalSeconds * Self.quietShare else {
            releasedThisSpell = false
            return false
        }
        if releasedThisSpell { return false }
        releasedThisSpell = true
        return true
    }
}
