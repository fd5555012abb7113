import NIOCore
import Synchronization

/// An upload's MD5 taken on `MD5Lanes` a chunk at a time, up to `depth` chunks behind the bytes
/// received: the next chunk is read from the socket and written while the ones before it are
/// hashed. Waiting for each chunk's hash before reading on made a large upload pay for its
/// hashing, its writes and its reads one after another (docs/benchmarks.md). Holds at most
/// `depth` chunks besides the one being received; an upload that fails calls `abandon`, so that
/// no hashing outlives it.
struct LaggingMD5 {
    static let depth = 2
    /// Counts the hashing still running for the task it is set on (tests).
    @TaskLocal static var tracker: HashTracker?
    /// The stream once every chunk handed over is hashed (valid when `inFlight` is empty).
    private var settled = MD5Stream()
    /// Oldest first; each starts from the state the one before it ends with.
    private var inFlight: [Task<MD5Stream, Never>] = []

    /// Hands `chunk` to the lanes; waits only while `depth` chunks are already being hashed.
    mutating func add(_ chunk: ByteBuffer) async {
        if inFlight.count == Self.depth { settled = await inFlight.removeFirst().value }
        let (previous, start, tracker) = (inFlight.last, settled, Self.tracker)
        tracker?.running.add(1, ordering: .relaxed)
        inFlight.append(Task {
            defer { tracker?.running.subtract(1, ordering: .relaxed) }
            var stream = await previous?.value ?? start
            await MD5Lanes.shared.update(&stream, with: chunk)
            return stream
        })
    }

    /// Hashes `buffer` here, after every chunk handed over.
    mutating func update(_ buffer: ByteBuffer) async {
        var stream = await current()
        buffer.withUnsafeReadableBytes { stream.update($0) }
        settled = stream
    }

    /// Waits for every chunk handed over, so that none is still held or hashed after an upload
    /// has failed: a client breaking uploads off faster than the lanes hash would otherwise pile
    /// up chunks without bound.
    mutating func abandon() async {
        _ = await current()
    }

    /// The stream with every chunk handed over hashed.
    mutating func current() async -> MD5Stream {
        if let last = inFlight.last {
            settled = await last.value
            inFlight.removeAll()
        }
        return settled
    }
}

/// How many of an upload's chunks are still being hashed.
final class HashTracker: Sendable {
    let running = Atomic<Int>(0)
}
