import SigV4
import HTTPTypes
import ObjectStore
import S3Model

/// Cross-origin resource sharing as S3 does it: a bucket's CORS rules decide preflight
/// `OPTIONS` requests and which `Access-Control-*` headers other requests carry. Pure.
enum CORS {
    static let origin = HTTPField.Name("Origin")!
    static let requestMethod = HTTPField.Name("Access-Control-Request-Method")!
    static let requestHeaders = HTTPField.Name("Access-Control-Request-Headers")!
    static let allowOrigin = HTTPField.Name("Access-Control-Allow-Origin")!
    static let allowMethods = HTTPField.Name("Access-Control-Allow-Methods")!
    static let allowHeaders = HTTPField.Name("Access-Control-Allow-Headers")!
    static let exposeHeaders = HTTPField.Name("Access-Control-Expose-Headers")!
    static let maxAge = HTTPField.Name("Access-Control-Max-Age")!
    static let allowCredentials = HTTPField.Name("Access-Control-Allow-Credentials")!
    static let methods: Set<String> = ["GET", "PUT", "HEAD", "POST", "DELETE"]
    static let maxRules = 100

    /// A `CORSConfiguration` document.
    static func parse(_ document: XMLElement) throws(S3Error) -> [CORSRule] {
        let rules = document.children("CORSRule")
        guard !rules.isEmpty, rules.count <= maxRules else { throw .malformedXML() }
        return try rules.map { rule throws(S3Error) in
            let methods = rule.children("AllowedMethod").map(\.text)
            let origins = rule.children("AllowedOrigin").map(\.text)
            guard !methods.isEmpty, !origins.isEmpty else { throw .malformedXML() }
            if let bad = methods.first(where: { !Self.methods.contains($0) }) {
                throw .invalidRequest("Found unsupported HTTP method in CORS config. Unsupported method is \(bad)")
            }
            for origin in origins where origin.filter({ $0 == "*" }).count > 1 {
                throw .invalidRequest("AllowedOrigin \"\(origin)\" can not have more than one wildcard.")
            }
            var maxAge: Int?
            if let text = rule.value("MaxAgeSeconds") {
                guard let seconds = Int(text), seconds >= 0 else { throw .malformedXML() }
                maxAge = seconds
            }
            return CORSRule(
                id: rule.value("ID"), allowedOrigins: origins, allowedMethods: methods, allowedHeaders: rule.children("AllowedHeader").map(\.text),
                exposeHeaders: rule.children("ExposeHeader").map(\.text), maxAgeSeconds: maxAge)
        }
    }

    static func render(_ rules: [CORSRule]) -> XMLWriter {
        var xml = XMLWriter()
        xml.group("CORSConfiguration", namespace: XMLWriter.s3Namespace) { x in
            for rule in rules {
                x.group("CORSRule") { x in
                    x.optional("ID", rule.id)
                    for header in rule.allowedHeaders { x.element("AllowedHeader", header) }
                    for method in rule.allowedMethods { x.element("AllowedMethod", method) }
                    for origin in rule.allowedOrigins { x.element("AllowedOrigin", origin) }
                    for header in rule.exposeHeaders { x.element("ExposeHeader", header) }
                    if let age = rule.maxAgeSeconds { x.element("MaxAgeSeconds", age) }
                }
            }
        }
        return xml
    }

    /// The first rule allowing `origin` to use `method` with `headers` (lower-cased names).
    static func match(_ rules: [CORSRule], origin: String, method: String, headers: [String]) -> CORSRule? {
        rules.first { rule in
            rule.allowedMethods.contains(method)
                && rule.allowedOrigins.contains { pattern($0, matches: origin) }
                && headers.allSatisfy { header in rule.allowedHeaders.contains { pattern($0.lowercased(), matches: header) } }
        }
    }

    /// An origin or header pattern with at most one `*`.
    static func pattern(_ pattern: String, matches text: String) -> Bool {
        guard let star = pattern.firstIndex(of: "*") else { return pattern == text }
        let prefix = pattern[..<star], suffix = pattern[pattern.index(after: star)...]
        return text.count >= prefix.count + suffix.count && text.hasPrefix(prefix) && text.hasSuffix(suffix)
    }

    static func requestedHeaders(_ fields: HTTPFields) -> [String] {
        (fields[requestHeaders] ?? "").split(separator: ",").map { $0.trimmingSpaces.lowercased() }.filter { !$0.isEmpty }
    }

    /// The `Access-Control-*` headers a response to `origin` carries under `rule`.
    static func headers(_ rule: CORSRule, origin: String, requested: [String], preflight: Bool) -> HTTPFields {
        var fields = HTTPFields()
        let wildcard = rule.allowedOrigins.contains("*")
        fields[allowOrigin] = wildcard ? "*" : origin
        fields[allowMethods] = rule.allowedMethods.joined(separator: ", ")
        if !wildcard { fields[allowCredentials] = "true" }
        if preflight, !requested.isEmpty { fields[allowHeaders] = requested.joined(separator: ", ") }
        if !rule.exposeHeaders.isEmpty { fields[exposeHeaders] = rule.exposeHeaders.joined(separator: ", ") }
        if let age = rule.maxAgeSeconds { fields[maxAge] = String(age) }
        fields[.vary] = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"
        return fields
    }
}
