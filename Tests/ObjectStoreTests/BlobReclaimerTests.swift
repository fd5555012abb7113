import Dispatch
import Foundation
import NIOCore
import NIOPosix
@testable import ObjectStore
import Testing

/// Replaced and deleted blobs are unlinked in the background, never more than the bound at once.
@Suite(.timeLimit(.minutes(1))) struct BlobReclaimerTests {
    static func files(_ count: Int) throws -> (directory: String, paths: [String]) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reclaim-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let paths = (0..<count).map { "\(directory)/blob\($0)" }
        for path in paths { #expect(FileManager.default.createFile(atPath: path, contents: Data("x".utf8))) }
        return (directory, paths)
    }

    static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    @Test func offeredPathsAreGoneOnceSettled() async throws {
        let pool = NIOThreadPool(numberOfThreads: 2)
        pool.start()
        let reclaimer = BlobReclaimer(threadPool: pool)
        let (directory, paths) = try Self.files(40)
        for start in stride(from: 0, to: 40, by: 4) { #expect(reclaimer.offer(Array(paths[start..<start + 4]))) }
        #expect(await reclaimer.settle() == 0)
        #expect(paths.filter(Self.exists).isEmpty)
        #expect(await reclaimer.settle(within: .zero) == 0)  // nothing accepted since: done at once
        try await pool.shutdownGracefully()
        try FileManager.default.removeItem(atPath: directory)
    }

    @Test func pastItsBoundItTakesNothingAndTheCallerKeepsIt() async throws {
        let (directory, paths) = try Self.files(6)
        // The pool's one thread is held, so nothing offered is unlinked until it is let go.
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        let held = DispatchSemaphore(value: 0)
        pool.submit { _ in held.wait() }
        let reclaimer = BlobReclaimer(threadPool: pool, limit: 3)
        #expect(reclaimer.offer(Array(paths[0..<2])))
        #expect(!reclaimer.offer(Array(paths[2..<4])))  // 4 > 3: refused whole
        #expect(reclaimer.offer([paths[2]]))
        #expect(!reclaimer.offer([paths[3]]))
        #expect(await reclaimer.settle(within: .milliseconds(50)) == 3)  // none unlinked yet
        #expect(paths.allSatisfy(Self.exists))
        held.signal()
        #expect(await reclaimer.settle() == 0)
        #expect(paths.map(Self.exists) == [false, false, false, true, true, true])
        #expect(reclaimer.offer([paths[3]]))  // room again once drained
        #expect(await reclaimer.settle() == 0)
        #expect(!Self.exists(paths[3]))
        try await pool.shutdownGracefully()
        try FileManager.default.removeItem(atPath: directory)
    }

    @Test func pathsBeingUnlinkedStillCountAgainstTheBound() async throws {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        let (started, held) = (DispatchSemaphore(value: 0), DispatchSemaphore(value: 0))
        let reclaimer = BlobReclaimer(threadPool: pool, limit: 2) { path in
            if path == "first" {
                started.signal()
                held.wait()
            }
        }
        #expect(reclaimer.offer(["first", "second"]))
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                started.wait()
                done.resume()
            }
        }
        // The batch is out of the queue and being unlinked: it still fills the bound.
        #expect(!reclaimer.offer(["third"]))
        held.signal()
        #expect(await reclaimer.settle() == 0)
        #expect(reclaimer.offer(["third"]))
        #expect(await reclaimer.settle() == 0)
        try await pool.shutdownGracefully()
    }

    @Test func aStorePastItsBoundDeletesBeforeReturning() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reclaim-\(UUID().uuidString)").path
        let pool = NIOThreadPool(numberOfThreads: 2)
        pool.start()
        let blobs = try DiskBlobStore(root: directory, threadPool: pool, reclaimLimit: 0)
        let writer = try await blobs.beginWrite()
        try await writer.finish(appending: ByteBuffer(string: "replaced"))
        let path = blobs.finalPath(writer.blobID).file
        #expect(Self.exists(path))
        await blobs.deleteLater([writer.blobID])
        #expect(!Self.exists(path))  // no settle: gone when the call returned
        try await pool.shutdownGracefully()
        try FileManager.default.removeItem(atPath: directory)
    }
}
