/// Percent-encoding as SigV4 defines it: every byte except the unreserved set
/// `A-Z a-z 0-9 - _ . ~` becomes `%XX` with upper-case hex.
public enum URIEncoding {
    private static let upperHex: [UInt8] = Array("0123456789ABCDEF".utf8)

    /// The unreserved set as bits: bytes 0–63 (`-`, `.`, `0-9`) and 64–127 (`A-Z`, `_`,
    /// `a-z`, `~`). One shift and test per byte, where the ranges took up to eight compares.
    private static let unreservedLow: UInt64 = 0x03FF_6000_0000_0000
    private static let unreservedHigh: UInt64 = 0x47FF_FFFE_87FF_FFFE

    @inline(__always)
    static func isUnreserved(_ c: UInt8) -> Bool {
        let word = c < 64 ? unreservedLow : (c < 128 ? unreservedHigh : 0)
        return (word >> UInt64(c & 63)) & 1 != 0
    }

    /// Encodes `string`; with `keepSlash` the `/` separator is left as is (object key paths).
    public static func encode(_ string: some StringProtocol, keepSlash: Bool = false) -> String {
        let utf8 = string.utf8
        if !utf8.contains(where: { !(isUnreserved($0) || (keepSlash && $0 == UInt8(ascii: "/"))) }) { return String(string) }
        return String(unsafeUninitializedCapacity: utf8.count * 3) { out in
            var count = 0
            for c in utf8 {
                if isUnreserved(c) || (keepSlash && c == UInt8(ascii: "/")) {
                    out[count] = c
                    count += 1
                } else {
                    out[count] = UInt8(ascii: "%")
                    out[count + 1] = upperHex[Int(c >> 4)]
                    out[count + 2] = upperHex[Int(c & 0x0F)]
                    count += 3
                }
            }
            return count
        }
    }

    /// A non-empty path of unreserved bytes and `/` only: its own decoding, and the canonical URI
    /// S3 signs (`SigV4Signer.canonicalURI`) as it is, without making either as a new string.
    public static func isPlainPath(_ path: String) -> Bool {
        var path = path
        return path.withUTF8 { bytes in
            !bytes.isEmpty && bytes.allSatisfy { isUnreserved($0) || $0 == UInt8(ascii: "/") }
        }
    }

    /// `decode` for a slice of a string (a request target's path): not generic, so a caller in
    /// another module does not reach its bytes through the generic protocol witnesses.
    public static func decode(_ string: Substring, plusAsSpace: Bool = false) -> String? {
        var string = string
        return string.withUTF8 { decode(bytes: $0, plusAsSpace: plusAsSpace) }
    }

    /// Decodes `%XX` escapes (and `+` as space when `plusAsSpace`). Returns nil for a
    /// malformed escape or when the bytes are not valid UTF-8.
    public static func decode(_ string: some StringProtocol, plusAsSpace: Bool = false) -> String? {
        if let decoded = string.utf8.withContiguousStorageIfAvailable({ decode(bytes: $0, plusAsSpace: plusAsSpace) }) { return decoded }
        var copy = String(string)
        return copy.withUTF8 { decode(bytes: $0, plusAsSpace: plusAsSpace) }
    }

