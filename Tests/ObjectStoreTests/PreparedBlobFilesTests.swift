import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization
@testable import ObjectStore
import Testing

/// Blobs written into empty files prepared at their place: no temporary file, no rename, and
/// nothing left behind by a write thrown away or by a process that stopped with files unused.
@Suite struct PreparedBlobFilesTests {
    func store(prepared: Int) throws -> (DiskBlobStore, String) {
        let directory = NSTemporaryDirectory() + "floe-prepared-" + RandomID.make()
        return (try DiskBlobStore(root: directory, preparedFiles: prepared), directory)
    }

    func files(under directory: String) -> [String: Int] {
        var sizes: [String: Int] = [:]
        for case let path as String in FileManager.default.enumerator(atPath: directory)?.allObjects ?? [] {
            let attributes = try? FileManager.default.attributesOfItem(atPath: directory + "/" + path)
            guard attributes?[.type] as? FileAttributeType == .typeRegular else { continue }
            sizes[path] = (attributes?[.size] as? NSNumber)?.intValue
        }
        return sizes
    }

    @Test func aBatchIsMadeInOneDirectory() async throws {
        let (blobs, directory) = try store(prepared: 16)
        await blobs.prepared.refill(blobs)
        let ready = blobs.prepared.readyIDs
        #expect(ready.count == 16)
        #expect(Set(ready.map { blobs.finalPath($0).directory }).count == 1)
        let prepared = files(under: directory + "/objects")
        #expect(prepared.count == 16 && prepared.values.allSatisfy { $0 == 0 })
        #expect(ready.allSatisfy { mode(blobs.finalPath($0).file) == 0o600 })
        try? FileManager.default.removeItem(atPath: directory)
    }

