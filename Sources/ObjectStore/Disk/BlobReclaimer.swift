import NIOConcurrencyHelpers
import NIOPosix

/// Unlinks blob files that no version references any more, on one thread-pool thread at a time,
/// so that a PUT replacing an object or a DELETE answers without waiting for the file system to
/// free the old blob (an unlink of a 1 MiB blob took 1.3 ms on this project's benchmark machine,
/// whose file system is mounted with `discard`; docs/benchmarks.md).
///
/// Bounded: it holds at most `limit` paths, and `take` refuses what would go past that, so the
/// caller unlinks its own then. Paths it holds when the process dies are blobs that no index row
/// names: the startup's orphan sweep removes them.
final class BlobReclaimer: Sendable {
    private struct State {
        var pending: [String] = []
        var draining = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = NIOLockedValueBox(State())
    private let threadPool: NIOThreadPool
    let limit: Int

    init(threadPool: NIOThreadPool, limit: Int = 4096) {
        self.threadPool = threadPool
        self.limit = limit
    }

    /// Takes `paths` to unlink in the background; false (taking none) when that would hold more
    /// than `limit`.
    func take(_ paths: [String]) -> Bool {
        let start = state.withLockedValue { state -> Bool? in
            guard state.pending.count + paths.count <= limit else { return nil }
            state.pending += paths
            let idle = !state.draining
            state.draining = true
            return idle
        }
        guard let start else { return false }
        if start { threadPool.submit { [self] _ in drain() } }
        return true
    }

    /// Returns once every path taken before the call is unlinked.
    func settle() async {
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let idle = state.withLockedValue { state -> Bool in
                if state.draining { state.waiters.append(waiter) }
                return !state.draining
            }
            if idle { waiter.resume() }
        }
    }

    /// On a pool thread, until nothing is pending. A pool that has stopped runs the item at once,
    /// on the caller's thread, as cancelled: it unlinks all the same.
    private func drain() {
        while true {
            let (batch, waiters) = state.withLockedValue { state -> ([String], [CheckedContinuation<Void, Never>]) in
                if state.pending.isEmpty {
                    state.draining = false
                    defer { state.waiters = [] }
                    return ([], state.waiters)
                }
                defer { state.pending = [] }
                return (state.pending, [])
            }
            if batch.isEmpty {
                for waiter in waiters { waiter.resume() }
                return
            }
            for path in batch { try? Posix.unlinkIfPresent(path) }
        }
    }
}
