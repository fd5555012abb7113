import Foundation
import Identity
import ObjectStore
import S3Model

/// The IAM action and resource ARN each S3 operation is authorized as (AWS's names), used to
/// evaluate bucket policies for anonymous callers and, later, identity policies for users.
extension Operation {
    func iamAction(_ target: RequestTarget) -> String {
        let versioned = target.value("versionId") != nil
        switch self {
        case .listBuckets: return "s3:ListAllMyBuckets"
        case .createBucket: return "s3:CreateBucket"
        case .headBucket, .listObjects, .listObjectsV2: return "s3:ListBucket"
        case .deleteBucket: return "s3:DeleteBucket"
        case .getBucketLocation: return "s3:GetBucketLocation"
        case .getBucketVersioning: return "s3:GetBucketVersioning"
        case .putBucketVersioning: return "s3:PutBucketVersioning"
        case .getBucketTagging: return "s3:GetBucketTagging"
        case .putBucketTagging, .deleteBucketTagging: return "s3:PutBucketTagging"
        case .getBucketPolicy, .getBucketPolicyStatus: return self == .getBucketPolicy ? "s3:GetBucketPolicy" : "s3:GetBucketPolicyStatus"
        case .putBucketPolicy: return "s3:PutBucketPolicy"
        case .deleteBucketPolicy: return "s3:DeleteBucketPolicy"
        case .listObjectVersions: return "s3:ListBucketVersions"
        case .listMultipartUploads: return "s3:ListBucketMultipartUploads"
        case .deleteObjects: return "s3:DeleteObject"
        case .putObject, .copyObject, .createMultipartUpload, .uploadPart, .uploadPartCopy, .completeMultipartUpload: return "s3:PutObject"
        case .getObject, .headObject: return versioned ? "s3:GetObjectVersion" : "s3:GetObject"
        case .deleteObject: return versioned ? "s3:DeleteObjectVersion" : "s3:DeleteObject"
        case .getObjectAttributes: return versioned ? "s3:GetObjectVersionAttributes" : "s3:GetObjectAttributes"
        case .getObjectTagging: return versioned ? "s3:GetObjectVersionTagging" : "s3:GetObjectTagging"
        case .putObjectTagging: return versioned ? "s3:PutObjectVersionTagging" : "s3:PutObjectTagging"
        case .deleteObjectTagging: return versioned ? "s3:DeleteObjectVersionTagging" : "s3:DeleteObjectTagging"
        case .abortMultipartUpload: return "s3:AbortMultipartUpload"
        case .listParts: return "s3:ListMultipartUploadParts"
        case .admin: return "admin:*"
        case .notImplemented, .methodNotAllowed: return "s3:Unsupported"
        }
    }

    static func resourceARN(_ target: RequestTarget) -> String {
        guard let bucket = target.bucket else { return "arn:aws:s3:::*" }
        guard let key = target.key else { return "arn:aws:s3:::\(bucket)" }
        return "arn:aws:s3:::\(bucket)/\(key)"
    }
}

extension S3Responder {
    static let anonymous = Principal(name: "anonymous", accessKeyID: "", isRoot: false)

    static func conditionContext(_ target: RequestTarget, remoteAddress: String?, principal: Principal?) -> [String: [String]] {
        var context: [String: [String]] = ["aws:SecureTransport": ["false"], "aws:CurrentTime": [ISO8601DateFormatter().string(from: Date())]]
        context["aws:PrincipalType"] = [principal == nil ? "Anonymous" : "User"]
        if let principal { context["aws:username"] = [principal.name] }
        if let remoteAddress { context["aws:SourceIp"] = [remoteAddress] }
        for name in ["prefix", "delimiter", "max-keys"] { if let value = target.value(name) { context["s3:\(name)"] = [value] } }
        if let versionID = target.value("versionId") { context["s3:VersionId"] = [versionID] }
        return context
    }

    func bucketPolicy(_ target: RequestTarget) async throws -> PolicyDocument? {
        guard let bucketName = target.bucket, let text = (try? await store.bucket(bucketName))?.policy else { return nil }
        return try? PolicyDocument(json: text)
    }

    /// A signed request by someone other than root: what their policies, combined with the
    /// bucket's policy, allow (an explicit Deny in either wins).
    func authorize(_ principal: Principal, _ target: RequestTarget, operation: Operation, remoteAddress: String?) async throws {
        if principal.isRoot { return }
        let request = AccessRequest(
            action: operation.iamAction(target), resource: Operation.resourceARN(target),
            context: Self.conditionContext(target, remoteAddress: remoteAddress, principal: principal), principal: principal.name)
        guard directory.authorize(principal, request, resourcePolicy: try await bucketPolicy(target)) == .allow else {
            throw S3Error.accessDenied()
        }
    }

    /// Anonymous requests are allowed only where the bucket's policy allows them for Principal "*".
    func authorizeAnonymous(_ target: RequestTarget, operation: Operation, remoteAddress: String?) async throws {
        guard operation != .admin, let policy = try await bucketPolicy(target) else { throw S3Error.accessDenied() }
        let context = Self.conditionContext(target, remoteAddress: remoteAddress, principal: nil)
        let request = AccessRequest(action: operation.iamAction(target), resource: Operation.resourceARN(target), context: context, principal: nil)
        guard PolicyEvaluator.evaluate([policy], request) == .allow else { throw S3Error.accessDenied() }
    }
}
