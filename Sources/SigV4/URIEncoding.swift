/// Percent-encoding as SigV4 defines it: every byte except the unreserved set
/// `A-Z a-z 0-9 - _ . ~` becomes `%XX` with upper-case hex.
public enum URIEncoding {
    private static let upperHex: [UInt8] = Array("0123456789ABCDEF".utf8)

    @inline(__always)
    static func isUnreserved(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"),
            UInt8(ascii: "."), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// Encodes `string`; with `keepSlash` the `/` separator is left as is (object key paths).
    public static func encode(_ string: some StringProtocol, keepSlash: Bool = false) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(string.utf8.count)
        for c in string.utf8 {
            if isUnreserved(c) || (keepSlash && c == UInt8(ascii: "/")) {
                out.append(c)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(upperHex[Int(c >> 4)])
                out.append(upperHex[Int(c & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes `%XX` escapes (and `+` as space when `plusAsSpace`). Returns nil for a
    /// malformed escape or when the bytes are not valid UTF-8.
    public static func decode(_ string: some StringProtocol, plusAsSpace: Bool = false) -> String? {
        let utf8 = Array(string.utf8)
        if !utf8.contains(UInt8(ascii: "%")) && !(plusAsSpace && utf8.contains(UInt8(ascii: "+"))) {
            return String(string)
        }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count)
        var index = 0
        while index < utf8.count {
            let c = utf8[index]
            if c == UInt8(ascii: "%") {
                guard index + 2 < utf8.count,
                    let decoded = Hex.decode(String(decoding: utf8[index + 1...index + 2], as: UTF8.self))
                else { return nil }
                out.append(decoded[0])
                index += 3
            } else if plusAsSpace && c == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
                index += 1
            } else {
                out.append(c)
                index += 1
            }
        }
        return String(validating: out, as: UTF8.self)
    }
}

extension URIEncoding {
    /// A raw query string as name/value pairs in the order sent, each percent-decoded once;
    /// nil when an escape is malformed.
    public static func decodeQuery(_ rawQuery: some StringProtocol) -> [(name: String, value: String)]? {
        var query: [(name: String, value: String)] = []
        for pair in rawQuery.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = decode(parts[0]), let value = decode(parts.count > 1 ? parts[1] : "") else { return nil }
            query.append((name, value))
        }
        return query
    }
}

/// `application/x-www-form-urlencoded` bodies (STS actions, OAuth token requests).
public enum FormEncoding {
    /// Name/value pairs, `+` read as a space and percent-escapes decoded; the first of a repeated name wins.
    public static func decode(_ text: String) -> [String: String] {
        var form: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map { part in
                URIEncoding.decode(part, plusAsSpace: true) ?? String(part)
            }
            if form[parts[0]] == nil { form[parts[0]] = parts.count == 2 ? parts[1] : "" }
        }
        return form
    }
}
