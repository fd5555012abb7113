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

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
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

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // Once the final answer is on its way, no interim one may follow.
        if case .head = unwrapOutboundIn(data) { awaitingContinue = false }
        context.write(data, promise: promise)
    }
}
