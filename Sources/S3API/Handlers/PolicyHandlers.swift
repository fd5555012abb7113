import Hummingbird
import HTTPTypes
import Identity
import NIOCore
import ObjectStore
import S3Model

extension S3Responder {
    func getBucketPolicy(_ call: S3Call) async throws -> Response {
        let bucket = try await bucket(call)
        guard let policy = bucket.policy else {
            throw S3Error(code: "NoSuchBucketPolicy", status: 404, message: "The bucket policy does not exist").with(detail: "BucketName", bucket.name)
        }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: policy)))
    }

    /// PutBucketPolicy: the document must parse, and every statement must name a Principal.
    func putBucketPolicy(_ call: S3Call) async throws -> Response {
        let bucket = try await bucket(call)
        let bytes = try await readVerifiedBody(call, limit: 20 * 1024, required: false)
        let text = String(decoding: bytes, as: UTF8.self)
        let document: PolicyDocument
        do {
            document = try PolicyDocument(json: text)
        } catch {
            throw S3Error(code: "MalformedPolicy", status: 400, message: error.reason)
        }
        if document.statements.contains(where: { $0.principals == nil }) {
            throw S3Error(code: "MalformedPolicy", status: 400, message: "Missing required field Principal")
        }
        if document.statements.contains(where: { $0.resources == nil }) {
            throw S3Error(code: "MalformedPolicy", status: 400, message: "Missing required field Resource")
        }
        if bucket.settings.publicAccessBlock?.blockPublicPolicy == true, Self.isPublic(document) { throw S3Error.accessDenied() }
        try await store.index.setBucketPolicy(bucketID: bucket.id, text)
        return Response(status: .noContent)
    }

    func deleteBucketPolicy(_ call: S3Call) async throws -> Response {
        let bucket = try await bucket(call)
        try await store.index.setBucketPolicy(bucketID: bucket.id, nil)
        return Response(status: .noContent)
    }

    /// Public as S3 judges it: some Allow statement lets anyone in, unless a condition pins a
    /// key that restricts who or where the caller is to fixed values (a source address range
    /// narrower than the whole internet, a source ARN, account, VPC or principal). Conditions on
    /// anything else (a user agent, a referer, `Null` tests) restrict nobody.
    static func isPublic(_ policy: PolicyDocument) -> Bool {
        policy.statements.contains { statement in
            statement.effect == .allow && statement.principals?.contains("*") == true && !statement.conditions.contains(where: restricts)
        }
    }

    static let restrictingKeys: Set<String> = [
        "aws:sourceip", "aws:sourcearn", "aws:sourceaccount", "aws:sourceowner", "aws:sourcevpc", "aws:sourcevpce", "aws:principalaccount",
        "aws:principalarn", "aws:principalorgid", "aws:userid", "aws:username",
    ]

    static func restricts(_ condition: PolicyDocument.Condition) -> Bool {
        let key = condition.key.lowercased()
        guard restrictingKeys.contains(key), !condition.values.isEmpty else { return false }
        switch condition.operatorName {
        case "IpAddress":
            return condition.values.allSatisfy { !$0.hasSuffix("/0") }
        case "StringEquals", "StringEqualsIgnoreCase", "ArnEquals", "StringLike", "ArnLike":
            return condition.values.allSatisfy { !$0.contains("*") && !$0.contains("?") }
        default:
            return false
        }
    }

    func getBucketPolicyStatus(_ call: S3Call) async throws -> Response {
        let bucket = try await bucket(call)
        // Public through its policy or, where ACLs apply, through an ACL granting everyone.
        let isPublic = bucket.policy.flatMap { try? PolicyDocument(json: $0) }.map(Self.isPublic) ?? false
            || (bucket.settings.aclsEnabled && bucket.settings.acl?.isPublic == true)
        var xml = XMLWriter()
        xml.group("PolicyStatus", namespace: XMLWriter.s3Namespace) { x in x.element("IsPublic", isPublic) }
        return Self.xmlResponse(xml)
    }
}
