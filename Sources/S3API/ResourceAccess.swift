import HTTPTypes
import S3Model
import SigV4

/// One resource a request touches and the IAM action it needs there. An operation lists all of
/// them (`Operation.accesses`), and authorization decides every one before the handler runs, so
/// a handler cannot read or write a resource that was not checked.
struct ResourceAccess: Equatable, Sendable {
    enum Resource: Equatable, Sendable {
        /// The account: ListBuckets.
        case service
        case bucket(String)
        case object(bucket: String, key: String)
        /// Floe's administration API, in a resource space of its own: `users/alice`, `policies/p`.
        case admin(String)
        /// A key of the SSE-KMS key store (`kms:GenerateDataKey`, `kms:Decrypt`).
        case kmsKey(String)
    }

    var action: String
    var resource: Resource
    /// The version a versioned action names (the `s3:VersionId` condition key).
    var versionID: String?

    var bucket: String? {
        switch resource {
        case .bucket(let name), .object(let name, _): return name
        case .service, .admin, .kmsKey: return nil
        }
    }

    var key: String? {
        if case .object(_, let key) = resource { return key }
        return nil
    }

    var arn: String {
        switch resource {
        case .service: return "arn:aws:s3:::*"
        case .bucket(let name): return "arn:aws:s3:::\(name)"
        case .object(let bucket, let key): return "arn:aws:s3:::\(bucket)/\(key)"
        case .admin(let path): return "arn:floe:admin:::\(path)"
        case .kmsKey(let name): return "arn:floe:kms:::key/\(name)"
        }
    }

    static func deleteObject(bucket: String, key: String, versionID: String?) -> ResourceAccess {
        ResourceAccess(action: versionID == nil ? "s3:DeleteObject" : "s3:DeleteObjectVersion", resource: .object(bucket: bucket, key: key), versionID: versionID)
    }
}

/// `x-amz-copy-source: [/]bucket/key[?versionId=id]`, URL-encoded: the object a copy reads.
struct CopySource: Equatable, Sendable {
    var bucket: String
    var key: String
    var versionID: String?

    static func parse(_ raw: String) throws(S3Error) -> CopySource {
        let malformed = S3Error.invalidArgument("Copy Source must mention the source bucket and key: sourcebucket/sourcekey", name: "x-amz-copy-source", value: raw)
        var path = Substring(raw)
        var versionID: String?
        if let q = path.firstIndex(of: "?") {
            let query = path[path.index(after: q)...]
            path = path[..<q]
            for pair in query.split(separator: "&") where pair.hasPrefix("versionId=") {
                versionID = URIEncoding.decode(pair.dropFirst("versionId=".count))
            }
        }
        guard let decoded = URIEncoding.decode(path) else { throw malformed }
        // The slash is found among the bytes: as characters, a slash before a combining mark (the
        // key's first) would be one character with it.
        let trimmed = decoded.utf8.first == UInt8(ascii: "/") ? Substring(decoded.utf8.dropFirst()) : Substring(decoded)
        guard let slash = trimmed.utf8.firstIndex(of: UInt8(ascii: "/")), slash != trimmed.startIndex else { throw malformed }
        let keyStart = trimmed.utf8.index(after: slash)
        guard keyStart != trimmed.endIndex else { throw malformed }
        let source = CopySource(bucket: String(trimmed[..<slash]), key: String(trimmed[keyStart...]), versionID: versionID)
        try RequestNames.checkBucket(source.bucket)
        if let versionID { try RequestNames.checkVersionID(versionID) }
        return source
    }
}

/// Names and ids a request carries, checked once at the edge: control characters (a NUL above
/// all) never reach authorization or the index, where a NUL could end a string early.
enum RequestNames {
    static func hasControlCharacter(_ text: String) -> Bool {
        text.utf8.contains { $0 < 0x20 || $0 == 0x7F }
    }

    /// Bucket names are ASCII (CreateBucket allows no other): anything else names no bucket.
    static func checkBucket(_ name: String) throws(S3Error) {
        if name.utf8.contains(where: { $0 < 0x20 || $0 >= 0x7F }) || name.utf8.count > 255 { throw .invalidBucketName(name) }
    }

    static func checkVersionID(_ id: String) throws(S3Error) {
        if hasControlCharacter(id) || id.utf8.count > 1024 { throw .invalidArgument("Invalid version id specified", name: "versionId", value: id) }
    }

