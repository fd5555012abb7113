import Testing

@testable import S3API

@Suite struct RequestIDTests {
    @Test func idsAreSixteenUppercaseHexDigits() {
        for _ in 0..<1000 {
            let id = RequestIDs.make()
            #expect(id.utf8.count == 16 && id.utf8.allSatisfy { (48...57).contains($0) || (65...70).contains($0) }, "\(id)")
        }
    }

    /// Requests on every event loop at once never share an id.
    @Test func concurrentRequestsGetDistinctIDs() async {
        let ids = await withTaskGroup(of: [String].self) { group in
            for _ in 0..<4 { group.addTask { (0..<25_000).map { _ in RequestIDs.make() } } }
            var all: [String] = []
            for await part in group { all += part }
            return all
        }
        #expect(ids.count == 100_000)
        #expect(Set(ids).count == ids.count)
    }

    /// The permutation is undone by running its rounds backwards, so distinct counts always give
    /// distinct ids; under other keys the same counts give other ids.
    @Test func idsArePermutedCounts() {
        let keys = RequestIDs.roundKeys
        func unpermute(_ value: UInt64) -> UInt64 {
            var (left, right) = (UInt32(truncatingIfNeeded: value >> 32), UInt32(truncatingIfNeeded: value))
            for key in keys.reversed() {
                (left, right) = (right ^ UInt32(truncatingIfNeeded: RequestIDs.mix(UInt64(left) ^ key)), left)
            }
            return UInt64(left) << 32 | UInt64(right)
        }
        for count in [0, 1, 2, 3, 1 << 20, UInt64.max - 1, UInt64.max] as [UInt64] {
            #expect(unpermute(RequestIDs.permute(count, keys: keys)) == count)
        }
        let permuted = (0..<4096 as Range<UInt64>).map { RequestIDs.permute($0, keys: keys) }
        #expect(Set(permuted.map { $0 >> 60 }).count == 16, "the leading hex digit takes every value")
        let otherKeys = keys.map { $0 ^ 0x9E37_79B9_7F4A_7C15 }
        #expect(zip(permuted, (0..<4096 as Range<UInt64>).map { RequestIDs.permute($0, keys: otherKeys) }).allSatisfy { $0 != $1 })
    }
}

@Suite struct RequestLogKeyTests {
    /// A name goes into the request log as it is when that is unambiguous, else quoted and escaped
    /// as Swift's debug description writes it: no new line, no forged field.
    @Test func namesAreLoggedPlainOrQuotedAndEscaped() {
        for plain in ["logs/2026/a.csv", "~!@#$%^&*()", "bucket-1", "127.0.0.1", ""] {
            #expect(S3Responder.loggable(plain) == plain)
        }
        let escaped = ["a b", "é", "line\nbreak", "tab\there", "quote\"d", "single'q", "back\\slash", "nul\0", "\u{7F}del", "a status=200"]
        for name in escaped {
            #expect(S3Responder.loggable(name) == String(reflecting: name), "\(name)")
        }
        // What Swift's debug description leaves as it is but a log reader may take for a line end
        // (NEL, the line and paragraph separators) or that reorders or hides text on a terminal
        // (bidirectional overrides, zero-width characters, other C1 controls).
        let unicode: [(String, String)] = [
            ("a\u{2028}b", #""a\u{2028}b""#), ("a\u{2029}b", #""a\u{2029}b""#), ("a\u{85}b", #""a\u{85}b""#),
            ("a\u{202E}b", #""a\u{202E}b""#), ("a\u{200B}b", #""a\u{200B}b""#), ("a\u{9B}b", #""a\u{9B}b""#),
            ("a\u{E000}b", #""a\u{E000}b""#), ("caf\u{E9} \u{1F600}", "\"caf\u{E9} \u{1F600}\""),
            // Invisible but not format characters (ignorable by default): variation selectors, the
            // combining grapheme joiner, the Hangul fillers; and spaces other than the ASCII one.
            ("a\u{FE0F}b", #""a\u{FE0F}b""#), ("a\u{E0100}b", #""a\u{E0100}b""#), ("a\u{34F}b", #""a\u{34F}b""#),
            ("a\u{3164}b", #""a\u{3164}b""#), ("a\u{115F}b", #""a\u{115F}b""#), ("a\u{A0}b", #""a\u{A0}b""#),
            ("a\u{3000}b", #""a\u{3000}b""#), ("a\u{2001}b", #""a\u{2001}b""#),
        ]
        for (name, logged) in unicode {
            #expect(S3Responder.loggable(name) == logged, "\(String(reflecting: name))")
        }
        #expect(!S3Responder.loggable("line\nbreak").contains("\n"))
        #expect(S3Responder.loggable("a status=200 remote=1.2.3.4") == "\"a status=200 remote=1.2.3.4\"")
    }
}
