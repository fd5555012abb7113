import Logging
import SigV4
import Foundation

/// Bucket notifications: which changes a bucket reports to which webhook targets, and the AWS
/// event record each change becomes. An event is written to the outbox in the same index
/// transaction as the change it describes (`OutboxEvent`), so none is lost or invented by a crash;
/// the delivery service sends them afterwards, at least once, in order per target.
public struct NotificationConfiguration: Sendable, Equatable, Codable {
    public var rules: [NotificationRule]

    public init(rules: [NotificationRule]) {
        self.rules = rules
    }

    /// The outbox entries for one change, one per target whose rule selects it.
    public func events(for change: ObjectChange, bucket: BucketRecord, region: String, context: EventContext) -> [OutboxEvent] {
        var targets: Set<String> = []
        var events: [OutboxEvent] = []
        for rule in rules where rule.selects(change) && !targets.contains(rule.target) {
            targets.insert(rule.target)
            events.append(OutboxEvent(target: rule.target, payload: EventRecord.json(change, rule: rule, bucket: bucket, region: region, context: context)))
        }
        return events
    }
}

public struct NotificationRule: Sendable, Equatable, Codable {
    /// The configuration's `Id`.
    public var id: String
    /// The webhook target's name (its ARN's last part).
    public var target: String
    /// As configured: `s3:ObjectCreated:*`, `s3:ObjectRemoved:Delete`, …
    public var events: [String]
    public var prefix: String?
    public var suffix: String?
    /// Which element it came in (QueueConfiguration, TopicConfiguration, CloudFunctionConfiguration)
    /// and the ARN it named, to answer the configuration back as it was given.
    public var kind: String
    public var arn: String

    public init(id: String, target: String, events: [String], prefix: String? = nil, suffix: String? = nil, kind: String, arn: String) {
        self.id = id
        self.target = target
        self.events = events
        self.prefix = prefix
        self.suffix = suffix
        self.kind = kind
        self.arn = arn
    }

    public func selects(_ change: ObjectChange) -> Bool {
        if let prefix, !change.key.utf8.starts(with: prefix.utf8) { return false }
        if let suffix, !change.key.utf8.reversed().starts(with: suffix.utf8.reversed()) { return false }
        return events.contains { Self.matches(pattern: $0, change.eventName) }
    }

    /// As S3: two configurations overlap when they share an event type and could select the
    /// same key (one prefix starts the other's, one suffix ends the other's, or one has none).
    public func overlaps(_ other: NotificationRule) -> Bool {
        let sharesEvent = events.contains { mine in
            other.events.contains { theirs in Self.matches(pattern: mine, Self.bare(theirs)) || Self.matches(pattern: theirs, Self.bare(mine)) }
        }
        guard sharesEvent else { return false }
        let prefixes = (prefix ?? "", other.prefix ?? "")
        let suffixes = (suffix ?? "", other.suffix ?? "")
        let prefixOverlap = prefixes.0.hasPrefix(prefixes.1) || prefixes.1.hasPrefix(prefixes.0)
        let suffixOverlap = suffixes.0.hasSuffix(suffixes.1) || suffixes.1.hasSuffix(suffixes.0)
        return prefixOverlap && suffixOverlap
    }

    static func bare(_ pattern: String) -> String {
        let name = pattern.hasPrefix("s3:") ? String(pattern.dropFirst(3)) : pattern
        return name.hasSuffix(":*") ? String(name.dropLast(2)) + ":Any" : name
    }

    /// `s3:ObjectCreated:*` matches every `ObjectCreated:…` event; others match exactly.
    static func matches(pattern: String, _ name: String) -> Bool {
        let bare = pattern.hasPrefix("s3:") ? String(pattern.dropFirst(3)) : pattern
        if bare.hasSuffix(":*") { return name.hasPrefix(String(bare.dropLast(1))) }
        return bare == name
    }