    /// The request's bucket, version id and upload id.
    static func check(_ target: RequestTarget) throws(S3Error) {
        if let bucket = target.bucket { try checkBucket(bucket) }
        if let versionID = target.value("versionId") { try checkVersionID(versionID) }
        if let uploadID = target.value("uploadId"), hasControlCharacter(uploadID) {
            throw S3Error(code: "NoSuchUpload", status: 404, message: "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.")
        }
    }
}

extension Operation {
    /// Every resource the request touches, with the action each needs: a copy reads its source
    /// and writes its destination; an admin call acts on its own admin resource. DeleteObjects
    /// names its keys in its body: it lists none here, and its handler authorizes each key
    /// (`S3Responder.isAllowed`) before deleting it.
    func accesses(_ target: RequestTarget, method: HTTPRequest.Method, headers: HTTPFields) throws(S3Error) -> [ResourceAccess] {
        let versionID = target.value("versionId")
        guard let bucket = target.bucket else { return [ResourceAccess(action: iamAction(target), resource: .service)] }
        switch self {
        case .deleteObjects:
            return []
        case .admin:
            let path = (target.key ?? "").split(separator: "/").dropFirst(2).map(String.init)
            let action = AdminRoute(method: method, path: path).action ?? "Unknown"
            return [ResourceAccess(action: "admin:\(action)", resource: .admin(path.joined(separator: "/")))]
        case .copyObject, .uploadPartCopy:
            let source = try CopySource.parse(headers[.amzCopySource] ?? "")
            let destination = ResourceAccess.Resource.object(bucket: bucket, key: target.key ?? "")
            var accesses = [
                ResourceAccess(action: "s3:PutObject", resource: destination),
                ResourceAccess(
                    action: source.versionID == nil ? "s3:GetObject" : "s3:GetObjectVersion",
                    resource: .object(bucket: source.bucket, key: source.key), versionID: source.versionID),
            ]
            if self == .copyObject, headers[.amzTaggingDirective]?.uppercased() == "REPLACE", headers[.amzTagging] != nil {
                accesses.append(ResourceAccess(action: "s3:PutObjectTagging", resource: destination))
            }
            if self == .copyObject, AccessControl.carriesACL(headers) {
                accesses.append(ResourceAccess(action: "s3:PutObjectAcl", resource: destination))
            }
            if self == .copyObject { accesses += Self.lockAccesses(headers, destination) }
            return accesses
        default:
            let resource: ResourceAccess.Resource = target.key.map { .object(bucket: bucket, key: $0) } ?? .bucket(bucket)
            var accesses = [ResourceAccess(action: iamAction(target), resource: resource, versionID: versionID)]
            // Tags set with the object need the tagging action too, as AWS requires.
            if self == .putObject || self == .createMultipartUpload, headers[.amzTagging] != nil {
                accesses.append(ResourceAccess(action: "s3:PutObjectTagging", resource: resource))
            }
            // An ACL set with a write needs the ACL action too, as AWS requires.
            if self == .putObject || self == .createMultipartUpload, AccessControl.carriesACL(headers) {
                accesses.append(ResourceAccess(action: "s3:PutObjectAcl", resource: resource))
            }
            if self == .createBucket, AccessControl.carriesACL(headers) {
                accesses.append(ResourceAccess(action: "s3:PutBucketAcl", resource: resource))
            }
            // As AWS: a bucket created with Object Lock needs the lock and versioning actions, and
            // a write that sets a lock needs the retention or legal-hold action.
            if self == .createBucket, headers[.amzBucketObjectLockEnabled]?.lowercased() == "true" {
                accesses.append(ResourceAccess(action: "s3:PutBucketObjectLockConfiguration", resource: resource))
                accesses.append(ResourceAccess(action: "s3:PutBucketVersioning", resource: resource))
            }
            if self == .putObject || self == .createMultipartUpload {
                accesses += Self.lockAccesses(headers, resource)
            }
            return accesses
        }
    }

    static func lockAccesses(_ headers: HTTPFields, _ resource: ResourceAccess.Resource) -> [ResourceAccess] {
        var accesses: [ResourceAccess] = []
        if headers[.amzObjectLockMode] != nil || headers[.amzObjectLockRetainUntilDate] != nil {
            accesses.append(ResourceAccess(action: "s3:PutObjectRetention", resource: resource))
        }
        if headers[.amzObjectLockLegalHold] != nil { accesses.append(ResourceAccess(action: "s3:PutObjectLegalHold", resource: resource)) }
        return accesses
    }
}
