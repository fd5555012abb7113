import Foundation
import SigV4

/// What a request asks for, in the terms policies speak.
public struct AccessRequest: Sendable {
    public var action: String
    public var resource: String
    /// Condition keys (`aws:SourceIp`, `s3:prefix`, …) and their values for this request.
    public var context: [String: [String]]
    /// The calling principal's name as policies name it (`arn:aws:iam::…` forms are matched too); nil for anonymous.
    public var principal: String?

    public init(action: String, resource: String, context: [String: [String]] = [:], principal: String? = nil) {
        self.action = action
        self.resource = resource
        self.context = context
        self.principal = principal
    }
}

public enum PolicyDecision: Sendable, Equatable {
    case allow
    /// An explicit Deny matched.
    case explicitDeny
    /// Nothing allowed it (the default).
    case implicitDeny
}

/// Evaluates policies the way AWS does: an explicit Deny anywhere wins, otherwise any Allow
/// allows, otherwise the request is denied.
public enum PolicyEvaluator {
    public static func evaluate(_ policies: [PolicyDocument], _ request: AccessRequest) -> PolicyDecision {
        var allowed = false
        for policy in policies {
            for statement in policy.statements where matches(statement, request) {
                if statement.effect == .deny { return .explicitDeny }
                allowed = true
            }
        }
        return allowed ? .allow : .implicitDeny
    }

    static func matches(_ statement: PolicyDocument.Statement, _ request: AccessRequest) -> Bool {
        let actionHit = statement.actions.values.contains { wildcard($0, request.action, caseInsensitive: true) }
        guard actionHit != statement.actions.negated else { return false }
        if let resources = statement.resources {
            let hit = resources.values.contains { wildcard($0, request.resource, caseInsensitive: false) }
            guard hit != resources.negated else { return false }
        }
        if let principals = statement.principals {
            let hit = principals.contains { pattern in
                pattern == "*" || request.principal.map { name in pattern == name || pattern.hasSuffix(":user/\(name)") } == true
            }
            guard hit else { return false }
        }
        return statement.conditions.allSatisfy { condition($0, request.context) }
    }

    /// `*` matches any run of characters, `?` any one character. Characters are Unicode scalars,
    /// never grapheme clusters: a combining mark after `/` must not make `private/*` miss.
    public static func wildcard(_ pattern: String, _ text: String, caseInsensitive: Bool) -> Bool {
        // ASCII on both sides (actions, and ARNs of ASCII names) is matched over the bytes as they
        // are: lower-casing and copying both into scalar arrays was most of a policy's cost.
        var pattern = pattern, text = text
        if let matched = pattern.withUTF8({ p in text.withUTF8 { t in asciiWildcard(p, t, caseInsensitive: caseInsensitive) } }) {
            return matched
        }
        return scalarWildcard(pattern, text, caseInsensitive: caseInsensitive)
    }

    /// `wildcard` over Unicode scalars, for any text.
    static func scalarWildcard(_ pattern: String, _ text: String, caseInsensitive: Bool) -> Bool {
        let p = Array((caseInsensitive ? pattern.lowercased() : pattern).unicodeScalars)
        let t = Array((caseInsensitive ? text.lowercased() : text).unicodeScalars)
        return match(p, t, star: "*", one: "?", equal: ==)
    }

    /// `wildcard` over ASCII bytes (one byte is one scalar there); nil when either side is not ASCII.
    static func asciiWildcard(_ p: UnsafeBufferPointer<UInt8>, _ t: UnsafeBufferPointer<UInt8>, caseInsensitive: Bool) -> Bool? {
        guard !p.contains(where: { $0 >= 0x80 }), !t.contains(where: { $0 >= 0x80 }) else { return nil }
        guard caseInsensitive else { return match(p, t, star: UInt8(ascii: "*"), one: UInt8(ascii: "?"), equal: ==) }
        return match(p, t, star: UInt8(ascii: "*"), one: UInt8(ascii: "?")) { a, b in
            a == b || (a | 0x20 == b | 0x20 && a | 0x20 >= UInt8(ascii: "a") && a | 0x20 <= UInt8(ascii: "z"))
        }
    }

    /// The matcher both forms run: `star` matches any run of elements, `one` any one element
    /// (backtracking to the last star only).
    @inline(__always)
    static func match<Elements: RandomAccessCollection>(
        _ p: Elements, _ t: Elements, star: Elements.Element, one: Elements.Element, equal: (Elements.Element, Elements.Element) -> Bool
    ) -> Bool where Elements.Index == Int, Elements.Element: Equatable {
        var pi = 0, ti = 0, starAt = -1, mark = 0
        while ti < t.count {
            if pi < p.count && (p[pi] == one || equal(p[pi], t[ti])) {
                pi += 1
                ti += 1
            } else if pi < p.count && p[pi] == star {
                starAt = pi
                mark = ti
                pi += 1
            } else if starAt >= 0 {
                pi = starAt + 1
                mark += 1
                ti = mark
            } else {
                return false
            }
        }
        while pi < p.count && p[pi] == star { pi += 1 }
        return pi == p.count
    }

