import Foundation
import NIOCore
@testable import ObjectStore
import Testing

/// New blobs go into the 256 directories made when the store opens, so no write creates (and
/// fsyncs) a directory; blobs stored under the older, wider layout still open.
@Suite struct BlobDirectoryTests {
    static func directories(under objects: String) -> [String] {
        let all = FileManager.default.enumerator(atPath: objects)?.allObjects as? [String] ?? []
        return all.filter { path in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: objects + "/" + path, isDirectory: &isDirectory) && isDirectory.boolValue
        }.sorted()
    }

    @Test func writesCreateNoDirectory() async throws {
        let f = try StoreFixture(inlineLimit: 0)
        let objects = f.directory + "/blobs/objects"
        let made = Self.directories(under: objects)
        #expect(made.count == 16 + 256)
        #expect(made.allSatisfy { $0.hasPrefix("0") && ($0.count == 2 || $0.dropFirst(3).hasPrefix("0")) })
        let bucket = try await f.store.createBucket("spread")
        for i in 0..<64 { try await f.put(bucket, "k\(i)", "body \(i)") }
        #expect(Self.directories(under: objects) == made)
        #expect(await f.blobFiles().count == 64)
        #expect(try await f.read(bucket, "k7") == "body 7")
        await f.cleanup()
    }

    @Test func aBlobUnderTheOlderLayoutStillOpens() async throws {
        let f = try StoreFixture(inlineLimit: 0)
        let id = "abcd" + String(repeating: "e", count: 28)
        let directory = f.directory + "/blobs/objects/ab/cd"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Data("older".utf8).write(to: URL(fileURLWithPath: directory + "/" + id))
        let reopened = try DiskBlobStore(root: f.directory + "/blobs")
        let reader = try #require(try await reopened.open(id))
        let bytes = try await reader.read(offset: 0, length: Int(reader.size))
        #expect(String(buffer: bytes) == "older")
        reader.close()
        await f.cleanup()
    }
}
