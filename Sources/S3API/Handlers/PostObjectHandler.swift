import Foundation
import Hummingbird
import HTTPTypes
import Identity
import NIOCore
import ObjectStore
import S3Model
import SigV4

/// POST Object: a browser form upload. The form, not the request, carries the credentials (a
/// signed policy document) or none (anonymous, where the bucket lets anyone write). Fields are
/// read into bounded buffers; the file streams to staging like any PUT body.
extension S3Responder {
    /// All fields before the file, together.
    static let maxFormFieldBytes = 64 * 1024
    /// What each part costs the field budget beyond its name and value (its headers, its entry):
    /// empty parts are not free, so no count of them grows memory.
    static let formPartOverhead = 256

    func postObject(_ request: S3Request, target: RequestTarget, requestID: String, origin: RequestOrigin, wantBody: () -> Void) async throws -> Response {
        guard let contentType = request.headers[.contentType], let boundary = FormDataReader.boundary(contentType: contentType) else {
            throw S3Error(code: "PreconditionFailed", status: 412, message: "Bucket POST must be of the enclosure-type multipart/form-data")
                .with(detail: "Condition", "Bucket POST must be of the enclosure-type multipart/form-data")
        }
        let bucketName = target.bucket!
        // Nothing is read from a bucket that does not exist.
        let bucket = try await store.bucket(bucketName)
        wantBody()
        let reader = FormDataReader(body: ClientBody(request.body), boundary: boundary)
        var fields: [String: String] = [:]
        var fieldOrder: [(String, String)] = []
        var budget = Self.maxFormFieldBytes
        var file: FormDataReader.PartHeader?
        while let part = try await reader.nextPart() {
            if part.name.lowercased() == "file" {
                file = part
                break
            }
            let tooLarge = S3Error(code: "MaxPostPreDataLengthExceeded", status: 400, message: "Your POST request fields preceeding the upload file was too large.")
            let value = String(decoding: try await reader.readValue(limit: budget, tooLarge: tooLarge), as: UTF8.self)
            budget -= value.utf8.count + part.name.utf8.count + Self.formPartOverhead
            guard budget >= 0 else { throw tooLarge }
            let name = part.name.lowercased()
            if fields[name] == nil { fields[name] = value }
            fieldOrder.append((part.name, value))
        }
        guard let file else {
            throw S3Error(code: "InvalidArgument", status: 400, message: "POST requires exactly one file upload per request.").with(detail: "ArgumentName", "file")
        }
        guard var key = fields["key"] else {
            throw S3Error.invalidArgument("Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.", name: "key", value: "")
        }
        if let filename = file.filename { key = key.replacingOccurrences(of: "${filename}", with: filename) }
        fields["key"] = key
        guard !key.isEmpty else { throw S3Error.invalidArgument("User key must have a length greater than 0.", name: "key", value: "") }
        if key.utf8.count > ObjectKeyRules.maxKeyBytes { throw S3Error.keyTooLong() }

        let (principal, policy) = try postPrincipal(fields)
        var checked = fields
        checked["bucket"] = bucketName
        try policy?.check(fields: checked, now: Self.nowSeconds() * 1000)

        // The form's fields stand for the headers a PUT would send.
        var headers = HTTPFields()
        for (name, value) in fieldOrder {
            let lower = name.lowercased()
            let header: String? = switch lower {
            case "acl": "x-amz-acl"
            case "content-type", "cache-control", "content-disposition", "content-encoding", "expires", "x-amz-storage-class": lower
            default: lower.hasPrefix("x-amz-meta-") || lower.hasPrefix("x-amz-grant-") || lower.hasPrefix("x-amz-checksum-")
                || lower.hasPrefix("x-amz-server-side-encryption") ? lower : nil
            }
            if let header, let fieldName = HTTPField.Name(header), headers[fieldName] == nil { headers[fieldName] = value }
        }
        if headers[.contentType] == nil, let type = file.contentType { headers[.contentType] = type }

        let tags = try fields["tagging"].map { try Self.parseTagging(Array($0.utf8), maxTags: 10) }
        // Authorization sees the form's fields as the headers they stand for, so a condition on
        // a tag, storage class or ACL binds a form upload exactly as it binds the same PUT.
        // Only what the form says counts: the POST's own headers (an x-amz-acl or x-amz-tagging
        // the form does not carry) are not the upload's.
        var head = request.head
        head.headerFields = HTTPFields()
        for name in [HTTPField.Name.userAgent, .referer] {
            if let value = request.headers[name] { head.headerFields[name] = value }
        }
        for field in headers { head.headerFields[field.name] = field.value }
        if let tags {
            head.headerFields[.amzTagging] = tags.map { URIEncoding.encode($0.name) + "=" + URIEncoding.encode($0.value) }.joined(separator: "&")
        }
        var target = target
        target.key = key
        let call = S3Call(
            request: S3Request(head: head, body: .init(buffer: ByteBuffer())), target: target, operation: .postObject, requestID: requestID,
            principal: principal, verified: nil, origin: origin)
        var accesses = [ResourceAccess(action: "s3:PutObject", resource: .object(bucket: bucketName, key: key))]
        if tags != nil { accesses.append(ResourceAccess(action: "s3:PutObjectTagging", resource: .object(bucket: bucketName, key: key))) }
        if AccessControl.carriesACL(headers) { accesses.append(ResourceAccess(action: "s3:PutObjectAcl", resource: .object(bucket: bucketName, key: key))) }
        call.bucketRecord = try await authorize(call, accesses)

        var attributes = try Self.objectAttributes(from: headers)
        (attributes.owner, attributes.acl) = try objectOwnership(headers, principal: principal, bucket: bucket)
        if let tags { attributes.tags = tags }

        let integrity = try UploadIntegrity(headers: headers, payload: .unsigned)
        // The policy's size limit bounds what is written to disk, not only what is kept.
        let limit = min(policy?.lengthRange?.upperBound ?? ObjectStore.maxSinglePutSize, ObjectStore.maxSinglePutSize)
        let staged: StagedUpload
        do {
            let request = try SSEHeaders.writeRequest(headers, defaultKMSKey: configuration.defaultKMSKey)
                ?? SSEHeaders.defaultRequest(bucket, defaultKMSKey: configuration.defaultKMSKey)
            if case .customer = request { try requireSafeTransportForCustomerKeys(call) }
            if case .kms(let keyID, _, _) = request { try await authorizeKMS(call, keyID, "kms:GenerateDataKey") }
            let encryption = try await store.newDataKey(request)
            attributes.encryption = encryption?.1
            staged = try await store.stage(
                reader.fileBody(), plan: HashingPlan(checksums: integrity.checksumAlgorithms), maxSize: limit, encryptingWith: encryption?.0)
        } catch StoreError.entityTooLarge {
            throw S3Error(code: "EntityTooLarge", status: 400, message: "Your proposed upload exceeds the maximum allowed size")
        }
        do {
            if let range = policy?.lengthRange {
                if staged.size > range.upperBound { throw S3Error(code: "EntityTooLarge", status: 400, message: "Your proposed upload exceeds the maximum allowed size") }
                if staged.size < range.lowerBound { throw S3Error(code: "EntityTooSmall", status: 400, message: "Your proposed upload is smaller than the minimum allowed size") }
            }
            try staged.verify(UploadExpectations(checksums: integrity.headerChecksums))
            attributes.checksums = staged.checksums
            if !attributes.checksums.isEmpty { attributes.checksumType = "FULL_OBJECT" }
        } catch {
            await store.discard(staged)
            throw error
        }
        // A commit that fails discards the staged upload itself.
        let version = try await store.commit(
            staged, bucket: bucket, key: key, attributes: attributes, condition: nil, eventName: "ObjectCreated:Post", context: call.eventContext)
        return Self.postResponse(fields, bucket: bucket, version: version, host: request.head.authority)
    }