    /// The event types S3 defines that Floe produces (others are accepted as S3 accepts them, and
    /// simply never happen).
    public static let knownEvents: Set<String> = [
        "s3:ObjectCreated:*", "s3:ObjectCreated:Put", "s3:ObjectCreated:Post", "s3:ObjectCreated:Copy", "s3:ObjectCreated:CompleteMultipartUpload",
        "s3:ObjectRemoved:*", "s3:ObjectRemoved:Delete", "s3:ObjectRemoved:DeleteMarkerCreated",
        "s3:LifecycleExpiration:*", "s3:LifecycleExpiration:Delete", "s3:LifecycleExpiration:DeleteMarkerCreated",
        "s3:ObjectTagging:*", "s3:ObjectTagging:Put", "s3:ObjectTagging:Delete", "s3:ObjectAcl:Put",
        "s3:ObjectRestore:*", "s3:ObjectRestore:Post", "s3:ObjectRestore:Completed", "s3:ObjectRestore:Delete",
        "s3:Replication:*", "s3:LifecycleTransition", "s3:IntelligentTiering", "s3:ReducedRedundancyLostObject",
    ]
}

/// A change to one object that may be reported.
public struct ObjectChange: Sendable, Equatable {
    /// `ObjectCreated:Put`, `ObjectRemoved:DeleteMarkerCreated`, `LifecycleExpiration:Delete`, …
    public var eventName: String
    public var key: String
    public var size: Int64?
    public var etag: String?
    public var versionID: String?
    public var time: Milliseconds

    public init(eventName: String, key: String, size: Int64? = nil, etag: String? = nil, versionID: String? = nil, time: Milliseconds) {
        self.eventName = eventName
        self.key = key
        self.size = size
        self.etag = etag
        self.versionID = versionID
        self.time = time
    }
}

/// Who caused a change, for the event record.
public struct EventContext: Sendable, Equatable {
    public var principal: String
    public var requestID: String
    public var sourceIP: String

    public init(principal: String, requestID: String, sourceIP: String) {
        self.principal = principal
        self.requestID = requestID
        self.sourceIP = sourceIP
    }

    public static let lifecycle = EventContext(principal: "s3.amazonaws.com", requestID: "lifecycle", sourceIP: "")
    public static let `internal` = EventContext(principal: "floe", requestID: "internal", sourceIP: "")
}

/// One outbox row to be: the target to deliver to and the JSON body.
public struct OutboxEvent: Sendable, Equatable {
    public var target: String
    public var payload: String

    public init(target: String, payload: String) {
        self.target = target
        self.payload = payload
    }
}

/// An outbox row as stored, for delivery.
public struct OutboxEntry: Sendable, Equatable {
    public var id: Int64
    public var target: String
    public var payload: String
    public var attempts: Int

    public init(id: Int64, target: String, payload: String, attempts: Int) {
        self.id = id
        self.target = target
        self.payload = payload
        self.attempts = attempts
    }
}

/// A target as the index keeps it: credentials sealed.
public struct StoredTarget: Sendable, Equatable {
    public var name: String
    public var url: String
    public var sealedSecrets: [UInt8]?
    public var allowedBuckets: [String]

    public init(name: String, url: String, sealedSecrets: [UInt8]?, allowedBuckets: [String]) {
        self.name = name
        self.url = url
        self.sealedSecrets = sealedSecrets
        self.allowedBuckets = allowedBuckets
    }
}

/// A webhook target configured by the admin.
public struct NotificationTarget: Sendable, Equatable {
    public var name: String
    public var url: String
    /// Bucket name patterns (`*` wildcards) whose notification configurations may name this
    /// target, as AWS's destination policies say which buckets may publish: none by default.
    public var allowedBuckets: [String] = []
    /// The `Authorization` header value sent with each delivery, if any.
    public var authorization: String?
    /// The HMAC-SHA256 key that signs each body (`X-Floe-Signature: sha256=<hex>`), if any.
    public var signingSecret: String?

    public init(name: String, url: String, authorization: String? = nil, signingSecret: String? = nil, allowedBuckets: [String] = []) {
        self.allowedBuckets = allowedBuckets
        self.name = name
        self.url = url
        self.authorization = authorization
        self.signingSecret = signingSecret
    }

