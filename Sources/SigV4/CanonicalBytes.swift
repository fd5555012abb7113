import Crypto

/// The canonical request and the string to sign written as bytes straight into SHA-256 and the
/// keyed HMAC, for the verifier: the same text as `SigV4Signer`'s functions build (the tests hold
/// the two to each other), without a `String` per part and per join. Verifying a presigned GET
/// cost 125,000 instructions through the `String` stages, most of it building text that is only
/// ever hashed (docs/benchmarks.md).
enum CanonicalBytes {

    /// Appends `text` percent-encoded as SigV4 encodes it.
    static func appendEncoded(_ text: String, keepSlash: Bool = false, to out: inout [UInt8]) {
        // `encode` returns the same storage when nothing needs escaping, the usual case.
        out.append(contentsOf: URIEncoding.encode(text, keepSlash: keepSlash).utf8)
    }

    /// Appends the canonical query (`SigV4Signer.canonicalQuery`): every name and value encoded
    /// into one buffer, the pairs sorted by their encoded bytes, then written out joined. Pairs
    /// named `omitting` (a presigned URL's own signature) are left out.
    static func appendQuery(_ items: [(name: String, value: String)], omitting: String? = nil, to out: inout [UInt8]) {
        guard !items.isEmpty else { return }
        var encoded: [UInt8] = []
        encoded.reserveCapacity(items.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count } + 16)
        // Where each pair's encoded name and value sit in `encoded`.
        var pairs: [(name: Range<Int>, value: Range<Int>)] = []
        pairs.reserveCapacity(items.count)
        for item in items where item.name != omitting {
            let nameStart = encoded.count
            appendEncoded(item.name, to: &encoded)
            let valueStart = encoded.count
            appendEncoded(item.value, to: &encoded)
            pairs.append((nameStart..<valueStart, valueStart..<encoded.count))
        }
        encoded.withUnsafeBufferPointer { bytes in pairs.withUnsafeMutableBufferPointer { appendSorted($0, of: bytes, to: &out) } }
    }

    /// Sorts the pairs (ranges of `bytes`) by name, then value, and appends them joined.
    private static func appendSorted(
        _ pairs: UnsafeMutableBufferPointer<(name: Range<Int>, value: Range<Int>)>, of bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]
    ) {
        guard let base = bytes.baseAddress else { return }
        var pairs = pairs
        if pairs.count > 1 {
            pairs.sort { a, b in
                let names = compare(base, a.name, b.name)
                return names != 0 ? names < 0 : compare(base, a.value, b.value) < 0
            }
        }
        for (index, pair) in pairs.enumerated() {
            if index > 0 { out.append(UInt8(ascii: "&")) }
            out.append(contentsOf: UnsafeBufferPointer(start: base + pair.name.lowerBound, count: pair.name.count))
            out.append(UInt8(ascii: "="))
            out.append(contentsOf: UnsafeBufferPointer(start: base + pair.value.lowerBound, count: pair.value.count))
        }
    }

    /// Appends the canonical query straight from the query as sent, when every name and value
    /// in it is already as SigV4 encodes it (what AWS SDKs and presigners send): each byte
    /// unreserved, or `%XX` in upper-case hex for a byte that must be escaped. Such text is its
    /// own encoding of its decoding, so the result is `appendQuery`'s, without a string per name
    /// and value. Returns false, having appended nothing, when any part is in another form.
    static func appendRawQuery(_ raw: Substring, omitting: String? = nil, to out: inout [UInt8]) -> Bool {
        var raw = raw
        return raw.withUTF8 { bytes in
            // At most one pair per `&` and one more: room for them on the stack when that is small.
            var most = 1
            for byte in bytes where byte == UInt8(ascii: "&") { most += 1 }
            return withUnsafeTemporaryAllocation(of: (name: Range<Int>, value: Range<Int>).self, capacity: most) { room in
                var count = 0
                let complete = URIEncoding.forEachQueryPart(bytes) { name, value in
                    guard isEncoded(bytes, name), isEncoded(bytes, value) else { return false }
                    if omitting.map({ !equal(bytes, name, $0) }) ?? true {
                        room.initializeElement(at: count, to: (name, value))
                        count += 1
                    }
                    return true
                }
                guard complete else { return false }
                appendSorted(UnsafeMutableBufferPointer(rebasing: room[..<count]), of: bytes, to: &out)
                return true
            }
        }
    }

    /// Whether `bytes[range]` holds exactly the bytes of `other`.
    private static func equal(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ other: String) -> Bool {
        guard range.count == other.utf8.count else { return false }
        var other = other
        return other.withUTF8 { sameBytesOf(UnsafeBufferPointer(rebasing: bytes[range]), $0) }
    }

    /// Whether `bytes[range]` is exactly what SigV4's encoding makes of its decoding.
    private static func isEncoded(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        var index = range.lowerBound
        while index < range.upperBound {
            let c = bytes[index]
            if URIEncoding.isUnreserved(c) {
                index += 1
                continue
            }
            guard c == UInt8(ascii: "%"), index + 2 < range.upperBound,
                let high = upperHexValue(bytes[index + 1]), let low = upperHexValue(bytes[index + 2]),
                !URIEncoding.isUnreserved(high << 4 | low)
            else { return false }
            index += 3
        }
        return true
    }

    @inline(__always)
    private static func upperHexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// Byte order of two ranges of `base` (what SigV4 sorts by): negative, zero or positive.
    private static func compare(_ base: UnsafePointer<UInt8>, _ a: Range<Int>, _ b: Range<Int>) -> Int {
        let common = min(a.count, b.count)
        var offset = 0
        while offset < common {
            let x = base[a.lowerBound + offset]
            let y = base[b.lowerBound + offset]
            if x != y { return Int(x) - Int(y) }
            offset += 1
        }
        return a.count - b.count
    }

    /// Appends `name:value\n` for each signed header (`SigV4Signer.canonicalHeaders`).
    static func appendHeaders(signedHeaders: [String], headers: any SignedHeaderSource, to out: inout [UInt8]) {
        for name in signedHeaders {
            out.append(contentsOf: name.utf8)
            out.append(UInt8(ascii: ":"))
            var first = true
            headers.forEachValue(name) { value in
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                if SigV4Signer.isCanonical(value.utf8) {
                    out.append(contentsOf: value.utf8)
                } else {
                    out.append(contentsOf: SigV4Signer.canonicalHeaderValue(value).utf8)
                }
            }
            out.append(UInt8(ascii: "\n"))
        }
    }

    /// Room for `appendAfterURI`'s part in the usual case: the query escaped by half again, and the headers.
    static func afterURICapacity(query: [(name: String, value: String)]) -> Int {
        256 + query.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 2 } * 3 / 2
    }

    /// Everything of the canonical request after the URI, appended to what `out` already holds
    /// (the verifier's method and URI): `\n` query `\n` headers `\n` signed header names `\n`
    /// payload hash. It is the same for every form of the URI tried. `rawQuery`, the query as sent
    /// when the caller has it, is used as it is when it is in canonical form (`appendRawQuery`);
    /// `query` is its decoding.
    static func appendAfterURI(
        query: [(name: String, value: String)], rawQuery: Substring?, omitting: String?, signedHeaders: [String],
        headers: any SignedHeaderSource, payloadHash: String, to out: inout [UInt8]
    ) {
        out.append(UInt8(ascii: "\n"))
        if !(rawQuery.map { appendRawQuery($0, omitting: omitting, to: &out) } ?? false) {
            appendQuery(query, omitting: omitting, to: &out)
        }
        out.append(UInt8(ascii: "\n"))
        appendHeaders(signedHeaders: signedHeaders, headers: headers, to: &out)
        out.append(UInt8(ascii: "\n"))
        for (index, name) in signedHeaders.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ";")) }
            out.append(contentsOf: name.utf8)
        }
        out.append(UInt8(ascii: "\n"))
        out.append(contentsOf: payloadHash.utf8)
    }
}

extension SHA256 {
    /// The digest of `bytes`, in one state that is never copied.
    static func digest(of bytes: UnsafeRawBufferPointer) -> SHA256Digest {
        var hasher = SHA256()
        hasher.update(bufferPointer: bytes)
        return hasher.finalize()
    }
}
