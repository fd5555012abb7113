import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Asks a connection to answer the current request's `Expect: 100-continue` now: the request
/// was authenticated and authorized, so its body is wanted.
struct SendContinue: Sendable {}

/// Answers `Expect: 100-continue` (HummingbirdCore never sends the interim response by itself),
/// but only when the responder asks for it with `SendContinue` after authorization: a client
/// whose request is refused gets the final answer and never sends the body. It sits right after
/// the HTTP/1 codec in every connection's pipeline.
final class ExpectContinueHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private var awaitingContinue = false
    private var closeAfterResponse = false
    /// Nothing the client sends after a refused request's answer is read: the connection closes
    /// once that answer is written (a pipelined request must not run unanswered).
    private var closing = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        if case .head(let head) = unwrapInboundIn(data) {
            awaitingContinue = head.headerFields[.expect]?.lowercased() == "100-continue"
        }
        context.fireChannelRead(data)
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
        switch unwrapOutboundIn(data) {
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
