import SigV4

/// ETags as S3 writes and compares them: a quoted hex MD5 (plus `-N` for multipart objects).
/// Clients send them back quoted, unquoted, padded or weak-prefixed; all of those compare equal.
public enum ETag {
    public static func quoted(md5 digest: [UInt8]) -> String { "\"" + Hex.encode(digest) + "\"" }

    /// The ETag without surrounding blanks, a `W/` prefix or quotes.
    public static func bare(_ etag: String) -> Substring {
        var t = Substring(etag)
        while t.first == " " { t = t.dropFirst() }
        while t.last == " " { t = t.dropLast() }
        if t.hasPrefix("W/") { t = t.dropFirst(2) }
        if t.hasPrefix("\"") && t.hasSuffix("\"") && t.count >= 2 { t = t.dropFirst().dropLast() }
        return t
    }

    public static func same(_ a: String, _ b: String) -> Bool { bare(a).lowercased() == bare(b).lowercased() }
}
