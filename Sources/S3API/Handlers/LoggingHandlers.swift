import Hummingbird
import HTTPTypes
import Identity
import Logging
import NIOCore
import ObjectStore
import S3Model
import SigV4

/// Server access logging: Get/PutBucketLogging, recording each request of a logged bucket, and
/// delivering the records as objects into the target bucket (`deliverAccessLogs`, run by the
/// server's flusher, never by a request).
extension S3Responder {
    static let logDeliveryPrincipal = "service:logging.s3.amazonaws.com"

    func getBucketLogging(_ call: S3Call) async throws -> Response {
        let bucket = try await bucket(call)
        var xml = XMLWriter()
        xml.group("BucketLoggingStatus", namespace: XMLWriter.s3Namespace) { x in
            guard let logging = bucket.settings.logging else { return }
            x.group("LoggingEnabled") { x in
                x.element("TargetBucket", logging.targetBucket)
                x.element("TargetPrefix", logging.targetPrefix)
                if !logging.targetGrants.isEmpty {
                    x.group("TargetGrants") { x in
                        for grant in logging.targetGrants { AccessControl.writeGrant(&x, grant, displayName: displayName(ofCanonicalID:)) }
                    }
                }
                x.group("TargetObjectKeyFormat") { x in
                    if case .partitioned(let source)? = logging.keyFormat {
                        x.group("PartitionedPrefix") { x in x.element("PartitionDateSource", source) }
                    } else {
                        x.text("<SimplePrefix></SimplePrefix>")
                    }
                }
            }
        }
        return Self.xmlResponse(xml)
    }

    func putBucketLogging(_ call: S3Call) async throws -> Response {
        let bucket = try await bucket(call)
        let document = try await readXML(call, root: "BucketLoggingStatus", limit: 64 * 1024)
        var logging: BucketLogging?
        if let enabled = document.child("LoggingEnabled") {
            let requested = try Self.parseLogging(enabled)
            try AccessControl.validate(
                AccessControlList(owner: ownerID(bucket), grants: requested.targetGrants), knownUser: { displayName(ofCanonicalID: $0) != nil })
            let invalidTarget = S3Error(code: "InvalidTargetBucketForLogging", status: 400, message: "The target bucket for logging does not exist, is not owned by you, or does not have the appropriate grants for the log-delivery group.")
                .with(detail: "TargetBucket", requested.targetBucket)
            guard let target = try? await store.bucket(requested.targetBucket) else { throw invalidTarget }
            guard ownerName(target) == ownerName(bucket), target.region == bucket.region else { throw invalidTarget }
            guard logDeliveryAllowed(into: target, prefix: requested.targetPrefix, from: bucket) else {
                throw S3Error.accessDenied("The target bucket's policy does not allow logging.s3.amazonaws.com to write logs for this bucket")
            }
            logging = requested
            accessLog.activate()
        }
        try await store.setSetting(bucket, .logging, logging)
        return Response(status: .ok)
    }

    static func parseLogging(_ enabled: XMLElement) throws -> BucketLogging {
        guard let target = enabled.value("TargetBucket"), !target.isEmpty else { throw S3Error.malformedXML() }
        var logging = BucketLogging(targetBucket: target, targetPrefix: enabled.value("TargetPrefix") ?? "")
        if let format = enabled.child("TargetObjectKeyFormat") {
            if let partitioned = format.child("PartitionedPrefix") {
                let source = partitioned.value("PartitionDateSource") ?? "EventTime"
                guard ["EventTime", "DeliveryTime"].contains(source) else { throw S3Error.malformedXML() }
                logging.keyFormat = .partitioned(dateSource: source)
            } else if format.child("SimplePrefix") != nil {
                logging.keyFormat = .simple
            } else {
                throw S3Error.malformedXML()
            }
        }
        if let grants = enabled.child("TargetGrants") {
            for grant in grants.children("Grant") {
                guard let grantee = grant.child("Grantee"), let text = grant.value("Permission"),
                    let permission = AccessControlList.Permission(rawValue: text), [.fullControl, .read, .write].contains(permission)
                else { throw S3Error.malformedXML() }
                if let id = grantee.value("ID") {
                    logging.targetGrants.append(.init(grantee: .user(id), permission: permission))
                } else if let uri = grantee.value("URI") {
                    logging.targetGrants.append(.init(grantee: .group(uri), permission: permission))
                } else if let email = grantee.value("EmailAddress") {
                    logging.targetGrants.append(.init(grantee: .email(email), permission: permission))
                } else {
                    throw S3Error.malformedXML()
                }
            }
        }
        return logging
    }

