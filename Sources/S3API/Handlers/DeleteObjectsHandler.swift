import Crypto
import Hummingbird
import HTTPTypes
import NIOCore
import ObjectStore
import S3Model
import SigV4

extension S3Responder {
    /// Collects a small request body and checks its Content-MD5 or x-amz-checksum-* header;
    /// `required` makes one of them mandatory (DeleteObjects, Object Lock writes).
    func readVerifiedBody(_ call: S3Call, limit: Int, required: Bool) async throws -> [UInt8] {
        var request = call.request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: limit)
        } catch {
            throw S3Error.malformedXML()
        }
        let bytes = Array(buffer.readableBytesView)
        let integrity = try UploadIntegrity(headers: call.headers, payload: call.verified?.payload ?? .unsigned)
        if required && integrity.md5 == nil && integrity.headerChecksums.isEmpty {
            throw S3Error.invalidRequest("Missing required header for this request: Content-MD5 OR x-amz-checksum-*")
        }
        if let md5 = integrity.md5, Array(Insecure.MD5.hash(data: bytes)) != md5 { throw S3Error.badDigest() }
        for (algorithm, value) in integrity.headerChecksums {
            var hasher = ChecksumHasher(algorithm)
            hasher.update(bytes)
            if hasher.base64Digest() != value { throw StoreError.checksumMismatch(algorithm) }
        }
        if let hex = integrity.payloadSHA256, Hex.encode(SHA256.hash(data: bytes)) != hex { throw S3Error.xAmzContentSHA256Mismatch() }
        return bytes
    }

    func deleteObjects(_ call: S3Call) async throws -> Response {
        let bucket = try await store.bucket(call.target.bucket!)
        let bytes = try await readVerifiedBody(call, limit: 2 << 20, required: true)
        guard let document = try? XMLDocument.parse(bytes), document.name == "Delete" else { throw S3Error.malformedXML() }
        let objects = document.children("Object")
        guard !objects.isEmpty, objects.count <= 1000 else { throw S3Error.malformedXML() }
        let quiet = document.value("Quiet")?.lowercased() == "true"
        var xml = XMLWriter()
        var results: [(key: String, versionID: String?, outcome: Result<ObjectStore.DeleteOutcome, S3Error>)] = []
        for object in objects {
            guard let key = object.value("Key") else { throw S3Error.malformedXML() }
            let versionID = object.value("VersionId").flatMap { $0.isEmpty ? nil : $0 }
            do {
                results.append((key, versionID, .success(try await store.delete(bucket: bucket, key: key, versionID: versionID))))
            } catch {
                results.append((key, versionID, .failure(ErrorMapping.s3Error(error, key: key))))
            }
        }
        xml.group("DeleteResult", namespace: XMLWriter.s3Namespace) { x in
            for result in results {
                switch result.outcome {
                case .success(let outcome):
                    if quiet { continue }
                    x.group("Deleted") { x in
                        x.element("Key", result.key)
                        x.optional("VersionId", result.versionID)
                        if outcome.isDeleteMarker {
                            x.element("DeleteMarker", true)
                            x.optional("DeleteMarkerVersionId", outcome.versionID)
                        }
                    }
                case .failure(let error):
                    x.group("Error") { x in
                        x.element("Key", result.key)
                        x.optional("VersionId", result.versionID)
                        x.element("Code", error.code)
                        x.element("Message", error.message)
                    }
                }
            }
        }
        return Self.xmlResponse(xml)
    }
}
