import CMD5
import Foundation
import NIOCore

/// Computes the MD5s of concurrent uploads together, on a thread of its own: up to eight streams
/// share the vector lanes of one pass (`floe_md5_lanes`), which costs about one and a half times
/// what one stream costs alone. So eight uploads pay for MD5 about twice, and none of them
/// hashes on an event loop. A stream has at most one job waiting, so the queue holds at most one
/// job per upload in progress.
public final class MD5Lanes: @unchecked Sendable {
    public static let shared = MD5Lanes()
    /// Streams hashed in one pass.
    static let width = 8
    /// Fewer bytes than this are cheaper to hash where they are than to hand over.
    public static let smallest = 64 * 1024

    private struct Job {
        let state: MD5State
        /// Whole blocks only.
        let blocks: ByteBuffer
        let done: CheckedContinuation<MD5State, Never>
    }

    private let condition = NSCondition()
    private var queue: [Job] = []
    private var started = false

    init() {}

    /// Adds `buffer` to `stream`, its whole blocks hashed on the lanes' thread.
    public func update(_ stream: inout MD5Stream, with buffer: ByteBuffer) async {
        let rest = buffer.withUnsafeReadableBytes { stream.takePartialBlock($0).count }
        var buffer = buffer
        buffer.moveReaderIndex(forwardBy: buffer.readableBytes - rest)
        let whole = rest & ~63
        if whole > 0, let blocks = buffer.readSlice(length: whole) {
            stream.state = await compress(stream.state, blocks)
            stream.length += UInt64(whole)
        }
        buffer.withUnsafeReadableBytes { stream.keep($0) }
    }

    func compress(_ state: MD5State, _ blocks: ByteBuffer) async -> MD5State {
        await withCheckedContinuation { done in
            condition.lock()
            queue.append(Job(state: state, blocks: blocks, done: done))
            if !started {
                started = true
                Thread { [self] in run() }.start()
            }
            condition.signal()
            condition.unlock()
        }
    }

    /// Takes waiting jobs into free lanes before every pass, so a job that arrives while others
    /// are being hashed shares their passes from the next one on instead of waiting for them.
    private func run() {
        Thread.current.name = "floe-md5"
        var lanes: [Lane] = []
        while true {
            condition.lock()
            while queue.isEmpty && lanes.isEmpty { condition.wait() }
            let joining = min(queue.count, Self.width - lanes.count)
            for job in queue.prefix(joining) { lanes.append(Lane(job: job, state: job.state)) }
            queue.removeFirst(joining)
            condition.unlock()
            Self.pass(&lanes)
            // A finished job's bytes are let go before its caller goes on.
            var finished: [(CheckedContinuation<MD5State, Never>, MD5State)] = []
            lanes.removeAll { lane in
                guard lane.done == lane.job.blocks.readableBytes else { return false }
                finished.append((lane.job.done, lane.state))
                return true
            }
            for (done, state) in finished { done.resume(returning: state) }
        }
    }

    /// A job in a lane: its state so far and how many of its bytes are hashed.
    private struct Lane {
        let job: Job
        var state: MD5State
        var done = 0
    }

    /// Bytes per lane in one pass: short enough that a joining job waits little.
    static let passBytes = 64 * 1024

    /// Hashes up to `passBytes` more of every lane's job.
    private static func pass(_ lanes: inout [Lane]) {
        var words = lanes.map(\.state.words)
        let lengths = lanes.map { min(passBytes, $0.job.blocks.readableBytes - $0.done) }
        let blockCounts = lengths.map { $0 / 64 }
        withReadablePointers(lanes[...], collected: []) { pointers in
            words.withUnsafeMutableBufferPointer { states in
                floe_md5_lanes(states.baseAddress, pointers, blockCounts, Int32(lanes.count))
            }
        }
        for i in lanes.indices {
            lanes[i].state.words = words[i]
            lanes[i].done += lengths[i]
        }
    }

    /// Calls `body` with every lane's next unhashed byte pointed at, each pointer valid for the
    /// whole call.
    private static func withReadablePointers(
        _ lanes: ArraySlice<Lane>, collected: [UnsafePointer<UInt8>?], _ body: ([UnsafePointer<UInt8>?]) -> Void
    ) {
        guard let first = lanes.first else { return body(collected) }
        first.job.blocks.withUnsafeReadableBytes { raw in
            let next = raw.baseAddress.map { ($0 + first.done).assumingMemoryBound(to: UInt8.self) }
            withReadablePointers(lanes.dropFirst(), collected: collected + [next], body)
        }
    }
}
