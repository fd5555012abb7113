#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import HTTPTypes
import NIOCore
import NIOHTTP1

/// A request as HTTP/1 carries it: HTTPTypes' request, and what HTTPTypes has no place for.
public struct HTTP1RequestHead: Sendable {
    public var request: HTTPRequest
    public var version: HTTPVersion
    /// The connection may carry another request after this one's answer (RFC 9112 §9.3): 1.1
    /// without `Connection: close`, 1.0 with `Connection: keep-alive`.
    public var keepAlive: Bool

    public init(request: HTTPRequest, version: HTTPVersion, keepAlive: Bool) {
        self.request = request
        self.version = version
        self.keepAlive = keepAlive
    }
}

public enum HTTP1RequestPart: Sendable {
    case head(HTTP1RequestHead)
    case body(ByteBuffer)
    case end(HTTPFields?)
}

/// HTTP/1.0 and 1.1 requests read from bytes (RFC 9112), straight into HTTPTypes' fields: no
/// intermediate header list of strings, no callbacks. Pure: `feed` bytes, then take parts with
/// `next()` until it returns nil (it needs more bytes) or throws (the bytes are not HTTP; nothing
/// more is parsed). Body bytes go out as slices of what was fed, never held.
///
/// What it refuses, as llhttp (NIO's parser) does in its strict mode, so that no two readers of
/// a request can disagree on where it ends: a line not ended by CRLF, control characters (NUL
/// included) in the target or a field value, whitespace before a field's colon, folded lines,
/// `Content-Length` that is not digits or comes twice, `Content-Length` beside
/// `Transfer-Encoding`, a transfer coding that is not a final `chunked` (any other coding would
/// pass through undecoded), a malformed chunk size or a chunk not ended by CRLF, a method
/// llhttp does not know. A head or trailer section above `maxHeadBytes`, or with more than
/// `maxFieldCount` fields, is `headerOverflow`.
public struct HTTP1RequestParser: Sendable {
    public let maxHeadBytes: Int
    public let maxFieldCount: Int
    /// A chunk's size line, extensions included.
    public static let maxChunkLineBytes = 4096

    private enum State {
        case head
        case body(remaining: Int64)
        case chunkSize
        case chunkData(remaining: Int64)
        case chunkDataEnd
        case trailers
        case failed
    }

    private var state = State.head
    /// Bytes fed and not yet parsed.
    private var pending = ByteBuffer()
    /// A body of known length, or none, has ended: `.end` is the next part.
    private var pendingEnd = false
    /// How far into `pending` a line end was already looked for (a head or trailers that arrive
    /// in pieces are not scanned again from their start).
    private var scanned = 0

    public init(maxHeadBytes: Int = 64 * 1024, maxFieldCount: Int = 1000) {
        self.maxHeadBytes = maxHeadBytes
        self.maxFieldCount = maxFieldCount
    }

    /// The bytes of storage the parser keeps between reads: none once all it was fed is parsed, so
    /// that a channel's receive buffer can be reused for the next read.
    var heldCapacity: Int { pending.capacity }

    /// A request has begun and not ended: a connection closing now cuts it off.
    public var isInMessage: Bool {
        switch state {
        case .head: pending.readableBytes > 0
        case .failed: false
        default: true
        }
    }

    public mutating func feed(_ buffer: ByteBuffer) {
        if case .failed = state { return }  // after an error nothing is HTTP any more
        if pending.readableBytes == 0 {
            pending = buffer
            scanned = 0
        } else {
            if pending.readerIndex > 4096 { pending.discardReadBytes() }
            var buffer = buffer
            pending.writeBuffer(&buffer)
        }
    }

    public mutating func next() throws -> HTTP1RequestPart? {
        do {
            return try parseNext()
        } catch {
            state = .failed
            pending = ByteBuffer()
            throw error
        }
    }

