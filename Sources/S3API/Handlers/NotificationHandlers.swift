import Hummingbird
import HTTPTypes
import Identity
import NIOCore
import ObjectStore
import S3Model
import SigV4

/// Get/PutBucketNotificationConfiguration. Destinations are webhook targets the admin configured
/// (`floe admin notify target add`), named by an ARN whose last part is the target's name, e.g.
/// `arn:floe:sqs::lab:webhook` or `arn:floe:webhook:::lab`… the form is free, the name is not.
extension S3Responder {
    static let notificationKinds: [(element: String, arnElement: String)] = [
        ("QueueConfiguration", "Queue"), ("TopicConfiguration", "Topic"), ("CloudFunctionConfiguration", "CloudFunction"),
    ]

    func getBucketNotification(_ call: S3Call) async throws -> Response {
        let bucket = try await bucket(call)
        var xml = XMLWriter()
        xml.group("NotificationConfiguration", namespace: XMLWriter.s3Namespace) { x in
            for rule in bucket.settings.notification?.rules ?? [] {
                let arnElement = Self.notificationKinds.first { $0.element == rule.kind }?.arnElement ?? "Queue"
                x.group(rule.kind) { x in
                    x.element("Id", rule.id)
                    x.element(arnElement, rule.arn)
                    for event in rule.events { x.element("Event", event) }
                    if rule.prefix != nil || rule.suffix != nil {
                        x.group("Filter") { x in
                            x.group("S3Key") { x in
                                for (name, value) in [("prefix", rule.prefix), ("suffix", rule.suffix)] {
                                    guard let value else { continue }
                                    x.group("FilterRule") { x in
                                        x.element("Name", name)
                                        x.element("Value", value)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return Self.xmlResponse(xml)
    }

    func putBucketNotification(_ call: S3Call) async throws -> Response {
        let bucket = try await bucket(call)
        let document = try await readXML(call, root: "NotificationConfiguration", limit: 256 * 1024)
        let targets = Dictionary(uniqueKeysWithValues: try await store.notificationTargets().map { ($0.name, $0) })
        var rules: [NotificationRule] = []
        for (kind, arnElement) in Self.notificationKinds {
            for element in document.children(kind) {
                guard let arn = element.value(arnElement), !arn.isEmpty else { throw S3Error.malformedXML() }
                let target = String(arn.split(separator: ":", omittingEmptySubsequences: false).last { !$0.isEmpty && $0 != "webhook" } ?? "")
                // As AWS: the destination must exist and let this bucket publish to it (one answer
                // for both, so names cannot be probed).
                guard let destination = targets[target],
                    destination.allowedBuckets.contains(where: { PolicyEvaluator.wildcard($0, bucket.name, caseInsensitive: false) })
                else {
                    throw S3Error.invalidArgument("Unable to validate the following destination configurations: \(arn)")
                }
                let events = element.children("Event").map(\.text)
                guard !events.isEmpty else { throw S3Error.malformedXML() }
                for event in events where !NotificationRule.knownEvents.contains(event) {
                    throw S3Error.invalidArgument("The event \(event) is not supported for notifications", name: "Event", value: event)
                }
                var rule = NotificationRule(
                    id: element.value("Id").flatMap { $0.isEmpty ? nil : $0 } ?? RandomID.make(), target: target, events: Self.distinct(events),
                    kind: kind, arn: arn)
                guard rule.id.count <= 255 else { throw S3Error.invalidArgument("A configuration id is at most 255 characters") }
                for filter in element.child("Filter")?.child("S3Key")?.children("FilterRule") ?? [] {
                    guard let name = filter.value("Name")?.lowercased(), let value = filter.value("Value") else { throw S3Error.malformedXML() }
                    switch name {
                    case "prefix" where rule.prefix == nil: rule.prefix = value
                    case "suffix" where rule.suffix == nil: rule.suffix = value
                    default:
                        throw S3Error.invalidArgument("Cannot specify more than one prefix or suffix rule, or a rule other than prefix and suffix, in a filter.")
                    }
                }
                if rules.contains(where: { $0.id == rule.id }) { throw S3Error.invalidArgument("Configuration ids must be unique") }
                if rules.contains(where: { $0.overlaps(rule) }) {
                    throw S3Error.invalidArgument("Configurations overlap. Configurations on the same bucket cannot share a common event type.")
                }
                rules.append(rule)
            }
        }
        guard rules.count <= 100 else { throw S3Error.invalidArgument("At most 100 notification configurations per bucket") }
        try await store.setSetting(bucket, .notification, rules.isEmpty ? nil : NotificationConfiguration(rules: rules))
        return Response(status: .ok)
    }

    static func distinct(_ values: [String]) -> [String] {
        var seen: Set<String> = []
        return values.filter { seen.insert($0).inserted }
    }
}
