import Foundation
@testable import IcebergModel
import Testing

/// The byte-wise parser against `JSONDecoder`'s reading of the same texts: every value and every
/// refusal must agree, so switching a caller from one to the other changes nothing it sees.
@Suite struct JSONParsingTests {
    static func decoded(_ text: [UInt8]) -> JSONValue? { try? JSONDecoder().decode(JSONValue.self, from: Data(text)) }
    static func parsed(_ text: [UInt8]) -> JSONValue? { try? JSONValue(parsing: text) }

    static let edgeCases: [String] = [
        "null", "true", "false", "0", "-0", "1", "-1", "1.0", "1.5", "-2.25", "1e2", "1E+2", "1e-2", "2.5e3", "0.1", "1e400", "-1e400",
        "9223372036854775807", "-9223372036854775807", "9223372036854775808", "-9223372036854775809", "18446744073709551616",
        "12345678901234567890123", "9007199254740993", "4611686018427387904.0", "1.7976931348623157e308", "5e-324",
        "01", "-01", "00", "1.", ".5", "-", "+1", "1e", "1e+", "0x10", "NaN", "Infinity", "-Infinity", "1.0e1000",
        "\"\"", "\"a\"", "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\u00e9\\u00E9\"", "\"\\ud83d\\ude00\"", "\"\\ud83d\"", "\"\\ude00\"",
        "\"\\ud83d\\u0041\"", "\"\\u12\"", "\"\\x\"", "\"tab\there\"", "\"line\nbreak\"", "\"unterminated", "\"caf\u{E9}\"", "\"e\u{301}\"",
        "[]", "[1,2,3]", "[1,]", "[1,,]", "[1 , ]", "{\"a\":1 , }", "{,}", "[,]", "[,1]", "[1 2]", "[", "]", "[[[]]]", "{}", "{\"a\":1}", "{\"a\":1,}", "{\"a\" 1}", "{a:1}",
        "{\"a\":1,\"a\":2}", "{\"b\":[1,{\"c\":null}],\"a\":\"x\"}", " \t\n\r{ \"a\" : [ 1 , 2 ] } \n", "{} {}", "1 2", "", " ",
        "tru", "truex", "nul", "[true,false,null]", "{\"\":0}", "\"\\u0000\"", "{\"k\\u00e9y\":1}",
    ]

    @Test func edgeCasesReadAsJSONDecoderReadsThem() {
        for text in Self.edgeCases {
            let bytes = Array(text.utf8)
            #expect(Self.parsed(bytes) == Self.decoded(bytes), "\(text)")
        }
    }

    @Test func invalidUTF8AndControlBytesAreRefusedAsJSONDecoderRefusesThem() {
        let texts: [[UInt8]] = [
            [0x22, 0xFF, 0x22], [0x22, 0xC3, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0x01, 0x22], [0x22, 0x7F, 0x22],
            [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], [0x22, 0xC0, 0xAF, 0x22], [0xEF, 0xBB, 0xBF, 0x31], [0x5B, 0x00, 0x5D],
        ]
        for bytes in texts {
            #expect(Self.parsed(bytes) == Self.decoded(bytes), "\(bytes)")
        }
    }

    @Test func nestingIsBoundedAtTheSameDepth() {
        for depth in [JSONValue.maxDepth - 1, JSONValue.maxDepth, JSONValue.maxDepth + 1, JSONValue.maxDepth + 2, 5000] {
            for (open, close) in [("[", "]"), ("{\"k\":", "}")] {
                let text = Array((String(repeating: open, count: depth) + "1" + String(repeating: close, count: depth)).utf8)
                let expected = Self.decoded(text)
                #expect(Self.parsed(text) == expected, "depth \(depth) \(open)")
                #expect((expected == nil) == (depth > JSONValue.maxDepth), "depth \(depth) \(open)")
            }
        }
    }

