import Foundation
import HTTPTypes
import Authentication
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
        case .putObject, .postObject, .copyObject, .createMultipartUpload, .uploadPart, .uploadPartCopy, .completeMultipartUpload: return "s3:PutObject"
        case .getObject, .headObject: return versioned ? "s3:GetObjectVersion" : "s3:GetObject"
        case .deleteObject: return versioned ? "s3:DeleteObjectVersion" : "s3:DeleteObject"
        case .getObjectAttributes: return versioned ? "s3:GetObjectVersionAttributes" : "s3:GetObjectAttributes"
        case .getObjectTagging: return versioned ? "s3:GetObjectVersionTagging" : "s3:GetObjectTagging"
        case .putObjectTagging: return versioned ? "s3:PutObjectVersionTagging" : "s3:PutObjectTagging"
        case .deleteObjectTagging: return versioned ? "s3:DeleteObjectVersionTagging" : "s3:DeleteObjectTagging"
        case .abortMultipartUpload: return "s3:AbortMultipartUpload"
        case .listParts: return "s3:ListMultipartUploadParts"
        case .getBucketAcl: return "s3:GetBucketAcl"
        case .putBucketAcl: return "s3:PutBucketAcl"
        case .getObjectAcl: return versioned ? "s3:GetObjectVersionAcl" : "s3:GetObjectAcl"
        case .putObjectAcl: return versioned ? "s3:PutObjectVersionAcl" : "s3:PutObjectAcl"
        case .getBucketOwnershipControls: return "s3:GetBucketOwnershipControls"
        case .putBucketOwnershipControls, .deleteBucketOwnershipControls: return "s3:PutBucketOwnershipControls"
        case .getPublicAccessBlock: return "s3:GetBucketPublicAccessBlock"
        case .putPublicAccessBlock, .deletePublicAccessBlock: return "s3:PutBucketPublicAccessBlock"
        case .getBucketLogging: return "s3:GetBucketLogging"
        case .putBucketLogging: return "s3:PutBucketLogging"
        case .getBucketLifecycle: return "s3:GetLifecycleConfiguration"
        case .getBucketEncryption: return "s3:GetEncryptionConfiguration"
        case .getBucketNotification: return "s3:GetBucketNotification"
        case .putBucketNotification: return "s3:PutBucketNotification"
        case .putBucketEncryption, .deleteBucketEncryption: return "s3:PutEncryptionConfiguration"
        case .putBucketLifecycle, .deleteBucketLifecycle: return "s3:PutLifecycleConfiguration"
        case .getObjectLockConfiguration: return "s3:GetBucketObjectLockConfiguration"
        case .putObjectLockConfiguration: return "s3:PutBucketObjectLockConfiguration"
        case .getObjectRetention: return "s3:GetObjectRetention"
        case .putObjectRetention: return "s3:PutObjectRetention"
        case .getObjectLegalHold: return "s3:GetObjectLegalHold"
        case .putObjectLegalHold: return "s3:PutObjectLegalHold"
        case .getBucketCors: return "s3:GetBucketCORS"
        case .putBucketCors, .deleteBucketCors: return "s3:PutBucketCORS"
        case .admin: return "admin:*"
        case .notImplemented, .methodNotAllowed, .preflight: return "s3:Unsupported"
        }
    }
}

extension S3Responder {
    static let anonymous = Principal(name: "anonymous", accessKeyID: "", isRoot: false, kind: .anonymous)

