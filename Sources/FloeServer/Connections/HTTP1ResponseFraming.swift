import HTTPTypes
import NIOCore
import NIOHTTP1

/// How an HTTP/1 answer's body is delimited on the wire, and the bytes of its head: what NIO's
/// `HTTPResponseEncoder` decides and writes, taken straight from the `HTTPResponse`, without
/// first converting it to NIO's header list (two copies of every field per answer).
enum HTTP1ResponseFraming {
    enum Body: Equatable {
        /// Each body part is sent as a chunk, and the end as the last chunk (HTTP/1.1 only).
        case chunked
        /// As they are: the length is in the head, or the connection's close ends the body.
        case plain
        /// No body bytes may follow: an answer to HEAD or CONNECT, or a status that has none.
        case none
    }

    /// Fixes the framing fields of `response` as RFC 9112 §6 wants them and says how its body goes:
    /// - a status without a body (1xx, 204, 304) carries neither `Content-Length` nor `Transfer-Encoding`;
    /// - a `Content-Length` wins over any `Transfer-Encoding`, which is removed;
    /// - without a length, an HTTP/1.1 answer is chunked, an HTTP/1.0 one ends with the connection.
    /// An answer to HEAD keeps the fields a GET would have had but sends no body bytes; a 2xx
    /// answer to CONNECT has neither (RFC 9110 §9.3.6). `method` is the request's, for a final answer.
    static func frame(_ response: inout HTTPResponse, version: HTTPVersion, method: HTTPRequest.Method?) -> Body {
        let code = response.status.code
        // Presence is asked with `contains`: the subscript joins every value of the name into a
        // new string, which cost more than the rest of the answer's framing.
        if (100..<200).contains(code) || code == 204 || code == 304 || (method == .connect && (200..<300).contains(code)) {
            if response.headerFields.contains(.contentLength) { response.headerFields[.contentLength] = nil }
            if response.headerFields.contains(.transferEncoding) { response.headerFields[.transferEncoding] = nil }
            return .none
        }
        let framing: Body
        if response.headerFields.contains(.contentLength) {
            if response.headerFields.contains(.transferEncoding) { response.headerFields[.transferEncoding] = nil }
            framing = .plain
        } else if version.major == 1 && version.minor >= 1 {
            response.headerFields[.transferEncoding] = "chunked"
            framing = .chunked
        } else {
            framing = .plain
        }
        return method == .head ? .none : framing
    }

    /// The status line and the fields, ending with the empty line.
    static func writeHead(_ response: HTTPResponse, version: HTTPVersion, into buffer: inout ByteBuffer) {
        buffer.writeStaticString(version.minor == 0 ? "HTTP/1.0 " : "HTTP/1.1 ")
        // The code's three digits and the space, in one write (HTTPTypes holds a code to 0...999).
        let code = response.status.code
        if code >= 100 {
            let digits = UInt32(UInt8(ascii: "0") + UInt8(code / 100)) << 24 | UInt32(UInt8(ascii: "0") + UInt8(code / 10 % 10)) << 16
                | UInt32(UInt8(ascii: "0") + UInt8(code % 10)) << 8 | UInt32(UInt8(ascii: " "))
            buffer.writeInteger(digits, endianness: .big)
        } else {
            buffer.writeString(String(code))
            buffer.writeStaticString(" ")
        }
        // A status made from its code alone has no phrase; botocore takes a status line without
        // one, after an `Expect: 100-continue`, for no status line at all.
        let phrase = response.status.reasonPhrase
        buffer.writeString(phrase.isEmpty ? HTTPResponseStatus(statusCode: response.status.code).reasonPhrase : phrase)
        buffer.writeStaticString("\r\n")
        writeFields(response.headerFields, into: &buffer)
    }

    /// Each field on its line, then the empty line that ends them: one write per field (four
    /// buffer writes per field, each checking the buffer's uniqueness and room, were 1.7 % of a
    /// small request's CPU), over one pass of the fields (each field taken out of them is retained).
    private static func writeFields(_ fields: HTTPFields, into buffer: inout ByteBuffer) {
        for field in fields {
            let (name, value) = (field.name.rawName, field.value)
            let length = name.utf8.count + value.utf8.count + 4
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { out in
                var at = copy(name, into: out, at: 0)
                out[at] = UInt8(ascii: ":")
                out[at + 1] = UInt8(ascii: " ")
                at = copy(value, into: out, at: at + 2)
                out[at] = UInt8(ascii: "\r")
                out[at + 1] = UInt8(ascii: "\n")
                return length
            }
        }
        buffer.writeStaticString("\r\n")
    }

    /// Copies the UTF-8 bytes of `text` to `out` at `at`; returns where they end.
    @inline(__always)
    private static func copy(_ text: String, into out: UnsafeMutableRawBufferPointer, at: Int) -> Int {
        var text = text
        return text.withUTF8 { bytes in
            UnsafeMutableRawBufferPointer(rebasing: out[at..<(at + bytes.count)]).copyMemory(from: UnsafeRawBufferPointer(bytes))
            return at + bytes.count
        }
    }

    /// What goes before a chunk of `length` bytes.
    static func writeChunkStart(length: Int, into buffer: inout ByteBuffer) {
        buffer.writeString(String(length, radix: 16))
        buffer.writeStaticString("\r\n")
    }

    /// The last chunk, with trailer fields if there are any.
    static func writeLastChunk(trailers: HTTPFields?, into buffer: inout ByteBuffer) {
        buffer.writeStaticString("0\r\n")
        writeFields(trailers ?? [:], into: &buffer)
    }
}
