import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import S3Model

/// A request head larger than the HTTP decoder takes (64 KiB) never reaches the responder: the
/// decoder fails the connection. This answers it the S3 way, `RequestHeaderSectionTooLarge` in
/// XML (as the responder does for heads above S3's 8 KiB), then closes the connection.
/// Oversized trailers of a chunked body are that request's broken body instead: its answer may
/// be on its way, and a second answer written into it would corrupt it.
final class HeaderOverflowHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias OutboundOut = HTTPResponsePart

    /// A request's head has come up and its end has not.
    private var inRequest = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: inRequest = true
        case .body: break
        case .end: inRequest = false
        }
        context.fireChannelRead(data)
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
}