    /// The condition keys a request supplies (aws:* and the S3-specific ones AWS documents).
    func conditionContext(_ target: RequestTarget, headers: HTTPFields, remoteAddress: String?, principal: Principal?) -> [String: [String]] {
        var context = GlobalConditionKeys.context(
            principal: principal, remoteAddress: remoteAddress, secureTransport: configuration.secureTransport, now: Self.nowSeconds())
        for name in ["prefix", "delimiter", "max-keys"] { if let value = target.value(name) { context["s3:\(name)"] = [value] } }
        if let versionID = target.value("versionId") { context["s3:VersionId"] = [versionID] }
        if let source = headers[.amzCopySource] { context["s3:x-amz-copy-source"] = [source] }
        if let acl = headers[HTTPField.Name("x-amz-acl")!] { context["s3:x-amz-acl"] = [acl] }
        for name in Self.headerConditionKeys {
            if let value = headers[name] { context["s3:\(name.canonicalName)"] = [value] }
        }
        context.merge(Self.lockConditionKeys(
            mode: headers[.amzObjectLockMode], retainUntil: headers[.amzObjectLockRetainUntilDate].flatMap { HTTPDate.parseISO8601($0) },
            legalHold: headers[.amzObjectLockLegalHold])) { $1 }
        if let referer = headers[.referer] { context["aws:Referer"] = [referer] }
        if let agent = headers[.userAgent] { context["aws:UserAgent"] = [agent] }
        for (name, _) in AccessControl.grantHeaders {
            if let value = headers[name] { context["s3:\(name.canonicalName)"] = [value] }
        }
        if let tagging = headers[.amzTagging], let tags = try? TagSet.parse(query: tagging) {
            for tag in tags { context["s3:RequestObjectTag/\(tag.name)", default: []].append(tag.value) }
            context["s3:RequestObjectTagKeys"] = tags.map(\.name)
        }
        return context
    }

    /// AWS's Object Lock condition keys, from a write's headers or a PutObjectRetention /
    /// PutObjectLegalHold body.
    static func lockConditionKeys(mode: String?, retainUntil: Int64?, legalHold: String?) -> [String: [String]] {
        var keys: [String: [String]] = [:]
        if let mode { keys["s3:object-lock-mode"] = [mode] }
        if let retainUntil {
            keys["s3:object-lock-retain-until-date"] = [HTTPDate.iso8601(milliseconds: retainUntil)]
            let remaining = max(0, (retainUntil - Int64(Date().timeIntervalSince1970 * 1000) + 86_399_999) / 86_400_000)
            keys["s3:object-lock-remaining-retention-days"] = [String(remaining)]
        }
        if let legalHold { keys["s3:object-lock-legal-hold"] = [legalHold] }
        return keys
    }

    /// Adds `s3:ExistingObjectTag/<key>` for an object access, read only when a policy asks for it.
    func addExistingTags(_ context: inout [String: [String]], _ access: ResourceAccess, bucket: BucketRecord?, policies: [PolicyDocument], in scope: inout AccessScope) async {
        guard let bucket, let key = access.key, policies.contains(where: \.readsExistingObjectTags),
            let attributes = await judgedVersion(bucket: bucket, key: key, versionID: access.versionID, in: &scope)
        else { return }
        for tag in attributes.tags { context["s3:ExistingObjectTag/\(tag.name)", default: []].append(tag.value) }
    }

    /// The attributes of the version of an object a decision depends on (nil: no version, or a
    /// delete marker), recorded in `scope.versions`.
    func judgedVersion(bucket: BucketRecord, key: String, versionID: String?, in scope: inout AccessScope) async -> ObjectAttributes? {
        let object = JudgedObject(bucketID: bucket.id, key: key, versionID: versionID)
        if let known = scope.versions[object] { return known }
        let version = try? await store.version(bucket: bucket, key: key, versionID: versionID, cached: false)
        let attributes = Self.judgedAttributes(of: version)
        scope.versions[object] = .some(attributes)
        return attributes
    }

    /// A version-dependent decision (an object ACL grant, an `s3:ExistingObjectTag` condition)
    /// is judged on the version current when the request was authorized; a handler reads the
    /// version current a moment later, and without a version id (or with `null`) that may be
    /// another, which replaced it. Where it is, and its attributes differ (a decision depends on
    /// nothing else of a version; its index row id may be reused by its successor), the
    /// request's accesses are judged again on the version read: a caller allowed only by a
    /// public-read ACL on one object read, racing its overwrite, the private object that
    /// replaced it (helper-100: 12 of 9,230 copies).
    /// A request whose decisions read versions, but not this object's, is judged again too: it
    /// fails closed should the two ever name one object differently.
    func confirmJudged(_ call: S3Call, bucket: BucketRecord, key: String, versionID: String?, read version: ObjectVersion) async throws {
        guard !call.judgedVersions.isEmpty else { return }
        let object = JudgedObject(bucketID: bucket.id, key: key, versionID: versionID)
        let read = Self.judgedAttributes(of: version)
        if let judged = call.judgedVersions[object], ExpectedVersion(attributes: judged) == ExpectedVersion(attributes: read) { return }
        try await judgeAgain(call, object, as: read, judge: nil)
    }

