import Authentication
import Crypto
import Hummingbird
import HTTPTypes
import NIOCore
import ObjectStore
import S3Model
import SigV4

/// Small request bodies (XML configurations, policies, tag sets) are read whole, under a limit,
/// and always checked against whatever digest the client sent with them.
extension S3Responder {
    /// Collects a small request body and checks its Content-MD5 or x-amz-checksum-* header;
    /// `required` makes one of them mandatory (DeleteObjects, Object Lock writes).
    /// - Parameter checksumsDescribeBody: false where x-amz-checksum-* names something else
    ///   (CompleteMultipartUpload: the whole object's checksum, not the XML's).
    func readVerifiedBody(_ call: S3Call, limit: Int, required: Bool, checksumsDescribeBody: Bool = true) async throws -> [UInt8] {
        var request = call.request
        // Every small body being read counts against one budget for the listener, so many slow
        // senders cannot hold more than it between them.
        var share = limit
        if let length = call.header(.contentLength).flatMap({ Int($0) }), length >= 0 { share = min(length, limit) }
        guard smallBodies.reserve(share) else {
            throw S3Error(code: "SlowDown", status: 503, message: "Please reduce your request rate.")
        }
        defer { smallBodies.release(share) }
        call.wantBody()
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: limit)
        } catch {
            throw S3Error.malformedXML()
        }
        let bytes = Array(buffer.readableBytesView)
        var headers = call.headers
        if !checksumsDescribeBody {
            for field in call.headers where field.name.canonicalName.hasPrefix("x-amz-checksum-") { headers[field.name] = nil }
        }
        let integrity = try UploadIntegrity(headers: headers, payload: call.verified?.payload ?? .unsigned)
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

    /// Reads and verifies a small XML body whose document element must be `root`;
    /// anything unparsable or misnamed is MalformedXML.
    func readXML(_ call: S3Call, root: String, limit: Int = 1 << 20, digestRequired: Bool = false, checksumsDescribeBody: Bool = true) async throws -> XMLElement {
        let bytes = try await readVerifiedBody(call, limit: limit, required: digestRequired, checksumsDescribeBody: checksumsDescribeBody)
        return try Self.parseXML(bytes, root: root)
    }

    static func parseXML(_ bytes: [UInt8], root: String) throws -> XMLElement {
        guard let document = try? XMLDocument.parse(bytes), document.name == root else { throw S3Error.malformedXML() }
        return document
    }
}