    static func condition(_ condition: PolicyDocument.Condition, _ context: [String: [String]]) -> Bool {
        let name = condition.operatorName
        let base = PolicyDocument.baseOperator(name)
        let present = context[condition.key] ?? context.first { $0.key.lowercased() == condition.key.lowercased() }?.value
        if base == "Null" {
            let wantsAbsent = condition.values.first?.lowercased() == "true"
            return wantsAbsent == (present == nil)
        }
        let negative = base.contains("Not")
        // A missing key fails a condition, except with IfExists, the negated operators and
        // ForAllValues (which holds for every value of an empty set), as AWS evaluates them.
        guard let actual = present, !actual.isEmpty else { return name.hasSuffix("IfExists") || negative || name.hasPrefix("ForAllValues:") }
        // Positive operators match when any policy value matches; negated ones when none does.
        let test: (String) -> Bool = { value in
            negative
                ? condition.values.allSatisfy { expected in compare(base, value, expected) }
                : condition.values.contains { expected in compare(base, value, expected) }
        }
        if name.hasPrefix("ForAllValues:") { return actual.allSatisfy(test) }
        if negative { return actual.allSatisfy(test) }
        return actual.contains(where: test)
    }

    /// One operator applied to one request value and one policy value.
    static func compare(_ op: String, _ value: String, _ expected: String) -> Bool {
        switch op {
        // Byte comparison: Swift's == treats canonically equivalent strings (é and e + U+0301) as
        // equal, while S3 keys and names are distinct byte strings.
        case "StringEquals": return value.utf8.elementsEqual(expected.utf8)
        case "StringNotEquals": return !value.utf8.elementsEqual(expected.utf8)
        case "StringEqualsIgnoreCase": return value.lowercased() == expected.lowercased()
        case "StringNotEqualsIgnoreCase": return value.lowercased() != expected.lowercased()
        case "StringLike": return wildcard(expected, value, caseInsensitive: false)
        // ARNs compare as IAM does: wildcards allowed in either form, case-sensitive.
        case "ArnEquals", "ArnLike": return wildcard(expected, value, caseInsensitive: false)
        case "ArnNotEquals", "ArnNotLike": return !wildcard(expected, value, caseInsensitive: false)
        case "StringNotLike": return !wildcard(expected, value, caseInsensitive: false)
        case "Bool": return value.lowercased() == expected.lowercased()
        case "IpAddress": return CIDR(expected)?.contains(value) ?? false
        case "NotIpAddress": return !(CIDR(expected)?.contains(value) ?? false)
        default: break
        }
        if op.hasPrefix("Numeric"), let a = Double(value), let b = Double(expected) {
            switch op {
            case "NumericEquals": return a == b
            case "NumericNotEquals": return a != b
            case "NumericLessThan": return a < b
            case "NumericLessThanEquals": return a <= b
            case "NumericGreaterThan": return a > b
            case "NumericGreaterThanEquals": return a >= b
            default: return false
            }
        }
        if op.hasPrefix("Date"), let a = date(value), let b = date(expected) {
            switch op {
            case "DateEquals": return a == b
            case "DateNotEquals": return a != b
            case "DateLessThan": return a < b
            case "DateLessThanEquals": return a <= b
            case "DateGreaterThan": return a > b
            case "DateGreaterThanEquals": return a >= b
            default: return false
            }
        }
        return false
    }

    /// ISO 8601 (with or without fractional seconds) or seconds since 1970.
    static func date(_ text: String) -> Date? {
        if let seconds = Double(text) { return Date(timeIntervalSince1970: seconds) }
        return HTTPDate.parseISO8601(text).map { Date(timeIntervalSince1970: Double($0) / 1000) }
    }
}

/// An IPv4 or IPv6 network in CIDR form (a bare address is a /32 or /128).
struct CIDR {
    let network: [UInt8]
    let prefix: Int

    init?(_ text: String) {
        // Empty parts kept: "" and "/8" are malformed (no address), not a crash.
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = CIDR.bytes(String(parts[0])) else { return nil }
        let bits = address.count * 8
        let prefix = parts.count == 2 ? Int(parts[1]) : bits
        guard let prefix, (0...bits).contains(prefix) else { return nil }
        self.network = address
        self.prefix = prefix
    }

    func contains(_ text: String) -> Bool {
        guard let address = CIDR.bytes(text), address.count == network.count else { return false }
        var remaining = prefix
        for i in 0..<address.count where remaining > 0 {
            let bits = min(8, remaining)
            let mask: UInt8 = bits == 8 ? 0xFF : ~(0xFF >> UInt8(bits))
            if address[i] & mask != network[i] & mask { return false }
            remaining -= bits
        }
        return true
    }

    static func bytes(_ text: String) -> [UInt8]? {
        if text.utf8.contains(UInt8(ascii: ":")) {  // Foundation's `contains` went through CFString
            var storage = in6_addr()
            guard inet_pton(AF_INET6, text, &storage) == 1 else { return nil }
            return withUnsafeBytes(of: &storage) { Array($0) }
        }
        var storage = in_addr()
        guard inet_pton(AF_INET, text, &storage) == 1 else { return nil }
        return withUnsafeBytes(of: &storage) { Array($0) }
    }
}
