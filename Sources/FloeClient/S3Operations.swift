import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import S3Model
import SigV4

public struct BucketInfo: Sendable, Equatable {
    public var name: String
    public var created: Date?
}

public struct ObjectInfo: Sendable, Equatable {
    public var key: String
    public var size: Int64
    public var etag: String
    public var lastModified: Date?
    public var versionID: String?
    public var isLatest: Bool = true
    public var isDeleteMarker: Bool = false

    public init(key: String, size: Int64, etag: String, lastModified: Date?, versionID: String? = nil, isLatest: Bool = true, isDeleteMarker: Bool = false) {
        self.key = key
        self.size = size
        self.etag = etag
        self.lastModified = lastModified
        self.versionID = versionID
        self.isLatest = isLatest
        self.isDeleteMarker = isDeleteMarker
    }
}

public struct ListPage: Sendable {
    public var objects: [ObjectInfo] = []
    public var prefixes: [String] = []
    /// Continuation token (ListObjectsV2) or key marker (versions) for the next page; nil at the end.
    public var next: String?
    public var nextVersionMarker: String?
}

public struct ObjectHead: Sendable {
    public var size: Int64
    public var etag: String
    public var lastModified: Date?
    public var contentType: String?
    public var versionID: String?
    /// `x-amz-meta-*` without the prefix, and the standard headers worth carrying along on a copy.
    public var metadata: [String: String]
    public var headers: [(String, String)]
}

extension S3Client {
    static func date(_ text: String?) -> Date? {
        text.flatMap { HTTPDate.parseISO8601($0) }.map { Date(timeIntervalSince1970: Double($0) / 1000) }
    }

    public func listBuckets() async throws -> [BucketInfo] {
        let document = try await Self.xml(try await send(.GET))
        return (document.child("Buckets")?.children("Bucket") ?? []).map { BucketInfo(name: $0.value("Name") ?? "", created: Self.date($0.value("CreationDate"))) }
    }

    public func makeBucket(_ name: String) async throws { _ = try await send(.PUT, bucket: name).body.collect(upTo: 1 << 20) }
    public func removeBucket(_ name: String) async throws { _ = try await send(.DELETE, bucket: name).body.collect(upTo: 1 << 20) }

    public func bucketExists(_ name: String) async throws -> Bool {
        do {
            _ = try await send(.HEAD, bucket: name)
            return true
        } catch let error as ClientError where error.status == 404 {
            return false
        }
    }

    /// One page of ListObjectsV2.
    public func listObjects(bucket: String, prefix: String = "", delimiter: String? = nil, continuation: String? = nil, maxKeys: Int = 1000) async throws -> ListPage {
        var query: [(name: String, value: String)] = [("list-type", "2"), ("prefix", prefix), ("max-keys", String(maxKeys))]
        if let delimiter { query.append(("delimiter", delimiter)) }
        if let continuation { query.append(("continuation-token", continuation)) }
        let document = try await Self.xml(try await send(.GET, bucket: bucket, query: query))
        var page = ListPage()
        page.objects = document.children("Contents").map {
            ObjectInfo(key: $0.value("Key") ?? "", size: Int64($0.value("Size") ?? "0") ?? 0, etag: $0.value("ETag") ?? "", lastModified: Self.date($0.value("LastModified")))
        }
        page.prefixes = document.children("CommonPrefixes").compactMap { $0.value("Prefix") }
        if document.value("IsTruncated") == "true" { page.next = document.value("NextContinuationToken") }
        return page
    }

    /// One page of ListObjectVersions (versions and delete markers in key order, newest first per key).
    public func listVersions(bucket: String, prefix: String = "", delimiter: String? = nil, keyMarker: String? = nil, versionMarker: String? = nil) async throws -> ListPage {
        var query: [(name: String, value: String)] = [("versions", ""), ("prefix", prefix)]
        if let delimiter { query.append(("delimiter", delimiter)) }
        if let keyMarker { query.append(("key-marker", keyMarker)) }
        if let versionMarker { query.append(("version-id-marker", versionMarker)) }
        let document = try await Self.xml(try await send(.GET, bucket: bucket, query: query))
        var page = ListPage()
        for element in document.children where element.name == "Version" || element.name == "DeleteMarker" {
            page.objects.append(ObjectInfo(
                key: element.value("Key") ?? "", size: Int64(element.value("Size") ?? "0") ?? 0, etag: element.value("ETag") ?? "",
                lastModified: Self.date(element.value("LastModified")), versionID: element.value("VersionId"),
                isLatest: element.value("IsLatest") == "true", isDeleteMarker: element.name == "DeleteMarker"))
        }
        page.prefixes = document.children("CommonPrefixes").compactMap { $0.value("Prefix") }
        if document.value("IsTruncated") == "true" {
            page.next = document.value("NextKeyMarker")
            page.nextVersionMarker = document.value("NextVersionIdMarker")
        }
        return page
    }

