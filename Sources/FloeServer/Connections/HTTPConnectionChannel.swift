import Hummingbird
import HummingbirdCore
import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// The S3 and catalog listeners' connections. Each request's parts go from the channel pipeline
/// straight to the responder, one task per request, and the response goes back as channel writes.
/// Hummingbird's `HTTP1Channel` carries every part through NIOAsyncChannel's inbound and outbound
/// streams instead: for a small GET, those task hops cost about as much CPU as the S3 work.
struct HTTPConnectionChannel<Responder: HTTPResponder>: ServerChildChannel
where Responder.Context: InitializableFromSource<ApplicationRequestContextSource> {
    struct Value: ServerChildChannelValue {
        let channel: any Channel
    }

    let responder: Responder
    let configuration: HTTP1Channel.Configuration

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let pipeline = channel.pipeline.syncOperations
            // The codec holds a pipelined request until the answer before it has ended, so
            // requests are answered one at a time, in order; it also writes the answers.
            let limits = configuration.httpDecoder
            try pipeline.addHandler(HTTP1RequestDecoder(
                maxHeadBytes: max(limits.maxHeaderListSize, limits.maxHeaderFieldSize), maxFieldCount: limits.maxHeaderFieldCount))
            try pipeline.addHandler(HTTP1ServerCodec(sendTimeout: configuration.idleTimeout))
            try pipeline.addHandlers(configuration.additionalChannelHandlers())
            try pipeline.addHandler(HTTPConnectionHandler(responder: responder, idleTimeout: configuration.idleTimeout, logger: logger))
            return Value(channel: channel)
        }
    }

    func handle(value: Value, logger: Logger) async {
        let channel = value.channel
        await withTaskCancellationHandler {
            try? await channel.closeFuture.get()
        } onCancel: {
            channel.close(promise: nil)
        }
    }
}
