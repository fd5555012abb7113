import Hummingbird
import HTTPTypes
import NIOCore
import ObjectStore
import S3Model
import SigV4

/// Object Lock: the bucket configuration, per-version retention and legal hold, the
/// `x-amz-object-lock-*` headers of writes and reads, and governance bypass.
extension S3Responder {
    func getObjectLockConfiguration(_ call: S3Call) async throws -> Response {
        let bucket = try await bucket(call)
        guard let configuration = bucket.settings.objectLock else {
            throw S3Error(code: "ObjectLockConfigurationNotFoundError", status: 404, message: "Object Lock configuration does not exist for this bucket")
                .with(detail: "BucketName", bucket.name)
        }
        var xml = XMLWriter()
        xml.group("ObjectLockConfiguration", namespace: XMLWriter.s3Namespace) { x in
            x.element("ObjectLockEnabled", "Enabled")
            if let rule = configuration.defaultRetention {
                x.group("Rule") { x in
                    x.group("DefaultRetention") { x in
                        x.element("Mode", rule.mode.rawValue)
                        switch rule.period {
                        case .days(let days): x.element("Days", days)
                        case .years(let years): x.element("Years", years)
                        }
                    }
                }
            }
        }
        return Self.xmlResponse(xml)
    }

    func putObjectLockConfiguration(_ call: S3Call) async throws -> Response {
        let bucket = try await bucket(call)
        let document = try await readXML(call, root: "ObjectLockConfiguration", limit: 64 * 1024, digestRequired: true)
        let configuration = try Self.objectLockConfiguration(document)
        try await store.setObjectLock(bucket, configuration)
        return Response(status: .ok)
    }

    static func objectLockConfiguration(_ document: XMLElement) throws -> ObjectLockConfiguration {
        if let enabled = document.value("ObjectLockEnabled"), enabled != "Enabled" { throw S3Error.malformedXML() }
        guard let ruleElement = document.child("Rule") else { return ObjectLockConfiguration() }
        guard let retention = ruleElement.child("DefaultRetention"), let mode = retention.value("Mode").flatMap(RetentionMode.init(rawValue:)) else {
            throw S3Error.malformedXML()
        }
        let period: ObjectLockConfiguration.DefaultRetention.Period
        switch (retention.value("Days"), retention.value("Years")) {
        case (let days?, nil):
            guard let count = Int(days) else { throw S3Error.malformedXML() }
            period = .days(count)
        case (nil, let years?):
            guard let count = Int(years) else { throw S3Error.malformedXML() }
            period = .years(count)
        default:
            throw S3Error.malformedXML()
        }
        let rule = ObjectLockConfiguration.DefaultRetention(mode: mode, period: period)
        guard rule.isValid else {
            throw S3Error(code: "InvalidRetentionPeriod", status: 400, message: "Default retention period must be a positive integer value.")
        }
        return ObjectLockConfiguration(defaultRetention: rule)
    }

    func getObjectRetention(_ call: S3Call) async throws -> Response {
        let bucket = try await lockedBucket(call)
        let version = try await addressedVersion(call, bucket: bucket)
        guard let retention = version.attributes.retention else { throw Self.noLockConfiguration() }
        var xml = XMLWriter()
        xml.group("Retention", namespace: XMLWriter.s3Namespace) { x in
            x.element("Mode", retention.mode.rawValue)
            x.element("RetainUntilDate", HTTPDate.iso8601(milliseconds: retention.retainUntil))
        }
        return Self.xmlResponse(xml)
    }

