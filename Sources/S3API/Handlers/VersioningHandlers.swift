import Hummingbird
import HTTPTypes
import NIOCore
import ObjectStore
import S3Model
import SigV4

extension S3Responder {
    func getBucketVersioning(_ call: S3Call) async throws -> Response {
        let bucket = try await bucket(call)
        var xml = XMLWriter()
        xml.group("VersioningConfiguration", namespace: XMLWriter.s3Namespace) { x in
            if bucket.versioning != .unversioned {
                x.element("Status", bucket.versioning.rawValue)
                x.element("MfaDelete", "Disabled")
            }
        }
        return Self.xmlResponse(xml)
    }

    func putBucketVersioning(_ call: S3Call) async throws -> Response {
        let bucket = try await bucket(call)
        let document = try await readXML(call, root: "VersioningConfiguration")
        if let mfa = document.value("MfaDelete") {
            guard mfa == "Enabled" || mfa == "Disabled" else { throw S3Error.malformedXML() }
            if mfa == "Enabled" { throw S3Error.notImplemented("MFA Delete is not supported.") }
        }
        switch document.value("Status") {
        case "Enabled": try await store.setVersioning(bucket, .enabled)
        case "Suspended": try await store.setVersioning(bucket, .suspended)
        case nil: break
        default: throw S3Error.malformedXML()
        }
        return Response(status: .ok)
    }

    /// ListObjectVersions: versions and delete markers, newest first per key, with markers that
    /// continue inside a key's versions and delimiter roll-up.
    func listObjectVersions(_ call: S3Call) async throws -> Response {
        let bucket = try await bucket(call)
        let query = call.target
        let listing = try ListingQuery(query)
        let versionIDMarker = query.value("version-id-marker").flatMap { $0.isEmpty ? nil : $0 }
        if versionIDMarker != nil && listing.keyMarker == nil {
            throw S3Error.invalidArgument("A version-id marker cannot be specified without a key marker.", name: "version-id-marker", value: versionIDMarker)
        }
        let page = try await store.listVersions(
            bucket: bucket, listing.request(after: listing.keyMarker), versionIDMarker: versionIDMarker)
        var xml = XMLWriter()
        xml.group("ListVersionsResult", namespace: XMLWriter.s3Namespace) { x in
            x.element("Name", bucket.name)
            x.element("Prefix", listing.encode(listing.prefix))
            x.element("KeyMarker", listing.encode(listing.keyMarker ?? ""))
            x.element("VersionIdMarker", versionIDMarker ?? "")
            if page.isTruncated, let last = page.entries.last {
                switch last {
                case .object(let v):
                    x.element("NextKeyMarker", listing.encode(v.key))
                    x.element("NextVersionIdMarker", v.versionID)
                case .commonPrefix(let p):
                    x.element("NextKeyMarker", listing.encode(p))
                }
            }
            x.element("MaxKeys", listing.maxKeys)
            if let delimiter = listing.delimiter { x.element("Delimiter", listing.encode(delimiter)) }
            if listing.encodeURL { x.element("EncodingType", "url") }
            x.element("IsTruncated", page.isTruncated)
            for entry in page.entries {
                switch entry {
                case .object(let v) where v.isDeleteMarker:
                    x.group("DeleteMarker") { x in
                        writeOwner(&x, id: ownerID(of: v.attributes, in: bucket))
                        x.element("Key", listing.encode(v.key))
                        x.element("VersionId", v.versionID)
                        x.element("IsLatest", v.isLatest)
                        x.element("LastModified", HTTPDate.iso8601(milliseconds: v.lastModified))
                    }
                case .object(let v):
                    x.group("Version") { x in
                        x.element("Key", listing.encode(v.key))
                        x.element("VersionId", v.versionID)
                        x.element("IsLatest", v.isLatest)
                        x.element("LastModified", HTTPDate.iso8601(milliseconds: v.lastModified))
                        x.element("ETag", v.etag)
                        x.element("Size", v.size)
                        writeOwner(&x, id: ownerID(of: v.attributes, in: bucket))
                        x.element("StorageClass", v.attributes.storageClass)
                    }
                case .commonPrefix(let p):
                    x.group("CommonPrefixes") { x in x.element("Prefix", listing.encode(p)) }
                }
            }
        }
        return Self.xmlResponse(xml)
    }
}
