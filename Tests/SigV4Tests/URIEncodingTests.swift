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
