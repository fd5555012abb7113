import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import S3Model

/// A request head larger than the HTTP decoder takes (64 KiB) never reaches the responder: the
/// decoder fails the connection. This answers it the S3 way, `RequestHeaderSectionTooLarge` in
/// XML (as the responder does for heads above S3's 8 KiB), then closes the connection.
final class HeaderOverflowHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias OutboundOut = HTTPResponsePart

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError, parserError == .headerOverflow else {
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
