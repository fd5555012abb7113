import Foundation
import HTTPTypes
import Identity
import ObjectStore
import S3Model
import SigV4

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
    static let anonymous = Principal(name: "anonymous", accessKeyID: "", isRoot: false, kind: .anonymous)

    /// The condition keys a request supplies (aws:* and the S3-specific ones AWS documents).
    func conditionContext(_ target: RequestTarget, headers: HTTPFields, remoteAddress: String?, principal: Principal?) -> [String: [String]] {
        let now = Self.nowSeconds()
        var context: [String: [String]] = [
            "aws:SecureTransport": [configuration.secureTransport ? "true" : "false"],
            "aws:CurrentTime": [HTTPDate.iso8601(milliseconds: now * 1000)],
            "aws:EpochTime": [String(now)],
        ]
        switch principal?.kind {
        case nil, .anonymous?: context["aws:PrincipalType"] = ["Anonymous"]
        case .root?: context["aws:PrincipalType"] = ["Account"]
        case .session?, .delegated?: context["aws:PrincipalType"] = ["AssumedRole"]
        case .user?, .serviceAccount?: context["aws:PrincipalType"] = ["User"]
        }
        if let principal, principal.kind != .anonymous {
            context["aws:username"] = [principal.name]
            context["aws:userid"] = [principal.name]
        }
        if let remoteAddress { context["aws:SourceIp"] = [remoteAddress] }
        for name in ["prefix", "delimiter", "max-keys"] { if let value = target.value(name) { context["s3:\(name)"] = [value] } }
        if let versionID = target.value("versionId") { context["s3:VersionId"] = [versionID] }
        if let source = headers[.amzCopySource] { context["s3:x-amz-copy-source"] = [source] }
        if let acl = headers[HTTPField.Name("x-amz-acl")!] { context["s3:x-amz-acl"] = [acl] }
        if let tagging = headers[.amzTagging], let tags = try? TagSet.parse(query: tagging) {
            for tag in tags { context["s3:RequestObjectTag/\(tag.name)", default: []].append(tag.value) }
            context["s3:RequestObjectTagKeys"] = tags.map(\.name)
        }
        return context
    }

    /// Adds `s3:ExistingObjectTag/<key>` for object requests, read only when a policy asks for it.
    func addExistingTags(_ context: inout [String: [String]], _ target: RequestTarget, bucket: BucketRecord?, policies: [PolicyDocument]) async {
        guard let bucket, let key = target.key, policies.contains(where: \.readsExistingObjectTags),
            let version = try? await store.version(bucket: bucket, key: key, versionID: target.value("versionId")), !version.isDeleteMarker
        else { return }
        for tag in version.attributes.tags { context["s3:ExistingObjectTag/\(tag.name)", default: []].append(tag.value) }
    }

    /// The bucket a request names, when it exists: read once here and handed on to the handler.
    func requestedBucket(_ target: RequestTarget) async -> BucketRecord? {
        guard let name = target.bucket else { return nil }
        return try? await store.bucket(name)
    }

    /// A signed request by someone other than unrestricted root: what their policies, combined
    /// with the bucket's policy, allow (an explicit Deny in either wins). Denials are audited.
    /// Answers the bucket it read, if any.
    func authorize(_ call: S3Call) async throws -> BucketRecord? {
        let principal = call.principal
        if principal.isRoot && principal.restrictions.isEmpty { return nil }
        let target = call.target
        let bucket = await requestedBucket(target)
        let bucketPolicy = bucket?.policy.flatMap { PolicyDocument.cached($0) }
        var context = conditionContext(target, headers: call.headers, remoteAddress: call.remoteAddress, principal: principal)
        let identity = directory.policies(of: principal.name)
        await addExistingTags(&context, target, bucket: bucket, policies: identity + principal.restrictions + [bucketPolicy].compactMap { $0 })
        let request = AccessRequest(
            action: call.operation.iamAction(target), resource: Operation.resourceARN(target), context: context, principal: principal.name)
        guard directory.authorize(principal, request, identityPolicies: identity, resourcePolicy: bucketPolicy) == .allow else {
            auditDenied(call, request: request)
            throw S3Error.accessDenied()
        }
        return bucket
    }

    /// Anonymous requests are allowed only where the bucket's policy allows them for Principal "*".
    func authorizeAnonymous(_ call: S3Call) async throws -> BucketRecord? {
        let target = call.target
        let bucket = call.operation == .admin ? nil : await requestedBucket(target)
        let policy = bucket?.policy.flatMap { PolicyDocument.cached($0) }
        var context = conditionContext(target, headers: call.headers, remoteAddress: call.remoteAddress, principal: nil)
        if let policy { await addExistingTags(&context, target, bucket: bucket, policies: [policy]) }
        let request = AccessRequest(action: call.operation.iamAction(target), resource: Operation.resourceARN(target), context: context, principal: nil)
        guard let policy, PolicyEvaluator.evaluate([policy], request) == .allow else {
            auditDenied(call, request: request)
            throw S3Error.accessDenied()
        }
        return bucket
    }

    func auditDenied(_ call: S3Call, request: AccessRequest) {
        audit.record(AuditEvent(
            requestID: call.requestID, api: call.operation == .admin ? "admin" : "s3", principal: call.principal.name,
            accessKey: call.principal.accessKeyID, sourceIP: call.remoteAddress, action: request.action, resource: request.resource, outcome: "denied", status: 403))
    }
}
