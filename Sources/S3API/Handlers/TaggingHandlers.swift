import Hummingbird
import HTTPTypes
import NIOCore
import ObjectStore
import S3Model
import SigV4

extension S3Responder {
    /// A `<Tagging><TagSet><Tag><Key/><Value/></Tag>…` document, with S3's limits.
    func readTagging(_ call: S3Call, maxTags: Int) async throws -> [MetadataEntry] {
        try Self.tags(of: try await readXML(call, root: "Tagging", limit: 64 * 1024), maxTags: maxTags)
    }

    /// A Tagging document as text (POST Object's `tagging` field).
    static func parseTagging(_ bytes: [UInt8], maxTags: Int) throws -> [MetadataEntry] {
        try tags(of: try parseXML(bytes, root: "Tagging"), maxTags: maxTags)
    }

    static func tags(of document: XMLElement, maxTags: Int) throws -> [MetadataEntry] {
        guard let set = document.child("TagSet") else { throw S3Error.malformedXML() }
        var tags: [MetadataEntry] = []
        for tag in set.children("Tag") {
            guard let key = tag.value("Key"), let value = tag.value("Value") else { throw S3Error.malformedXML() }
            try TagSet.validate(key: key, value: value, existing: tags)
            tags.append(MetadataEntry(key, value))
        }
        if tags.count > maxTags { throw S3Error.invalidTag(maxTags == 10 ? "Object tags cannot be greater than 10" : "Bucket tag count cannot be greater than \(maxTags)") }
        return tags
    }

    static func taggingResponse(_ tags: [MetadataEntry]) -> Response {
        var xml = XMLWriter()
        xml.group("Tagging", namespace: XMLWriter.s3Namespace) { x in
            x.group("TagSet") { x in
                // Ordered by key, as S3 answers a tag set (a map), whatever order it was sent in.
                for tag in tags.sorted(by: { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }) {
                    x.group("Tag") { x in
                        x.element("Key", tag.name)
                        x.element("Value", tag.value)
                    }
                }
            }
        }
        return xmlResponse(xml)
    }

    func getObjectTagging(_ call: S3Call) async throws -> Response {
        let bucket = try await bucket(call)
        let version = try await addressedVersion(call, bucket: bucket)
        var response = Self.taggingResponse(version.attributes.tags)
        Self.addVersionHeader(&response.headers, version, bucket)
        return response
    }

    func putObjectTagging(_ call: S3Call) async throws -> Response {
        let bucket = try await bucket(call)
        let tags = try await readTagging(call, maxTags: 10)
        let version = try await setObjectTags(call, bucket: bucket, tags)
        var headers = HTTPFields()
        Self.addVersionHeader(&headers, version, bucket)
        return Response(status: .ok, headers: headers)
    }

    func deleteObjectTagging(_ call: S3Call) async throws -> Response {
        let bucket = try await bucket(call)
        let version = try await setObjectTags(call, bucket: bucket, [])
        var headers = HTTPFields()
        Self.addVersionHeader(&headers, version, bucket)
        return Response(status: .noContent, headers: headers)
    }

    /// The tags of the version addressed, set only while it is the version the request was judged on.
    func setObjectTags(_ call: S3Call, bucket: BucketRecord, _ tags: [MetadataEntry]) async throws -> ObjectVersion {
        let key = call.target.key!
        let versionID = call.target.value("versionId")
        return try await writeAsJudged(call, bucket: bucket, key: key, versionID: versionID) { expected in
            try await store.setTags(bucket: bucket, key: key, versionID: versionID, tags: tags, expecting: expected)
        }
    }

    func getBucketTagging(_ call: S3Call) async throws -> Response {
        let bucket = try await bucket(call)
        guard let tags = try await store.index.bucketTags(bucketID: bucket.id) else {
            throw S3Error(code: "NoSuchTagSet", status: 404, message: "The TagSet does not exist").with(detail: "BucketName", bucket.name)
        }
        return Self.taggingResponse(tags)
    }

    func putBucketTagging(_ call: S3Call) async throws -> Response {
        let bucket = try await bucket(call)
        let tags = try await readTagging(call, maxTags: 50)
        try await store.index.setBucketTags(bucketID: bucket.id, tags)
        return Response(status: .noContent)
    }

    func deleteBucketTagging(_ call: S3Call) async throws -> Response {
        let bucket = try await bucket(call)
        try await store.index.setBucketTags(bucketID: bucket.id, nil)
        return Response(status: .noContent)
    }

    /// GetObjectAttributes: the attributes named in x-amz-object-attributes, in one document.
    func getObjectAttributes(_ call: S3Call) async throws -> Response {
        let bucket = try await bucket(call)
        let wanted = Set((call.headers[values: .amzObjectAttributes]).flatMap { $0.split(separator: ",") }.map { String($0.trimmingSpaces) })
        let known: Set<String> = ["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"]
        guard !wanted.isEmpty else { throw S3Error.invalidArgument("x-amz-object-attributes header must be specified", name: "x-amz-object-attributes") }
        if let unknown = wanted.subtracting(known).first {
            throw S3Error.invalidArgument("Invalid attribute name specified.", name: "x-amz-object-attributes", value: unknown)
        }
        let version = try await addressedVersion(call, bucket: bucket)
        _ = try customerKeyForRead(call, version)
        let maxParts = try Self.maxKeys(call.header(.amzMaxParts), name: "x-amz-max-parts")
        let marker = Int(call.header(.amzPartNumberMarker) ?? "0") ?? 0
        var xml = XMLWriter()
        xml.group("GetObjectAttributesResponse", namespace: XMLWriter.s3Namespace) { x in
            if wanted.contains("ETag") { x.element("ETag", String(version.etag.dropFirst().dropLast())) }
            if wanted.contains("Checksum"), !version.attributes.checksums.isEmpty {
                x.group("Checksum") { x in
                    for (algorithm, value) in version.attributes.checksums { x.element("Checksum\(algorithm.rawValue)", value) }
                    x.element("ChecksumType", version.attributes.checksumType ?? "FULL_OBJECT")
                }
            }
            if wanted.contains("ObjectParts"), let parts = version.parts {
                let after = parts.filter { $0.number > marker }
                let page = Array(after.prefix(maxParts))
                x.group("ObjectParts") { x in
                    x.element("PartsCount", parts.count)
                    x.element("PartNumberMarker", marker)
                    if let last = page.last { x.element("NextPartNumberMarker", last.number) }
                    x.element("MaxParts", maxParts)
                    x.element("IsTruncated", after.count > page.count)
                    for part in page {
                        x.group("Part") { x in
                            x.element("PartNumber", part.number)
                            x.element("Size", part.size)
                            if let algorithm = version.attributes.checksums.keys.first, let checksum = part.checksum {
                                x.element("Checksum\(algorithm.rawValue)", checksum)
                            }
                        }
                    }
                }
            }
            if wanted.contains("StorageClass") { x.element("StorageClass", version.attributes.storageClass) }
            if wanted.contains("ObjectSize") { x.element("ObjectSize", version.size) }
        }
        var response = Self.xmlResponse(xml)
        response.headers[.lastModified] = HTTPDate.rfc1123(version.lastModified / 1000)
        Self.addVersionHeader(&response.headers, version, bucket)
        return response
    }
}
