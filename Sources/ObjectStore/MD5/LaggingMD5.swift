import NIOCore
import Synchronization

/// An upload's MD5 taken on `MD5Lanes` a chunk at a time, up to `depth` chunks behind the bytes
/// received: the next chunk is read from the socket and written while the ones before it are
/// hashed. Waiting for each chunk's hash before reading on made a large upload pay for its
/// hashing, its writes and its reads one after another (docs/benchmarks.md). Holds at most
/// `depth` chunks besides the one being received; an upload that fails calls `abandon`, so that
/// no hashing outlives it.
///
/// Each chunk hashed behind takes one of `behind`'s slots, shared by every upload of the process,
/// so the memory uploads hold beyond their chunk being received is bounded whatever the count of
/// connections (4,096 uploads would otherwise hold 8 GiB more). With no slot free, the chunk is
/// hashed before the upload reads on, as every chunk was before.
struct LaggingMD5 {
    static let depth = 2
    static let sharedBehind = SlotLimit(slots: 64)
    /// Counts the chunks being hashed behind their uploads, for the task it is set on (tests).
    @TaskLocal static var tracker: RunningCount?
    let behind: SlotLimit
    /// The stream once every chunk handed over is hashed (valid when `inFlight` is empty).
    private var settled = MD5Stream()
    /// Oldest first; each starts from the state the one before it ends with.
    private var inFlight: [Task<MD5Stream, Never>] = []

    init(behind: SlotLimit = Self.sharedBehind) {
        self.behind = behind
    }

    /// Hands `chunk` to the lanes; waits only while `depth` chunks are already being hashed, or
    /// when no slot is free, for the chunk's own hash.
    mutating func add(_ chunk: ByteBuffer) async {
        if inFlight.count == Self.depth { settled = await inFlight.removeFirst().value }
        guard behind.tryAcquire() else {
            var stream = await current()
            await MD5Lanes.shared.update(&stream, with: chunk)
            settled = stream
            return
        }
        let (previous, start, behind, tracker) = (inFlight.last, settled, self.behind, Self.tracker)
        tracker?.enter()
        inFlight.append(Task {
            defer {
                tracker?.leave()
                behind.release()
            }
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
