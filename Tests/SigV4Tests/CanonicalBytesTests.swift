import Testing

@testable import SigV4

/// The verifier's byte-level canonical request must be the signer's text, byte for byte: these
/// hold the two to each other over awkward queries and header values.
@Suite struct CanonicalBytesTests {
    /// The signer's text after the URI, as the canonical request joins it.
    static func signerText(query: [(name: String, value: String)], signed: [String], values: [String: [String]], payload: String) -> [UInt8] {
        let headers = SigV4Signer.canonicalHeaders(signedHeaders: signed) { values[$0] ?? [] }
        return Array(("\n" + SigV4Signer.canonicalQuery(query) + "\n" + headers + "\n" + signed.joined(separator: ";") + "\n" + payload).utf8)
    }

    @Test func sortsByEncodedBytesAsTheSignerDoes() {
        // `a%20` sorts before `a-` by its encoded bytes (`%` < `-`), though space < `-` decoded;
        // equal names sort by value; a name that is a prefix of another comes first.
        let query: [(name: String, value: String)] = [
            ("a-", "1"), ("a ", "2"), ("b", "z"), ("b", "a"), ("bb", ""), ("é", "ü/?"), ("X-Amz-Date", "20260101T000000Z"), ("", "empty-name"),
        ]
        let values = ["host": ["example.com"], "x-amz-meta-a": ["  two   spaces\tand tab  ", "second"]]
        let signed = ["host", "x-amz-meta-a"]
        let bytes = CanonicalBytes.afterURI(query: query, signedHeaders: signed, values: { values[$0] ?? [] }, payloadHash: "UNSIGNED-PAYLOAD")
        #expect(bytes == Self.signerText(query: query, signed: signed, values: values, payload: "UNSIGNED-PAYLOAD"))
    }

    @Test func randomRequestsMatchTheSigner() {
        var generator = SystemRandomNumberGenerator()
        let alphabet: [String] = ["a", "B", "z", "0", "-", "_", ".", "~", " ", "/", "+", "=", "&", "%", "é", "日", "\u{1F600}", "\t"]
        func text(_ length: Int) -> String { (0..<length).map { _ in alphabet.randomElement(using: &generator)! }.joined() }
        for _ in 0..<300 {
            let query = (0..<Int.random(in: 0...6, using: &generator)).map { _ in (name: text(Int.random(in: 0...4, using: &generator)), value: text(Int.random(in: 0...6, using: &generator))) }
            let signed = ["host", "x-amz-date", "x-amz-meta-v"]
            let values = ["host": [text(5)], "x-amz-date": ["20260101T000000Z"], "x-amz-meta-v": (0..<Int.random(in: 0...2, using: &generator)).map { _ in text(6) }]
            let bytes = CanonicalBytes.afterURI(query: query, signedHeaders: signed, values: { values[$0] ?? [] }, payloadHash: SigV4Signer.emptySHA256)
            #expect(bytes == Self.signerText(query: query, signed: signed, values: values, payload: SigV4Signer.emptySHA256), "query \(query)")
        }
    }

    /// The canonical query taken from the query as sent is the one built from its decoding,
    /// whatever the query: taken directly when it is in canonical form, built otherwise.
    @Test func rawQueriesGiveTheCanonicalQueryOfTheirDecoding() throws {
        var generator = SystemRandomNumberGenerator()
        let pieces: [String] = ["a", "Z", "0", "-", "_", ".", "~", "%2F", "%2f", "%41", "%20", "+", "=", "&", "%C3%A9", "%E6%97%A5", "/", "X-Amz-Signature"]
        func text(_ length: Int) -> String { (0..<length).map { _ in pieces.randomElement(using: &generator)! }.joined() }
        var direct = 0
        for _ in 0..<2000 {
            let raw = (0..<Int.random(in: 0...5, using: &generator)).map { _ in text(Int.random(in: 0...3, using: &generator)) }.joined(separator: "&")
            guard let query = URIEncoding.decodeQuery(raw) else { continue }
            for omitting in [nil, "X-Amz-Signature"] {
                let built = CanonicalBytes.afterURI(query: query, omitting: omitting, signedHeaders: ["host"], values: { _ in ["h"] }, payloadHash: "UNSIGNED-PAYLOAD")
                let fromRaw = CanonicalBytes.afterURI(
                    query: query, rawQuery: raw[...], omitting: omitting, signedHeaders: ["host"], values: { _ in ["h"] }, payloadHash: "UNSIGNED-PAYLOAD")
                #expect(fromRaw == built, "query \(raw) omitting \(omitting ?? "-")")
                var probe: [UInt8] = []
                if CanonicalBytes.appendRawQuery(raw[...], omitting: omitting, to: &probe) { direct += 1 } else { #expect(probe.isEmpty) }
            }
        }
        #expect(direct > 0)
        // What a presigner sends is used as it is; anything another encoding would change is not.
        var out: [UInt8] = []
        #expect(CanonicalBytes.appendRawQuery("X-Amz-Credential=AK%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260101T000000Z", to: &out))
        for other in ["a=%2f", "a=%41", "a=b+c", "a=b=c", "a=%", "a=%2", "a=%G0", "a=\u{e9}"] {
            var ignored: [UInt8] = []
            #expect(!CanonicalBytes.appendRawQuery(other[...], to: &ignored), "\(other)")
        }
    }

    @Test func bytesComparisonNeedsEqualLengthAndBytes() {
        #expect(constantTimeEquals(Array("abc".utf8), "abc".utf8))
        #expect(!constantTimeEquals(Array("abc".utf8), "abd".utf8))
        #expect(!constantTimeEquals(Array("abc".utf8), "abcd".utf8))
        #expect(!constantTimeEquals(Array("".utf8), "a".utf8))
    }
}

extension CanonicalBytes {
    /// The verifier's part after the URI on its own, its headers given as a function from a name
    /// to its values.
    static func afterURI(
        query: [(name: String, value: String)], rawQuery: Substring? = nil, omitting: String? = nil, signedHeaders: [String],
        values: @escaping (String) -> [String], payloadHash: String
    ) -> [UInt8] {
        var out: [UInt8] = []
        appendAfterURI(
            query: query, rawQuery: rawQuery, omitting: omitting, signedHeaders: signedHeaders,
            headers: ListedHeaders(listNames: { [] }, values: values), payloadHash: payloadHash, to: &out)
        return out
    }
}