    public func head(bucket: String, key: String, versionID: String? = nil) async throws -> ObjectHead {
        let response = try await send(.HEAD, bucket: bucket, key: key, query: versionID.map { [("versionId", $0)] } ?? [])
        return Self.objectHead(response.headers)
    }

    static func objectHead(_ headers: HTTPHeaders) -> ObjectHead {
        var metadata: [String: String] = [:]
        var carried: [(String, String)] = []
        for (name, value) in headers {
            let lower = name.lowercased()
            if lower.hasPrefix("x-amz-meta-") { metadata[String(lower.dropFirst("x-amz-meta-".count))] = value }
            if ["content-type", "cache-control", "content-disposition", "content-encoding", "content-language", "expires"].contains(lower) || lower.hasPrefix("x-amz-meta-") {
                carried.append((lower, value))
            }
        }
        return ObjectHead(
            size: Int64(headers.first(name: "content-length") ?? "0") ?? 0, etag: headers.first(name: "etag") ?? "",
            lastModified: headers.first(name: "last-modified").flatMap { HTTPDate.parse($0) }.map { Date(timeIntervalSince1970: Double($0)) }, contentType: headers.first(name: "content-type"),
            versionID: headers.first(name: "x-amz-version-id"), metadata: metadata, headers: carried)
    }

    /// A streaming GET; read `body` to the end.
    public func get(bucket: String, key: String, versionID: String? = nil, range: String? = nil) async throws -> HTTPClientResponse {
        try await send(.GET, bucket: bucket, key: key, query: versionID.map { [("versionId", $0)] } ?? [], headers: range.map { [("range", $0)] } ?? [])
    }

    @discardableResult
    public func put(bucket: String, key: String, body: RequestBody, headers: [(name: String, value: String)] = []) async throws -> ObjectHead {
        let response = try await send(.PUT, bucket: bucket, key: key, headers: headers, body: body)
        _ = try await response.body.collect(upTo: 1 << 20)
        return Self.objectHead(response.headers)
    }

    public func createMultipartUpload(bucket: String, key: String, headers: [(name: String, value: String)] = []) async throws -> String {
        let document = try await Self.xml(try await send(.POST, bucket: bucket, key: key, query: [("uploads", "")], headers: headers))
        guard let id = document.value("UploadId") else { throw ClientError.transport("CreateMultipartUpload answered no UploadId") }
        return id
    }

    public func uploadPart(bucket: String, key: String, uploadID: String, number: Int, body: RequestBody) async throws -> String {
        let response = try await send(.PUT, bucket: bucket, key: key, query: [("partNumber", String(number)), ("uploadId", uploadID)], body: body)
        _ = try await response.body.collect(upTo: 1 << 20)
        return response.headers.first(name: "etag") ?? ""
    }

    public func completeMultipartUpload(bucket: String, key: String, uploadID: String, parts: [(number: Int, etag: String)]) async throws -> String {
        var xml = XMLWriter()
        xml.group("CompleteMultipartUpload") { x in
            for part in parts.sorted(by: { $0.number < $1.number }) {
                x.group("Part") { x in
                    x.element("PartNumber", part.number)
                    x.element("ETag", part.etag)
                }
            }
        }
        let document = try await Self.xml(try await send(.POST, bucket: bucket, key: key, query: [("uploadId", uploadID)], body: .bytes(xml.bytes)))
        // A 200 can still carry an error document (S3 reports late failures that way).
        if document.name == "Error" { throw ClientError(status: 200, code: document.value("Code") ?? "InternalError", message: document.value("Message") ?? "") }
        return document.value("ETag") ?? ""
    }

    public func abortMultipartUpload(bucket: String, key: String, uploadID: String) async throws {
        _ = try await send(.DELETE, bucket: bucket, key: key, query: [("uploadId", uploadID)]).body.collect(upTo: 1 << 20)
    }