    /// A write to an object (its tags, retention, hold, or its removal) decided, maybe, on its
    /// version: `write` gets the version the decisions read (nil when none did) and must change
    /// the object only while it is still that one (`ExpectedVersion`). When it is not
    /// (`versionChanged`: replaced or removed meanwhile), the request is judged again on the
    /// version there now and the write tried again with that one, after a short random pause. Before, a PutObjectAcl judged
    /// on a public object wrote onto the private one that replaced it, and a delete allowed by an
    /// `s3:ExistingObjectTag` condition removed an untagged successor (helper-101).
    /// - Parameter judge: the decisions to make again (default: the request's own accesses).
    func writeAsJudged<T>(
        _ call: S3Call, bucket: BucketRecord, key: String, versionID: String?,
        judge: ((inout AccessScope) async throws -> Void)? = nil,
        _ write: (ExpectedVersion?) async throws -> T
    ) async throws -> T {
        let object = JudgedObject(bucketID: bucket.id, key: key, versionID: versionID)
        for attempt in 0..<Self.writeAttempts {
            if attempt > 0 { await Self.backOff(attempt) }
            var expected: ExpectedVersion?
            if !call.judgedVersions.isEmpty {
                if let judged = call.judgedVersions[object] {
                    expected = ExpectedVersion(attributes: judged)
                } else {
                    expected = try await judgeAgain(call, object, bucket: bucket, key: key, versionID: versionID, judge: judge)
                }
            }
            do {
                return try await write(expected)
            } catch StoreError.versionChanged {
                if expected != nil { _ = try await judgeAgain(call, object, bucket: bucket, key: key, versionID: versionID, judge: judge) }
            }
        }
        throw StoreError.versionChanged(key: key)
    }

    /// With versioning suspended, a delete without a version id replaces the `null` version,
    /// which may not be the latest that was judged: where it is an object (not a delete marker)
    /// and not the latest, the request is judged on it too, as if it were the latest. Answers
    /// what the removal must find of it (nil where no decision read a version, or versioning is
    /// not suspended).
    func judgedNullVersion(
        _ call: S3Call, bucket: BucketRecord, key: String, judge: ((inout AccessScope) async throws -> Void)?
    ) async throws -> ExpectedVersion? {
        guard bucket.versioning == .suspended, !call.judgedVersions.isEmpty else { return nil }
        let version = try? await store.version(bucket: bucket, key: key, versionID: "null", cached: false)
        let null = Self.judgedAttributes(of: version)
        if null != nil, version?.isLatest == false {
            var scope = AccessScope(call: call)
            scope.versions[JudgedObject(bucketID: bucket.id, key: key, versionID: nil)] = .some(null)
            try await decide(call, with: judge, in: &scope)
        }
        return ExpectedVersion(attributes: null)
    }

    /// How often a write decided on a version is tried while that version keeps changing; then
    /// OperationAborted, as S3 answers conflicting operations on one object.
    static let writeAttempts = 8

    /// A pause of up to 0.25 ms × 2^attempt, random, so that writers conflicting on one object
    /// (each changing what the others' decisions read) do not meet again at once.
    static func backOff(_ attempt: Int) async {
        try? await Task.sleep(for: .microseconds(Int.random(in: 0...(250 << min(attempt, 6)))))
    }

    /// Judges the request again on the version of `object` there now; answers it.
    func judgeAgain(
        _ call: S3Call, _ object: JudgedObject, bucket: BucketRecord, key: String, versionID: String?, judge: ((inout AccessScope) async throws -> Void)?
    ) async throws -> ExpectedVersion {
        let now = Self.judgedAttributes(of: try? await store.version(bucket: bucket, key: key, versionID: versionID, cached: false))
        try await judgeAgain(call, object, as: now, judge: judge)
        return ExpectedVersion(attributes: now)
    }

