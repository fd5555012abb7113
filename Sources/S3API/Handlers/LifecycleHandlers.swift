import Foundation
import Hummingbird
import HTTPTypes
import NIOCore
import ObjectStore
import S3Model
import SigV4

/// Get/Put/DeleteBucketLifecycleConfiguration and the `x-amz-expiration` header. The rules are
/// carried out by the background scanner (`LifecycleScanner`).
extension S3Responder {
    func getBucketLifecycle(_ call: S3Call) async throws -> Response {
        let bucket = try await bucket(call)
        guard let configuration = bucket.settings.lifecycle else {
            throw S3Error(code: "NoSuchLifecycleConfiguration", status: 404, message: "The lifecycle configuration does not exist")
                .with(detail: "BucketName", bucket.name)
        }
        var xml = XMLWriter()
        xml.group("LifecycleConfiguration", namespace: XMLWriter.s3Namespace) { x in
            for rule in configuration.rules { Self.render(rule, &x) }
        }
        return Self.xmlResponse(xml)
    }

    func putBucketLifecycle(_ call: S3Call) async throws -> Response {
        let bucket = try await bucket(call)
        let document = try await readXML(call, root: "LifecycleConfiguration", limit: 1 << 20, digestRequired: true)
        let configuration = try LifecycleXML.parse(document)
        try await store.setSetting(bucket, .lifecycle, configuration)
        return Response(status: .ok)
    }

    func deleteBucketLifecycle(_ call: S3Call) async throws -> Response {
        let bucket = try await bucket(call)
        try await store.setSetting(bucket, .lifecycle, Optional<LifecycleConfiguration>.none)
        return Response(status: .noContent)
    }

    /// `x-amz-expiration: expiry-date="…", rule-id="…"` for a current version a rule will expire.
    static func addExpirationHeader(_ headers: inout HTTPFields, _ version: ObjectVersion, _ bucket: BucketRecord) {
        guard let configuration = bucket.settings.lifecycle, let (date, ruleID) = configuration.expiry(of: version) else { return }
        let escaped = ruleID.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        headers[.amzExpiration] = "expiry-date=\"\(HTTPDate.rfc1123(date / 1000))\", rule-id=\"\(escaped)\""
    }

    static func render(_ rule: LifecycleRule, _ x: inout XMLWriter) {
        x.group("Rule") { x in
            x.element("ID", rule.id)
            let filter = rule.filter
            func tag(_ entry: MetadataEntry, _ x: inout XMLWriter) {
                x.group("Tag") { x in
                    x.element("Key", entry.name)
                    x.element("Value", entry.value)
                }
            }
            switch filter.form {
            case .rulePrefix: x.element("Prefix", filter.prefix)
            case .empty: x.group("Filter") { _ in }
            case .prefix: x.group("Filter") { $0.element("Prefix", filter.prefix) }
            case .tag: x.group("Filter") { x in tag(filter.tags[0], &x) }
            case .sizeGreaterThan: x.group("Filter") { $0.element("ObjectSizeGreaterThan", filter.sizeGreaterThan ?? 0) }
            case .sizeLessThan: x.group("Filter") { $0.element("ObjectSizeLessThan", filter.sizeLessThan ?? 0) }
            case .and:
                x.group("Filter") { x in
                    x.group("And") { x in
                        if !filter.prefix.isEmpty { x.element("Prefix", filter.prefix) }
                        for entry in filter.tags { tag(entry, &x) }
                        if let size = filter.sizeGreaterThan { x.element("ObjectSizeGreaterThan", size) }
                        if let size = filter.sizeLessThan { x.element("ObjectSizeLessThan", size) }
                    }
                }
            }
            x.element("Status", rule.enabled ? "Enabled" : "Disabled")
            if let expiration = rule.expiration {
                x.group("Expiration") { x in
                    if let days = expiration.days { x.element("Days", days) }
                    if let date = expiration.date { x.element("Date", HTTPDate.iso8601(milliseconds: date)) }
                    if let marker = expiration.expiredObjectDeleteMarker { x.element("ExpiredObjectDeleteMarker", marker) }
                }
            }
            if let noncurrent = rule.noncurrentExpiration {
                x.group("NoncurrentVersionExpiration") { x in
                    x.element("NoncurrentDays", noncurrent.days)
                    if let newer = noncurrent.newerNoncurrentVersions { x.element("NewerNoncurrentVersions", newer) }
                }
            }
            if let days = rule.abortIncompleteUploadDays {
                x.group("AbortIncompleteMultipartUpload") { $0.element("DaysAfterInitiation", days) }
            }
        }
    }
}

