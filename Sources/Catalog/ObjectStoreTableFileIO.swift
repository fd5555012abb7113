import IcebergData
import IcebergModel
import NIOCore
import ObjectStore

/// Table files read straight from Floe's object store, for server-side work on tables (scan
/// planning, snapshot expiry, orphan cleanup) that must not go through HTTP. Whoever uses it has
/// authorized the table; it reads only below that table's location, whatever its manifests name
/// (anyone who may commit to the table writes those).
public struct ObjectStoreTableFileIO: TableFileIO {
    let store: ObjectStore
    let location: String
    /// Largest object read whole (manifests, manifest lists): data files are read by range.
    public static let wholeFileLimit: Int64 = 256 << 20

    public init(store: ObjectStore, tableLocation: String) {
        self.store = store
        location = tableLocation
    }

    func locate(_ path: String) async throws -> (BucketRecord, String) {
        guard ConfinedFileIO.contains(location, path) else { throw IcebergDataError.invalid("\(path) is outside the table's location \(location): not read") }
        let (bucketName, key) = try MetadataFiles.split(path)
        guard !key.isEmpty else { throw IcebergDataError.invalid("\(path) names no object") }
        return (try await store.bucket(bucketName), key)
    }

    public func read(_ path: String) async throws -> [UInt8] {
        let (bucket, key) = try await locate(path)
        let version = try await store.head(bucket: bucket, key: key)
        guard version.size <= Self.wholeFileLimit else { throw IcebergDataError.unsupported("\(path) is larger than \(Self.wholeFileLimit) bytes") }
        return try await collect(bucket, key, range: nil, expected: Int(version.size))
    }

    public func read(_ path: String, range: Range<Int64>) async throws -> [UInt8] {
        guard !range.isEmpty else { return [] }
        guard range.lowerBound >= 0, range.count <= Self.wholeFileLimit else { throw IcebergDataError.invalid("\(path): range \(range) refused") }
        let (bucket, key) = try await locate(path)
        return try await collect(bucket, key, range: range.lowerBound...(range.upperBound - 1), expected: Int(range.count))
    }

    public func size(_ path: String) async throws -> Int64 {
        let (bucket, key) = try await locate(path)
        return try await store.head(bucket: bucket, key: key).size
    }

    func collect(_ bucket: BucketRecord, _ key: String, range: ClosedRange<Int64>?, expected: Int) async throws -> [UInt8] {
        let (version, body) = try await store.open(bucket: bucket, key: key, versionID: nil, range: range)
        if version.isDeleteMarker { throw StoreError.noSuchKey(key) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(expected)
        try await body?.stream { buffer in
            guard bytes.count + buffer.readableBytes <= expected else { throw IcebergDataError.malformed("\(key) is longer than expected") }
            bytes += buffer.readableBytesView
        }
        guard bytes.count == expected else { throw IcebergDataError.malformed("\(key): \(bytes.count) bytes read, \(expected) expected") }
        return bytes
    }
}