    /// Judges the request again with `object` as a version with `attributes` (nil: none), and
    /// records them as judged.
    func judgeAgain(_ call: S3Call, _ object: JudgedObject, as attributes: ObjectAttributes?, judge: ((inout AccessScope) async throws -> Void)?) async throws {
        var scope = AccessScope(call: call)
        scope.versions[object] = .some(attributes)
        try await decide(call, with: judge, in: &scope)
        call.judgedVersions[object] = .some(attributes)
    }

    /// Makes the decisions `judge` makes, or by default every access the request names.
    func decide(_ call: S3Call, with judge: ((inout AccessScope) async throws -> Void)?, in scope: inout AccessScope) async throws {
        if let judge { try await judge(&scope) } else { try await judgeAccesses(call, in: &scope) }
    }

    /// What decisions see of a version: its attributes; nil for none or a delete marker.
    static func judgedAttributes(of version: ObjectVersion?) -> ObjectAttributes? {
        version.flatMap { $0.isDeleteMarker ? nil : $0.attributes }
    }

    /// Every access the request names (`Operation.accesses`), AccessDenied at the first refused.
    func judgeAccesses(_ call: S3Call, in scope: inout AccessScope) async throws {
        for access in try call.operation.accesses(call.target, method: call.request.method, headers: call.headers) where await !isAllowed(access, in: &scope) {
            throw S3Error.accessDenied()
        }
    }

    /// Keeps the versions a decision made after authorization read (`AccessScope(call:)` starts
    /// from those already judged), so the request's writes expect them too.
    func remember(_ scope: AccessScope) {
        scope.call.judgedVersions.merge(scope.versions) { judged, _ in judged }
    }

    /// Whether the caller may perform every access the request names (`Operation.accesses`),
    /// each judged with the policy of the bucket it names; the first refusal is audited and
    /// answered AccessDenied. Answers the request's own bucket when it was read.
    func authorize(_ call: S3Call, _ accesses: [ResourceAccess]) async throws -> BucketRecord? {
        var scope = AccessScope(call: call)
        for access in accesses where await !isAllowed(access, in: &scope) {
            try await explainRefusal(access, in: &scope)
            throw S3Error.accessDenied()
        }
        if call.principal.kind == .anonymous {
            // As AWS: a bucket's policy and configuration belong to its owner's account; no
            // bucket policy opens them to anonymous callers, whatever it says.
            if Self.ownerOnlyOperations.contains(call.operation) { throw S3Error.accessDenied() }
            if call.operation == .deleteObjects { try await requireAnonymousDeleteGrant(call, in: &scope) }
        }
        try await checkExpectedOwners(call, in: &scope)
        if !scope.versions.isEmpty { call.judgedVersions = scope.versions }
        guard let name = call.target.bucket, let cached = scope.buckets[name] else { return nil }
        return cached
    }

    /// Refusals S3 answers with 404 instead: a bucket that does not exist (bucket names are
    /// public), and a missing object for a caller who may list the bucket and so could learn as much.
    func explainRefusal(_ access: ResourceAccess, in scope: inout AccessScope) async throws {
        guard let name = access.bucket, scope.call.operation != .createBucket else { return }
        if scope.buckets[name] == nil { scope.buckets[name] = .some(try? await store.bucket(name)) }
        guard let bucket = scope.buckets[name] ?? nil else { throw S3Error.noSuchBucket(name) }
        guard let key = access.key, [.getObject, .headObject].contains(scope.call.operation) else { return }
        if let version = try? await store.version(bucket: bucket, key: key, versionID: access.versionID, cached: false), !version.isDeleteMarker { return }
        // Listing is judged as a listing of the key itself would be (`s3:prefix` conditions apply).
        if await isAllowed(ResourceAccess(action: "s3:ListBucket", resource: .bucket(name)), in: &scope, audited: false, context: ["s3:prefix": [key]]) {
            throw access.versionID == nil ? S3Error.noSuchKey(key) : ErrorMapping.s3Error(StoreError.noSuchVersion(key: key, versionID: access.versionID!))
        }
    }

