import Foundation

/// An AWS IAM-style policy document: `Version`, and statements with `Effect`, `Action` /
/// `NotAction`, `Resource` / `NotResource`, optional `Principal` (bucket policies) and
/// `Condition`. Parsing checks the shape and reports the first problem in words, which the
/// API layer returns as MalformedPolicy.
public struct PolicyDocument: Sendable, Equatable {
    public enum Effect: String, Sendable { case allow = "Allow", deny = "Deny" }

    /// A list of patterns that match (`Action`, `Resource`) or match everything else (`NotAction`, `NotResource`).
    public struct Patterns: Sendable, Equatable {
        public var values: [String]
        public var negated: Bool
    }

    public struct Condition: Sendable, Equatable {
        /// e.g. `StringLike`, with an optional `ForAnyValue:` / `ForAllValues:` qualifier and `IfExists` suffix.
        public var operatorName: String
        public var key: String
        public var values: [String]
    }

    public struct Statement: Sendable, Equatable {
        public var sid: String?
        public var effect: Effect
        public var actions: Patterns
        public var resources: Patterns?
        /// AWS principals (`*` for anyone, including anonymous callers); nil in identity policies.
        public var principals: [String]?
        public var conditions: [Condition]
    }

    public var version: String
    public var statements: [Statement]
    /// Whether any statement has a condition: without one, no condition key is ever read.
    public var hasConditions: Bool { statements.contains { !$0.conditions.isEmpty } }
    /// The JSON text the document was parsed from (kept to hand it on, e.g. into a session token).
    public var json: String = ""

    public struct MalformedPolicy: Error, Sendable, Equatable, CustomStringConvertible {
        public let reason: String
        public var description: String { reason }
    }

    public static let supportedOperators: Set<String> = [
        "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike", "StringNotLike",
        "NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals",
        "DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals",
        "Bool", "IpAddress", "NotIpAddress", "Null", "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike",
    ]

    public init(json text: String) throws(MalformedPolicy) {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else {
            throw MalformedPolicy(reason: "Policies must be valid JSON objects")
        }
        try self.init(object: object)
        json = text
    }

    init(object: [String: Any]) throws(MalformedPolicy) {
        guard let version = object["Version"] as? String else { throw MalformedPolicy(reason: "Policy is missing the Version element") }
        guard version == "2012-10-17" || version == "2008-10-17" else { throw MalformedPolicy(reason: "The policy version \(version) is not supported") }
        let raw: [Any]
        if let list = object["Statement"] as? [Any] {
            raw = list
        } else if let single = object["Statement"] as? [String: Any] {
            raw = [single]
        } else {
            throw MalformedPolicy(reason: "Policy is missing the Statement element")
        }
        guard !raw.isEmpty else { throw MalformedPolicy(reason: "Policy has no statements") }
        var statements: [Statement] = []
        for (index, element) in raw.enumerated() {
            guard let statement = element as? [String: Any] else { throw MalformedPolicy(reason: "Statement \(index + 1) is not an object") }
            statements.append(try Self.statement(statement, index: index + 1))
        }
        self.version = version
        self.statements = statements
    }

    static func strings(_ value: Any?, _ what: String) throws(MalformedPolicy) -> [String]? {
        guard let value else { return nil }
        if let single = value as? String { return [single] }
        if let list = value as? [Any] {
            let strings = list.compactMap { $0 as? String }
            guard strings.count == list.count, !strings.isEmpty else { throw MalformedPolicy(reason: "\(what) must be a string or a list of strings") }
            return strings
        }
        throw MalformedPolicy(reason: "\(what) must be a string or a list of strings")
    }

    static func statement(_ s: [String: Any], index: Int) throws(MalformedPolicy) -> Statement {
        guard let effectText = s["Effect"] as? String, let effect = Effect(rawValue: effectText) else {
            throw MalformedPolicy(reason: "Statement \(index): Effect must be Allow or Deny")
        }
        let action = try strings(s["Action"], "Action"), notAction = try strings(s["NotAction"], "NotAction")
        guard (action == nil) != (notAction == nil) else { throw MalformedPolicy(reason: "Statement \(index) needs exactly one of Action or NotAction") }
        let resource = try strings(s["Resource"], "Resource"), notResource = try strings(s["NotResource"], "NotResource")
        if resource != nil && notResource != nil { throw MalformedPolicy(reason: "Statement \(index) has both Resource and NotResource") }
        var principals: [String]?
        if let principal = s["Principal"] {
            if let star = principal as? String, star == "*" {
                principals = ["*"]
            } else if let map = principal as? [String: Any], map.keys.allSatisfy({ ["AWS", "Service"].contains($0) }),
                case let (aws, service) = (try strings(map["AWS"], "Principal.AWS"), try strings(map["Service"], "Principal.Service")),
                aws != nil || service != nil
            {
                // A service principal (S3's log delivery) names no Floe caller: kept so the policy
                // reads back as written, never matched.
                principals = (aws ?? []) + (service ?? []).map { "service:" + $0 }
            } else {
                throw MalformedPolicy(reason: "Statement \(index): Principal must be \"*\" or {\"AWS\": [...]}")
            }
        }
        var conditions: [Condition] = []
        if let block = s["Condition"] {
            guard let operators = block as? [String: Any] else { throw MalformedPolicy(reason: "Statement \(index): Condition must be an object") }
            for (name, body) in operators {
                let base = Self.baseOperator(name)
                guard supportedOperators.contains(base) else { throw MalformedPolicy(reason: "Statement \(index): unsupported condition operator \(name)") }
                guard let pairs = body as? [String: Any] else { throw MalformedPolicy(reason: "Statement \(index): \(name) must map keys to values") }
                for (key, value) in pairs {
                    let values: [String]
                    if let number = value as? NSNumber, !(value is String) {
                        // JSON true/false and numbers both arrive as NSNumber, and 0/1 cast to
                        // Bool: tell them apart by the boolean's own class.
                        values = [Self.isBoolean(number) ? (number.boolValue ? "true" : "false") : number.stringValue]
                    } else {
                        guard let list = try strings(value, "\(name).\(key)") else { throw MalformedPolicy(reason: "Statement \(index): \(name).\(key) has no value") }
                        values = list
                    }
                    conditions.append(Condition(operatorName: name, key: key, values: values))
                }
            }
        }
        return Statement(
            sid: s["Sid"] as? String, effect: effect, actions: Patterns(values: action ?? notAction!, negated: action == nil),
            resources: (resource ?? notResource).map { Patterns(values: $0, negated: resource == nil) }, principals: principals, conditions: conditions)
    }

    static let booleanClass = ObjectIdentifier(type(of: NSNumber(value: true)))

    static func isBoolean(_ number: NSNumber) -> Bool {
        ObjectIdentifier(type(of: number)) == booleanClass
    }

    /// `ForAnyValue:StringLikeIfExists` → `StringLike`.
    static func baseOperator(_ name: String) -> String {
        var base = Substring(name)
        for qualifier in ["ForAnyValue:", "ForAllValues:"] where base.hasPrefix(qualifier) { base = base.dropFirst(qualifier.count) }
        if base.hasSuffix("IfExists") { base = base.dropLast("IfExists".count) }
        return String(base)
    }
}