    private mutating func parseNext() throws -> HTTP1RequestPart? {
        if pendingEnd {
            pendingEnd = false
            return .end(nil)
        }
        switch state {
        case .failed:
            return nil
        case .head:
            // Empty lines before a request line are ignored (RFC 9112 §2.2).
            while let first = pending.readableBytesView.first, first == UInt8(ascii: "\r") || first == UInt8(ascii: "\n") {
                if first == UInt8(ascii: "\n") {
                    pending.moveReaderIndex(forwardBy: 1)
                } else {
                    guard pending.readableBytes >= 2 else { return nil }
                    guard pending.readableBytesView.dropFirst().first == UInt8(ascii: "\n") else { throw HTTPParserError.lfExpected }
                    pending.moveReaderIndex(forwardBy: 2)
                }
                scanned = 0
            }
            guard let length = try sectionLength() else { return nil }
            let head = try pending.withUnsafeReadableBytes { try Self.parseHead(UnsafeRawBufferPointer(rebasing: $0[..<length]), maxFieldCount: maxFieldCount) }
            pending.moveReaderIndex(forwardBy: length)
            scanned = 0
            releaseIfEmpty()
            switch head.framing {
            case .none, .length(0):
                // Without a body the request ends with its head: the end is the next part.
                state = .head
                pendingEnd = true
            case .length(let count): state = .body(remaining: count)
            case .chunked: state = .chunkSize
            }
            return .head(head.head)
        case .body(let remaining):
            guard pending.readableBytes > 0 else { return nil }
            let count = Int(min(remaining, Int64(pending.readableBytes)))
            let slice = pending.readSlice(length: count)!
            if remaining == Int64(count) {
                state = .head
                pendingEnd = true
            } else {
                state = .body(remaining: remaining - Int64(count))
            }
            releaseIfEmpty()
            return .body(slice)
        case .chunkSize:
            guard let length = try lineLength(limit: Self.maxChunkLineBytes, error: .invalidChunkSize) else { return nil }
            let size = try pending.withUnsafeReadableBytes { try Self.chunkSize(UnsafeRawBufferPointer(rebasing: $0[..<(length - 2)])) }
            pending.moveReaderIndex(forwardBy: length)
            scanned = 0
            state = size == 0 ? .trailers : .chunkData(remaining: size)
            return try parseNext()
        case .chunkData(let remaining):
            guard pending.readableBytes > 0 else { return nil }
            let count = Int(min(remaining, Int64(pending.readableBytes)))
            let slice = pending.readSlice(length: count)!
            state = remaining == Int64(count) ? .chunkDataEnd : .chunkData(remaining: remaining - Int64(count))
            releaseIfEmpty()
            return .body(slice)
        case .chunkDataEnd:
            guard pending.readableBytes >= 2 else { return nil }
            let crlf: UInt16 = 0x0D0A
            guard pending.readInteger(as: UInt16.self) == crlf else {
                throw HTTPParserError.invalidChunkSize
            }
            state = .chunkSize
            releaseIfEmpty()
            return try parseNext()
        case .trailers:
            // The trailer section: field lines, then an empty line.
            let length: Int
            if pending.readableBytesView.starts(with: [UInt8(ascii: "\r"), UInt8(ascii: "\n")]) {
                length = 2
            } else {
                guard let found = try sectionLength() else { return nil }
                length = found
            }
            let fields = try pending.withUnsafeReadableBytes { bytes -> HTTPFields in
                var fields = HTTPFields()
                var count = 0
                _ = try Self.parseFields(UnsafeRawBufferPointer(rebasing: bytes[..<length]), from: 0, into: &fields, count: &count, maxFieldCount: maxFieldCount)
                return fields
            }
            pending.moveReaderIndex(forwardBy: length)
            scanned = 0
            state = .head
            releaseIfEmpty()
            return .end(fields.isEmpty ? nil : fields)
        }
    }


    private mutating func releaseIfEmpty() {
        if pending.readableBytes == 0 {
            pending = ByteBuffer()
            scanned = 0
        }
    }

    /// The length of the section (a head, or trailers) at the start of `pending`, through its
    /// empty line; nil until it has all arrived. Every LF must follow a CR.
    private mutating func sectionLength() throws -> Int? {
        try pending.withUnsafeReadableBytes { bytes -> Int? in
            guard let base = bytes.baseAddress else { return nil }
            var index = max(scanned, 1)
            let limit = min(bytes.count, maxHeadBytes)
            while index < limit, let found = memchr(base + index, Int32(UInt8(ascii: "\n")), limit - index) {
                let lf = base.distance(to: UnsafeRawPointer(found))
                guard bytes[lf - 1] == UInt8(ascii: "\r") else { throw HTTPParserError.lfExpected }
                if lf >= 3, bytes[lf - 2] == UInt8(ascii: "\n"), bytes[lf - 3] == UInt8(ascii: "\r") {
                    return lf + 1
                }
                index = lf + 1
            }
            guard bytes.count < maxHeadBytes else { throw HTTPParserError.headerOverflow }
            scanned = limit
            return nil
        }
    }

