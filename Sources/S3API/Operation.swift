import HTTPTypes

/// The S3 operation a request names, resolved from method, target and sub-resource.
/// Its raw value is the AWS operation name used in logs and metrics.
package enum Operation: String, Sendable {
    case listBuckets = "ListBuckets"
    case createBucket = "CreateBucket"
    case headBucket = "HeadBucket"
    case deleteBucket = "DeleteBucket"
    case getBucketLocation = "GetBucketLocation"
    case getBucketVersioning = "GetBucketVersioning"
    case putBucketVersioning = "PutBucketVersioning"
    case getBucketPolicy = "GetBucketPolicy"
    case putBucketPolicy = "PutBucketPolicy"
    case deleteBucketPolicy = "DeleteBucketPolicy"
    case getBucketPolicyStatus = "GetBucketPolicyStatus"
    case getBucketTagging = "GetBucketTagging"
    case putBucketTagging = "PutBucketTagging"
    case deleteBucketTagging = "DeleteBucketTagging"
    case listObjects = "ListObjects"
    case listObjectsV2 = "ListObjectsV2"
    case listObjectVersions = "ListObjectVersions"
    case listMultipartUploads = "ListMultipartUploads"
    case deleteObjects = "DeleteObjects"
    case putObject = "PutObject"
    case copyObject = "CopyObject"
    case getObject = "GetObject"
    case headObject = "HeadObject"
    case deleteObject = "DeleteObject"
    case getObjectAttributes = "GetObjectAttributes"
    case getObjectTagging = "GetObjectTagging"
    case putObjectTagging = "PutObjectTagging"
    case deleteObjectTagging = "DeleteObjectTagging"
    case createMultipartUpload = "CreateMultipartUpload"
    case uploadPart = "UploadPart"
    case uploadPartCopy = "UploadPartCopy"
    case completeMultipartUpload = "CompleteMultipartUpload"
    case abortMultipartUpload = "AbortMultipartUpload"
    case listParts = "ListParts"
    case getBucketAcl = "GetBucketAcl"
    case putBucketAcl = "PutBucketAcl"
    case getObjectAcl = "GetObjectAcl"
    case putObjectAcl = "PutObjectAcl"
    case getBucketOwnershipControls = "GetBucketOwnershipControls"
    case putBucketOwnershipControls = "PutBucketOwnershipControls"
    case deleteBucketOwnershipControls = "DeleteBucketOwnershipControls"
    case getPublicAccessBlock = "GetPublicAccessBlock"
    case putPublicAccessBlock = "PutPublicAccessBlock"
    case deletePublicAccessBlock = "DeletePublicAccessBlock"
    case getBucketCors = "GetBucketCors"
    case putBucketCors = "PutBucketCors"
    case deleteBucketCors = "DeleteBucketCors"
    case getBucketLogging = "GetBucketLogging"
    case putBucketLogging = "PutBucketLogging"
    case getBucketNotification = "GetBucketNotificationConfiguration"
    case putBucketNotification = "PutBucketNotificationConfiguration"
    case getBucketEncryption = "GetBucketEncryption"
    case putBucketEncryption = "PutBucketEncryption"
    case deleteBucketEncryption = "DeleteBucketEncryption"
    case getBucketLifecycle = "GetBucketLifecycleConfiguration"
    case putBucketLifecycle = "PutBucketLifecycleConfiguration"
    case deleteBucketLifecycle = "DeleteBucketLifecycle"
    case getObjectLockConfiguration = "GetObjectLockConfiguration"
    case putObjectLockConfiguration = "PutObjectLockConfiguration"
    case getObjectRetention = "GetObjectRetention"
    case putObjectRetention = "PutObjectRetention"
    case getObjectLegalHold = "GetObjectLegalHold"
    case putObjectLegalHold = "PutObjectLegalHold"
    /// A browser form upload (POST to the bucket, multipart/form-data), signed by its form.
    case postObject = "PostObject"
    /// A browser's CORS preflight (`OPTIONS`), answered without credentials.
    case preflight = "PreflightRequest"
    /// Floe's administration API under `/floe/admin/v1/` (users, keys, policies).
    case admin = "Admin"
    /// Recognised but not built yet: answered 501 NotImplemented with an S3 error body.
    case notImplemented = "NotImplemented"
    case methodNotAllowed = "MethodNotAllowed"

    /// Sub-resources that select a different bucket or object operation than the plain one.
    /// Other query parameters are ignored, as S3 ignores them.
    /// Each starts with a lower-case letter (`resolve` looks up no other name).
    static let subresources: Set<String> = [
        "accelerate", "acl", "analytics", "attributes", "cors", "delete", "encryption", "intelligent-tiering",
        "inventory", "legal-hold", "lifecycle", "location", "logging", "metadataTable", "metrics", "notification",
        "object-lock", "ownershipControls", "policy", "policyStatus", "publicAccessBlock", "replication",
        "requestPayment", "restore", "retention", "select", "session", "tagging", "torrent", "uploadId", "uploads",
        "versioning", "versions", "website", "renameObject",
    ]

    package static func resolve(method: HTTPRequest.Method, target: RequestTarget, headers: HTTPFields) -> Operation {
        // Only subresource names go into the set, and only a name that starts as they all do,
        // with a lower-case letter, is looked up: a presigned URL's seven X-Amz-* names were a
        // hash each.
        var sub: Set<String> = []
        let names = subresources
        for item in target.query {
            guard let first = item.name.utf8.first, first &- UInt8(ascii: "a") < 26, names.contains(item.name) else { continue }
            sub.insert(item.name)
        }
        if target.bucket == "floe", target.key?.hasPrefix("admin/") == true { return .admin }
        guard target.bucket != nil else {
            return method == .get ? .listBuckets : .methodNotAllowed
        }
        if method == .options { return .preflight }
        if target.key == nil {
            switch (method, sub) {
            case (.get, []): return target.value("list-type") == "2" ? .listObjectsV2 : .listObjects
            case (.get, ["location"]): return .getBucketLocation
            case (.get, ["versioning"]): return .getBucketVersioning
            case (.put, ["versioning"]): return .putBucketVersioning
            case (.get, ["policy"]): return .getBucketPolicy
            case (.put, ["policy"]): return .putBucketPolicy
            case (.delete, ["policy"]): return .deleteBucketPolicy
            case (.get, ["policyStatus"]): return .getBucketPolicyStatus
            case (.get, ["tagging"]): return .getBucketTagging
            case (.put, ["tagging"]): return .putBucketTagging
            case (.delete, ["tagging"]): return .deleteBucketTagging
            case (.get, ["acl"]): return .getBucketAcl
            case (.put, ["acl"]): return .putBucketAcl
            case (.get, ["ownershipControls"]): return .getBucketOwnershipControls
            case (.put, ["ownershipControls"]): return .putBucketOwnershipControls
            case (.delete, ["ownershipControls"]): return .deleteBucketOwnershipControls
            case (.get, ["publicAccessBlock"]): return .getPublicAccessBlock
            case (.put, ["publicAccessBlock"]): return .putPublicAccessBlock
            case (.delete, ["publicAccessBlock"]): return .deletePublicAccessBlock
            case (.get, ["logging"]): return .getBucketLogging
            case (.put, ["logging"]): return .putBucketLogging
            case (.get, ["object-lock"]): return .getObjectLockConfiguration
            case (.get, ["lifecycle"]): return .getBucketLifecycle
            case (.get, ["encryption"]): return .getBucketEncryption
            case (.get, ["notification"]): return .getBucketNotification
            case (.put, ["notification"]): return .putBucketNotification
            case (.put, ["encryption"]): return .putBucketEncryption
            case (.delete, ["encryption"]): return .deleteBucketEncryption
            case (.put, ["lifecycle"]): return .putBucketLifecycle
            case (.delete, ["lifecycle"]): return .deleteBucketLifecycle
            case (.put, ["object-lock"]): return .putObjectLockConfiguration
            case (.get, ["cors"]): return .getBucketCors
            case (.put, ["cors"]): return .putBucketCors
            case (.delete, ["cors"]): return .deleteBucketCors
            case (.get, ["versions"]): return .listObjectVersions
            case (.get, ["uploads"]): return .listMultipartUploads
            case (.post, ["delete"]): return .deleteObjects
            case (.post, []) where headers[.contentType]?.lowercased().hasPrefix("multipart/form-data") == true: return .postObject
            case (.put, []): return .createBucket
            case (.head, _): return .headBucket
            case (.delete, []): return .deleteBucket
            case (.get, _), (.put, _), (.post, _), (.delete, _): return .notImplemented
            default: return .methodNotAllowed
            }
        }
        let copies = headers[.amzCopySource] != nil
        switch (method, sub) {
        case (.put, []): return copies ? .copyObject : (target.has("partNumber") ? .notImplemented : .putObject)
        case (.put, ["uploadId"]): return copies ? .uploadPartCopy : .uploadPart
        case (.put, ["tagging"]): return .putObjectTagging
        case (.get, []): return .getObject
        case (.get, ["uploadId"]): return .listParts
        case (.get, ["tagging"]): return .getObjectTagging
        case (.get, ["acl"]): return .getObjectAcl
        case (.put, ["acl"]): return .putObjectAcl
        case (.get, ["attributes"]): return .getObjectAttributes
        case (.get, ["retention"]): return .getObjectRetention
        case (.put, ["retention"]): return .putObjectRetention
        case (.get, ["legal-hold"]): return .getObjectLegalHold
        case (.put, ["legal-hold"]): return .putObjectLegalHold
        case (.head, []): return .headObject
        case (.delete, []): return .deleteObject
        case (.delete, ["uploadId"]): return .abortMultipartUpload
        case (.delete, ["tagging"]): return .deleteObjectTagging
        case (.post, ["uploads"]): return .createMultipartUpload
        case (.post, ["uploadId"]): return .completeMultipartUpload
        case (.get, _), (.put, _), (.post, _), (.delete, _), (.head, _): return .notImplemented
        default: return .methodNotAllowed
        }
    }
}
