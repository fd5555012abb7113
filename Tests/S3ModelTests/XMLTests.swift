import Testing

@testable import S3Model
import SigV4

@Suite struct XMLTests {
    @Test func elementsEscapeByteWiseAsTheScalarEscaperDoes() {
        var samples = ["plain", "\"etag\"", "a&b<c>d'e", "ünïcødé 🧊 key", "tab\tnew\nline", ""]
        samples.append(String(decoding: (0..<0x20).map { UInt8($0) } + Array("x\u{7F}é".utf8), as: UTF8.self))
        for text in samples {
            var writer = XMLWriter()
            writer.element("K", text)
            #expect(writer.output.hasSuffix("<K>\(XMLWriter.escape(text))</K>"), "\(text.debugDescription)")
        }
        #expect(XMLWriter.escape("\"etag\"") == "&quot;etag&quot;")
        #expect(XMLWriter.escape("a&b<c>d'e") == "a&amp;b&lt;c&gt;d&apos;e")
        #expect(XMLWriter.escape("tab\tnew\nline\u{1F}\u{0}") == "tab&#x9;new&#xA;line&#x1F;&#x0;")
        #expect(XMLWriter.escape("ünïcødé 🧊") == "ünïcødé 🧊")
    }

    @Test func parsesCreateBucketConfiguration() throws {
        let doc = try XMLDocument.parse("""
            <?xml version="1.0" encoding="UTF-8"?>
            <CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
              <!-- a comment -->
              <LocationConstraint>eu-west-1</LocationConstraint>
            </CreateBucketConfiguration>
            """)
        #expect(doc.name == "CreateBucketConfiguration")
        #expect(doc.attributes["xmlns"] == "http://s3.amazonaws.com/doc/2006-03-01/")
        #expect(doc.value("LocationConstraint") == "eu-west-1")
    }

    @Test func resolvesEntitiesCDATAAndPrefixes() throws {
        let doc = try XMLDocument.parse("<s3:Delete xmlns:s3='x'><s3:Object><Key>a&amp;b&lt;&#x41;&#66;<![CDATA[<raw>]]></Key></s3:Object><Quiet/></s3:Delete>")
        #expect(doc.name == "Delete")
        #expect(doc.child("Object")?.value("Key") == "a&b<AB<raw>")
        #expect(doc.child("Quiet")?.text == "")
    }

    @Test func rejectsMalformedAndDTDs() {
        for text in [
            "", "<a>", "<a></b>", "<a><b></a></b>", "<a/><b/>", "text", "<a x=1/>", "<a>&bogus;</a>",
            "<!DOCTYPE a [<!ENTITY x 'y'>]><a>&x;</a>", "<a><!DOCTYPE b></a>",
            String(repeating: "<a>", count: 100) + String(repeating: "</a>", count: 100),
        ] {
            #expect(throws: XMLDocument.ParseError.self, "\(text.prefix(40))") { try XMLDocument.parse(text) }
        }
    }

    @Test func writerEscapes() {
        var xml = XMLWriter()
        xml.group("R", namespace: XMLWriter.s3Namespace) { x in
            x.element("Key", "a<b>&\"c'\u{1}")
            x.element("N", 5)
            x.element("T", true)
            for n: Int64 in [0, 9, 10, 1_000_000, -42, .max] { x.element("I", n) }
        }
        #expect(xml.output.hasSuffix(
            "<R xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Key>a&lt;b&gt;&amp;&quot;c&apos;&#x1;</Key><N>5</N><T>true</T>"
                + "<I>0</I><I>9</I><I>10</I><I>1000000</I><I>-42</I><I>9223372036854775807</I></R>"))
        // What the writer escapes the reader restores.
        let parsed = try? XMLDocument.parse(xml.output)
        #expect(parsed?.value("Key") == "a<b>&\"c'\u{1}")
    }
}

@Suite struct WireFormatTests {
    @Test func httpDates() {
        #expect(HTTPDate.rfc1123(784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT") == 784_111_777)
        // Python's email.utils.formatdate (botocore signs SigV4 with it when a request has a Date) writes -0000.
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 -0000") == 784_111_777)
        // Found by fuzzing: a huge year overflowed the day count and trapped (a server crash from
        // one If-Modified-Since or SigV2 Date header). Years have four digits.
        #expect(HTTPDate.parse("Sun, 06 Nov 99999999999999999 08:49:37 GMT") == nil)
        #expect(HTTPDate.parse("Sun Nov 6 08:49:37 -9223372036854775807") == nil)
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 -1:49:37 GMT") == nil)
        #expect(HTTPDate.parse("Sunday, 06-Nov-94 08:49:37 GMT") == 784_111_777)
        #expect(HTTPDate.parse("Sun Nov  6 08:49:37 1994") == 784_111_777)
        #expect(HTTPDate.parse("yesterday") == nil)
        #expect(HTTPDate.iso8601(milliseconds: 1_255_369_830_007) == "2009-10-12T17:50:30.007Z")
        #expect(HTTPDate.iso8601(milliseconds: 0) == "1970-01-01T00:00:00.000Z")
        #expect(HTTPDate.iso8601(milliseconds: -1) == "1969-12-31T23:59:59.999Z")
        #expect(HTTPDate.iso8601(milliseconds: 253_402_300_799_999) == "9999-12-31T23:59:59.999Z")
        #expect(HTTPDate.rfc1123(253_402_300_799) == "Fri, 31 Dec 9999 23:59:59 GMT")
        // Outside four-digit years the text is still whole (the fixed-width writer is not used).
        #expect(HTTPDate.iso8601(milliseconds: 253_402_300_800_000) == "10000-01-01T00:00:00.000Z")
        // The fixed-width writer agrees with parsing, day by day across leap years and centuries.
        for day in stride(from: Int64(-719_000), through: 2_900_000, by: 997) {
            let millis = day * 86_400_000 + (day % 86_400) * 1_001
            #expect(HTTPDate.parseISO8601(HTTPDate.iso8601(milliseconds: millis)) == millis)
            #expect(HTTPDate.parse(HTTPDate.rfc1123(millis / 1000)) == millis / 1000)
        }
    }