    /// Who signed the form's policy (and the policy), or anonymous when the form carries none.
    func postPrincipal(_ fields: [String: String]) throws -> (Principal, PostPolicy?) {
        guard let encoded = fields["policy"] else {
            if fields["signature"] != nil || fields["x-amz-signature"] != nil || fields["awsaccesskeyid"] != nil {
                throw S3Error.invalidArgument("Bucket POST must contain a policy when it contains a signature.", name: "policy", value: "")
            }
            return (Self.anonymous, nil)
        }
        guard let decoded = Base64.decode(encoded) else { throw PostPolicy.invalid("Invalid Policy: Invalid Base64 encoding.") }
        let accessKey: String
        let signature: String
        let expected: (String) -> String
        if let algorithm = fields["x-amz-algorithm"] {
            guard algorithm == SigV4Signer.algorithm else { throw S3Error.invalidArgument("Unsupported algorithm", name: "x-amz-algorithm", value: algorithm) }
            guard let credential = fields["x-amz-credential"], let sent = fields["x-amz-signature"], fields["x-amz-date"] != nil else {
                throw S3Error.invalidArgument("Bucket POST must contain a field named 'x-amz-signature' and 'x-amz-credential'.", name: "x-amz-signature", value: "")
            }
            let parts = credential.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 5, parts[4] == "aws4_request" else {
                throw S3Error.invalidArgument("Invalid credential", name: "x-amz-credential", value: credential)
            }
            accessKey = parts[0]
            signature = sent
            let scope = CredentialScope(date: parts[1], region: parts[2], service: parts[3])
            expected = { PostPolicySignature.v4(secret: $0, scope: scope, policy: encoded) }
        } else {
            guard let key = fields["awsaccesskeyid"] else {
                throw S3Error.invalidArgument("Bucket POST must contain a field named 'AWSAccessKeyId'.", name: "AWSAccessKeyId", value: "")
            }
            guard let sent = fields["signature"] else {
                throw S3Error.invalidArgument("Bucket POST must contain a field named 'Signature'.", name: "Signature", value: "")
            }
            accessKey = key
            signature = sent
            expected = { PostPolicySignature.v2(secret: $0, policy: encoded) }
        }
        let secret: String
        let principal: Principal
        if let token = fields["x-amz-security-token"] {
            guard let session = try? directory.session(token: token, accessKeyID: accessKey) else { throw S3Error.invalidToken() }
            (secret, principal) = session
        } else {
            guard let caller = directory.caller(accessKeyID: accessKey) else { throw S3Error.invalidAccessKeyId() }
            (secret, principal) = caller
        }
        guard constantTimeEquals(expected(secret), signature) else {
            throw S3Error.signatureDoesNotMatch("The request signature we calculated does not match the signature you provided. Check your key and signing method.")
        }
        return (principal, try PostPolicy.parse(decoded))
    }

