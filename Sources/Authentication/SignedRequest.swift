import HTTPTypes
import SigV4

extension IncomingRequest {
    /// What signature verification reads of an HTTP request: headers are looked up only as the
    /// verifier asks for them (`host` from the authority), header names listed only for SigV2.
    public init(
        method: HTTPRequest.Method, rawPath: String, query: [(name: String, value: String)], rawQuery: Substring? = nil, fields: HTTPFields,
        authority: String?, v2ResourcePath: String? = nil
    ) {
        self.init(
            method: method.rawValue, rawPath: rawPath, query: query, v2ResourcePath: v2ResourcePath,
            listHeaderNames: { fields.map { $0.name.canonicalName } }
        ) { name in
            if name == "host" { return authority.map { [$0] } ?? [] }
            guard let field = Self.knownName(name) ?? HTTPField.Name(name) else { return [] }
            return fields[values: field]
        }
        self.rawQuery = rawQuery
    }

    /// The names the verifier asks for on every request, without checking each as a token again.
    private static func knownName(_ name: String) -> HTTPField.Name? {
        switch name {
        case "authorization": .authorization
        case "x-amz-content-sha256": VerifierNames.contentSHA256
        case "x-amz-security-token": VerifierNames.securityToken
        case "x-amz-date": VerifierNames.date
        default: nil
        }
    }
}

private enum VerifierNames {
    static let contentSHA256 = HTTPField.Name("x-amz-content-sha256")!
    static let securityToken = HTTPField.Name("x-amz-security-token")!
    static let date = HTTPField.Name("x-amz-date")!
}