    static func randomValue(depth: Int, _ random: inout some RandomNumberGenerator) -> JSONValue {
        let pick = depth > 4 ? Int.random(in: 0..<5, using: &random) : Int.random(in: 0..<7, using: &random)
        let alphabet: [String] = ["a", "B", "é", "\"", "\\", "/", "\n", "\u{1}", "😀", " ", "e\u{301}", "\u{2028}"]
        func text() -> String { (0..<Int.random(in: 0...6, using: &random)).map { _ in alphabet.randomElement(using: &random)! }.joined() }
        switch pick {
        case 0: return [.null, .bool(true), .bool(false)].randomElement(using: &random)!
        case 1: return .int(Int64.random(in: Int64.min...Int64.max, using: &random) >> Int64.random(in: 0...63, using: &random))
        case 2:
            let value = Double.random(in: -1e6...1e6, using: &random) * [1, 1e-9, 1e12, 1e300].randomElement(using: &random)!
            return value.rounded() == value && abs(value) < 9e18 ? .int(Int64(value)) : .double(value)
        case 3, 4: return .string(text())
        case 5: return .array((0..<Int.random(in: 0...4, using: &random)).map { _ in randomValue(depth: depth + 1, &random) })
        default:
            var members: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0...4, using: &random) { members[text()] = randomValue(depth: depth + 1, &random) }
            return .object(members)
        }
    }

    @Test func randomDocumentsRoundTripAndAgreeWithJSONDecoder() throws {
        var random = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let value = Self.randomValue(depth: 0, &random)
            for text in [value.jsonBytes, value.sortedJSONBytes] {
                let parsed = try JSONValue(parsing: text)
                #expect(parsed == value, "\(String(decoding: text, as: UTF8.self))")
                #expect(parsed == Self.decoded(text), "\(String(decoding: text, as: UTF8.self))")
            }
        }
    }

    @Test func sortedTextOrdersMembersByTheBytesOfTheirNames() throws {
        let value: JSONValue = .object(["b": 1, "a": .object(["z": 1, "Z": 2, "é": 3, "e": 4]), "k10": 5, "k2": 6])
        #expect(String(decoding: value.sortedJSONBytes, as: UTF8.self) == #"{"a":{"Z":2,"e":4,"z":1,"é":3},"b":1,"k10":5,"k2":6}"#)
    }

    /// Where the parser is stricter than JSONDecoder, as its documentation says: UTF-16 text, and
    /// a repeated key whose ignored value is not valid.
    @Test func theDocumentedStricterCasesAreRefused() {
        let texts: [[UInt8]] = [[0x31, 0x00], [0xFF, 0xFE, 0x7B, 0x00, 0x7D, 0x00], Array("{\"a\":1,\"a\":\"\\q\"}".utf8), Array("{\"a\":1,\"a\":1e999}".utf8)]
        for bytes in texts {
            #expect(Self.parsed(bytes) == nil, "\(bytes)")
            #expect(Self.decoded(bytes) != nil, "\(bytes)")
        }
    }

    @Test func strictRulesForDataFiles() throws {
        func strict(_ bytes: [UInt8]) -> JSONValue? { try? JSONValue(parsing: bytes, rules: .rfc8259) }
        #expect(strict(Array("[1,]".utf8)) == nil)
        #expect(strict(Array("{\"a\":1,}".utf8)) == nil)
        #expect(strict([0xEF, 0xBB, 0xBF, 0x31]) == nil)
        #expect(strict(Array("{\"a\":1,\"a\":2}".utf8)) == .object(["a": 2]))
        #expect(strict(Array("-0.5e2".utf8)) == .double(-50))
        #expect(strict(Array("1.0".utf8)) == .double(1))
        #expect(strict(Array("9223372036854775807".utf8)) == .int(Int64.max))
        #expect(strict(Array(#""\ud83d\ude00|\ud83d|\ude00|\ud83d\u0041""#.utf8)) == .string("😀|\u{FFFD}|\u{FFFD}|\u{FFFD}A"))
        #expect(strict([0x22, 0xFF, 0x61, 0x22]) == .string("\u{FFFD}a"))
        #expect(strict(Array("\"\\x\"".utf8)) == nil)
        #expect(strict(Array("1e999".utf8)) == nil)
    }

    /// JSONDecoder reads -2^63 as a double (a quirk of its integer path); it is an integer.
    @Test func theSmallestIntegerStaysAnInteger() throws {
        #expect(try JSONValue(parsing: Array("-9223372036854775808".utf8)) == .int(Int64.min))
    }

    @Test func anErrorNamesWhereTheTextWentWrong() {
        #expect(throws: JSONValue.ParseError(offset: 8, reason: "expected ',' or ']'")) { try JSONValue(parsing: Array("[1, 2, 3".utf8)) }
        #expect(throws: JSONValue.ParseError(offset: 1, reason: "leading zero")) { try JSONValue(parsing: Array("01".utf8)) }
    }
}
