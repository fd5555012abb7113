#if canImport(Glibc)
import Glibc
#endif
import Testing

@testable import FloeServer

@Suite struct IdleMemoryReleaseTests {
    private func release(_ watch: inout QuietWatch, _ cpuSeconds: Double) -> Bool {
        watch.shouldRelease(cpuSeconds: cpuSeconds, intervalSeconds: 10)
    }

    @Test func releasesOncePerQuietSpell() {
        var watch = QuietWatch()
        // Quiet from the start: the first quiet interval releases, the next ones do not.
        #expect(release(&watch, 0.01))
        #expect(!release(&watch, 0.0))
        #expect(!release(&watch, 0.05))
        // Busy (1 % of a core or more), then quiet again: one more release.
        #expect(!release(&watch, 0.1))
        #expect(!release(&watch, 3.5))
        #expect(release(&watch, 0.02))
        #expect(!release(&watch, 0.02))
    }

    /// The idle release logs this figure, and test_memory.py weighs closed connections by it.
    @Test func allocatedBytesFollowAnAllocation() throws {
        let before = try #require(IdleMemoryRelease.allocatedBytes())
        // 256 MiB left untouched costs no memory; other tests running beside may allocate and free
        // too, hence the margin.
        let block = try #require(malloc(256 << 20))
        let during = try #require(IdleMemoryRelease.allocatedBytes())
        free(block)
        let after = try #require(IdleMemoryRelease.allocatedBytes())
        #expect(during - before > 200 << 20)
        #expect(during - after > 200 << 20)
    }

    @Test func processCPUTimeAdvancesWithWork() {
        let before = IdleMemoryRelease.processCPUSeconds()
        let threadBefore = Self.threadCPUSeconds()
        // Work until this thread alone has had 50 ms of CPU: the process's count, in 10 ms ticks, must
        // show at least 30. (Bounded by wall time instead, it failed on a loaded machine, where 50 ms
        // of wall time brought the process 20 ms of CPU.)
        var x: UInt64 = 1
        let started = ContinuousClock.now
        while Self.threadCPUSeconds() - threadBefore < 0.05 && ContinuousClock.now - started < .seconds(20) {
            for i in 0..<10_000 { x = x &* 6364136223846793005 &+ UInt64(i) }
        }
        #expect(x != 0)
        #expect(IdleMemoryRelease.processCPUSeconds() - before >= 0.03)
    }

    static func threadCPUSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}

@Suite struct ProcessStatTests {
    @Test func cpuTicksAreTheUserAndSystemFields() {
        let line = "4242 (floe (a) b) S 1 4242 4242 0 -1 4194560 1234 0 0 0 731 94 0 0 20 0 23 0 1000 0 0"
        #expect(IdleMemoryRelease.cpuTicks(stat: line) == 825)
        #expect(IdleMemoryRelease.cpuTicks(stat: "4242 (floe) S 1") == nil)
        #expect(IdleMemoryRelease.cpuTicks(stat: "no parenthesis") == nil)
    }
}