    /// A missing key or version is news only to a caller who may list the bucket (as S3 answers):
    /// anyone else gets AccessDenied, so reading rights alone never tell what exists.
    func concealMissing(_ error: any Error, _ call: S3Call) async -> any Error {
        let code = ErrorMapping.s3Error(error).code
        guard code == "NoSuchKey" || code == "NoSuchVersion", let name = call.target.bucket, let key = call.target.key,
            !(call.principal.isRoot && call.principal.restrictions.isEmpty)
        else { return error }
        var scope = AccessScope(call: call)
        let mayList = await isAllowed(ResourceAccess(action: "s3:ListBucket", resource: .bucket(name)), in: &scope, audited: false, context: ["s3:prefix": [key]])
        return mayList ? error : S3Error.accessDenied()
    }

    /// `x-amz-expected-bucket-owner` (and `x-amz-source-expected-bucket-owner` for copies): a
    /// bucket owned by anyone else is refused, so a client never writes into a look-alike.
    func checkExpectedOwners(_ call: S3Call, in scope: inout AccessScope) async throws {
        var expectations: [(String, String)] = []
        if let expected = call.headers[.amzExpectedBucketOwner], let name = call.target.bucket { expectations.append((name, expected)) }
        if let expected = call.headers[.amzSourceExpectedBucketOwner], let source = try? CopySource.parse(call.headers[.amzCopySource] ?? "") {
            expectations.append((source.bucket, expected))
        }
        for (name, expected) in expectations {
            if scope.buckets[name] == nil { scope.buckets[name] = .some(try? await store.bucket(name)) }
            guard let record = scope.buckets[name] ?? nil else { continue }
            if expected.trimmingSpaces != ownerID(record) { throw S3Error.accessDenied() }
        }
    }

    /// Request headers S3 offers as `s3:<header>` condition keys.
    static let headerConditionKeys: [HTTPField.Name] = [
        "x-amz-metadata-directive", "x-amz-server-side-encryption", "x-amz-server-side-encryption-aws-kms-key-id", "x-amz-storage-class",
        "x-amz-server-side-encryption-customer-algorithm",
        "x-amz-content-sha256", "x-amz-object-lock-mode", "x-amz-object-lock-retain-until-date", "x-amz-object-lock-legal-hold",
    ].map { HTTPField.Name($0)! }

    static let ownerOnlyOperations: Set<Operation> = [
        .createBucket, .deleteBucket, .getBucketPolicy, .putBucketPolicy, .deleteBucketPolicy, .getBucketPolicyStatus,
        .getBucketVersioning, .putBucketVersioning, .getBucketTagging, .putBucketTagging, .deleteBucketTagging, .admin,
        .getBucketOwnershipControls, .putBucketOwnershipControls, .deleteBucketOwnershipControls, .getPublicAccessBlock,
        .putPublicAccessBlock, .deletePublicAccessBlock, .getBucketCors, .putBucketCors, .deleteBucketCors, .getBucketLogging, .putBucketLogging,
        .getObjectLockConfiguration, .putObjectLockConfiguration, .getBucketLifecycle, .putBucketLifecycle, .deleteBucketLifecycle,
        .getBucketEncryption, .putBucketEncryption, .deleteBucketEncryption, .getBucketNotification, .putBucketNotification,
    ]

    /// DeleteObjects names its keys in its body, decided key by key; an anonymous caller must
    /// first have a bucket policy that grants `*` some delete, or the body is never read.
    func requireAnonymousDeleteGrant(_ call: S3Call, in scope: inout AccessScope) async throws {
        guard let name = call.target.bucket else { throw S3Error.accessDenied() }
        if scope.buckets[name] == nil { scope.buckets[name] = .some(try? await store.bucket(name)) }
        let policy = scope.buckets[name]??.policy.flatMap { PolicyDocument.cached($0) }
        let grants = policy?.statements.contains { statement in
            guard statement.effect == .allow, statement.principals?.contains("*") == true else { return false }
            return ["s3:DeleteObject", "s3:DeleteObjectVersion"].contains { action in
                let named = statement.actions.values.contains { PolicyEvaluator.wildcard($0, action, caseInsensitive: true) }
                return named != statement.actions.negated
            }
        } ?? false
        guard grants else {
            auditDenied(call, request: AccessRequest(action: "s3:DeleteObject", resource: "arn:aws:s3:::\(name)/*"))
            throw S3Error.accessDenied()
        }
    }

