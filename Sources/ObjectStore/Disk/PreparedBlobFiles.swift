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
/// after a crash the startup's sweep removes it (it is older than the new process). Files are
/// never empty once they are blobs (an empty object is stored inline), so an empty file under
/// `objects/` is a prepared one.
final class PreparedBlobFiles: Sendable {
    /// How many files are kept ready; 0 turns preparing off (every write goes through `tmp/`).
    let target: Int
    /// Files made per directory fsync.
    static let batch = 16

    private struct State {
        var ready: [String] = []
        var refilling = false
    }
    private let state = Mutex(State())

    init(target: Int) {
        self.target = target
    }

    /// A prepared blob id, or nil when none is ready; starts a refill when few are left.
    func take(store: DiskBlobStore) -> String? {
        guard target > 0 else { return nil }
        let (id, refill) = state.withLock { state -> (String?, Bool) in
            let id = state.ready.popLast()
            guard !state.refilling, state.ready.count <= target / 2 else { return (id, false) }
            state.refilling = true
            return (id, true)
        }
        if refill { Task { await self.refill(store) } }
        return id
    }

    /// Prepares batches until `target` are ready. A failure (a full disk) stops it; the next
    /// `take` tries again, and writes meanwhile go through `tmp/`.
    func refill(_ store: DiskBlobStore) async {
        while state.withLock({ $0.ready.count < target }) {
            guard let made = try? await store.threadPool.runIfActive({ try Self.makeBatch(store) }) else { break }
            state.withLock { $0.ready += made }
        }
        state.withLock { $0.refilling = false }
    }

    /// On a pool thread: `batch` empty files under new ids sharing one directory, then one fsync
    /// of that directory. A file made before a failure is left for the next startup's sweep.
    static func makeBatch(_ store: DiskBlobStore) throws(Posix.Failure) -> [String] {
        let first = DiskBlobStore.newBlobID()
        // The first four digits name the directory (`finalPath`).
        let directoryDigits = Array(first.utf8.prefix(4))
        var ids: [String] = []
        for _ in 0..<batch {
            var digits = Array(DiskBlobStore.newBlobID().utf8)
            digits.replaceSubrange(0..<4, with: directoryDigits)
            let id = String(decoding: digits, as: UTF8.self)
            Posix.close(try Posix.openForWriting(store.finalPath(id).file))
            ids.append(id)
        }
        try Posix.fsyncDirectory(store.finalPath(first).directory)
        return ids
    }

    /// The ids ready now (for tests).
    var readyIDs: [String] { state.withLock { $0.ready } }
}