    public static func validName(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count) && name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x2D || byte == 0x5F
        }
    }
}

/// The event record S3 sends (`Records[]`, event version 2.1).
public enum EventRecord {
    public static let sequencerPlaceholder = "@@floe-sequencer@@"

    static func json(_ change: ObjectChange, rule: NotificationRule, bucket: BucketRecord, region: String, context: EventContext) -> String {
        var object: [String: Any] = [
            "key": Self.encodeKey(change.key),
            // The outbox row's id, filled in by the index in the change's transaction: it grows in
            // commit order, as S3's sequencer does for changes to one key.
            "sequencer": EventRecord.sequencerPlaceholder,
        ]
        if let size = change.size { object["size"] = size }
        if let etag = change.etag { object["eTag"] = etag.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        if let versionID = change.versionID, versionID != "null" { object["versionId"] = versionID }
        let owner = bucket.owner ?? "root"
        let record: [String: Any] = [
            "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": region,
            "eventTime": HTTPDate.iso8601(milliseconds: change.time), "eventName": change.eventName,
            "userIdentity": ["principalId": context.principal],
            "requestParameters": ["sourceIPAddress": context.sourceIP],
            "responseElements": ["x-amz-request-id": context.requestID, "x-amz-id-2": context.requestID],
            "s3": [
                "s3SchemaVersion": "1.0", "configurationId": rule.id,
                "bucket": ["name": bucket.name, "ownerIdentity": ["principalId": owner], "arn": "arn:aws:s3:::\(bucket.name)"],
                "object": object,
            ] as [String: Any],
        ]
        let data = (try? JSONSerialization.data(withJSONObject: ["Records": [record]], options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// Keys are URL-encoded in event records, spaces as `+`, as S3 writes them.
    static func encodeKey(_ key: String) -> String {
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~/*'()! ")
        return (key.addingPercentEncoding(withAllowedCharacters: allowed) ?? key).replacingOccurrences(of: " ", with: "+")
    }
}

/// The webhook targets, with their credentials sealed at rest.
extension ObjectStore {
    struct TargetSecrets: Codable {
        var authorization: String?
        var secret: String?
    }

    public func notificationTargets() async throws(StoreError) -> [NotificationTarget] {
        var targets: [NotificationTarget] = []
        for stored in try await index.notificationTargets() {
            var target = NotificationTarget(name: stored.name, url: stored.url, allowedBuckets: stored.allowedBuckets)
            if let sealed = stored.sealedSecrets {
                // A target whose credentials cannot be opened is left out (its events wait), not
                // a reason to stop delivering to the others.
                guard let vault, let opened = try? vault.openSecret(sealed, label: "notification-target:\(stored.name)") else {
                    logger.error("cannot open a notification target's credentials", metadata: ["target": "\(stored.name)"])
                    continue
                }
                let secrets = try? JSONDecoder().decode(TargetSecrets.self, from: Data(opened))
                target.authorization = secrets?.authorization
                target.signingSecret = secrets?.secret
            }
            targets.append(target)
        }
        return targets
    }

    public func putNotificationTarget(_ target: NotificationTarget) async throws(StoreError) {
        guard NotificationTarget.validName(target.name) else { throw .invalidArgument("A target name is 1-64 letters, digits, - and _") }
        guard let url = URL(string: target.url), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil else {
            throw .invalidArgument("A target URL is http(s)://host[:port]/path")
        }
        var sealed: [UInt8]?
        if target.authorization != nil || target.signingSecret != nil {
            guard let vault else { throw .internalFailure("no key vault to seal the target's secrets") }
            let data: Data
            do {
                data = try JSONEncoder().encode(TargetSecrets(authorization: target.authorization, secret: target.signingSecret))
            } catch {
                throw .internalFailure("target secrets: \(error)")
            }
            sealed = try vault.sealSecret(Array(data), label: "notification-target:\(target.name)")
        }
        try await index.putNotificationTarget(StoredTarget(name: target.name, url: target.url, sealedSecrets: sealed, allowedBuckets: target.allowedBuckets))
    }
}