    func putObjectRetention(_ call: S3Call) async throws -> Response {
        let bucket = try await lockedBucket(call)
        let document = try await readXML(call, root: "Retention", limit: 64 * 1024, digestRequired: true)
        var retention: ObjectRetention?
        switch (document.value("Mode"), document.value("RetainUntilDate")) {
        case (nil, nil):
            retention = nil
        case (let modeText?, let dateText?):
            guard let mode = RetentionMode(rawValue: modeText), let until = HTTPDate.parseISO8601(dateText) else { throw S3Error.malformedXML() }
            retention = ObjectRetention(mode: mode, retainUntil: until)
        default:
            throw S3Error.malformedXML()
        }
        if let retention, !retention.isActive(at: ObjectStore.now()) {
            throw S3Error.invalidArgument("The retain until date must be in the future!")
        }
        let version = try await setLockAsJudged(call, bucket: bucket, action: "s3:PutObjectRetention", Self.lockConditionKeys(
            mode: retention?.mode.rawValue, retainUntil: retention?.retainUntil, legalHold: nil)
        ) { .retention(retention, bypassGovernance: await self.bypassesGovernance(call, versionID: call.target.value("versionId"))) }
        var headers = HTTPFields()
        Self.addVersionHeader(&headers, version, bucket)
        return Response(status: .ok, headers: headers)
    }

    func getObjectLegalHold(_ call: S3Call) async throws -> Response {
        let bucket = try await lockedBucket(call)
        let version = try await addressedVersion(call, bucket: bucket)
        guard let on = version.attributes.legalHold else { throw Self.noLockConfiguration() }
        var xml = XMLWriter()
        xml.group("LegalHold", namespace: XMLWriter.s3Namespace) { x in x.element("Status", on ? "ON" : "OFF") }
        return Self.xmlResponse(xml)
    }

    func putObjectLegalHold(_ call: S3Call) async throws -> Response {
        let bucket = try await lockedBucket(call)
        let document = try await readXML(call, root: "LegalHold", limit: 64 * 1024, digestRequired: true)
        guard let on = document.value("Status").flatMap(Self.legalHoldStatus) else { throw S3Error.malformedXML() }
        let version = try await setLockAsJudged(
            call, bucket: bucket, action: "s3:PutObjectLegalHold", Self.lockConditionKeys(mode: nil, retainUntil: nil, legalHold: on ? "ON" : "OFF")
        ) { .legalHold(on) }
        var headers = HTTPFields()
        Self.addVersionHeader(&headers, version, bucket)
        return Response(status: .ok, headers: headers)
    }

    /// A retention or hold change, after the change the body asks for is judged with its
    /// condition keys (`s3:object-lock-mode`, `…-remaining-retention-days`, `…-legal-hold`),
    /// which the authorization before the body was read could not know; made only on the version
    /// judged (`writeAsJudged`), all of it judged again should that version be replaced.
    func setLockAsJudged(
        _ call: S3Call, bucket: BucketRecord, action: String, _ keys: [String: [String]], change: @escaping () async -> LockChange
    ) async throws -> ObjectVersion {
        let key = call.target.key!
        let versionID = call.target.value("versionId")
        let access = ResourceAccess(action: action, resource: .object(bucket: bucket.name, key: key), versionID: versionID)
        var scope = AccessScope(call: call)
        guard await isAllowed(access, in: &scope, context: keys) else { throw S3Error.accessDenied() }
        remember(scope)
        let judge: (inout AccessScope) async throws -> Void = { scope in
            try await self.judgeAccesses(call, in: &scope)
            guard await self.isAllowed(access, in: &scope, context: keys) else { throw S3Error.accessDenied() }
        }
        return try await writeAsJudged(call, bucket: bucket, key: key, versionID: versionID, judge: judge) { expected in
            try await store.setLock(bucket: bucket, key: key, versionID: versionID, await change(), expecting: expected)
        }
    }

    /// The request's bucket, which must have Object Lock for the retention and legal-hold calls.
    func lockedBucket(_ call: S3Call) async throws -> BucketRecord {
        let bucket = try await bucket(call)
        guard bucket.settings.objectLock != nil else { throw S3Error.invalidRequest("Bucket is missing Object Lock Configuration") }
        return bucket
    }

    static func noLockConfiguration() -> S3Error {
        S3Error(code: "NoSuchObjectLockConfiguration", status: 404, message: "The specified object does not have a ObjectLock configuration")
    }