/// PutBucketLifecycleConfiguration's document, validated as S3 validates it.
enum LifecycleXML {
    static let maxRules = 1000

    static func parse(_ document: XMLElement) throws -> LifecycleConfiguration {
        let elements = document.children("Rule")
        guard !elements.isEmpty, elements.count <= maxRules else { throw S3Error.malformedXML() }
        var rules: [LifecycleRule] = []
        for element in elements {
            let rule = try parseRule(element)
            if rules.contains(where: { $0.id == rule.id }) { throw S3Error.invalidArgument("Rule ID must be unique. Found same ID for more than one rule") }
            rules.append(rule)
        }
        return LifecycleConfiguration(rules: rules)
    }

    static func parseRule(_ element: XMLElement) throws -> LifecycleRule {
        let id = element.value("ID").flatMap { $0.isEmpty ? nil : $0 } ?? RandomID.make()
        guard id.count <= 255 else { throw S3Error.invalidArgument("ID length should not exceed allowed limit of 255") }
        let enabled: Bool
        switch element.value("Status") {
        case "Enabled": enabled = true
        case "Disabled": enabled = false
        default: throw S3Error.malformedXML()
        }
        let filter = try parseFilter(element)
        var rule = LifecycleRule(id: id, enabled: enabled, filter: filter)
        if let expiration = element.child("Expiration") {
            rule.expiration = try parseExpiration(expiration)
            if rule.expiration?.expiredObjectDeleteMarker == true, !filter.tags.isEmpty {
                throw S3Error.invalidRequest("ExpiredObjectDeleteMarker cannot be specified with object tags")
            }
        }
        if let noncurrent = element.child("NoncurrentVersionExpiration") {
            guard let days = noncurrent.value("NoncurrentDays").flatMap({ Int32($0) }).map(Int.init) else { throw S3Error.malformedXML() }
            guard days > 0 else { throw S3Error.invalidArgument("'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer") }
            var parsed = LifecycleRule.NoncurrentExpiration(days: days)
            if let text = noncurrent.value("NewerNoncurrentVersions") {
                guard let count = Int(text) else { throw S3Error.malformedXML() }
                guard (1...100).contains(count) else { throw S3Error.invalidArgument("'NewerNoncurrentVersions' must be 1 to 100") }
                parsed.newerNoncurrentVersions = count
            }
            rule.noncurrentExpiration = parsed
        }
        if let abort = element.child("AbortIncompleteMultipartUpload") {
            guard let days = abort.value("DaysAfterInitiation").flatMap({ Int32($0) }).map(Int.init) else { throw S3Error.malformedXML() }
            guard days > 0 else { throw S3Error.invalidArgument("'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer") }
            guard filter.tags.isEmpty, filter.sizeGreaterThan == nil, filter.sizeLessThan == nil else {
                throw S3Error.invalidRequest("AbortIncompleteMultipartUpload cannot be specified with object tags or sizes")
            }
            rule.abortIncompleteUploadDays = days
        }
        let transitions = element.children("Transition") + element.children("NoncurrentVersionTransition")
        if !transitions.isEmpty {
            for transition in transitions {
                if let date = transition.value("Date") { _ = try midnight(date) }
            }
            throw S3Error.invalidRequest("Transition actions are not supported: Floe keeps every object in one storage tier")
        }
        if rule.expiration == nil && rule.noncurrentExpiration == nil && rule.abortIncompleteUploadDays == nil {
            throw S3Error.invalidRequest("At least one action needs to be specified in a rule")
        }
        return rule
    }

