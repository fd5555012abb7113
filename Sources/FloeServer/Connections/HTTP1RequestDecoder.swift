import HTTP1
import NIOCore
import NIOHTTP1

/// The socket's bytes as request parts (`HTTP1RequestParser`), in place of NIO's
/// `HTTPRequestDecoder`: its llhttp callbacks, header list of strings and the conversion to
/// HTTPTypes after it were about 6 % of a small request's CPU.
///
/// A parse error goes up as `HTTPParserError` (the handlers above answer 400, or
/// `RequestHeaderSectionTooLarge` for `headerOverflow`), and every byte after it is dropped. A
/// connection whose input ends inside a request (its close, or a half-close) reports
/// `invalidEOFState` first, so a body cut short fails instead of seeming complete.
final class HTTP1RequestDecoder: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = HTTP1RequestPart

    private var parser: HTTP1RequestParser
    /// The input has ended (or the channel closed while parts were going up): nothing more is parsed.
    private var inputEnded = false

    init(maxHeadBytes: Int = 64 * 1024, maxFieldCount: Int = 1000) {
        parser = HTTP1RequestParser(maxHeadBytes: maxHeadBytes, maxFieldCount: maxFieldCount)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !inputEnded else { return }
        parser.feed(unwrapInboundIn(data))
        do {
            while !inputEnded, let part = try parser.next() {
                context.fireChannelRead(wrapInboundOut(part))
            }
        } catch {
            context.fireErrorCaught(error)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        endInput(context)
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .inputClosed = event as? ChannelEvent { endInput(context) }
        context.fireUserInboundEventTriggered(event)
    }

    private func endInput(_ context: ChannelHandlerContext) {
        guard !inputEnded else { return }
        inputEnded = true
        if parser.isInMessage { context.fireErrorCaught(HTTPParserError.invalidEOFState) }
    }
}