    /// What authorization has read for one request: the buckets it named (with their parsed
    /// policies) and the caller's identity policies, each read once.
    struct AccessScope {
        let call: S3Call
        var buckets: [String: BucketRecord?] = [:]
        var identity: [PolicyDocument]?
        var baseContext: [String: [String]]?
        /// The attributes of the versions decisions read (for an object ACL,
        /// `s3:ExistingObjectTag`), by object, each looked up once, so that every decision of the
        /// request sees the same; nil where there was no version or a delete marker.
        var versions: [JudgedObject: ObjectAttributes?]

        /// Starts from the bucket authorization already read for the request (a handler deciding
        /// a batch's keys does not read it again) and from the versions already judged.
        init(call: S3Call) {
            self.call = call
            versions = call.judgedVersions
            if let record = call.bucketRecord { buckets[record.name] = .some(record) }
        }
    }

    /// Decides one access for the request's caller (used directly by batch operations for each
    /// key they name). Root without restrictions may do everything; anonymous callers what a
    /// bucket policy allows Principal "*"; anyone else what their policies and the bucket's allow.
    /// - Parameter audited: false where the caller audits a batch's refusals as one line.
    /// - Parameter extra: condition keys this decision sees besides the request's own.
    func isAllowed(_ access: ResourceAccess, in scope: inout AccessScope, audited: Bool = true, context extra: [String: [String]] = [:]) async -> Bool {
        let call = scope.call
        let principal = call.principal
        if principal.isRoot && principal.restrictions.isEmpty { return true }
        var bucket: BucketRecord?
        if let name = access.bucket {
            if let cached = scope.buckets[name] {
                bucket = cached
            } else {
                bucket = try? await store.bucket(name)
                scope.buckets[name] = .some(bucket)
            }
        }
        let bucketPolicy = bucket?.policy.flatMap { PolicyDocument.cached($0) }
        let anonymous = principal.kind == .anonymous
        let identity: [PolicyDocument]
        if anonymous {
            identity = []
        } else if let known = scope.identity {
            identity = known
        } else {
            identity = directory.policies(of: principal.name)
            scope.identity = identity
        }
        let policies = identity + principal.restrictions + [bucketPolicy].compactMap { $0 }
        // Condition keys are gathered only for policies that read them: building them (a dozen
        // headers, the time, the address) was a fifth of a policy-checked GET's extra cost.
        var context: [String: [String]] = [:]
        if policies.contains(where: \.hasConditions) {
            if scope.baseContext == nil {
                scope.baseContext = conditionContext(call.target, headers: call.headers, remoteAddress: call.remoteAddress, principal: anonymous ? nil : principal)
            }
            context = scope.baseContext!
            context["s3:VersionId"] = access.versionID.map { [$0] }
            context.merge(extra) { _, new in new }
            if let bucket {
                context["floe:IsBucketOwner"] = [Self.owns(principal, bucket) ? "true" : "false"]
            } else if call.operation == .createBucket {
                // Whoever creates the bucket owns it (another's existing bucket is refused at creation).
                context["floe:IsBucketOwner"] = ["true"]
            }
            await addExistingTags(&context, access, bucket: bucket, policies: policies, in: &scope)
        }
        let request = AccessRequest(action: access.action, resource: access.arn, context: context, principal: anonymous ? nil : principal.name)
        var decision: PolicyDecision
        if anonymous {
            decision = bucketPolicy.map { PolicyEvaluator.evaluate([$0], request) } ?? .implicitDeny
            // RestrictPublicBuckets: a public bucket policy lets no anonymous caller in.
            if decision == .allow, let bucketPolicy, bucket?.settings.publicAccessBlock?.restrictPublicBuckets == true, Self.isPublic(bucketPolicy) {
                decision = .implicitDeny
            }
        } else {
            decision = directory.authorize(principal, request, identityPolicies: identity, resourcePolicy: bucketPolicy)
            // RestrictPublicBuckets: a public bucket policy admits only the owner's own callers;
            // anyone else needs an allow of their own.
            if decision == .allow, let bucket, let bucketPolicy, bucket.settings.publicAccessBlock?.restrictPublicBuckets == true,
                !Self.owns(principal, bucket), Self.isPublic(bucketPolicy),
                directory.authorize(principal, request, identityPolicies: identity, resourcePolicy: nil) != .allow
            {
                decision = .implicitDeny
            }
        }
        if decision == .implicitDeny, let bucket, await aclGrants(access, bucket: bucket, principal: principal, uploadID: call.target.value("uploadId"), in: &scope) {
            decision = .allow
        }
        guard decision == .allow else {
            if audited { auditDenied(call, request: request) }
            return false
        }
        return true
    }

