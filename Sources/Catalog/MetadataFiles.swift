import Foundation
import IcebergModel
import NIOCore
import ObjectStore

/// Metadata files and table data as ordinary objects in Floe's own buckets, addressed by
/// `s3://bucket/key` locations, so any engine with S3 credentials reads what the catalog writes.
public struct MetadataFiles: Sendable {
    let store: ObjectStore
    public static let maxMetadataFileSize: Int64 = 64 << 20

    public init(store: ObjectStore) {
        self.store = store
    }

    /// (bucket, key) of an `s3://`, `s3a://` or `s3n://` location.
    public static func split(_ location: String) throws(IcebergError) -> (bucket: String, key: String) {
        for scheme in ["s3://", "s3a://", "s3n://"] where location.hasPrefix(scheme) {
            let rest = location.dropFirst(scheme.count)
            guard let slash = rest.firstIndex(of: "/") else { return (String(rest), "") }
            return (String(rest[..<slash]), String(rest[rest.index(after: slash)...]))
        }
        throw .badRequest("Unsupported location (expected s3://bucket/path): \(location)")
    }

    func bucket(_ name: String) async throws(IcebergError) -> BucketRecord {
        do {
            return try await store.bucket(name)
        } catch {
            throw .badRequest("Bucket \(name) does not exist")
        }
    }

    /// Writes a JSON document (table or view metadata, as `JSONValue.text()`) as an object at `location`.
    public func writeDocument(_ text: String, to location: String) async throws(IcebergError) {
        let (bucketName, key) = try Self.split(location)
        let target = try await bucket(bucketName)
        do {
            guard text.utf8.count <= Self.maxMetadataFileSize else { throw StoreError.entityTooLarge(limit: Self.maxMetadataFileSize) }
            _ = try await store.writeInternal(
                ByteBuffer(string: text), bucket: target, key: key, attributes: ObjectAttributes(contentHeaders: ["content-type": "application/json"]))
        } catch {
            throw .serviceUnavailable("Cannot write metadata file \(location): \(error)")
        }
    }

    public func read(_ location: String) async throws(IcebergError) -> TableMetadata {
        try TableMetadata(json: try await readDocument(location))
    }

    /// Reads a JSON document (table or view metadata) from the object at `location`.
    public func readDocument(_ location: String) async throws(IcebergError) -> JSONValue {
        let (bucketName, key) = try Self.split(location)
        let source = try await bucket(bucketName)
        var bytes: [UInt8] = []
        do {
            let (version, body) = try await store.open(bucket: source, key: key, versionID: nil, range: nil)
            defer { body?.close() }  // also when refused below, unread
            if version.isDeleteMarker { throw StoreError.noSuchKey(key) }
            guard version.size <= Self.maxMetadataFileSize else { throw IcebergError.badRequest("Metadata file too large: \(location)") }
            try await body?.stream { buffer in bytes += buffer.readableBytesView }
        } catch let error as IcebergError {
            throw error
        } catch {
            throw .badRequest("Cannot read metadata file \(location): \(error)")
        }
        guard let document = try? JSONValue(parsing: bytes) else {
            throw .badRequest("Metadata file is not valid JSON: \(location)")
        }
        return document
    }

    /// Removes one object for good (every version), e.g. a metadata file of a lost commit.
    public func delete(_ location: String) async {
        guard let (bucketName, key) = try? Self.split(location), let target = try? await store.bucket(bucketName) else { return }
        await removeAllVersions(bucket: target, prefix: key, exact: true)
    }

    /// Removes every object (and every version) under a table location: data, manifests, metadata.
    public func purge(_ location: String) async {
        guard let (bucketName, key) = try? Self.split(location), let target = try? await store.bucket(bucketName), !key.isEmpty else { return }
        await removeAllVersions(bucket: target, prefix: key.hasSuffix("/") ? key : key + "/", exact: false)
    }

    /// Versions Object Lock keeps are left in place (the store refuses them): the listing moves
    /// past each page, so a page of kept versions does not stop the rest being removed.
    func removeAllVersions(bucket: BucketRecord, prefix: String, exact: Bool) async {
        var marker: (key: String, versionID: String)?
        // Bounded: at most 10,000 pages of 1,000 versions.
        for _ in 0..<10_000 {
            var request = ListRequest(prefix: prefix, maxKeys: 1000)
            request.after = marker?.key
            guard let page = try? await store.listVersions(bucket: bucket, request, versionIDMarker: marker?.versionID) else { return }
            let versions = page.objects.filter { !exact || keyEquals($0.key, prefix) }
            for version in versions {
                _ = try? await store.delete(bucket: bucket, key: version.key, versionID: version.versionID)
            }
            guard page.isTruncated, !exact, let last = page.objects.last else { return }
            marker = (last.key, last.versionID)
        }
    }
}

extension JSONValue {
    /// The document as Floe writes it into metadata files and the catalog database alike (keys
    /// sorted, slashes unescaped): encoded once per change.
    /// A document nested deeper than the parser reads is refused here, before it is written:
    /// stored, it could be neither loaded nor dropped.
    public func text() throws(IcebergError) -> String {
        guard !nests(deeperThan: JSONValue.maxDepth) else { throw .badRequest("Metadata nested deeper than \(JSONValue.maxDepth) levels") }
        return String(decoding: sortedJSONBytes, as: UTF8.self)
    }
}