    /// Server-side copy (same endpoint). `replace` sends new metadata headers instead of copying them.
    public func copy(from source: (bucket: String, key: String, versionID: String?), to bucket: String, key: String, replace headers: [(name: String, value: String)]? = nil) async throws {
        var copySource = "/\(source.bucket)/\(source.key)".addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "?&=+"))) ?? ""
        if let version = source.versionID { copySource += "?versionId=\(version)" }
        var all: [(name: String, value: String)] = [("x-amz-copy-source", copySource)]
        if let headers { all += headers + [("x-amz-metadata-directive", "REPLACE")] }
        let document = try await Self.xml(try await send(.PUT, bucket: bucket, key: key, headers: all))
        if document.name == "Error" { throw ClientError(status: 200, code: document.value("Code") ?? "InternalError", message: document.value("Message") ?? "") }
    }

    /// Deletes a key (a delete marker when versioned) or one version.
    public func delete(bucket: String, key: String, versionID: String? = nil) async throws {
        _ = try await send(.DELETE, bucket: bucket, key: key, query: versionID.map { [("versionId", $0)] } ?? []).body.collect(upTo: 1 << 20)
    }

    public func versioning(bucket: String) async throws -> String {
        try await Self.xml(try await send(.GET, bucket: bucket, query: [("versioning", "")])).value("Status") ?? "Unversioned"
    }

    public func setVersioning(bucket: String, enabled: Bool) async throws {
        var xml = XMLWriter()
        xml.group("VersioningConfiguration", namespace: XMLWriter.s3Namespace) { $0.element("Status", enabled ? "Enabled" : "Suspended") }
        _ = try await send(.PUT, bucket: bucket, query: [("versioning", "")], body: .bytes(xml.bytes)).body.collect(upTo: 1 << 20)
    }

    public func tags(bucket: String, key: String?) async throws -> [(String, String)] {
        let document = try await Self.xml(try await send(.GET, bucket: bucket, key: key, query: [("tagging", "")]))
        return (document.child("TagSet")?.children("Tag") ?? []).map { ($0.value("Key") ?? "", $0.value("Value") ?? "") }
    }

    public func setTags(bucket: String, key: String?, _ tags: [(String, String)]) async throws {
        var xml = XMLWriter()
        xml.group("Tagging", namespace: XMLWriter.s3Namespace) { x in
            x.group("TagSet") { x in
                for (name, value) in tags {
                    x.group("Tag") { x in
                        x.element("Key", name)
                        x.element("Value", value)
                    }
                }
            }
        }
        try await sendDigested(.PUT, bucket: bucket, key: key, query: [("tagging", "")], xml, headers: [])
    }

    public func removeTags(bucket: String, key: String?) async throws {
        _ = try await send(.DELETE, bucket: bucket, key: key, query: [("tagging", "")]).body.collect(upTo: 1 << 20)
    }

    /// The bucket policy JSON, or nil when there is none.
    public func policy(bucket: String) async throws -> String? {
        do {
            return String(buffer: try await send(.GET, bucket: bucket, query: [("policy", "")]).body.collect(upTo: 1 << 20))
        } catch let error as ClientError where error.code == "NoSuchBucketPolicy" {
            return nil
        }
    }

    public func setPolicy(bucket: String, _ json: String?) async throws {
        if let json {
            _ = try await send(.PUT, bucket: bucket, query: [("policy", "")], body: .bytes(Array(json.utf8))).body.collect(upTo: 1 << 20)
        } else {
            _ = try await send(.DELETE, bucket: bucket, query: [("policy", "")]).body.collect(upTo: 1 << 20)
        }
    }

    /// A call to Floe's admin API; answers the JSON body (empty for 204).
    public func admin(_ method: HTTPMethod, _ path: String, json: Any? = nil, raw: String? = nil) async throws -> Any? {
        var body = RequestBody.empty
        if let raw { body = .bytes(Array(raw.utf8)) }
        if let json { body = .bytes(Array(try JSONSerialization.data(withJSONObject: json))) }
        let response = try await send(method, body: body, path: "/floe/admin/v1/" + path)
        let data = try await response.body.collect(upTo: 16 << 20)
        guard data.readableBytes > 0 else { return nil }
        return try JSONSerialization.jsonObject(with: Data(data.readableBytesView), options: [.fragmentsAllowed])
    }
}
