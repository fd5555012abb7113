import HTTPTypes

/// The S3 operation a request names, resolved from method, target and sub-resource.
/// Its raw value is the AWS operation name used in logs and metrics.
enum Operation: String, Sendable {
    case listBuckets = "ListBuckets"
    case createBucket = "CreateBucket"
    case headBucket = "HeadBucket"
    case deleteBucket = "DeleteBucket"
    case getBucketLocation = "GetBucketLocation"
    case getBucketVersioning = "GetBucketVersioning"
    case listObjects = "ListObjects"
    case listObjectsV2 = "ListObjectsV2"
    case putObject = "PutObject"
    case getObject = "GetObject"
    case headObject = "HeadObject"
    case deleteObject = "DeleteObject"
    /// Recognised but not built yet: answered 501 NotImplemented with an S3 error body.
    case notImplemented = "NotImplemented"
    case methodNotAllowed = "MethodNotAllowed"

    /// Sub-resources that select a different bucket or object operation than the plain one.
    /// Other query parameters are ignored, as S3 ignores them.
    static let subresources: Set<String> = [
        "accelerate", "acl", "analytics", "attributes", "cors", "delete", "encryption", "intelligent-tiering",
        "inventory", "legal-hold", "lifecycle", "location", "logging", "metadataTable", "metrics", "notification",
        "object-lock", "ownershipControls", "policy", "policyStatus", "publicAccessBlock", "replication",
        "requestPayment", "restore", "retention", "select", "session", "tagging", "torrent", "uploadId", "uploads",
        "versioning", "versions", "website", "renameObject",
    ]

    static func resolve(method: HTTPRequest.Method, target: RequestTarget, headers: HTTPFields) -> Operation {
        let sub = Set(target.query.map(\.name)).intersection(subresources)
        guard target.bucket != nil else {
            return method == .get ? .listBuckets : .methodNotAllowed
        }
        if target.key == nil {
            switch method {
            case .get:
                if sub.isEmpty { return target.value("list-type") == "2" ? .listObjectsV2 : .listObjects }
                if sub == ["location"] { return .getBucketLocation }
                if sub == ["versioning"] { return .getBucketVersioning }
                return .notImplemented
            case .put:
                return sub.isEmpty ? .createBucket : .notImplemented
            case .head:
                return .headBucket
            case .delete:
                return sub.isEmpty ? .deleteBucket : .notImplemented
            case .post:
                return .notImplemented
            default:
                return .methodNotAllowed
            }
        }
        switch method {
        case .put:
            if !sub.isEmpty || headers[.amzCopySource] != nil || target.has("partNumber") { return .notImplemented }
            return .putObject
        case .get:
            return sub.isEmpty ? .getObject : .notImplemented
        case .head:
            return sub.isEmpty ? .headObject : .notImplemented
        case .delete:
            return sub.isEmpty ? .deleteObject : .notImplemented
        case .post:
            return .notImplemented
        default:
            return .methodNotAllowed
        }
    }
}
