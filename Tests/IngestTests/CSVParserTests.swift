import Testing

@testable import Ingest

struct CSVParserTests {
    static func parseAll(_ text: String, options: CSVOptions = .init(), chunk: Int? = nil) throws(IngestError) -> (header: [String]?, records: [TextRecord]) {
        try parseBytes(Array(text.utf8), options: options, chunk: chunk)
    }

    static func parseBytes(_ bytes: [UInt8], options: CSVOptions = .init(), chunk: Int? = nil) throws(IngestError) -> (header: [String]?, records: [TextRecord]) {
        var p = CSVParser(options: options)
        var out: [TextRecord] = []
        if let chunk {
            var i = 0
            while i < bytes.count {
                out += try p.feed(Array(bytes[i..<min(bytes.count, i + chunk)]))
                i += chunk
            }
        } else {
            out += try p.feed(bytes)
        }
        out += try p.finish()
        return (p.header, out)
    }

    static func noHeader() -> CSVOptions {
        var o = CSVOptions()
        o.header = false
        return o
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var input: String
        var fields: [[String?]]
        var lines: [Int]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "plain", input: "a,b,c\n1,2,3\n", fields: [["a", "b", "c"], ["1", "2", "3"]], lines: [1, 2]),
        Case(name: "no final newline", input: "a,b\n1,2", fields: [["a", "b"], ["1", "2"]], lines: [1, 2]),
        Case(name: "quoted with delimiter", input: "\"a,b\",c\n", fields: [["a,b", "c"]], lines: [1]),
        Case(name: "doubled quotes", input: "\"say \"\"hi\"\"\",x\n", fields: [["say \"hi\"", "x"]], lines: [1]),
        Case(name: "embedded LF", input: "\"line1\nline2\",x\nnext,y\n", fields: [["line1\nline2", "x"], ["next", "y"]], lines: [1, 3]),
        Case(name: "embedded CRLF", input: "\"l1\r\nl2\",x\r\nn,y\r\n", fields: [["l1\r\nl2", "x"], ["n", "y"]], lines: [1, 3]),
        Case(name: "CRLF", input: "a,b\r\n1,2\r\n", fields: [["a", "b"], ["1", "2"]], lines: [1, 2]),
        Case(name: "CR only", input: "a,b\r1,2\r", fields: [["a", "b"], ["1", "2"]], lines: [1, 2]),
        Case(name: "empty fields are NULL", input: "a,,c\n,\n", fields: [["a", nil, "c"], [nil, nil]], lines: [1, 2]),
        Case(name: "quoted empty stays empty", input: "\"\",x\n", fields: [["", "x"]], lines: [1]),
        Case(name: "null markers", input: "NULL,\\N,null,\"NULL\"\n", fields: [[nil, nil, nil, "NULL"]], lines: [1]),
        Case(name: "blank lines skipped", input: "a\n\n\nb\n", fields: [["a"], ["b"]], lines: [1, 4]),
        Case(name: "ragged", input: "a,b,c\n1\n1,2,3,4\n", fields: [["a", "b", "c"], ["1"], ["1", "2", "3", "4"]], lines: [1, 2, 3]),
        Case(name: "trailing delimiter", input: "a,\n", fields: [["a", nil]], lines: [1]),
        Case(name: "quote in unquoted field is literal", input: "5\"4,x\n", fields: [["5\"4", "x"]], lines: [1]),
        Case(name: "text after closing quote", input: "\"ab\"cd,x\n", fields: [["abcd", "x"]], lines: [1]),
        Case(name: "utf8", input: "héllo,日本\n", fields: [["héllo", "日本"]], lines: [1]),
    ]

    @Test(arguments: cases)
    func rfc4180(_ c: Case) throws {
        let r = try Self.parseAll(c.input, options: Self.noHeader())
        #expect(r.records.map(\.fields) == c.fields)
        #expect(r.records.map(\.line) == c.lines)
        #expect(r.header == nil)
    }

    @Test(arguments: cases)
    func everyChunkSplit(_ c: Case) throws {
        let whole = try Self.parseAll(c.input, options: Self.noHeader())
        let bytes = Array(c.input.utf8)
        // Two chunks split at every byte position, and one byte at a time.
        for split in 0...bytes.count {
            var p = CSVParser(options: Self.noHeader())
            var out = try p.feed(Array(bytes[..<split]))
            out += try p.feed(Array(bytes[split...]))
            out += try p.finish()
            #expect(out == whole.records, "split at \(split)")
        }
        #expect(try Self.parseAll(c.input, options: Self.noHeader(), chunk: 1).records == whole.records)
    }

    @Test func headerAndBOM() throws {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("id,name,\n1,x,y\n".utf8)
        for chunk in [1, 2, 3, 100] {
            let r = try Self.parseBytes(bytes, chunk: chunk)
            #expect(r.header == ["id", "name", "col_3"])
            #expect(r.records == [TextRecord(fields: ["1", "x", "y"], line: 2)])
        }
        // A header cell spelled like a null marker is still a name.
        #expect(try Self.parseAll("NULL,b\n1,2\n").header == ["NULL", "b"])
        // Only a BOM, or fewer bytes than a BOM.
        #expect(try Self.parseBytes([0xEF, 0xBB, 0xBF], options: Self.noHeader()).records.isEmpty)
        #expect(try Self.parseBytes([0xEF, 0xBB], options: Self.noHeader()).records.map(\.fields) == [["\u{FFFD}"]])
        #expect(try Self.parseAll("a", options: Self.noHeader(), chunk: 1).records.map(\.fields) == [["a"]])
        #expect(CSVParser.columnNames(count: 3) == ["col_1", "col_2", "col_3"])
    }

    @Test func backslashEscape() throws {
        var o = Self.noHeader()
        o.escape = UInt8(ascii: "\\")
        let r = try Self.parseAll("\"a \\\"quoted\\\" word\",\"back\\\\slash\",\\N\n", options: o)
        #expect(r.records.map(\.fields) == [["a \"quoted\" word", "back\\slash", nil]])
        // Doubled quotes still work with an escape set.
        #expect(try Self.parseAll("\"x\"\"y\"\n", options: o).records.map(\.fields) == [["x\"y"]])
    }

    @Test func tabDelimiter() throws {
        var o = CSVOptions()
        o.delimiter = UInt8(ascii: "\t")
        let r = try Self.parseAll("a\tb\n1,5\t\"x\ty\"\n", options: o)
        #expect(r.header == ["a", "b"])
        #expect(r.records.map(\.fields) == [["1,5", "x\ty"]])
    }

    @Test func customNullMarkers() throws {
        var o = Self.noHeader()
        o.nullMarkers = ["NA"]
        #expect(try Self.parseAll("NA,,\"NA\"\n", options: o).records.map(\.fields) == [[nil, "", "NA"]])
    }

    @Test func unterminatedQuoteNamesItsLine() {
        #expect(throws: IngestError.malformed("unterminated quoted field in the record starting on line 2")) {
            _ = try Self.parseAll("a\n\"open\nstill open\n", options: Self.noHeader())
        }
    }

    @Test func limits() throws {
        var o = Self.noHeader()
        o.maxFieldBytes = 4
        #expect(try Self.parseAll("abcd,x\n", options: o).records.count == 1)
        #expect(throws: IngestError.self) { _ = try Self.parseAll("abcde,x\n", options: o) }
        let wide = String(repeating: ",", count: CSVParser.maxFieldsPerRecord) + "\n"
        #expect(throws: IngestError.self) { _ = try Self.parseAll(wide, options: Self.noHeader()) }
    }

    @Test func feedAfterFinishThrows() throws {
        var p = CSVParser()
        _ = try p.finish()
        #expect(throws: IngestError.self) { _ = try p.feed([65]) }
    }
}

@Suite struct CSVRecordBoundTests {
    /// Fields each under the field bound still add up: the record as a whole is bounded too.
    @Test func aRecordOfManySmallFieldsIsBounded() throws {
        var options = CSVOptions()
        options.maxFieldBytes = 100
        options.maxRecordBytes = 1_000
        var parser = CSVParser(options: options)
        let wide = Array((Array(repeating: "abcdefghi", count: 200).joined(separator: ",") + "\n").utf8)
        #expect(throws: IngestError.self) { _ = try parser.feed(Array("h\n".utf8) + wide) }
        var fits = CSVParser(options: options)
        let narrow = Array((Array(repeating: "abcdefghi", count: 50).joined(separator: ",") + "\n").utf8)
        #expect(try fits.feed(Array("h\n".utf8) + narrow).count == 1)
    }
}
