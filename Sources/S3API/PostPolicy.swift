import Foundation
import S3Model
import SigV4

/// The policy document of a browser-form upload (POST Object): when it expires and the
/// conditions every form field must meet. Pure; field names compare case-insensitively, values exactly.
struct PostPolicy {
    enum Condition: Equatable {
        case equals(field: String, value: String)
        case startsWith(field: String, prefix: String)
        case contentLength(ClosedRange<Int64>)
    }

    var expiration: Int64
    var conditions: [Condition]

    static func invalid(_ message: String) -> S3Error {
        S3Error(code: "InvalidPolicyDocument", status: 400, message: "Invalid Policy: \(message)")
    }

    static func denied(_ message: String) -> S3Error {
        S3Error(code: "AccessDenied", status: 403, message: "Invalid according to Policy: \(message)")
    }

    /// The decoded (not base64) JSON document.
    static func parse(_ json: [UInt8]) throws(S3Error) -> PostPolicy {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json)), let document = object as? [String: Any] else {
            throw invalid("Invalid JSON.")
        }
        guard let expirationText = document["expiration"] as? String else { throw invalid("Policy missing expiration.") }
        guard let expiration = HTTPDate.parseISO8601(expirationText), expirationText.contains("T") else {
            throw invalid("Invalid 'expiration' value: '\(expirationText)'")
        }
        guard let list = document["conditions"] as? [Any] else { throw invalid("Policy missing conditions.") }
        var conditions: [Condition] = []
        for item in list {
            if let pairs = item as? [String: Any] {
                guard !pairs.isEmpty else { throw invalid("Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.") }
                for (name, value) in pairs {
                    guard let text = value as? String else { throw invalid("Invalid Simple-Condition: value must be a string.") }
                    conditions.append(.equals(field: fieldName(name), value: text))
                }
            } else if let parts = item as? [Any], let op = (parts.first as? String)?.lowercased() {
                switch op {
                case "eq", "starts-with":
                    guard parts.count == 3, let field = parts[1] as? String, field.hasPrefix("$"), let value = parts[2] as? String else {
                        throw invalid("Invalid \(op) condition.")
                    }
                    let name = fieldName(String(field.dropFirst()))
                    conditions.append(op == "eq" ? .equals(field: name, value: value) : .startsWith(field: name, prefix: value))
                case "content-length-range":
                    guard parts.count == 3, let low = integer(parts[1]), let high = integer(parts[2]), low >= 0, low <= high else {
                        throw invalid("Invalid content-length-range condition.")
                    }
                    conditions.append(.contentLength(low...high))
                default:
                    throw invalid("Invalid condition operator: \(op)")
                }
            } else {
                throw invalid("Invalid condition.")
            }
        }
        return PostPolicy(expiration: expiration, conditions: conditions)
    }

    static func fieldName(_ name: String) -> String { name.lowercased() }

    static func integer(_ value: Any) -> Int64? {
        if let number = value as? Int64 { return number }
        if let number = value as? Int { return Int64(number) }
        if let number = value as? Double, number == number.rounded() { return Int64(number) }
        if let text = value as? String { return Int64(text) }
        return nil
    }

    /// Fields a form may carry without a condition naming them.
    static func exempt(_ name: String) -> Bool {
        ["file", "policy", "signature", "awsaccesskeyid", "x-amz-signature"].contains(name) || name.hasPrefix("x-ignore-")
            || name.hasPrefix("x-amz-checksum-")
    }

    /// Checks the policy against the form's fields (lower-cased names); the body's length is
    /// checked after it is received (`lengthRange`).
    func check(fields: [String: String], now: Int64) throws(S3Error) {
        if now >= expiration { throw Self.denied("Policy expired.") }
        var covered: Set<String> = []
        for condition in conditions {
            switch condition {
            case .equals(let field, let value):
                covered.insert(field)
                guard let actual = fields[field], actual == value else { throw Self.denied("Policy Condition failed: [\"eq\", \"$\(field)\", \"\(value)\"]") }
            case .startsWith(let field, let prefix):
                covered.insert(field)
                // An absent field is empty: `starts-with ""` allows it to be left out, as S3 forms use it.
                let actual = fields[field] ?? ""
                // Content-Type may list several values; each must start with the prefix.
                let values = field == "content-type" ? actual.split(separator: ",").map { String($0.trimmingSpaces) } : [actual]
                guard values.allSatisfy({ $0.hasPrefix(prefix) }) else {
                    throw Self.denied("Policy Condition failed: [\"starts-with\", \"$\(field)\", \"\(prefix)\"]")
                }
            case .contentLength:
                break
            }
        }
        if let extra = fields.keys.sorted().first(where: { !covered.contains($0) && !Self.exempt($0) && $0 != "bucket" }) {
            throw Self.denied("Extra input fields: \(extra)")
        }
    }

    var lengthRange: ClosedRange<Int64>? {
        for case .contentLength(let range) in conditions { return range }
        return nil
    }
}

/// The signatures a form's policy carries: V2 (`signature`, base64 HMAC-SHA1 of the base64
/// policy) or V4 (`x-amz-signature`, hex HMAC-SHA256 with the scope's signing key).
enum PostPolicySignature {
    static func v2(secret: String, policy: String) -> String { SigV2.signature(secret: secret, stringToSign: policy) }

    static func v4(secret: String, scope: CredentialScope, policy: String) -> String {
        SigV4Signer.signature(signingKey: SigV4Signer.signingKey(secret: secret, scope: scope), stringToSign: policy)
    }
}
