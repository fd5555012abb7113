import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import S3Model

/// Asks a connection to answer the current request's `Expect: 100-continue` now: the request
/// was authenticated and authorized, so its body is wanted.
struct SendContinue: Sendable {}

/// What S3 needs of a connection beside the HTTP/1 codec, in one handler right after it (every
/// part of every request passes through each handler of the pipeline):
/// - `Expect: 100-continue` is answered (HummingbirdCore never sends the interim response by
///   itself), but only when the responder asks for it with `SendContinue` after authorization: a
///   client whose request is refused gets the final answer and never sends the body.
/// - A request head larger than the HTTP decoder takes (64 KiB) never reaches the responder: the
///   decoder fails the connection. It is answered the S3 way, `RequestHeaderSectionTooLarge` in
///   XML (as the responder does for heads above S3's 8 KiB), then the connection closes.
///   Oversized trailers of a chunked body are that request's broken body instead: its answer may
///   be on its way, and a second answer written into it would corrupt it.
final class S3ConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// A request's head has come up and its end has not.
    private var inRequest = false
    private var awaitingContinue = false
    /// The request waiting for `100 Continue` announced a body.
    private var expectedBody = false
    private var closeAfterResponse = false
    /// Nothing the client sends after a refused request's answer is read: the connection closes
    /// once that answer is written (a pipelined request must not run unanswered).
    private var closing = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            inRequest = true
            guard !closing else { return }
            // Asked with `contains` first: the subscript joins the values of the name into a new string.
            awaitingContinue = head.headerFields.contains(.expect) && head.headerFields[.expect]?.lowercased() == "100-continue"
            expectedBody = awaitingContinue && Self.announcesBody(head)
        case .body:
            guard !closing else { return }
        case .end:
            inRequest = false
            guard !closing else { return }
        }
        context.fireChannelRead(data)
    }

    /// A length above 0 or a transfer coding (RFC 9112 §6.3).
    static func announcesBody(_ head: HTTPRequest) -> Bool {
        if head.headerFields[.transferEncoding] != nil { return true }
        guard let length = head.headerFields[.contentLength] else { return false }
        return length != "0"
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard !inRequest, let parserError = error as? HTTPParserError, parserError == .headerOverflow else {
            context.fireErrorCaught(error)
            return
        }
        let s3Error = S3Error.requestHeaderSectionTooLarge()
        var xml = XMLWriter()
        xml.group("Error") { x in
            x.element("Code", s3Error.code)
            x.element("Message", s3Error.message)
        }
        let body = ByteBuffer(bytes: xml.bytes)
        var head = HTTPResponse(status: .init(code: s3Error.status))
        head.headerFields[.contentType] = "application/xml"
        head.headerFields[.contentLength] = String(body.readableBytes)
        head.headerFields[.connection] = "close"
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard event is SendContinue else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        if awaitingContinue {
            awaitingContinue = false
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
        }
        promise?.succeed(())
    }

    /// A final answer to a request still waiting for `100 Continue` (refused before its body was
    /// wanted) closes the connection: the client never sends that body, so the connection
    /// cannot carry another request (as S3 does, with `Connection: close`).
    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard awaitingContinue || closeAfterResponse else { return context.write(data, promise: promise) }
        switch unwrapOutboundIn(data) {
        case .head(let head) where head.status.code >= 200 && awaitingContinue && !expectedBody:
            // Nothing to hold back: the interim answer goes first, as clients that sent `Expect`
            // read one (botocore keeps a connection's final answer without it as the status of
            // every later answer on that connection), and the connection stays open.
            awaitingContinue = false
            context.write(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
            context.write(data, promise: promise)
        case .head(var head) where head.status.code >= 200 && awaitingContinue:
            awaitingContinue = false
            closeAfterResponse = true
            closing = true
            head.headerFields[.connection] = "close"
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .end where closeAfterResponse:
            closeAfterResponse = false
            let written = context.eventLoop.makePromise(of: Void.self)
            context.writeAndFlush(data, promise: written)
            written.futureResult.whenComplete { _ in context.close(promise: nil) }
            if let promise { written.futureResult.cascade(to: promise) }
        default:
            context.write(data, promise: promise)
        }
    }
}