    /// The rule's filter: the 2006 schema's rule-level `Prefix`, or a `Filter` holding exactly one
    /// of Prefix, Tag, ObjectSizeGreaterThan, ObjectSizeLessThan or And (S3's schema is a choice).
    static func parseFilter(_ rule: XMLElement) throws -> LifecycleFilter {
        let rulePrefix = rule.child("Prefix")
        guard let element = rule.child("Filter") else {
            // S3's schema: a rule names its objects by a Filter or the older Prefix.
            guard let rulePrefix else { throw S3Error.malformedXML() }
            return LifecycleFilter(form: .rulePrefix, prefix: rulePrefix.text)
        }
        guard rulePrefix == nil else { throw S3Error.malformedXML() }
        let members = element.children.filter { ["Prefix", "Tag", "ObjectSizeGreaterThan", "ObjectSizeLessThan", "And"].contains($0.name) }
        guard members.count == element.children.count, members.count <= 1 else { throw S3Error.malformedXML() }
        guard let member = members.first else { return LifecycleFilter(form: .empty) }
        switch member.name {
        case "Prefix": return LifecycleFilter(form: .prefix, prefix: member.text)
        case "Tag": return LifecycleFilter(form: .tag, tags: [try tag(member)])
        case "ObjectSizeGreaterThan": return LifecycleFilter(form: .sizeGreaterThan, sizeGreaterThan: try size(member))
        case "ObjectSizeLessThan": return LifecycleFilter(form: .sizeLessThan, sizeLessThan: try size(member))
        default:
            var filter = LifecycleFilter(form: .and, prefix: member.value("Prefix") ?? "")
            for element in member.children("Tag") {
                let parsed = try tag(element)
                if filter.tags.contains(where: { $0.name == parsed.name }) { throw S3Error.invalidArgument("Duplicate Tag Keys are not allowed.") }
                filter.tags.append(parsed)
            }
            if let element = member.child("ObjectSizeGreaterThan") { filter.sizeGreaterThan = try size(element) }
            if let element = member.child("ObjectSizeLessThan") { filter.sizeLessThan = try size(element) }
            if let above = filter.sizeGreaterThan, let below = filter.sizeLessThan, below <= above {
                throw S3Error.invalidArgument("ObjectSizeGreaterThan must be less than ObjectSizeLessThan in an And filter")
            }
            return filter
        }
    }

    static func tag(_ element: XMLElement) throws -> MetadataEntry {
        guard let key = element.value("Key"), let value = element.value("Value") else { throw S3Error.malformedXML() }
        try TagSet.validate(key: key, value: value, existing: [])
        return MetadataEntry(key, value)
    }

    static func size(_ element: XMLElement) throws -> Int64 {
        guard let size = Int64(element.text), size >= 0 else { throw S3Error.malformedXML() }
        return size
    }

    static func parseExpiration(_ element: XMLElement) throws -> LifecycleRule.Expiration {
        var expiration = LifecycleRule.Expiration()
        if let text = element.value("Days") {
            guard let days = Int32(text).map(Int.init) else { throw S3Error.malformedXML() }
            guard days > 0 else { throw S3Error.invalidArgument("'Days' for Expiration action must be a positive integer") }
            expiration.days = days
        }
        if let text = element.value("Date") { expiration.date = try midnight(text) }
        if let text = element.value("ExpiredObjectDeleteMarker") {
            guard let flag = Bool(text.lowercased()) else { throw S3Error.malformedXML() }
            expiration.expiredObjectDeleteMarker = flag
        }
        let given = [expiration.days != nil, expiration.date != nil, expiration.expiredObjectDeleteMarker != nil].filter { $0 }.count
        guard given == 1 else { throw S3Error.malformedXML() }
        return expiration
    }

    /// An ISO 8601 date at midnight UTC, as S3 requires of lifecycle dates.
    static func midnight(_ text: String) throws -> Milliseconds {
        guard let date = HTTPDate.parseISO8601(text) else { throw S3Error.invalidArgument("Invalid date: \(text)") }
        guard date % LifecycleClock.realDay == 0 else { throw S3Error.invalidArgument("'Date' must be at midnight GMT") }
        return date
    }
}
