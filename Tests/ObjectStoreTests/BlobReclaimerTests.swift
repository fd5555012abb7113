import Dispatch
import Foundation
import NIOCore
import NIOPosix
@testable import ObjectStore
import Testing

/// Replaced and deleted blobs are unlinked in the background, never more than the bound at once.
@Suite struct BlobReclaimerTests {
    static func files(_ count: Int, named prefix: String) throws -> (directory: String, paths: [String]) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reclaim-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let paths = (0..<count).map { "\(directory)/\(prefix)\($0)" }
        for path in paths { #expect(FileManager.default.createFile(atPath: path, contents: Data("x".utf8))) }
        return (directory, paths)
    }

    static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    @Test func takenPathsAreGoneOnceSettled() async throws {
        let pool = NIOThreadPool(numberOfThreads: 2)
        pool.start()
        let reclaimer = BlobReclaimer(threadPool: pool)
        let (directory, paths) = try Self.files(40, named: "blob")
        for start in stride(from: 0, to: 40, by: 4) { #expect(reclaimer.take(Array(paths[start..<start + 4]))) }
        await reclaimer.settle()
        #expect(paths.filter(Self.exists).isEmpty)
        await reclaimer.settle()  // idle: returns at once
        try await pool.shutdownGracefully()
        try FileManager.default.removeItem(atPath: directory)
    }

    @Test func pastItsBoundItTakesNothingAndTheCallerKeepsIt() async throws {
        // The pool's one thread is held, so nothing taken is unlinked until it is let go.
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        let held = DispatchSemaphore(value: 0)
        pool.submit { _ in held.wait() }
        let reclaimer = BlobReclaimer(threadPool: pool, limit: 3)
        let (directory, paths) = try Self.files(5, named: "blob")
        #expect(reclaimer.take(Array(paths[0..<2])))
        #expect(!reclaimer.take(Array(paths[2..<4])))  // 4 > 3: refused whole
        #expect(reclaimer.take([paths[2]]))
        #expect(!reclaimer.take([paths[3]]))
        #expect(paths.allSatisfy(Self.exists))
        held.signal()
        await reclaimer.settle()
        #expect(paths.map(Self.exists) == [false, false, false, true, true])
        // Room again once drained.
        #expect(reclaimer.take([paths[3]]))
        await reclaimer.settle()
        #expect(!Self.exists(paths[3]))
        try await pool.shutdownGracefully()
        try FileManager.default.removeItem(atPath: directory)
    }
}
