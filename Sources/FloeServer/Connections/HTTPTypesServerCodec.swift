import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// Converts between NIO's HTTP/1 parts and HTTPTypes' parts, keeping what HTTPTypes has no place
/// for: the request's HTTP version.
/// - An HTTP/1.0 request without `Connection: keep-alive` ends its connection after its answer,
///   which says `Connection: close` (RFC 9112 §9.3). Held open, a 1.0 client that reads to the
///   end of the connection waited for the idle timeout.
/// - A 1.0 request's answer carries its version, so a body of unknown length is delimited by the
///   connection's close, as HTTP/1.0 frames it, and never chunked: chunked coding is HTTP/1.1.
/// - An origin-form target (`/bucket/key?query`, what every client but a proxy sends) becomes the
///   path as it is. NIOHTTPTypesHTTP1's converter parses every target as a URL to find an
///   absolute form; that parse was 1.4 % of a HEAD request's CPU.
final class HTTPTypesServerCodec: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// The version of the request being answered, and whether the connection may carry another.
    private var answering = (version: HTTPVersion.http1_1, keepAlive: true)
    /// The connection ends after the answer in progress: later requests are not passed on.
    private var closing = false
    private var discarding = false
    /// The closing answer has ended: nothing more is written (a 400 for bytes pipelined behind it
    /// would run on into a body the close delimits).
    private var finished = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            if closing {
                discarding = true
                return
            }
            let request: HTTPRequest
            do {
                request = try Self.request(head)
            } catch {
                context.fireErrorCaught(error)
                return
            }
            // A 1.0 message framed with a transfer coding is faulty (RFC 9112 §6.1): answered, then closed.
            let keepAlive = head.version != .http1_0 || (head.isKeepAlive && !head.headers.contains(name: "transfer-encoding"))
            answering = (head.version, keepAlive)
            context.fireChannelRead(wrapInboundOut(.head(request)))
        case .body(let buffer):
            guard !discarding else { return }
            context.fireChannelRead(wrapInboundOut(.body(buffer)))
        case .end(let trailers):
            guard !discarding else { return }
            context.fireChannelRead(wrapInboundOut(.end(trailers.map { HTTPFields($0, splitCookie: false) })))
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard !finished else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        switch unwrapOutboundIn(data) {
        case .head(let response):
            let final = response.status.code >= 200
            if answering.version == .http1_0, !final {
                // A 1.0 client knows no interim answers (RFC 9110 §15.2): none is sent.
                promise?.succeed(())
                return
            }
            var head = HTTPResponseHead(response)
            if answering.version == .http1_0 {
                head.version = .http1_0
                // Without a length, the body ends where the connection does; an answer that
                // already says close (a refused Expect, a broken request) closes.
                if response.headerFields[.contentLength] == nil, ![204, 304].contains(response.status.code) { answering.keepAlive = false }
                if response.headerFields.namesCloseOption { answering.keepAlive = false }
                head.headers.replaceOrAdd(name: "connection", value: answering.keepAlive ? "keep-alive" : "close")
            }
            if !answering.keepAlive, final { closing = true }
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .body(let buffer):
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: promise)
        case .end(let trailers):
            // Read before the write: pipelining assistance may pass the next request up from inside it.
            let closes = closing
            if closes { finished = true }
            let written = promise ?? context.eventLoop.makePromise()
            context.write(wrapOutboundOut(.end(trailers.map { HTTPHeaders($0) })), promise: written)
            if closes {
                written.futureResult.whenComplete { _ in context.close(promise: nil) }
            }
        }
    }

    static func request(_ head: HTTPRequestHead) throws -> HTTPRequest {
        guard head.uri.utf8.first == UInt8(ascii: "/") else {
            return try HTTPRequest(head, secure: false, splitCookie: false)
        }
        return HTTPRequest(
            method: try HTTPRequest.Method(head.method), scheme: "http", authority: head.headers.first(name: "host"), path: head.uri,
            headerFields: HTTPFields(head.headers, splitCookie: false))
    }
}
