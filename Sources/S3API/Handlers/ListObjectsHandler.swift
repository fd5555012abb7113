import Hummingbird
import Identity
import ObjectStore
import S3Model
import SigV4

extension S3Responder {
    /// ListObjects (v1) and ListObjectsV2: one index range scan per page, delimiter roll-up by seeking.
    func listObjects(_ call: S3Call, version: Int) async throws -> Response {
        let bucket = try await bucket(call)
        let query = call.target
        let listing = try ListingQuery(query)

        var after: String?
        // An empty token is no token (a client's first page), as S3 takes it.
        let continuationToken = query.value("continuation-token").flatMap { $0.isEmpty ? nil : $0 }
        let startAfter = query.value("start-after")
        let marker = query.value("marker")
        if version == 2 {
            if let token = continuationToken {
                guard let decoded = ContinuationToken.decode(token) else {
                    throw S3Error.invalidArgument("The continuation token provided is incorrect", name: "continuation-token", value: token)
                }
                after = decoded
            } else {
                after = startAfter
            }
        } else {
            after = marker
        }

        let page = try await store.list(bucket: bucket, listing.request(after: after))
        let fetchOwner = version == 1 || query.value("fetch-owner") == "true"
        let xml = Self.listingXML(
            page, bucket: bucket.name, listing: listing, version: version, continuationToken: query.value("continuation-token"), startAfter: startAfter,
            marker: marker, owner: fetchOwner ? owners(in: bucket) : nil)
        return Self.xmlResponse(xml)
    }

    /// The ListBucketResult document of one page (ListObjects v1 or v2); pure, so its cost is
    /// measured on its own (`scripts/bench/instructions.sh`).
    package static func listingXML(
        _ page: ListPage, bucket: String, listing: ListingQuery, version: Int, continuationToken: String?, startAfter: String?,
        marker: String?, owner: ((ObjectVersion) -> (id: String, name: String?))?
    ) -> XMLWriter {
        var xml = XMLWriter()
        xml.group("ListBucketResult", namespace: XMLWriter.s3Namespace) { x in
            x.element("Name", bucket)
            // v1 answers its Prefix as sent (botocore decodes it only in v2 answers).
            x.element("Prefix", version == 2 ? listing.encode(listing.prefix) : listing.prefix)
            if version == 2 {
                if let continuationToken { x.element("ContinuationToken", continuationToken) }
                if let startAfter { x.element("StartAfter", listing.encode(startAfter)) }
                x.element("KeyCount", page.entries.count)
            } else {
                x.element("Marker", listing.encode(marker ?? ""))
            }
            x.element("MaxKeys", listing.maxKeys)
            if let delimiter = listing.delimiter { x.element("Delimiter", listing.encode(delimiter)) }
            if listing.encodeURL { x.element("EncodingType", "url") }
            // A page of max-keys 0 holds nothing and so cuts nothing off, as S3 answers it.
            x.element("IsTruncated", listing.maxKeys > 0 && page.isTruncated)
            if let next = page.nextMarker {
                if version == 2 {
                    x.element("NextContinuationToken", ContinuationToken.encode(next))
                } else {
                    x.element("NextMarker", listing.encode(next))
                }
            }
            for entry in page.entries {
                switch entry {
                case .object(let object):
                    x.group("Contents") { x in
                        x.element("Key", listing.encode(object.key))
                        x.element("LastModified", HTTPDate.iso8601(milliseconds: object.lastModified))
                        x.element("ETag", object.etag)
                        if let algorithm = object.attributes.checksums.keys.sorted(by: { $0.rawValue < $1.rawValue }).first {
                            x.element("ChecksumAlgorithm", algorithm.rawValue)
                            x.element("ChecksumType", object.attributes.checksumType ?? "FULL_OBJECT")
                        }
                        x.element("Size", object.size)
                        if let owner {
                            let (id, name) = owner(object)
                            x.group("Owner") { x in
                                x.element("ID", id)
                                x.optional("DisplayName", name)
                            }
                        }
                        x.element("StorageClass", object.attributes.storageClass)
                    }
                case .commonPrefix(let commonPrefix):
                    x.group("CommonPrefixes") { x in x.element("Prefix", listing.encode(commonPrefix)) }
                }
            }
        }
        return xml
    }
}

/// ListObjectsV2 continuation tokens: the last key or prefix returned, base64-encoded behind a
/// version byte so the format can change without breaking tokens in flight.
enum ContinuationToken {
    static func encode(_ marker: String) -> String {
        Base64.encode([1] + Array(marker.utf8))
    }

    static func decode(_ token: String) -> String? {
        guard let bytes = Base64.decode(token), bytes.first == 1 else { return nil }
        return String(validating: bytes.dropFirst(), as: UTF8.self)
    }
}
