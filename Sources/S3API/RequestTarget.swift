import S3Model
import SigV4

/// Where a request points: service, bucket or object, with its query decoded.
/// Path-style (`/bucket/key`) always works; virtual-host style (`bucket.<domain>/key`) when a
/// domain is configured. The key is the rest of the path, percent-decoded once and otherwise
/// untouched: `a//b`, `../x` and a trailing `/` are keys like any other.
package struct RequestTarget {
    var bucket: String?
    var key: String?
    /// The path as sent (percent-encoded), for signature checks.
    package var rawPath: String
    package var query: [(name: String, value: String)]
    /// The query as sent (after `?`), for signature checks.
    package var rawQuery: Substring = ""

    func has(_ name: String) -> Bool { query.contains { $0.name == name } }
    func value(_ name: String) -> String? { query.first { $0.name == name }?.value }

    /// - Parameters:
    ///   - requestTarget: the request line's target (`/path?query`).
    ///   - host: the Host header (authority), used for virtual-host style when `domains` is non-empty.
    package static func parse(requestTarget: String, host: String?, domains: [String]) throws(S3Error) -> RequestTarget {
        let rawPath: Substring
        let rawQuery: Substring?
        if let q = requestTarget.utf8.firstIndex(of: UInt8(ascii: "?")) {
            rawPath = requestTarget[..<q]
            rawQuery = requestTarget[requestTarget.utf8.index(after: q)...]
        } else {
            rawPath = Substring(requestTarget)
            rawQuery = nil
        }
        guard rawPath.hasPrefix("/") else { throw invalidURI() }
        guard let query = URIEncoding.decodeQuery(rawQuery ?? "") else { throw invalidURI() }
        guard let path = URIEncoding.decode(rawPath) else { throw invalidURI() }
        var target = RequestTarget(bucket: nil, key: nil, rawPath: String(rawPath), query: query, rawQuery: rawQuery ?? "")

        if let bucket = virtualHostBucket(host: host, domains: domains) {
            target.bucket = bucket
            let key = String(Substring(path.utf8.dropFirst()))
            target.key = key.isEmpty ? nil : key
            return target
        }
        let rest = Substring(path.utf8.dropFirst())
        if rest.isEmpty { return target }
        // Among the bytes: as characters, a slash before a combining mark (the key's first) would
        // be one character with it.
        if let slash = rest.utf8.firstIndex(of: UInt8(ascii: "/")) {
            target.bucket = String(rest[..<slash])
            let key = String(rest[rest.utf8.index(after: slash)...])
            target.key = key.isEmpty ? nil : key
        } else {
            target.bucket = String(rest)
        }
        return target
    }

    static func virtualHostBucket(host: String?, domains: [String]) -> String? {
        guard let host, !domains.isEmpty else { return nil }
        var name = host.lowercased()
        if name.hasPrefix("[") { return nil }  // IPv6 literal
        if let colon = name.lastIndex(of: ":") { name = String(name[..<colon]) }
        for domain in domains {
            let suffix = "." + domain.lowercased()
            if name.hasSuffix(suffix) && name.count > suffix.count {
                return String(name.dropLast(suffix.count))
            }
        }
        return nil
    }

    static func invalidURI() -> S3Error {
        S3Error(code: "InvalidURI", status: 400, message: "Couldn't parse the specified URI.")
    }
}