    /// The length of the line at the start of `pending`, with its CRLF; nil until it has arrived.
    private mutating func lineLength(limit: Int, error: HTTPParserError) throws -> Int? {
        try pending.withUnsafeReadableBytes { bytes -> Int? in
            var index = scanned
            let end = min(bytes.count, limit)
            while index < end {
                if bytes[index] == UInt8(ascii: "\n") {
                    guard index > 0, bytes[index - 1] == UInt8(ascii: "\r") else { throw HTTPParserError.lfExpected }
                    return index + 1
                }
                index += 1
            }
            guard bytes.count < limit else { throw error }
            scanned = index
            return nil
        }
    }

    // MARK: The head

    private enum Framing {
        case none
        case length(Int64)
        case chunked
    }

    private static func parseHead(_ bytes: UnsafeRawBufferPointer, maxFieldCount: Int) throws -> (head: HTTP1RequestHead, framing: Framing) {
        // request-line = method SP request-target SP HTTP-version CRLF
        var index = 0
        while index < bytes.count, isTokenByte(bytes[index]) { index += 1 }
        guard index > 0, index < bytes.count, bytes[index] == UInt8(ascii: " ") else { throw HTTPParserError.invalidMethod }
        let method = try self.method(UnsafeRawBufferPointer(rebasing: bytes[0..<index]))
        index += 1
        let targetStart = index
        while index < bytes.count, isTargetByte(bytes[index]) { index += 1 }
        guard index > targetStart, index < bytes.count, bytes[index] == UInt8(ascii: " ") else { throw HTTPParserError.invalidURL }
        let target = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[targetStart..<index]), as: UTF8.self)
        index += 1
        guard index + 10 <= bytes.count else { throw HTTPParserError.invalidVersion }
        let version = try self.version(UnsafeRawBufferPointer(rebasing: bytes[index..<(index + 8)]))
        guard bytes[index + 8] == UInt8(ascii: "\r"), bytes[index + 9] == UInt8(ascii: "\n") else { throw HTTPParserError.invalidVersion }
        index += 10

        var fields = HTTPFields()
        var count = 0
        let declared = try parseFields(bytes, from: index, into: &fields, count: &count, maxFieldCount: maxFieldCount)
        guard let path = try requestPath(target, method: method) else { throw HTTPParserError.invalidURL }
        let request = HTTPRequest(method: method, scheme: method == .connect ? nil : "http", authority: declared.host, path: path, headerFields: fields)
        let keepAlive = !declared.close && (version == .http1_1 || declared.keepAlive)
        return (HTTP1RequestHead(request: request, version: version, keepAlive: keepAlive), declared.framing)
    }

    /// The path a request target names (RFC 9112 §3.2): an origin-form target (`/b/k?q`) as it is;
    /// an absolute-form one (`http://host/p?q`, what proxies are sent) its path and query; `*`
    /// as it is; a CONNECT's authority none. Anything else is refused, as llhttp refuses it.
    private static func requestPath(_ target: String, method: HTTPRequest.Method) throws -> String?? {
        let utf8 = target.utf8
        if utf8.first == UInt8(ascii: "/") { return .some(target) }
        if method == .connect { return .some(nil) }
        if target == "*" { return .some(target) }
        guard let colon = utf8.firstIndex(of: UInt8(ascii: ":")), colon != utf8.startIndex, utf8[colon...].starts(with: "://".utf8),
            utf8[..<colon].allSatisfy({ isSchemeByte($0) })
        else { return nil }
        let afterScheme = utf8.index(colon, offsetBy: 3)
        guard let pathStart = utf8[afterScheme...].firstIndex(where: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") }) else {
            return .some("/")
        }
        let rest = String(target[pathStart...])
        return .some(rest.utf8.first == UInt8(ascii: "?") ? "/" + rest : rest)
    }

    /// What a head's fields say of the message and its connection.
    private struct Declared {
        var framing = Framing.none
        var host: String?
        /// `Connection` options.
        var close = false
        var keepAlive = false
    }

    /// Field lines from `start` to the empty line ending `bytes`, appended to `fields`, and what
    /// they declare.
    private static func parseFields(
        _ bytes: UnsafeRawBufferPointer, from start: Int, into fields: inout HTTPFields, count: inout Int, maxFieldCount: Int
    ) throws -> Declared {
        var declared = Declared()
        var index = start
        var contentLength: Int64?
        var chunked = false
        while true {
            guard index + 1 < bytes.count else { throw HTTPParserError.invalidHeaderToken }
            if bytes[index] == UInt8(ascii: "\r") {
                guard bytes[index + 1] == UInt8(ascii: "\n") else { throw HTTPParserError.lfExpected }
                break
            }
            // field-line = field-name ":" OWS field-value OWS; a line starting with whitespace
            // continues the one before (obsolete folding), which is refused.
            let nameStart = index
            while index < bytes.count, isTokenByte(bytes[index]) { index += 1 }
            guard index > nameStart, index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw HTTPParserError.invalidHeaderToken }
            let name = UnsafeRawBufferPointer(rebasing: bytes[nameStart..<index])
            index += 1
            while index < bytes.count, bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "\t") { index += 1 }
            let valueStart = index
            guard let found = memchr(bytes.baseAddress! + index, Int32(UInt8(ascii: "\r")), bytes.count - index) else {
                throw HTTPParserError.lfExpected
            }
            index = bytes.baseAddress!.distance(to: UnsafeRawPointer(found))
            guard let kind = valueBytes(UnsafeRawBufferPointer(rebasing: bytes[valueStart..<index])) else { throw HTTPParserError.invalidCharactersUsed }
            var valueEnd = index
            while valueEnd > valueStart, bytes[valueEnd - 1] == UInt8(ascii: " ") || bytes[valueEnd - 1] == UInt8(ascii: "\t") { valueEnd -= 1 }
            guard index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "\n") else { throw HTTPParserError.lfExpected }
            index += 2
            count += 1
            guard count <= maxFieldCount else { throw HTTPParserError.headerOverflow }
            let value = UnsafeRawBufferPointer(rebasing: bytes[valueStart..<valueEnd])
            let fieldName: HTTPField.Name
            if let known = knownName(name) {
                fieldName = known
                // The names that frame the message or its connection are all known ones: the
                // others need no comparison.
                if fieldName == .contentLength {
                    guard contentLength == nil else { throw HTTPParserError.unexpectedContentLength }
                    contentLength = try decimal(value)
                } else if fieldName == .transferEncoding {
                    for coding in value.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
                        let trimmed = trimmingWhitespace(coding)
                        guard !trimmed.isEmpty else { continue }
                        // Only chunked is decoded here; any other coding would reach the responder
                        // still coded, so it is refused, and so is chunked applied twice.
                        guard equalsIgnoringCase(trimmed, "chunked"), !chunked else { throw HTTPParserError.invalidHeaderToken }
                        chunked = true
                    }
                    guard chunked else { throw HTTPParserError.invalidHeaderToken }
                } else if fieldName == Names.host {
                    // More than one Host line is refused (RFC 9112 §3.2): two readers could take different ones.
                    guard declared.host == nil else { throw HTTPParserError.invalidHost }
                    declared.host = String(decoding: value, as: UTF8.self)
                } else if fieldName == .connection {
                    for option in value.split(separator: UInt8(ascii: ",")) {
                        let token = trimmingWhitespace(option)
                        if equalsIgnoringCase(token, "close") { declared.close = true }
                        if equalsIgnoringCase(token, "keep-alive") { declared.keepAlive = true }
                    }
                }
            } else {
                fieldName = HTTPField.Name(String(decoding: name, as: UTF8.self))!
            }
            fields.append(field(fieldName, value, ascii: kind == .ascii))
        }
        if chunked {
            guard contentLength == nil else { throw HTTPParserError.unexpectedContentLength }
            declared.framing = .chunked
        } else if let contentLength {
            declared.framing = .length(contentLength)
        }
        return declared
    }

    private static func equalsIgnoringCase(_ bytes: Slice<UnsafeRawBufferPointer>, _ lowercased: StaticString) -> Bool {
        equalsIgnoringCase(UnsafeRawBufferPointer(rebasing: bytes), lowercased)
    }

    private static func equalsIgnoringCase(_ bytes: UnsafeRawBufferPointer, _ lowercased: StaticString) -> Bool {
        guard bytes.count == lowercased.utf8CodeUnitCount else { return false }
        let expected = lowercased.utf8Start
        for index in 0..<bytes.count {
            let byte = bytes[index]
            let lowered = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
            if lowered != expected[index] { return false }
        }
        return true
    }

    private static func trimmingWhitespace(_ bytes: Slice<UnsafeRawBufferPointer>) -> Slice<UnsafeRawBufferPointer> {
        var slice = bytes
        while let first = slice.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") { slice = slice.dropFirst() }
        while let last = slice.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") { slice = slice.dropLast() }
        return slice
    }

    /// 1*DIGIT, at most 18 of them (no length that large is served).
    private static func decimal(_ bytes: UnsafeRawBufferPointer) throws -> Int64 {
        guard !bytes.isEmpty, bytes.count <= 18 else { throw HTTPParserError.invalidContentLength }
        var value: Int64 = 0
        for byte in bytes {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { throw HTTPParserError.invalidContentLength }
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
        }
        return value
    }

    /// chunk-size [ chunk-ext ] (RFC 9112 §7.1.1): 1*HEXDIG, then `;name` or `;name=value`
    /// extensions (a value a token or a quoted string), which are ignored. No whitespace around
    /// them, as llhttp allows none.
    private static func chunkSize(_ bytes: UnsafeRawBufferPointer) throws -> Int64 {
        var index = 0
        var value: Int64 = 0
        while index < bytes.count, let digit = hexValue(bytes[index]) {
            guard index < 15 else { throw HTTPParserError.invalidChunkSize }
            value = value << 4 | Int64(digit)
            index += 1
        }
        guard index > 0 else { throw HTTPParserError.invalidChunkSize }
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: ";") else { throw HTTPParserError.invalidChunkSize }
            index += 1
            let nameStart = index
            while index < bytes.count, isTokenByte(bytes[index]) { index += 1 }
            guard index > nameStart else { throw HTTPParserError.invalidChunkSize }
            guard index < bytes.count, bytes[index] == UInt8(ascii: "=") else { continue }
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "\"") {
                index += 1
                while true {
                    guard index < bytes.count else { throw HTTPParserError.invalidChunkSize }
                    let byte = bytes[index]
                    index += 1
                    if byte == UInt8(ascii: "\"") { break }
                    if byte == UInt8(ascii: "\\") {
                        guard index < bytes.count, isValueByte(bytes[index]) else { throw HTTPParserError.invalidChunkSize }
                        index += 1
                    } else {
                        guard isValueByte(byte) else { throw HTTPParserError.invalidChunkSize }
                    }
                }
            } else {
                let valueStart = index
                while index < bytes.count, isTokenByte(bytes[index]) { index += 1 }
                guard index > valueStart else { throw HTTPParserError.invalidChunkSize }
            }
        }
        return value
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static func method(_ bytes: UnsafeRawBufferPointer) throws -> HTTPRequest.Method {
        switch bytes.count {
        case 3 where bytes.elementsEqual("GET".utf8): return .get
        case 3 where bytes.elementsEqual("PUT".utf8): return .put
        case 4 where bytes.elementsEqual("HEAD".utf8): return .head
        case 4 where bytes.elementsEqual("POST".utf8): return .post
        case 6 where bytes.elementsEqual("DELETE".utf8): return .delete
        case 7 where bytes.elementsEqual("OPTIONS".utf8): return .options
        default:
            let name = String(decoding: bytes, as: UTF8.self)
            guard knownMethods.contains(name), let method = HTTPRequest.Method(name) else { throw HTTPParserError.invalidMethod }
            return method
        }
    }

    /// The methods llhttp knows (its HTTP method map; NIO's `HTTPMethod` spells one differently
    /// and lacks another). Any other token is refused rather than answered: after a client
    /// miscounts a body, its leftover bytes ("loGET /b …") must end the connection, not run as a
    /// request of an unheard-of method.
    static let knownMethods: Set<String> = [
        "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
        "COPY", "LOCK", "MKCOL", "MOVE", "PROPFIND", "PROPPATCH", "SEARCH", "UNLOCK",
        "BIND", "REBIND", "UNBIND", "ACL", "REPORT", "MKACTIVITY", "CHECKOUT", "MERGE",
        "M-SEARCH", "NOTIFY", "SUBSCRIBE", "UNSUBSCRIBE", "PURGE", "MKCALENDAR", "LINK", "UNLINK",
        "SOURCE", "QUERY",
    ]

    private static func version(_ bytes: UnsafeRawBufferPointer) throws -> HTTPVersion {
        guard bytes.starts(with: "HTTP/".utf8), bytes[6] == UInt8(ascii: "."),
            let major = digit(bytes[5]), let minor = digit(bytes[7])
        else { throw HTTPParserError.invalidVersion }
        guard major == 1, minor <= 1 else { throw HTTPParserError.invalidVersion }
        return minor == 1 ? .http1_1 : .http1_0
    }

    private static func digit(_ byte: UInt8) -> Int? {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") ? Int(byte - UInt8(ascii: "0")) : nil
    }

    /// tchar (RFC 9110 §5.6.2): a bit per ASCII byte, below 64 and from 64.
    @inline(__always)
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        if byte < 64 { return (0x03FF_6CFA_0000_0000 as UInt64) >> byte & 1 == 1 }
        if byte < 128 { return (0x57FF_FFFF_C7FF_FFFE as UInt64) >> (byte - 64) & 1 == 1 }
        return false
    }

    private static func isSchemeByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."):
            true
        default: false
        }
    }

    /// A request target's bytes: visible ASCII (anything else is percent-encoded by clients, and
    /// was refused by llhttp).
    private static func isTargetByte(_ byte: UInt8) -> Bool { byte > 0x20 && byte < 0x7F }

    /// field-vchar, SP and HTAB (RFC 9110 §5.5): no control character, NUL, CR or LF.
    private static func isValueByte(_ byte: UInt8) -> Bool { byte >= 0x20 ? byte != 0x7F : byte == UInt8(ascii: "\t") }

    /// A field of checked value bytes. An ASCII value (nearly every one) becomes a string here:
    /// HTTPTypes' lenient initializer makes it through the standard library's generic UTF-8
    /// validation, which looks up two generic types' metadata at run time for every value, about
    /// 650 instructions. Any other value keeps the lenient form, which stores bytes that are not
    /// UTF-8 as they came.
    @inline(__always)
    private static func field(_ name: HTTPField.Name, _ value: UnsafeRawBufferPointer, ascii: Bool) -> HTTPField {
        guard ascii else { return HTTPField(name: name, lenientValue: value) }
        return HTTPField(name: name, value: String(decoding: value, as: UTF8.self))
    }

    enum ValueBytes { case ascii, other }

    /// Whether every byte may be in a field value (visible, space, tab or obs-text), and whether
    /// all are ASCII; nil when one may not. Eight at a time: a word with no byte below 0x20 and
    /// none equal to 0x7F needs no look at its bytes (a byte from 0x80 never flags either test).
    private static func valueBytes(_ bytes: UnsafeRawBufferPointer) -> ValueBytes? {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        var seen: UInt64 = 0
        var index = 0
        while index + 8 <= bytes.count {
            let word = bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            let below20 = (word &- ones &* 0x20) & ~word & highs
            let del = word ^ (ones &* 0x7F)
            let is7F = (del &- ones) & ~del & highs
            if below20 | is7F != 0 { break }
            seen |= word
            index += 8
        }
        while index < bytes.count {
            guard isValueByte(bytes[index]) else { return nil }
            seen |= UInt64(bytes[index])
            index += 1
        }
        return seen & highs == 0 ? .ascii : .other
    }

    /// The names S3 and catalog clients send most, without building and lowercasing a string.
    private static func knownName(_ bytes: UnsafeRawBufferPointer) -> HTTPField.Name? {
        func matches(_ lowercased: StaticString) -> Bool { equalsIgnoringCase(bytes, lowercased) }
        switch bytes.count {
        case 4:
            if matches("host") { return Names.host }
            if matches("date") { return .date }
        case 5:
            if matches("range") { return .range }
        case 6:
            if matches("accept") { return .accept }
            if matches("expect") { return .expect }
        case 8:
            if matches("if-match") { return .ifMatch }
        case 10:
            if matches("user-agent") { return .userAgent }
            if matches("connection") { return .connection }
            if matches("x-amz-date") { return Names.amzDate }
        case 11:
            if matches("content-md5") { return Names.contentMD5 }
        case 12:
            if matches("content-type") { return .contentType }
        case 13:
            if matches("authorization") { return .authorization }
            if matches("if-none-match") { return .ifNoneMatch }
        case 14:
            if matches("content-length") { return .contentLength }
        case 15:
            if matches("accept-encoding") { return .acceptEncoding }
        case 16:
            if matches("content-encoding") { return .contentEncoding }
        case 17:
            if matches("transfer-encoding") { return .transferEncoding }
        case 20:
            if matches("x-amz-content-sha256") { return Names.amzContentSHA256 }
        case 21:
            if matches("amz-sdk-invocation-id") { return Names.sdkInvocationID }
        default:
            break
        }
        return nil
    }

    private enum Names {
        static let host = HTTPField.Name("host")!
        static let amzDate = HTTPField.Name("x-amz-date")!
        static let contentMD5 = HTTPField.Name("content-md5")!
        static let amzContentSHA256 = HTTPField.Name("x-amz-content-sha256")!
        static let sdkInvocationID = HTTPField.Name("amz-sdk-invocation-id")!
    }
}