    /// 204 by default; 200 or 201 (with a PostResponse document) when asked; a 303 to
    /// `success_action_redirect` with the new object's bucket, key and ETag.
    static func postResponse(_ fields: [String: String], bucket: BucketRecord, version: ObjectVersion, host: String?) -> Response {
        var headers = HTTPFields()
        addWrittenVersionHeader(&headers, version, bucket)
        headers[.eTag] = version.etag
        if let redirect = fields["success_action_redirect"] ?? fields["redirect"], !redirect.isEmpty {
            let query = "bucket=\(URIEncoding.encode(bucket.name))&key=\(URIEncoding.encode(version.key))&etag=\(URIEncoding.encode(version.etag))"
            headers[.location] = redirect + (redirect.contains("?") ? "&" : "?") + query
            return Response(status: .seeOther, headers: headers)
        }
        let location = "http://\(host ?? "localhost")/\(URIEncoding.encode(bucket.name))/\(URIEncoding.encode(version.key, keepSlash: true))"
        switch fields["success_action_status"] {
        case "200":
            return Response(status: .ok, headers: headers)
        case "201":
            var xml = XMLWriter()
            xml.group("PostResponse") { x in
                x.element("Location", location)
                x.element("Bucket", bucket.name)
                x.element("Key", version.key)
                x.element("ETag", version.etag)
            }
            var response = xmlResponse(xml, status: .created)
            for field in headers { response.headers[field.name] = field.value }
            return response
        default:
            headers[.location] = location
            return Response(status: .noContent, headers: headers)
        }
    }
}