    static func legalHoldStatus(_ text: String) -> Bool? {
        switch text {
        case "ON": return true
        case "OFF": return false
        default: return nil
        }
    }

    /// Whether the request asks to bypass governance retention (`x-amz-bypass-governance-retention:
    /// true`) and its caller is allowed `s3:BypassGovernanceRetention` on the object. Asking
    /// without the permission is not an error: the lock then holds as if nobody had asked.
    /// - Parameter versionID: the version the request changes or removes (a policy's
    ///   `s3:ExistingObjectTag` is read from it, not from the latest).
    func bypassesGovernance(_ call: S3Call, key: String? = nil, versionID: String?) async -> Bool {
        guard call.header(.amzBypassGovernanceRetention)?.lowercased() == "true", let bucket = call.target.bucket,
            let key = key ?? call.target.key
        else { return false }
        var scope = AccessScope(call: call)
        let access = ResourceAccess(action: "s3:BypassGovernanceRetention", resource: .object(bucket: bucket, key: key), versionID: versionID)
        let allowed = await isAllowed(access, in: &scope, audited: false)
        remember(scope)
        return allowed
    }

    /// The lock a write asks for in its headers: mode and retain-until date (both or neither)
    /// and legal hold.
    static func lockRequest(_ headers: HTTPFields) throws -> LockRequest {
        var request = LockRequest()
        switch (headers[.amzObjectLockMode], headers[.amzObjectLockRetainUntilDate]) {
        case (nil, nil):
            break
        case (let modeText?, let dateText?):
            guard let mode = RetentionMode(rawValue: modeText) else {
                throw S3Error.invalidArgument("Unknown wormMode directive.", name: "x-amz-object-lock-mode", value: modeText)
            }
            guard let until = HTTPDate.parseISO8601(dateText) else {
                throw S3Error.invalidArgument(
                    "The retain until date must be provided in ISO 8601 format", name: "x-amz-object-lock-retain-until-date", value: dateText)
            }
            request.retention = ObjectRetention(mode: mode, retainUntil: until)
        default:
            throw S3Error.invalidArgument("x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied")
        }
        if let text = headers[.amzObjectLockLegalHold] {
            guard let on = legalHoldStatus(text) else {
                throw S3Error.invalidArgument("Legal Hold must be either of 'ON' or 'OFF'", name: "x-amz-object-lock-legal-hold", value: text)
            }
            request.legalHold = on
        }
        return request
    }

    /// The lock headers of a write, checked against the bucket, as attributes of the new version.
    static func applyLockHeaders(_ headers: HTTPFields, bucket: BucketRecord, to attributes: inout ObjectAttributes) throws {
        let request = try lockRequest(headers)
        try ObjectLockRules.validate(request, in: bucket.settings, now: ObjectStore.now())
        attributes.retention = request.retention
        attributes.legalHold = request.legalHold
    }

    /// `x-amz-object-lock-*` on GET and HEAD, for a caller allowed to read them (as AWS: the
    /// retention needs `s3:GetObjectRetention`, the hold `s3:GetObjectLegalHold`).
    func addLockHeaders(_ headers: inout HTTPFields, _ version: ObjectVersion, call: S3Call) async {
        let retention = version.attributes.retention
        let legalHold = version.attributes.legalHold
        guard retention != nil || legalHold != nil, let bucket = call.target.bucket else { return }
        var scope = AccessScope(call: call)
        let resource = ResourceAccess.Resource.object(bucket: bucket, key: version.key)
        if let retention, await isAllowed(ResourceAccess(action: "s3:GetObjectRetention", resource: resource), in: &scope, audited: false) {
            headers[.amzObjectLockMode] = retention.mode.rawValue
            headers[.amzObjectLockRetainUntilDate] = HTTPDate.iso8601(milliseconds: retention.retainUntil)
        }
        if let legalHold, await isAllowed(ResourceAccess(action: "s3:GetObjectLegalHold", resource: resource), in: &scope, audited: false) {
            headers[.amzObjectLockLegalHold] = legalHold ? "ON" : "OFF"
        }
    }
}
