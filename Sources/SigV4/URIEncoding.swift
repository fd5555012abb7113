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
        if !string.utf8.contains(where: { $0 == UInt8(ascii: "%") || (plusAsSpace && $0 == UInt8(ascii: "+")) }) {
            return String(string)
        }
        let utf8 = Array(string.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count)
        var index = 0
        while index < utf8.count {
            let c = utf8[index]
            if c == UInt8(ascii: "%") {
                guard index + 2 < utf8.count, let high = hexValue(utf8[index + 1]), let low = hexValue(utf8[index + 2]) else { return nil }
                out.append(high << 4 | low)
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

    @inline(__always)
    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

extension URIEncoding {
    /// A raw query string as name/value pairs in the order sent, each percent-decoded once;
    /// nil when an escape is malformed.
    public static func decodeQuery(_ rawQuery: some StringProtocol) -> [(name: String, value: String)]? {
        var query: [(name: String, value: String)] = []
        for pair in Substring(rawQuery).splitASCII(UInt8(ascii: "&"), omittingEmpty: true) {
            let name: Substring
            let value: Substring
            if let eq = pair.utf8.firstIndex(of: UInt8(ascii: "=")) {
                (name, value) = (pair[..<eq], pair[pair.utf8.index(after: eq)...])
            } else {
                (name, value) = (pair, "")
            }
            guard let name = decode(name), let value = decode(value) else { return nil }
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