    /// `decode` over the bytes of valid UTF-8 text (a slice of a `String` at ASCII boundaries).
    package static func decode(bytes: UnsafeBufferPointer<UInt8>, plusAsSpace: Bool) -> String? {
        guard hasEscape(bytes, plusAsSpace: plusAsSpace) else {
            return String(decoding: bytes, as: UTF8.self)
        }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: bytes.count) { out -> String? in
            var count = 0
            var index = 0
            var seen: UInt8 = 0  // every decoded byte or'd: below 0x80 when all are ASCII
            while index < bytes.count {
                let c = bytes[index]
                if c == UInt8(ascii: "%") {
                    guard index + 2 < bytes.count, let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2]) else { return nil }
                    out[count] = high << 4 | low
                    index += 3
                } else {
                    out[count] = plusAsSpace && c == UInt8(ascii: "+") ? UInt8(ascii: " ") : c
                    index += 1
                }
                seen |= out[count]
                count += 1
            }
            let decoded = UnsafeBufferPointer(rebasing: out[..<count])
            // The standard library's validation is generic and looks up two types' metadata at
            // run time on each call; ASCII needs none of it.
            if seen < 0x80 { return String(decoding: decoded, as: UTF8.self) }
            return String(validating: decoded, as: UTF8.self)
        }
    }

    /// Whether `bytes` hold a `%` (or a `+` read as a space).
    @inline(__always)
    static func hasEscape(_ bytes: UnsafeBufferPointer<UInt8>, plusAsSpace: Bool) -> Bool {
        if firstIndex(of: UInt8(ascii: "%"), in: bytes, from: 0, to: bytes.count) < bytes.count { return true }
        return plusAsSpace && firstIndex(of: UInt8(ascii: "+"), in: bytes, from: 0, to: bytes.count) < bytes.count
    }

    /// Where `byte` first is in `bytes[start..<end]`, or `end`: eight bytes at a time (a byte-wise
    /// loop took about five instructions a byte over a presigned URL's 300-byte query, read
    /// three times per request).
    package static func firstIndex(of byte: UInt8, in bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> Int {
        guard let base = bytes.baseAddress else { return end }
        let ones: UInt64 = 0x0101_0101_0101_0101
        let pattern = UInt64(byte) &* ones
        var index = start
        while index + 8 <= end {
            // Bytes equal to `byte` are zero in `word`; the lowest flagged byte is the first zero
            // (a borrow only ever flags bytes above a zero one).
            let word = UInt64(littleEndian: UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)) ^ pattern
            let zeros = (word &- ones) & ~word & 0x8080_8080_8080_8080
            if zeros != 0 { return index + zeros.trailingZeroBitCount / 8 }
            index += 8
        }
        while index < end, base[index] != byte { index += 1 }
        return index
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
    /// `decodeQuery` for a slice of a string (a request target's query), not generic (as `decode`).
    public static func decodeQuery(_ rawQuery: Substring) -> [(name: String, value: String)]? {
        var rawQuery = rawQuery
        return rawQuery.withUTF8 { decodeQuery(bytes: $0) }
    }

    /// A raw query string as name/value pairs in the order sent, each percent-decoded once;
    /// nil when an escape is malformed.
    public static func decodeQuery(_ rawQuery: some StringProtocol) -> [(name: String, value: String)]? {
        if let query = rawQuery.utf8.withContiguousStorageIfAvailable({ decodeQuery(bytes: $0) }) { return query }
        var copy = String(rawQuery)
        return copy.withUTF8 { decodeQuery(bytes: $0) }
    }

    package static func decodeQuery(bytes: UnsafeBufferPointer<UInt8>) -> [(name: String, value: String)]? {
        var query: [(name: String, value: String)] = []
        // Room for the parameters a request carries (a presigned URL's seven), not one per `&`:
        // a target of 60,000 empty parts reserved 2 MB that nothing used.
        query.reserveCapacity(8)
        let complete = forEachQueryPart(bytes) { name, value in
            let (name, value) = (UnsafeBufferPointer(rebasing: bytes[name]), UnsafeBufferPointer(rebasing: bytes[value]))
            guard let name = constant(name) ?? decode(bytes: name, plusAsSpace: false),
                let value = constant(value) ?? decode(bytes: value, plusAsSpace: false)
            else { return false }
            query.append((name, value))
            return true
        }
        return complete ? query : nil
    }

    /// The names and values every presigned URL carries that are longer than a string holds
    /// without an allocation (15 bytes), as the constants they are.
    @inline(__always)
    static func constant(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        func matches(_ text: StaticString) -> Bool { sameBytesOf(bytes, UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)) }
        switch bytes.count {
        case 16:
            if matches("X-Amz-Credential") { return "X-Amz-Credential" }
            if matches("AWS4-HMAC-SHA256") { return "AWS4-HMAC-SHA256" }
            if matches("UNSIGNED-PAYLOAD") { return "UNSIGNED-PAYLOAD" }
        case 19:
            if matches("X-Amz-SignedHeaders") { return "X-Amz-SignedHeaders" }
        case 20:
            if matches("X-Amz-Security-Token") { return "X-Amz-Security-Token" }
        default:
            break
        }
        return nil
    }

    /// Calls `body` with the ranges of each non-empty `&`-separated part's name and value (the
    /// value empty, at the part's end, when there is no `=`), in order, while it returns true;
    /// returns whether every part was taken.
    @inline(__always)
    static func forEachQueryPart(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (_ name: Range<Int>, _ value: Range<Int>) -> Bool) -> Bool {
        var start = 0
        while start < bytes.count {
            let end = firstIndex(of: UInt8(ascii: "&"), in: bytes, from: start, to: bytes.count)
            if end > start {
                let equals = firstIndex(of: UInt8(ascii: "="), in: bytes, from: start, to: end)
                if !body(start..<equals, equals < end ? (equals + 1)..<end : end..<end) { return false }
            }
            start = end + 1
        }
        return true
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
