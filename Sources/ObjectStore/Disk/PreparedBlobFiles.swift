import Logging
import NIOPosix
import Synchronization

/// Empty blob files made ahead of the uploads that fill them, in their final directories, whose
/// names are already durable. A blob written through a temporary file costs, besides its own
/// fsync, a rename and an fsync of its directory; one written into a prepared file costs only
/// its own fsync, because the directory was fsynced once for a batch of files, made in one
/// directory in the background. (A model of 8 writers of 1 MiB on this disk, in turns: 1.18 of the
/// temporary-file protocol, ahead in every one of 6 rounds.)
///
/// A prepared file the index never names is an orphan like any other: its upload discards it, or
/// after a crash the startup's sweep removes it (it is older than the new process). The sweep
/// never takes one this process has ready or is writing (`isOutstanding`), also should the clock
/// step back. Prepared files are made with mode 0600, which a write changes to a blob's 0644:
/// an empty file of mode 0600 under `objects/` is a prepared one (a blob may be empty, an empty
/// part).
final class PreparedBlobFiles: Sendable {
    /// How many files are kept ready; 0 turns preparing off (every write goes through `tmp/`).
    let target: Int
    /// Files made per directory fsync.
    static let batch = 16
    static let preparedMode: mode_t = 0o600
    static let blobMode: mode_t = 0o644
    /// After a batch could not be made (no descriptor, a disk error), writes go through `tmp/`
    /// this long before the next try.
    static let retryAfterFailure: Int64 = 10_000_000_000

    private struct State {
        var ready: [String] = []
        /// Handed out and not yet written through, or thrown away.
        var writing: Set<String> = []
        var refilling = false
        /// Monotonic nanoseconds before which no refill starts (after a failed one).
        var quietUntil: Int64 = 0
    }
    private let state = Mutex(State())
    /// Where a failed batch is told: writes go on through `tmp/`, slower, and an operator should
    /// see why (no descriptors, a full or failing disk).
    private let logger: Logger?

    init(target: Int, logger: Logger? = nil) {
        self.target = target
        self.logger = logger
    }

    /// A prepared blob id, or nil when none is ready; starts a refill when few are left. The
    /// caller hands it back with `release` once written (or not).
    func take(store: DiskBlobStore) -> String? {
        guard target > 0 else { return nil }
        let now = Posix.monotonicNanoseconds()
        let (id, refill) = state.withLock { state -> (String?, Bool) in
            let id = state.ready.popLast()
            if let id { state.writing.insert(id) }
            guard !state.refilling, state.ready.count <= target / 2, now >= state.quietUntil else { return (id, false) }
            state.refilling = true
            return (id, true)
        }
        if refill { Task { await self.refill(store) } }
        return id
    }

    /// The file of a taken id is a blob in place now, or gone.
    func release(_ id: String) {
        _ = state.withLock { $0.writing.remove(id) }
    }

    /// Whether this process has the file ready or is writing it: never an orphan.
    func isOutstanding(_ id: String) -> Bool {
        state.withLock { $0.writing.contains(id) || $0.ready.contains(id) }
    }

    /// Prepares batches until `target` are ready. A failed batch leaves nothing behind and stops
    /// refills for `retryAfterFailure`; a refill that finds the thread pool stopped (the server
    /// shutting down) just ends.
    func refill(_ store: DiskBlobStore) async {
        while state.withLock({ $0.ready.count < target }) {
            let made: [String]
            do {
                made = try await store.threadPool.runIfActive { try Self.makeBatch(store) }
            } catch is CancellationError {
                break  // the pool has stopped (the server is stopping): nothing failed
            } catch {
                let quietUntil = Posix.monotonicNanoseconds() + Self.retryAfterFailure
                state.withLock { $0.quietUntil = quietUntil }
                logger?.warning(
                    "cannot prepare blob files; blob writes go through tmp/ until the next try",
                    metadata: ["error": "\(error)", "retry_seconds": "\(Self.retryAfterFailure / 1_000_000_000)"])
                break
            }
            state.withLock { $0.ready += made }
        }
        state.withLock { $0.refilling = false }
    }

    /// On a pool thread: `batch` empty files under new ids sharing one directory, then one fsync
    /// of that directory. On a failure the files made are removed.
    static func makeBatch(_ store: DiskBlobStore) throws(Posix.Failure) -> [String] {
        let first = DiskBlobStore.newBlobID()
        // The first four digits name the directory (`finalPath`).
        let directoryDigits = Array(first.utf8.prefix(4))
        var ids: [String] = []
        do {
            for _ in 0..<batch {
                var digits = Array(DiskBlobStore.newBlobID().utf8)
                digits.replaceSubrange(0..<4, with: directoryDigits)
                let id = String(decoding: digits, as: UTF8.self)
                Posix.close(try Posix.openForWriting(store.finalPath(id).file, mode: preparedMode))
                ids.append(id)
            }
            try Posix.fsyncDirectory(store.finalPath(first).directory)
        } catch {
            for id in ids { try? Posix.unlinkIfPresent(store.finalPath(id).file) }
            throw error
        }
        return ids
    }

    /// The ids ready now (for tests).
    var readyIDs: [String] { state.withLock { $0.ready } }
}
