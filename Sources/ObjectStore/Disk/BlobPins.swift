import Synchronization

/// Blob files that readers have resolved but not yet opened, kept from being unlinked until the
/// readers let go. A body of many part blobs opens each as it reaches it (`ObjectBody`), instead
/// of all of them up front: 200 GETs of a 100-part object held 20,000 descriptors, this
/// machine's whole limit. The blobs not yet opened are pinned, so a concurrent overwrite or
/// delete cannot tear the body.
///
/// A path handed over to be unlinked while pinned waits for its last pin to go. A path being
/// unlinked ("doomed") cannot be pinned: its reader finds the version replaced and reads the index
/// again, as when a blob is already gone. Every path in here is held by a body being read or by an
/// unlink under way, so the state is bounded by those.
final class BlobPins: Sendable {
    private struct State {
        var pins: [String: Int] = [:]
        /// Pinned paths to unlink when their last pin goes.
        var waiting: Set<String> = []
        /// Paths claimed for unlinking and not yet unlinked.
        var doomed: Set<String> = []
    }

    private let state = Mutex(State())

    /// Pins every path, or none (false) when one of them is being unlinked.
    func pin(_ paths: [String]) -> Bool {
        state.withLock { state in
            guard !paths.contains(where: state.doomed.contains) else { return false }
            for path in paths { state.pins[path, default: 0] += 1 }
            return true
        }
    }

    /// Lets go of pins taken by `pin`. Returns the paths that were waiting for them, now claimed:
    /// the caller unlinks them and reports each (`unlinked`).
    func unpin(_ paths: [String]) -> [String] {
        state.withLock { state in
            var released: [String] = []
            for path in paths {
                guard let count = state.pins[path] else { preconditionFailure("a blob unpinned more often than pinned") }
                if count > 1 {
                    state.pins[path] = count - 1
                    continue
                }
                state.pins[path] = nil
                if state.waiting.remove(path) != nil {
                    state.doomed.insert(path)
                    released.append(path)
                }
            }
            return released
        }
    }

    /// Of `paths` to unlink, those no reader holds, claimed: no one can pin them until `unlinked`.
    /// The pinned ones wait for their last pin when `waitForPins`; else they are left alone.
    func claim(_ paths: [String], waitForPins: Bool = true) -> [String] {
        state.withLock { state in
            var claimed: [String] = []
            claimed.reserveCapacity(paths.count)
            for path in paths {
                if state.pins[path] != nil {
                    if waitForPins { state.waiting.insert(path) }
                } else if state.doomed.insert(path).inserted {
                    claimed.append(path)
                }
            }
            return claimed
        }
    }

    /// After a claimed path was unlinked (or the unlink failed: the startup sweep takes it then).
    func unlinked(_ paths: some Sequence<String>) {
        state.withLock { state in
            for path in paths { state.doomed.remove(path) }
        }
    }

    var pinnedCount: Int { state.withLock { $0.pins.count } }
    var waitingCount: Int { state.withLock { $0.waiting.count } }
    var doomedCount: Int { state.withLock { $0.doomed.count } }
}