    @Test func iso8601Parsing() {
        #expect(HTTPDate.parseISO8601("2009-10-12T17:50:30.007Z") == 1_255_369_830_007)
        #expect(HTTPDate.parseISO8601("2009-10-12T17:50:30Z") == 1_255_369_830_000)
        #expect(HTTPDate.parseISO8601("2009-10-12T19:50:30+02:00") == 1_255_369_830_000)
        #expect(HTTPDate.parseISO8601("2009-10-12T17:50:30.5Z") == 1_255_369_830_500)
        #expect(HTTPDate.parseISO8601("2009-10-12") == 1_255_305_600_000)
        #expect(HTTPDate.parseISO8601(HTTPDate.iso8601(milliseconds: 1_800_000_000_123)) == 1_800_000_000_123)
        for bad in ["", "2009-10-12T17:50:30", "2009-13-12T17:50:30Z", "2009-10-12T25:50:30Z", "2009-10-12T17:50:30Zjunk", "yesterday"] {
            #expect(HTTPDate.parseISO8601(bad) == nil, "\(bad)")
        }
    }

    @Test func byteRanges() {
        #expect(ByteRangeRequest(header: "bytes=0-9")?.resolve(size: 100) == 0...9)
        #expect(ByteRangeRequest(header: "bytes=90-")?.resolve(size: 100) == 90...99)
        #expect(ByteRangeRequest(header: "bytes=-10")?.resolve(size: 100) == 90...99)
        #expect(ByteRangeRequest(header: "bytes=-500")?.resolve(size: 100) == 0...99)
        #expect(ByteRangeRequest(header: "bytes=50-500")?.resolve(size: 100) == 50...99)
        #expect(ByteRangeRequest(header: "bytes=100-")?.resolve(size: 100) == nil)
        #expect(ByteRangeRequest(header: "bytes=0-")?.resolve(size: 0) == nil)
        #expect(ByteRangeRequest(header: "bytes=-0")?.resolve(size: 10) == nil)
        // Not a single valid range: ignored, the whole object is served.
        #expect(ByteRangeRequest(header: "bytes=5-1") == nil)
        #expect(ByteRangeRequest(header: "bytes=0-1,3-4") == nil)
        #expect(ByteRangeRequest(header: "items=0-1") == nil)
        #expect(ByteRangeRequest(header: "bytes=a-b") == nil)
    }

    @Test func base64() {
        for bytes: [UInt8] in [[], [0], [0, 1], [0, 1, 2], [255, 254, 253, 252], Array(0...255)] {
            #expect(Base64.decode(Base64.encode(bytes)) == bytes)
        }
        #expect(Base64.encode(Array("hello".utf8)) == "aGVsbG8=")
        #expect(Base64.decode("aGVsbG8") == nil)
        #expect(Base64.decode("a=GV") == nil)
        #expect(Base64.decode("****") == nil)
    }

    @Test func preconditionsFollowS3Order() {
        let etag = "\"abc\""
        let t: Int64 = 784_111_777
        let before = "Sun, 06 Nov 1994 08:49:36 GMT"
        let at = "Sun, 06 Nov 1994 08:49:37 GMT"
        func eval(_ p: Preconditions) -> PreconditionOutcome { p.evaluate(etag: etag, lastModified: t) }
        #expect(eval(Preconditions()) == .proceed)
        #expect(eval(Preconditions(ifMatch: "\"abc\"")) == .proceed)
        #expect(eval(Preconditions(ifMatch: "abc")) == .proceed)
        #expect(eval(Preconditions(ifMatch: "\"x\", \"abc\"")) == .proceed)
        #expect(eval(Preconditions(ifMatch: "*")) == .proceed)
        #expect(eval(Preconditions(ifMatch: "\"x\"")) == .failed("If-Match"))
        #expect(eval(Preconditions(ifUnmodifiedSince: before)) == .failed("If-Unmodified-Since"))
        #expect(eval(Preconditions(ifUnmodifiedSince: at)) == .proceed)
        // If-Match true wins over If-Unmodified-Since false.
        #expect(eval(Preconditions(ifMatch: etag, ifUnmodifiedSince: before)) == .proceed)
        #expect(eval(Preconditions(ifNoneMatch: etag)) == .notModified)
        #expect(eval(Preconditions(ifNoneMatch: "\"x\"")) == .proceed)
        #expect(eval(Preconditions(ifModifiedSince: at)) == .notModified)
        #expect(eval(Preconditions(ifModifiedSince: before)) == .proceed)
        // If-None-Match false (no match) wins over If-Modified-Since.
        #expect(eval(Preconditions(ifNoneMatch: "\"x\"", ifModifiedSince: at)) == .proceed)
        // 412 is decided before 304.
        #expect(eval(Preconditions(ifMatch: "\"x\"", ifNoneMatch: etag)) == .failed("If-Match"))
        // An unparsable date is ignored.
        #expect(eval(Preconditions(ifModifiedSince: "garbage")) == .proceed)
    }
}
