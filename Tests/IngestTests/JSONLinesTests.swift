import IcebergModel
import Testing

@testable import Ingest

struct JSONLinesTests {
    static func parse(_ text: String, chunk: Int? = nil, maxLineBytes: Int = 1 << 20) throws -> [JSONRecord] {
        var p = JSONLinesParser(maxLineBytes: maxLineBytes)
        let bytes = Array(text.utf8)
        var out: [JSONRecord] = []
        let size = chunk ?? max(bytes.count, 1)
        var i = 0
        while i < bytes.count {
            out += try p.feed(Array(bytes[i..<min(bytes.count, i + size)]))
            i += size
        }
        return out + (try p.finish())
    }

    @Test func linesWithABadLine() throws {
        let text = "{\"id\": 1, \"name\": \"a\"}\n\n{\"id\": 2,\n[1,2]\r\n  {\"id\": 3, \"tags\": [\"x\"], \"n\": {\"d\": 1.5}}  \n{\"id\":4}"
        for chunk in [nil, 1, 7] {
            let records = try Self.parse(text, chunk: chunk)
            #expect(records.map(\.line) == [1, 3, 4, 5, 6])
            #expect(try records[0].value.get() == ["id": 1, "name": "a"])
            guard case .failure(.malformed(let why)) = records[1].value else { Issue.record("line 3 should be malformed"); return }
            #expect(why.hasPrefix("line 3"))
            #expect(records[2].value.failure == .invalid("line 4 is not a JSON object"))
            #expect(try records[3].value.get() == ["id": 3, "tags": ["x"], "n": ["d": .double(1.5)]])
            #expect(try records[4].value.get() == ["id": 4])
        }
    }

    @Test func overlongLineIsARejectAndSkipped() throws {
        let records = try Self.parse("{\"a\":\"\(String(repeating: "x", count: 100))\"}\n{\"b\":1}\n", chunk: 16, maxLineBytes: 50)
        #expect(records.count == 2)
        #expect(records[0].value.failure == .limitExceeded("line 1 is longer than 50 bytes"))
        #expect(try records[1].value.get() == ["b": 1])
    }

    @Test func jsonGrammar() throws {
        let good: [(String, JSONValue)] = [
            ("{\"s\":\"a\\\"b\\\\c\\/d\\n\\u00e9\\ud83d\\ude00\"}", ["s": "a\"b\\c/d\né😀"]),
            ("{\"n\":-0.5e2,\"i\":9223372036854775807,\"big\":9223372036854775808}", ["n": .double(-50), "i": .int(Int64.max), "big": .double(9_223_372_036_854_775_808)]),
            ("{\"t\":true,\"f\":false,\"z\":null,\"e\":{},\"a\":[]}", ["t": true, "f": false, "z": nil, "e": [:], "a": []]),
        ]
        for (text, expected) in good {
            #expect(try JSONText.parse(text) == expected, "\(text)")
        }
        let bad = ["{", "{\"a\":}", "{\"a\":01}", "{\"a\":1,}", "[1 2]", "{\"a\":NaN}", "{\"a\":\"\u{01}\"}", "{\"a\":1e999}", "{} x", "tru", "\"\\x\""]
        for text in bad {
            #expect(throws: IngestError.self, "\(text)") { _ = try JSONText.parse(text) }
        }
        let deep = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        #expect(throws: IngestError.self) { _ = try JSONText.parse(deep) }
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let e) = self { return e }
        return nil
    }
}
