import NIOConcurrencyHelpers
import NIOPosix

/// Unlinks blob files that no version references any more, on one thread-pool thread at a time,
/// so that a PUT replacing an object or a DELETE answers without waiting for the file system to
/// free the old blob (0.67 ms for 1 MiB and 0.5 s for 1 GiB on this project's benchmark
/// machine, whose file system is mounted with `discard`; docs/benchmarks.md).
///
/// Bounded: the paths waiting and those being unlinked are at most `limit`, and `offer` refuses
/// what would go past that, so the caller unlinks its own then, as every request did before.
/// Paths still held when the process dies are blobs that no index row names: the startup's
/// orphan sweep removes them.
final class BlobReclaimer: Sendable {
    private struct State {
        var waiting: [String] = []
        /// Taken by the drain and not yet unlinked.
        var unlinking = 0
        var draining = false
        /// Paths accepted and paths unlinked since the start: `settle` waits for the second to
        /// reach what the first was when it was called.
        var accepted = 0
        var unlinked = 0
    }

    private let state = NIOLockedValueBox(State())
    private let threadPool: NIOThreadPool
    private let unlink: @Sendable (String) -> Void
    let limit: Int

    init(threadPool: NIOThreadPool, limit: Int = 4096, unlink: @escaping @Sendable (String) -> Void = { try? Posix.unlinkIfPresent($0) }) {
        self.threadPool = threadPool
        self.limit = limit
        self.unlink = unlink
    }

    /// Takes `paths` to unlink in the background; false, taking none, when that would hold more
    /// than `limit`.
    func offer(_ paths: [String]) -> Bool {
        let start = state.withLockedValue { state -> Bool? in
            guard state.waiting.count + state.unlinking + paths.count <= limit else { return nil }
            state.waiting += paths
            state.accepted += paths.count
            let idle = !state.draining
            state.draining = true
            return idle
        }
        guard let start else { return false }
        if start { threadPool.submit { [self] _ in drain() } }
        return true
    }

    /// Waits, at most `timeout`, until every path accepted before the call is unlinked; returns
    /// how many of those are left (0 when all are gone).
    @discardableResult
    func settle(within timeout: Duration = .seconds(60)) async -> Int {
        let target = state.withLockedValue { $0.accepted }
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            let left = target - state.withLockedValue { $0.unlinked }
            if left <= 0 { return 0 }
            if clock.now >= deadline { return left }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    /// On a pool thread, until nothing is waiting. A pool that has stopped runs the item at once,
    /// on the caller's thread, as cancelled: it unlinks all the same.
    private func drain() {
        var done = 0
        while true {
            let batch = state.withLockedValue { state -> [String] in
                state.unlinked += done
                state.unlinking = state.waiting.count
                if state.waiting.isEmpty { state.draining = false }
                defer { state.waiting = [] }
                return state.waiting
            }
            if batch.isEmpty { return }
            for path in batch { unlink(path) }
            done = batch.count
        }
    }
}
