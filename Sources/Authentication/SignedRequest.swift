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
            headers: FieldHeaders(fields: fields, authority: authority))
        self.rawQuery = rawQuery
    }
}

/// An HTTP request's fields as the verifier reads them, `host` from the authority. Three words:
/// held in the request's existential without an allocation.
struct FieldHeaders: SignedHeaderSource {
    let fields: HTTPFields
    let authority: String?

    func forEachValue(_ name: String, _ body: (String) -> Void) {
        if name == "host" {
            if let authority { body(authority) }
            return
        }
        guard let field = Self.knownName(name) ?? HTTPField.Name(name) else { return }
        for sent in fields where sent.name == field { body(sent.value) }
    }

    func containsName(where predicate: (String) -> Bool) -> Bool {
        fields.contains { predicate($0.name.canonicalName) }
    }

    var names: [String] { fields.map { $0.name.canonicalName } }

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
