import Foundation
import NIOCore
import NIOPosix
@testable import ObjectStore
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The slots shared by a server's requests: never more taken than there are, handed to waiters
/// in order, and nothing held by a waiter that gave up.
@Suite struct SlotLimitTests {
    @Test func aFreedSlotGoesToTheLongestWaiter() async {
        let limit = SlotLimit(slots: 1)
        #expect(limit.tryAcquire())
        #expect(!limit.tryAcquire())
        let order = OrderLog()
        var waiters: [Task<Void, Never>] = []
        for n in 0..<3 {
            waiters.append(Task {
                #expect(await limit.acquire())
                order.append(n)
                limit.release()
            })
            // Each queued before the next starts.
            while limit.waiting < n + 1 { await Task.yield() }
        }
        limit.release()
        for waiter in waiters { await waiter.value }
        #expect(order.items == [0, 1, 2])
        #expect(limit.inUse == 0)
    }

    @Test func aCancelledWaiterHoldsNoSlot() async {
        let limit = SlotLimit(slots: 1)
        #expect(limit.tryAcquire())
        let queued = Task { await limit.acquire() }
        while limit.waiting < 1 { await Task.yield() }
        queued.cancel()
        #expect(await queued.value == false)
        // Cancelled before it could queue at all.
        let early = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return await limit.acquire()
        }
        #expect(await early.value == false)
        limit.release()
        #expect(limit.inUse == 0)
        #expect(limit.waiting == 0)
        #expect(limit.tryAcquire())
        limit.release()
    }

    @Test func manyTasksNeverHoldMoreThanTheSlots() async {
        let limit = SlotLimit(slots: 3)
        let count = RunningCount()
        await withTaskGroup(of: Void.self) { group in
            for n in 0..<200 {
                group.addTask {
                    let task = Task {
                        guard await limit.acquire() else { return }
                        count.enter()
                        await Task.yield()
                        count.leave()
                        limit.release()
                    }
                    if n % 7 == 0 { task.cancel() }
                    await task.value
                }
            }
        }
        #expect(count.peak.load(ordering: .relaxed) <= 3)
        #expect(count.peak.load(ordering: .relaxed) >= 1)
        #expect(limit.inUse == 0)
        #expect(limit.waiting == 0)
    }

    /// Cold reads take no more of the blob pool than the store allows: eight blobs read in at
    /// once, then read through memory, with two slots, on a pool of eight threads (all eight at
    /// once without the bound). Where pages cannot be dropped (tmpfs), the reads through memory
    /// find their range cached and take no slot.
    @Test func coldReadsTakeNoMoreThreadsThanTheirSlots() async throws {
        let directory = NSTemporaryDirectory() + "floe-cold-reads-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let pool = NIOThreadPool(numberOfThreads: 8)
        pool.start()
        let store = try DiskBlobStore(root: directory, threadPool: pool, coldReadThreads: 2)
        var ids: [String] = []
        for n in 0..<8 {
            let writer = try await store.beginWrite()
            try await writer.append(ByteBuffer(repeating: UInt8(n), count: 24 << 20))
            try await writer.commit()
            ids.append(writer.blobID)
        }
        let tracker = RunningCount()
        try await BlobReader.$coldReadTracker.withValue(tracker) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for id in ids {
                    group.addTask {
                        let reader = try #require(try await store.open(id))
                        defer { reader.close() }
                        // Dropped where the file system can (not tmpfs): then each read waits for the disk.
                        _ = posix_fadvise(reader.fd, 0, 0, POSIX_FADV_DONTNEED)
                        _ = await reader.loadIntoPageCache(offset: 0, length: reader.size)
                        // Read through memory (sealed bodies, copies, TLS), a range dropped again.
                        _ = posix_fadvise(reader.fd, 0, 0, POSIX_FADV_DONTNEED)
                        _ = try await reader.read(offset: 8 << 20, length: 8 << 20)
                    }
                }
                try await group.waitForAll()
            }
        }
        #expect(tracker.peak.load(ordering: .relaxed) <= 2)
        #expect(tracker.peak.load(ordering: .relaxed) >= 1)
        #expect(store.coldReads.inUse == 0)
        try await pool.shutdownGracefully()
    }
}

final class OrderLog: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [Int] = []
    func append(_ n: Int) { lock.withLock { stored.append(n) } }
    var items: [Int] { lock.withLock { stored } }
}
