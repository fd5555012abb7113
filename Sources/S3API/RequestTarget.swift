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
        // Read as bytes: slicing the string by index re-checks every index against its scalars.
        var text = requestTarget
        guard let parts = text.withUTF8({ parts(of: $0, requestTarget: requestTarget) }) else { throw invalidURI() }
        var target = RequestTarget(bucket: nil, key: nil, rawPath: parts.rawPath, query: parts.query, rawQuery: parts.rawQuery)
        var path = parts.path
        if let bucket = virtualHostBucket(host: host, domains: domains) {
            target.bucket = bucket
            let key = path.withUTF8 { String(decoding: UnsafeBufferPointer(rebasing: $0.dropFirst()), as: UTF8.self) }
            target.key = key.isEmpty ? nil : key
        } else {
            (target.bucket, target.key) = path.withUTF8 { bucketAndKey($0) }
        }
        return target
    }

    /// The path as sent and decoded, and the query as sent and decoded; nil for a path that does
    /// not start with `/` or a malformed escape.
    private static func parts(of bytes: UnsafeBufferPointer<UInt8>, requestTarget: String)
        -> (rawPath: String, path: String, query: [(name: String, value: String)], rawQuery: Substring)?
    {
        let mark = URIEncoding.firstIndex(of: UInt8(ascii: "?"), in: bytes, from: 0, to: bytes.count)
        let rawPath = UnsafeBufferPointer(rebasing: bytes[..<mark])
        guard rawPath.first == UInt8(ascii: "/") else { return nil }
        var query: [(name: String, value: String)] = []
        var rawQuery: Substring = ""
        if mark < bytes.count {
            guard let decoded = URIEncoding.decodeQuery(bytes: UnsafeBufferPointer(rebasing: bytes[(mark + 1)...])) else { return nil }
            query = decoded
            let utf8 = requestTarget.utf8
            rawQuery = Substring(utf8[utf8.index(utf8.startIndex, offsetBy: mark + 1)...])
        }
        guard let path = URIEncoding.decode(bytes: rawPath, plusAsSpace: false) else { return nil }
        return (String(decoding: rawPath, as: UTF8.self), path, query, rawQuery)
    }

    /// The bucket and key of a decoded path-style path (`/bucket/key`), as bytes: a slash right
    /// after the bucket starts the key even when the key's first character is a combining mark,
    /// which as characters would be one with it.
    private static func bucketAndKey(_ path: UnsafeBufferPointer<UInt8>) -> (bucket: String?, key: String?) {
        guard path.count > 1 else { return (nil, nil) }
        let slash = URIEncoding.firstIndex(of: UInt8(ascii: "/"), in: path, from: 1, to: path.count)
        let bucket = String(decoding: UnsafeBufferPointer(rebasing: path[1..<slash]), as: UTF8.self)
        guard slash + 1 < path.count else { return (bucket, nil) }
        return (bucket, String(decoding: UnsafeBufferPointer(rebasing: path[(slash + 1)...]), as: UTF8.self))
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