    /// Whether log delivery may write into `target` under `prefix` for `source`: its bucket
    /// policy grants the logging service s3:PutObject (with the source's ARN and account as
    /// conditions see them), or, where ACLs apply, its ACL grants the LogDelivery group WRITE.
    func logDeliveryAllowed(into target: BucketRecord, prefix: String, from source: BucketRecord) -> Bool {
        if target.settings.aclsEnabled, target.settings.acl?.grants.contains(where: {
            $0.grantee == .group(AccessControlList.logDelivery) && ($0.permission == .write || $0.permission == .fullControl)
        }) == true {
            return true
        }
        guard let text = target.policy, let policy = PolicyDocument.cached(text) else { return false }
        // Only statements naming the logging service grant: "*" is not a grant to S3 itself
        // (any Deny still binds).
        var named = policy
        named.statements = policy.statements.filter { $0.principals?.contains(Self.logDeliveryPrincipal) == true }
        let request = AccessRequest(
            action: "s3:PutObject", resource: "arn:aws:s3:::\(target.name)/\(prefix)",
            context: ["aws:SourceArn": ["arn:aws:s3:::\(source.name)"], "aws:SourceAccount": [ownerID(source)]], principal: Self.logDeliveryPrincipal)
        return PolicyEvaluator.evaluate([policy], request) == .allow && PolicyEvaluator.evaluate([named], request) == .allow
    }

    /// Queues the request's record when its bucket has logging configured.
    func recordAccess(_ entry: @autoclosure () -> AccessLogEntry?, bucket name: String) async {
        guard accessLog.active, let bucket = try? await store.bucket(name), let logging = bucket.settings.logging, var entry = entry() else { return }
        entry.bucketOwner = ownerID(bucket)
        accessLog.append(entry, logging: logging, region: bucket.region)
    }

    /// Writes every due batch as one object into its target bucket. Called by the server's
    /// flusher (`all` at shutdown); a target that is gone or no longer allows delivery loses
    /// its batch, as S3 stops delivering.
    public func deliverAccessLogs(all: Bool = false) async {
        let now = ObjectStore.now()
        for batch in accessLog.takeDue(now: now, all: all) where !batch.lines.isEmpty {
            do {
                let target = try await store.bucket(batch.logging.targetBucket)
                // Delivered only while the target still has the source's owner (a bucket deleted and
                // re-created by someone else never receives the records) and still allows it.
                guard let source = try? await store.bucket(batch.source), ownerName(target) == ownerName(source),
                    logDeliveryAllowed(into: target, prefix: batch.logging.targetPrefix, from: source)
                else { continue }
                let key = AccessLogBatches.key(for: batch, now: now, unique: RequestIDs.make())
                var body = ByteBuffer()
                for line in batch.lines {
                    body.writeString(line)
                    body.writeInteger(UInt8(ascii: "\n"))
                }
                var attributes = ObjectAttributes(contentHeaders: ["content-type": "text/plain"])
                if !batch.logging.targetGrants.isEmpty, target.settings.aclsEnabled {
                    attributes.acl = AccessControlList(owner: ownerID(target), grants: [.init(grantee: .user(ownerID(target)), permission: .fullControl)] + batch.logging.targetGrants)
                }
                _ = try await store.writeInternal(body, bucket: target, key: key, attributes: attributes)
            } catch {
                logger.warning("access log delivery failed", metadata: ["bucket": "\(batch.source)", "target": "\(batch.logging.targetBucket)", "error": "\(error)"])
            }
        }
    }

    /// Turns recording on when a bucket already has logging configured (at start).
    public func loadAccessLogging() async {
        if let buckets = try? await store.listBuckets(), buckets.contains(where: { $0.settings.logging != nil }) { accessLog.activate() }
    }

    /// S3's name for an operation in access logs: `REST.<METHOD>.<RESOURCE>`.
    static func logOperation(_ operation: Operation, method: HTTPRequest.Method) -> String {
        let resource: String
        switch operation {
        case .putObject, .getObject, .headObject, .deleteObject, .postObject: resource = "OBJECT"
        case .copyObject: return "REST.COPY.OBJECT"
        case .uploadPartCopy: return "REST.COPY.PART"
        case .uploadPart: resource = "PART"
        case .createMultipartUpload: resource = "UPLOADS"
        case .completeMultipartUpload, .abortMultipartUpload, .listParts: resource = "UPLOAD"
        case .listObjects, .listObjectsV2, .headBucket, .createBucket, .deleteBucket: resource = "BUCKET"
        case .listObjectVersions: resource = "BUCKETVERSIONS"
        case .listMultipartUploads: resource = "UPLOADS"
        case .deleteObjects: resource = "MULTI_OBJECT_DELETE"
        case .getObjectTagging, .putObjectTagging, .deleteObjectTagging: resource = "OBJECT_TAGGING"
        case .getBucketTagging, .putBucketTagging, .deleteBucketTagging: resource = "TAGGING"
        case .getBucketAcl, .putBucketAcl, .getObjectAcl, .putObjectAcl: resource = "ACL"
        case .getBucketPolicy, .putBucketPolicy, .deleteBucketPolicy: resource = "BUCKETPOLICY"
        case .getBucketVersioning, .putBucketVersioning: resource = "VERSIONING"
        case .getBucketLocation: resource = "LOCATION"
        case .getBucketCors, .putBucketCors, .deleteBucketCors: resource = "CORS"
        case .getBucketLogging, .putBucketLogging: resource = "LOGGING_STATUS"
        case .preflight: resource = "PREFLIGHT"
        default: resource = operation.rawValue.uppercased()
        }
        return "REST.\(method.rawValue).\(resource)"
    }
}
