import Testing

@testable import SigV4

@Suite struct FormAndQueryDecodingTests {
    @Test func formBodiesDecodePlusAndEscapes() {
        let form = FormEncoding.decode("Action=AssumeRole&Policy=%7B%22a%22%3A+1%7D&Empty=&Flag&Action=Second")
        #expect(form["Action"] == "AssumeRole")
        #expect(form["Policy"] == #"{"a": 1}"#)
        #expect(form["Empty"] == "" && form["Flag"] == "")
    }

    @Test func queriesKeepOrderAndPlusSigns() throws {
        let query = try #require(URIEncoding.decodeQuery("b=2&a=x+y&c=%2F"))
        #expect(query.map(\.name) == ["b", "a", "c"])
        #expect(query.map(\.value) == ["2", "x+y", "/"])
        #expect(URIEncoding.decodeQuery("a=%zz") == nil)
        #expect(URIEncoding.decodeQuery("")?.isEmpty == true)
    }

    /// The constants a presigned URL's names and values are taken as decode to themselves, and
    /// only text of their exact bytes is taken as one: escaped forms and near misses are decoded.
    @Test func presignedConstantsAreTheirOwnDecoding() throws {
        let raw = "X-Amz-Credential=a&X%2DAmz-Credential=b&X-Amz-Algorithm=AWS4-HMAC-SHA256&x-amz-signedheaders=host"
            + "&X-Amz-SignedHeaders=UNSIGNED-PAYLOAD&X-Amz-Security-Token=AWS4-HMAC-SHA257&X-Amz-Security-Tokens=%41"
        let query = try #require(URIEncoding.decodeQuery(raw))
        #expect(query.map(\.name) == [
            "X-Amz-Credential", "X-Amz-Credential", "X-Amz-Algorithm", "x-amz-signedheaders", "X-Amz-SignedHeaders",
            "X-Amz-Security-Token", "X-Amz-Security-Tokens",
        ])
        #expect(query.map(\.value) == ["a", "b", "AWS4-HMAC-SHA256", "host", "UNSIGNED-PAYLOAD", "AWS4-HMAC-SHA257", "A"])
        for text in ["X-Amz-Credential", "AWS4-HMAC-SHA256", "UNSIGNED-PAYLOAD", "X-Amz-SignedHeaders", "X-Amz-Security-Token"] {
            var bytes = text
            #expect(bytes.withUTF8 { URIEncoding.constant($0) } == text)
            var other = text.lowercased()
            #expect(other.withUTF8 { URIEncoding.constant($0) } == nil)
        }
    }

    /// A plain path is what decoding it and encoding it as S3's canonical URI makes of it.
    @Test func plainPathsAreTheirCanonicalURI() throws {
        let bytes = Array("Az09-_.~/%+ é".utf8)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let path = String(decoding: (0..<Int.random(in: 0...12, using: &generator)).map { _ in bytes.randomElement(using: &generator)! }, as: UTF8.self)
            let canonical = URIEncoding.decode(path).map { SigV4Signer.canonicalURI(decodedPath: $0) }
            if URIEncoding.isPlainPath(path) { #expect(canonical == path, "\(path)") }
            let plain = !path.isEmpty && path.utf8.allSatisfy { URIEncoding.isUnreserved($0) || $0 == UInt8(ascii: "/") }
            #expect(URIEncoding.isPlainPath(path) == plain, "\(path)")
        }
        #expect(URIEncoding.isPlainPath("/bucket/a/b.txt") && !URIEncoding.isPlainPath("") && !URIEncoding.isPlainPath("/a%2Fb"))
    }

    /// Empty parts are no parameters, and reserve no room: a head's worth of `&` is not 2 MB.
    @Test func emptyPartsReserveNothing() throws {
        let query = try #require(URIEncoding.decodeQuery(String(repeating: "&", count: 60_000)))
        #expect(query.isEmpty)
        #expect(query.capacity <= 16)
    }
}

@Suite struct UnreservedSetTests {
    /// The bit sets hold exactly SigV4's unreserved bytes, `A-Z a-z 0-9 - _ . ~`.
    @Test func everyByteIsClassedAsSigV4Defines() {
        let unreserved = Set(Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~".utf8))
        for byte in UInt8.min...UInt8.max {
            #expect(URIEncoding.isUnreserved(byte) == unreserved.contains(byte), "byte \(byte)")
        }
    }
}

@Suite struct QueryScanTests {
    /// Finding a byte eight at a time agrees with a byte-wise scan at every start, end and
    /// alignment, matches at every position of a word included.
    @Test func firstIndexAgreesWithAByteWiseScan() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("a&=%+b\u{0}\u{80}\u{FF}".utf8)
        for _ in 0..<2000 {
            let bytes = (0..<Int.random(in: 0...40, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }
            bytes.withUnsafeBufferPointer { buffer in
                for target in [UInt8(ascii: "&"), UInt8(ascii: "="), UInt8(ascii: "%"), 0, 0xFF] {
                    let start = Int.random(in: 0...buffer.count, using: &generator)
                    let end = Int.random(in: start...buffer.count, using: &generator)
                    let expected = (start..<end).first { buffer[$0] == target } ?? end
                    #expect(URIEncoding.firstIndex(of: target, in: buffer, from: start, to: end) == expected, "\(bytes) \(target) \(start)..<\(end)")
                }
            }
        }
    }

    /// Parts, names and values as a plain split gives them.
    @Test func queryPartsAreSplitAsBefore() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("ab&=&==x".utf8)
        for _ in 0..<2000 {
            let bytes = (0..<Int.random(in: 0...30, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }
            var expected: [String] = []
            for part in bytes.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
                let equals = part.firstIndex(of: UInt8(ascii: "="))
                let name = part[part.startIndex..<(equals ?? part.endIndex)]
                let value = equals.map { part[($0 + 1)...] } ?? []
                expected.append(String(decoding: name, as: UTF8.self) + "|" + String(decoding: value, as: UTF8.self))
            }
            var found: [String] = []
            bytes.withUnsafeBufferPointer { buffer in
                _ = URIEncoding.forEachQueryPart(buffer) { name, value in
                    found.append(String(decoding: buffer[name], as: UTF8.self) + "|" + String(decoding: buffer[value], as: UTF8.self))
                    return true
                }
            }
            #expect(found == expected, "\(String(decoding: bytes, as: UTF8.self))")
        }
    }
}
