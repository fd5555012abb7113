import HTTP1
import Hummingbird
import Logging
import NIOCore
import NIOEmbedded
import Testing

@testable import FloeServer

/// A connection's handlers go away with it: nothing of a closed connection stays in memory.
@Suite struct HTTPConnectionHandlerTests {
    @Test func aClosedConnectionsHandlersAreFreed() throws {
        weak var handler: HTTPConnectionHandler?
        weak var codec: HTTP1ServerCodec?
        do {
            let channel = EmbeddedChannel()
            let made = (
                codec: HTTP1ServerCodec(sendTimeout: .seconds(60)),
                handler: HTTPConnectionHandler(
                    responder: Router<BasicRequestContext>().buildResponder(), idleTimeout: .seconds(60), logger: Logger(label: "test"))
            )
            try channel.pipeline.syncOperations.addHandler(made.codec)
            try channel.pipeline.syncOperations.addHandler(made.handler)
            (handler, codec) = (made.handler, made.codec)
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9000)).wait()
            try channel.close().wait()
            channel.embeddedEventLoop.run()
        }
        #expect(handler == nil)
        #expect(codec == nil)
    }

    /// A request with a body that waited for the connection to become writable, when the
    /// connection closes: its body stream's demand callbacks referred to the handler.
    @Test func aRequestWaitingToStartDoesNotKeepItsClosedConnection() throws {
        weak var handler: HTTPConnectionHandler?
        do {
            let channel = EmbeddedChannel()
            let made = HTTPConnectionHandler(
                responder: Router<BasicRequestContext>().buildResponder(), idleTimeout: .seconds(60), logger: Logger(label: "test"))
            try channel.pipeline.syncOperations.addHandler(HTTP1ServerCodec(sendTimeout: .seconds(60)))
            try channel.pipeline.syncOperations.addHandler(made)
            handler = made
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9000)).wait()
            channel.isWritable = false
            var parser = HTTP1RequestParser()
            parser.feed(ByteBuffer(string: "PUT /b/k HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhel"))
            while let part = try parser.next() { try channel.writeInbound(part) }
            try channel.close().wait()
            channel.embeddedEventLoop.run()
        }
        #expect(handler == nil)
    }
}
