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
            guard let field = HTTPField.Name(name) else { return [] }
            return fields[values: field]
        }
        self.rawQuery = rawQuery
    }
}
