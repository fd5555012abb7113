import SigV4
import Hummingbird
import NIOCore
import S3Model

/// Reads a `multipart/form-data` body part by part as it arrives: small fields into bounded
/// buffers, the file part as a stream (`fileBody()`), so memory never grows with the upload.
/// The buffer holds at most one received chunk plus a delimiter's length.
public final class FormDataReader: @unchecked Sendable {
    public struct PartHeader {
        /// The `name` of Content-Disposition, as sent.
        public var name: String
        public var filename: String?
        public var contentType: String?
    }

    private var source: ClientBody.AsyncIterator
    private var buffer: [UInt8] = []
    private var exhausted = false
    /// `\r\n--boundary`: what ends every part.
    private let delimiter: [UInt8]
    private var started = false
    private(set) var finished = false
    /// The file part being streamed has reached its delimiter.
    private var partEnded = false
    static let maxHeaderBytes = 8 * 1024

    init(body: ClientBody, boundary: String) {
        source = body.makeAsyncIterator()
        delimiter = Array("\r\n--\(boundary)".utf8)
    }

    /// A reader of a request's body (the console's upload form uses it too).
    public convenience init(requestBody: RequestBody, boundary: String) {
        self.init(body: ClientBody(requestBody), boundary: boundary)
    }

    static func malformed(_ message: String = "The body of your POST request is not well-formed multipart/form-data.") -> S3Error {
        S3Error(code: "MalformedPOSTRequest", status: 400, message: message)
    }

    /// The boundary parameter of a `multipart/form-data` content type.
    public static func boundary(contentType: String) -> String? {
        let parts = contentType.split(separator: ";").map { $0.trimmingSpaces }
        guard parts.first?.lowercased() == "multipart/form-data" else { return nil }
        for part in parts.dropFirst() {
            let pair = part.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].trimmingSpaces.lowercased() == "boundary" else { continue }
            var value = Substring(pair[1].trimmingSpaces)
            if value.count >= 2, value.first == "\"", value.last == "\"" { value = value.dropFirst().dropLast() }
            return value.isEmpty || value.utf8.count > 70 ? nil : String(value)
        }
        return nil
    }

    private func fill() async throws -> Bool {
        guard !exhausted else { return false }
        guard let chunk = try await source.next() else {
            exhausted = true
            return false
        }
        buffer.append(contentsOf: chunk.readableBytesView)
        return true
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int = 0) -> Int? {
        guard needle.count <= haystack.count - start, !needle.isEmpty else { return nil }
        var i = start
        let last = haystack.count - needle.count
        while i <= last {
            if haystack[i] == needle[0] && haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }

    /// After a part's content and its delimiter: `--` ends the form, CRLF starts the next part.
    private func afterDelimiter() async throws {
        while buffer.count < 2 { guard try await fill() else { throw Self.malformed() } }
        if buffer[0] == UInt8(ascii: "-") && buffer[1] == UInt8(ascii: "-") {
            finished = true
            buffer.removeAll()
            return
        }
        guard buffer[0] == 0x0D && buffer[1] == 0x0A else { throw Self.malformed() }
        buffer.removeFirst(2)
    }

    /// The next part's headers, or nil after the last part.
    public func nextPart() async throws -> PartHeader? {
        if !started {
            // The first boundary has no CRLF before it (a preamble may precede it).
            started = true
            buffer.insert(contentsOf: [0x0D, 0x0A], at: 0)
            while true {
                if let at = Self.find(delimiter, in: buffer) {
                    buffer.removeFirst(at + delimiter.count)
                    break
                }
                guard buffer.count < Self.maxHeaderBytes, try await fill() else { throw Self.malformed() }
            }
            try await afterDelimiter()
        }
        if finished { return nil }
        partEnded = false
        let end: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A]
        var headerEnd: Int?
        while true {
            if buffer.starts(with: [0x0D, 0x0A]) {
                headerEnd = 0
            } else {
                headerEnd = Self.find(end, in: buffer).map { $0 + 2 }
            }
            if headerEnd != nil { break }
            guard buffer.count < Self.maxHeaderBytes, try await fill() else { throw Self.malformed() }
        }
        let text = String(decoding: buffer[..<headerEnd!], as: UTF8.self)
        buffer.removeFirst(headerEnd! + 2)
        var header = PartHeader(name: "")
        var named = false
        for line in text.split(separator: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let field = line[..<colon].trimmingSpaces.lowercased()
            let value = line[line.index(after: colon)...].trimmingSpaces
            if field == "content-disposition" {
                for parameter in value.split(separator: ";").dropFirst() {
                    let pair = parameter.split(separator: "=", maxSplits: 1)
                    guard pair.count == 2 else { continue }
                    var v = Substring(pair[1].trimmingSpaces)
                    if v.count >= 2, v.first == "\"", v.last == "\"" { v = v.dropFirst().dropLast() }
                    switch pair[0].trimmingSpaces.lowercased() {
                    case "name": (header.name, named) = (String(v), true)
                    case "filename": header.filename = String(v)
                    default: break
                    }
                }
            } else if field == "content-type" {
                header.contentType = String(value)
            }
        }
        guard named else { throw Self.malformed() }
        return header
    }

    /// The current part's content, which must fit in `limit` bytes.
    public func readValue(limit: Int, tooLarge: S3Error) async throws -> [UInt8] {
        while true {
            if let at = Self.find(delimiter, in: buffer) {
                guard at <= limit else { throw tooLarge }
                let value = Array(buffer[..<at])
                buffer.removeFirst(at + delimiter.count)
                try await afterDelimiter()
                return value
            }
            guard buffer.count <= limit + delimiter.count else { throw tooLarge }
            guard try await fill() else { throw Self.malformed() }
        }
    }

    /// The current part's content as a stream of buffers, ending at its delimiter.
    public func fileBody() -> FileBody { FileBody(reader: self) }

    /// The next slice of the current part: nil once its delimiter has been consumed.
    fileprivate func nextFileChunk() async throws -> ByteBuffer? {
        while true {
            if partEnded { return nil }
            if let at = Self.find(delimiter, in: buffer) {
                let chunk = Array(buffer[..<at])
                buffer.removeFirst(at + delimiter.count)
                try await afterDelimiter()
                partEnded = true
                return chunk.isEmpty ? nil : ByteBuffer(bytes: chunk)
            }
            // Everything but a possible start of the delimiter can go out now.
            let safe = buffer.count - (delimiter.count - 1)
            if safe > 0 {
                let chunk = ByteBuffer(bytes: buffer[..<safe])
                buffer.removeFirst(safe)
                return chunk
            }
            guard try await fill() else { throw Self.malformed() }
        }
    }

    public struct FileBody: AsyncSequence, Sendable {
        public typealias Element = ByteBuffer
        let reader: FormDataReader

        public struct AsyncIterator: AsyncIteratorProtocol {
            let reader: FormDataReader
            var done = false

            public mutating func next() async throws -> ByteBuffer? {
                guard !done else { return nil }
                guard let chunk = try await reader.nextFileChunk() else {
                    done = true
                    return nil
                }
                return chunk
            }
        }

        public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(reader: reader) }
    }
}