    /// Whether the bucket's or object's ACL grants the access (ACL-enabled buckets only; never to
    /// narrowed or vended credentials, whose limits an ACL must not widen).
    func aclGrants(_ access: ResourceAccess, bucket: BucketRecord, principal: Principal, uploadID: String? = nil, in scope: inout AccessScope) async -> Bool {
        guard bucket.settings.aclsEnabled, principal.restrictions.isEmpty, principal.kind != .delegated else { return false }
        // An upload's initiator (who the ACL let write) may list and abort its own upload.
        if ["s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"].contains(access.action) {
            guard let uploadID, principal.kind != .anonymous, let upload = try? await store.index.upload(bucketID: bucket.id, uploadID: uploadID) else { return false }
            return upload.attributes.owner == principal.name
        }
        guard let (permission, onObject) = AccessControl.grant(for: access.action) else { return false }
        var acl: AccessControlList
        if onObject {
            guard let key = access.key else { return false }
            guard let attributes = await judgedVersion(bucket: bucket, key: key, versionID: access.versionID, in: &scope) else {
                // A new object's writer sets its ACL and tags with it: allowed where the bucket's
                // ACL lets the writer create it. An existing object's never come from the bucket's.
                guard ["s3:PutObjectAcl", "s3:PutObjectTagging"].contains(access.action), access.versionID == nil else { return false }
                return await aclGrants(ResourceAccess(action: "s3:PutObject", resource: access.resource), bucket: bucket, principal: principal, in: &scope)
            }
            if access.action == "s3:PutObjectTagging" { return false }
            acl = attributes.acl ?? .private(owner: ownerID(of: attributes, in: bucket))
        } else {
            acl = bucket.settings.acl ?? .private(owner: ownerID(bucket))
        }
        if bucket.settings.publicAccessBlock?.ignorePublicAcls == true {
            acl.grants.removeAll { if case .group = $0.grantee { return true } else { return false } }
        }
        return acl.grants(permission, to: principal.kind == .anonymous ? nil : principal.canonicalID)
    }

    /// Whether the caller owns the bucket (buckets from before owners were kept are root's).
    static func owns(_ principal: Principal, _ bucket: BucketRecord) -> Bool {
        bucket.owner.map { $0 == principal.name } ?? principal.isRoot
    }

    func auditDenied(_ call: S3Call, request: AccessRequest) {
        audit.record(AuditEvent(
            requestID: call.requestID, api: call.operation == .admin ? "admin" : "s3", principal: call.principal.name,
            accessKey: call.principal.accessKeyID, sourceIP: call.remoteAddress, action: request.action,
            resource: request.resource.hasPrefix("arn:floe:admin:::") ? String(request.resource.dropFirst("arn:floe:admin:::".count)) : request.resource,
            outcome: "denied", status: 403))
    }
}

/// An object (or one version of it) whose version a decision read.
struct JudgedObject: Hashable {
    let bucketID: Int64
    /// The key's bytes: the store tells keys apart byte by byte, where `String` takes canonically
    /// equivalent ones (`café` composed and decomposed) for one.
    let key: [UInt8]
    let versionID: String?

    init(bucketID: Int64, key: String, versionID: String?) {
        self.bucketID = bucketID
        self.key = Array(key.utf8)
        self.versionID = versionID
    }
}