    func mode(_ path: String) -> Int? {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? NSNumber)?.intValue
    }

    @Test func aWriteFillsAPreparedFileInPlace() async throws {
        let (blobs, directory) = try store(prepared: 16)
        await blobs.prepared.refill(blobs)
        let writer = try await blobs.beginWrite()
        #expect(writer.inPlace && writer.path == blobs.finalPath(writer.blobID).file)
        try await writer.append(ByteBuffer(string: "hello "))
        try await writer.finish(appending: ByteBuffer(string: "prepared"))
        try await writer.commit()
        let reader = try #require(try await blobs.open(writer.blobID))
        #expect(String(buffer: try await reader.read(offset: 0, length: Int(reader.size))) == "hello prepared")
        reader.close()
        #expect(files(under: directory + "/tmp").isEmpty)
        #expect(files(under: directory + "/objects").values.filter { $0 > 0 }.count == 1)
        #expect(mode(writer.path) == 0o644)
        #expect(!blobs.prepared.isOutstanding(writer.blobID))
        try? FileManager.default.removeItem(atPath: directory)
    }

    @Test func aWriteThrownAwayLeavesNoFile() async throws {
        let (blobs, directory) = try store(prepared: 16)
        await blobs.prepared.refill(blobs)
        let writer = try await blobs.beginWrite()
        try await writer.append(ByteBuffer(string: "half"))
        await writer.discard()
        #expect(!FileManager.default.fileExists(atPath: writer.path))
        #expect(files(under: directory + "/objects").values.allSatisfy { $0 == 0 })
        try? FileManager.default.removeItem(atPath: directory)
    }

    @Test func withoutPreparedFilesAWriteGoesThroughTmp() async throws {
        let (blobs, directory) = try store(prepared: 0)
        let writer = try await blobs.beginWrite()
        #expect(!writer.inPlace && writer.path.hasPrefix(directory + "/tmp/"))
        try await writer.finish(appending: ByteBuffer(string: "renamed"))
        #expect(FileManager.default.fileExists(atPath: blobs.finalPath(writer.blobID).file))
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Files prepared by a process that stopped are orphans to the next one's sweep (they are
    /// older than its start), and never to the sweep of the process that made them.
    @Test func unusedPreparedFilesAreSweptByTheNextStart() async throws {
        let (blobs, directory) = try store(prepared: 16)
        let startedAt = Posix.nowNanoseconds() - 1_000_000_000
        await blobs.prepared.refill(blobs)
        let none = try await blobs.sweepOrphans(writtenBefore: startedAt) { _ throws(StoreError) in [] }
        #expect(none == 0)
        // Nor should the clock step back: the files this process prepared or writes are its own.
        let writer = try await blobs.beginWrite()
        #expect(writer.inPlace)
        let stepped = try await blobs.sweepOrphans(writtenBefore: Posix.nowNanoseconds() + 1_000_000_000) { _ throws(StoreError) in [] }
        #expect(stepped == 0)
        await writer.discard()
        let next = try DiskBlobStore(root: directory)
        let swept = try await next.sweepOrphans(writtenBefore: Posix.nowNanoseconds() + 1_000_000_000) { _ throws(StoreError) in [] }
        #expect(swept == 15)
        #expect(files(under: directory + "/objects").isEmpty)
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Taking files refills the pool in the background once half are gone.
    @Test func takingRefills() async throws {
        let (blobs, directory) = try store(prepared: 32)
        await blobs.prepared.refill(blobs)
        var taken: [String] = []
        for _ in 0..<20 { taken += [try #require(blobs.prepared.take(store: blobs))] }
        for _ in 0..<200 where blobs.prepared.readyIDs.count < 28 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(blobs.prepared.readyIDs.count >= 28)
        #expect(Set(taken).isDisjoint(with: blobs.prepared.readyIDs))
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// A batch that cannot be made (here: the blob directories are gone) is logged, leaves no
    /// file, and writes go through `tmp/` meanwhile.
    @Test func aFailedBatchIsLoggedAndWritesGoThroughTmp() async throws {
        let lines = LoggedLines()
        let directory = NSTemporaryDirectory() + "floe-prepared-" + RandomID.make()
        let blobs = try DiskBlobStore(root: directory, preparedFiles: 16, logger: Logger(label: "test") { _ in lines })
        for entry in try FileManager.default.contentsOfDirectory(atPath: directory + "/objects") {
            try FileManager.default.removeItem(atPath: directory + "/objects/" + entry)
        }
        await blobs.prepared.refill(blobs)
        #expect(blobs.prepared.readyIDs.isEmpty)
        let logged = lines.all
        #expect(logged.count == 1)
        #expect(logged.first?.level == .warning && logged.first?.message.contains("cannot prepare blob files") == true)
        #expect(logged.first?.metadata["error"] != nil)
        #expect(files(under: directory + "/objects").isEmpty)
        let writer = try await blobs.beginWrite()
        #expect(!writer.inPlace)
        await writer.discard()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// A refill that finds the thread pool stopped (the server shutting down) ends without a
    /// warning: nothing failed that an operator should look at.
    @Test func aRefillAfterThePoolStoppedEndsQuietly() async throws {
        let lines = LoggedLines()
        let directory = NSTemporaryDirectory() + "floe-prepared-" + RandomID.make()
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        let blobs = try DiskBlobStore(root: directory, threadPool: pool, preparedFiles: 16, logger: Logger(label: "test") { _ in lines })
        try await pool.shutdownGracefully()
        await blobs.prepared.refill(blobs)
        #expect(blobs.prepared.readyIDs.isEmpty)
        #expect(lines.all.isEmpty)
        #expect(files(under: directory + "/objects").isEmpty)
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// Log entries kept in memory, for a test to read.
final class LoggedLines: LogHandler, @unchecked Sendable {
    struct Line: Sendable {
        let level: Logger.Level
        let message: String
        let metadata: Logger.Metadata
    }
    private let lines = Mutex<[Line]>([])
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    var all: [Line] { lines.withLock { $0 } }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        lines.withLock { $0.append(Line(level: event.level, message: event.message.description, metadata: event.metadata ?? [:])) }
    }
}
