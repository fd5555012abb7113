import HTTPTypes
import HTTP1
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// Between the HTTP/1 request decoder and the socket: requests go up one at a time, as HTTPTypes parts,
/// and each answer goes down as bytes framed for its request's HTTP version and method
/// (`HTTP1ResponseFraming`). One handler, not three (NIO's pipelining assistance, HTTPTypes'
/// conversion and NIO's encoder), because every part of every request passes through it.
///
/// Sequencing: a request pipelined behind one still being answered waits here, with everything
/// after it, until that answer has ended, and no more is read meanwhile (what waits is bounded by
/// what one read brought). A client that does not pipeline never waits and reading never pauses:
/// NIO's pipelining assistance instead paused reading after every request's end until its answer
/// ended, two `epoll_ctl` calls per request.
///
/// Sending: a write that the client leaves unread for `sendTimeout` ends the connection. Every
/// write with a promise (each answer's end, a streamed body's chunks, a file) is counted until
/// the socket has taken it; while any is counted, none has completed for the timeout and the
/// client has acknowledged no bytes meanwhile, it is not reading. A responder still working on
/// its answer has nothing in flight and is never cut off.
///
/// The decoder's heads keep what HTTPTypes has no place for, the request's HTTP version:
/// - An HTTP/1.0 request without `Connection: keep-alive` ends its connection after its answer,
///   which says `Connection: close` (RFC 9112 §9.3). Held open, a 1.0 client that reads to the
///   end of the connection waited for the idle timeout.
/// - A 1.0 request's answer carries its version, so a body of unknown length is delimited by the
///   connection's close, as HTTP/1.0 frames it, and never chunked: chunked coding is HTTP/1.1.
final class HTTP1ServerCodec: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTP1RequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = IOData

    private enum Held {
        case part(HTTP1RequestPart)
        case error(any Error)
        case event(Any)
    }

    // Sequencing.
    /// A request was passed on and its answer has not ended. An answer may end before its request
    /// does (refused early): the rest of that request's body still goes up, to be read and dropped.
    private var answering = false
    /// The request passed on has ended: what arrives now, a parse error or the client's close
    /// included, is about what follows it and waits for its answer.
    private var requestEnded = false
    private var holding: Bool { !held.isEmpty || (answering && requestEnded) }
    /// What arrived behind a request being answered, in order.
    private var held = CircularBuffer<Held>()
    private var readPending = false
    private var replayScheduled = false
    private var flushScheduled = false

    // Framing.
    /// The version of the request being answered, and whether the connection may carry another.
    private var answeringVersion = (version: HTTPVersion.http1_1, keepAlive: true)
    /// The method of the request passed on, while its final answer has not started: a HEAD's
    /// answer has no body bytes, nor has a 2xx answer to CONNECT. Taken by that answer's head, so
    /// an answer to a broken request that follows has its body.
    private var answeringMethod: HTTPRequest.Method?
    /// How the body of the answer in progress goes.
    private var bodyFraming = HTTP1ResponseFraming.Body.plain
    /// The connection ends after the answer in progress: later requests are not passed on.
    private var closing = false
    private var discarding = false
    /// The closing answer has ended: nothing more is written (a 400 for bytes pipelined behind it
    /// would run on into a body the close delimits).
    private var finished = false
    /// A close from above came during an answer: the connection closes once its bytes are sent.
    private var closeAfterSending = false

    // Sending.
    private let sendTimeout: TimeAmount?
    /// Writes with a promise that the socket has not yet taken.
    private var writesInFlight = 0
    /// When a counted write last completed, or when one started the count from zero, or when the
    /// client was last seen taking bytes.
    private(set) var lastProgress = NIODeadline.now()
    /// The socket's count of bytes the client has acknowledged, when the stall check last looked.
    private var bytesAcknowledged: UInt64 = 0
    /// Some answer's bytes are not all taken by the socket yet.
    var isSending: Bool { writesInFlight > 0 }
    private var stallCheck: Scheduled<Void>?

    /// The last answer's head buffer, written into again by the next answer: once the socket has
    /// sent it this handler holds the only reference, and clearing it keeps its storage (a new
    /// buffer per answer was two allocations, its storage and its bytes). While the socket still
    /// holds it, clearing makes new storage, so bytes not yet sent are never overwritten.
    private var headBuffer: ByteBuffer?
    /// The head of the answer in progress, not yet written: it goes down with what follows it.
    /// An answer without body bytes (a HEAD, a PUT's, an error without a document) is then one
    /// write, its end's promise on its head, where it was the head and an empty buffer carrying
    /// that promise: two pending writes and a `writev` per answer. A flush, a close or a file
    /// writes it first, so nothing waits for a part that is not coming.
    private var unwrittenHead: (buffer: ByteBuffer, promise: EventLoopPromise<Void>?)?

    // Files.
    private var context: ChannelHandlerContext?

    static let keptHeadCapacity = 4096

    init(sendTimeout: TimeAmount? = nil) {
        self.sendTimeout = sendTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stallCheck?.cancel()
        stallCheck = nil
        self.context = nil
        headBuffer = nil
        unwrittenHead.take()?.promise?.fail(ChannelError.ioOnClosedChannel)
    }

    /// Writes the head held back, if there is one.
    private func writeHead(_ context: ChannelHandlerContext) {
        guard let (buffer, promise) = unwrittenHead.take() else { return }
        context.write(wrapOutboundOut(.byteBuffer(buffer)), promise: promise)
    }

    /// Counts `promise`'s write as in flight until it completes (made when the caller has none).
    private func tracked(_ promise: EventLoopPromise<Void>?, _ context: ChannelHandlerContext) -> EventLoopPromise<Void>? {
        guard let sendTimeout else { return promise }
        let promise = promise ?? context.eventLoop.makePromise()
        if writesInFlight == 0 { lastProgress = .now() }
        writesInFlight += 1
        promise.futureResult.assumeIsolatedUnsafeUnchecked().whenComplete { _ in
            self.writesInFlight -= 1
            self.lastProgress = .now()
        }
        if stallCheck == nil {
            bytesAcknowledged = TCPProgress.bytesAcknowledged(context.channel) ?? 0
            scheduleStallCheck(context, after: sendTimeout)
        }
        return promise
    }

    /// A write completes only when the socket has room for all of it, and the kernel's send
    /// buffer (up to 4 MiB) frees room a third at a time: a client reading slowly but steadily
    /// may complete no write for a while. Before closing, the check asks the socket whether the
    /// client acknowledged any bytes since it last looked.
    private func scheduleStallCheck(_ context: ChannelHandlerContext, after timeout: TimeAmount) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        stallCheck = context.eventLoop.scheduleTask(deadline: lastProgress + timeout) {
            let (codec, context) = loopBound.value
            codec.stallCheck = nil
            guard codec.context != nil, codec.writesInFlight > 0 else { return }
            let now = NIODeadline.now()
            if now >= codec.lastProgress + timeout {
                let acknowledged = TCPProgress.bytesAcknowledged(context.channel) ?? 0
                guard acknowledged > codec.bytesAcknowledged else { return context.close(promise: nil) }
                codec.bytesAcknowledged = acknowledged
                codec.lastProgress = now
            }
            codec.scheduleStallCheck(context, after: timeout)
        }
    }

    /// Writes part of a file as body bytes of the answer in progress, for `sendfile` by the
    /// socket: below this handler, past the ones above that only ever see `HTTPResponsePart`s
    /// (none of them looks at body bytes). Only where nothing below needs the bytes: not
    /// through TLS.
    func writeFile(_ region: FileRegion, promise: EventLoopPromise<Void>?) {
        guard let context, !finished else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        writeHead(context)
        writeBody(.fileRegion(region), context: context, promise: tracked(promise, context))
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if !held.isEmpty {
            held.append(.part(part))
        } else if case .head = part, answering {
            held.append(.part(part))
        } else {
            pass(part, context)
        }
    }

    private func pass(_ part: HTTP1RequestPart, _ context: ChannelHandlerContext) {
        switch part {
        case .head(let head):
            (answering, requestEnded) = (true, false)
            if closing {
                discarding = true
                return
            }
            // A request asking to close (1.1 with `Connection: close`, 1.0 without keep-alive) is the
            // last answered: bytes behind it are not a request. A 1.0 message framed with a
            // transfer coding is faulty (RFC 9112 §6.1): answered, then closed.
            let request = head.request
            let keepAlive = head.keepAlive && !(head.version == .http1_0 && request.headerFields[.transferEncoding] != nil)
            answeringVersion = (head.version, keepAlive)
            answeringMethod = request.method
            context.fireChannelRead(wrapInboundOut(.head(request)))
        case .body(let buffer):
            guard !discarding else { return }
            context.fireChannelRead(wrapInboundOut(.body(buffer)))
        case .end(let trailers):
            requestEnded = true
            guard !discarding else { return }
            context.fireChannelRead(wrapInboundOut(.end(trailers)))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if holding { held.append(.error(error)) } else { context.fireErrorCaught(error) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if holding { held.append(.event(event)) } else { context.fireUserInboundEventTriggered(event) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        // Nothing held has started: with no one to answer, it does not run.
        held.removeAll()
        context.fireChannelInactive()
    }

    /// Flushes on the loop's next turn, once for however many flushes come before it: answers
    /// that the same turn produced for several connections then go to their sockets back to back.
    func flush(context: ChannelHandlerContext) {
        guard !flushScheduled else { return }
        flushScheduled = true
        onNextTurn(context) { codec, context in
            codec.flushScheduled = false
            guard codec.context != nil else { return }
            codec.writeHead(context)
            context.flush()
        }
    }

    /// A socket's close fails the writes not yet flushed: one in the turn of a write (an answer
    /// cut off by an error) flushes them first, so the bytes before it still go.
    /// After the closing answer has ended, the codec closes once it is written: a close from above
    /// meanwhile (a handler answering what arrived behind it) would cut its last bytes off.
    /// A close during an answer (its body failed midway) lets what was written of it reach the
    /// socket first, as the client may use a partial answer; the stall check bounds that wait.
    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        if finished || closeAfterSending, mode == .all {
            if let promise { context.channel.closeFuture.cascade(to: promise) }
            return
        }
        if mode != .input { writeHead(context) }
        if flushScheduled, mode != .input { context.flush() }
        guard mode == .all, answering else { return context.close(mode: mode, promise: promise) }
        closeAfterSending = true
        let sent = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.byteBuffer(ByteBuffer())), promise: tracked(sent, context))
        sent.futureResult.whenComplete { _ in context.close(mode: .all, promise: promise) }
    }

    private func onNextTurn(_ context: ChannelHandlerContext, _ body: @escaping @Sendable (HTTP1ServerCodec, ChannelHandlerContext) -> Void) {
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.execute { body(bound.value.0, bound.value.1) }
    }

    func read(context: ChannelHandlerContext) {
        if held.isEmpty { context.read() } else { readPending = true }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard !finished else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        switch unwrapOutboundIn(data) {
        case .head(var response):
            let final = response.status.code >= 200
            if answeringVersion.version == .http1_0, !final {
                // A 1.0 client knows no interim answers (RFC 9110 §15.2): none is sent.
                promise?.succeed(())
                return
            }
            if answeringVersion.version == .http1_0 {
                // Without a length, the body ends where the connection does; an answer that
                // already says close (a refused Expect, a broken request) closes.
                if response.headerFields[.contentLength] == nil, ![204, 304].contains(response.status.code) { answeringVersion.keepAlive = false }
                response.headerFields[.connection] = answeringVersion.keepAlive && !response.headerFields.namesCloseOption ? "keep-alive" : "close"
            }
            // An answer that says close (a refused Expect, a broken request) is the last.
            if final, response.headerFields.namesCloseOption { answeringVersion.keepAlive = false }
            if !answeringVersion.keepAlive, final {
                closing = true
                if !response.headerFields.namesCloseOption { response.headerFields[.connection] = "close" }
            }
            let framing = HTTP1ResponseFraming.frame(&response, version: answeringVersion.version, method: final ? answeringMethod : nil)
            if final {
                bodyFraming = framing
                answeringMethod = nil
            }
            writeHead(context)  // an interim answer's
            // Room for the head of an object's answer (about 400 bytes): a buffer that grows
            // while the head is written is allocated twice and copied.
            var buffer = headBuffer.take() ?? context.channel.allocator.buffer(capacity: 1024)
            buffer.clear()
            HTTP1ResponseFraming.writeHead(response, version: answeringVersion.version, into: &buffer)
            // A head that grew past what answers usually need is not kept for the connection's life.
            if buffer.capacity <= Self.keptHeadCapacity { headBuffer = buffer }
            unwrittenHead = (buffer, promise)
        case .body(let buffer):
            writeHead(context)
            writeBody(.byteBuffer(buffer), context: context, promise: promise.flatMap { tracked($0, context) })
        case .end(let trailers):
            let closes = closing
            if closes { finished = true }
            answering = false
            if !held.isEmpty { scheduleReplay(context) }
            let written = tracked(promise, context) ?? context.eventLoop.makePromise()
            if bodyFraming == .chunked {
                writeHead(context)
                var buffer = context.channel.allocator.buffer(capacity: 16)
                HTTP1ResponseFraming.writeLastChunk(trailers: trailers, into: &buffer)
                context.write(wrapOutboundOut(.byteBuffer(buffer)), promise: written)
            } else if let (head, headWritten) = unwrittenHead.take() {
                // The whole answer in one write, complete when its end is.
                if let headWritten { written.futureResult.cascade(to: headWritten) }
                context.write(wrapOutboundOut(.byteBuffer(head)), promise: written)
            } else {
                // Nothing to send, but the promise completes in order with the writes before it.
                context.write(wrapOutboundOut(.byteBuffer(ByteBuffer())), promise: written)
            }
            bodyFraming = .plain
            if closes {
                written.futureResult.whenComplete { _ in context.close(promise: nil) }
            }
        }
    }

    private func writeBody(_ body: IOData, context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        switch bodyFraming {
        case .none:
            // An answer to HEAD has no body (RFC 9112 §6.3): the bytes are refused, not sent.
            promise?.fail(NIOHTTPResponseEncoderError.responseBodyNotAllowed)
        case .plain:
            context.write(wrapOutboundOut(body), promise: promise)
        case .chunked:
            guard body.readableBytes > 0 else {  // an empty chunk would end the body
                context.write(wrapOutboundOut(body), promise: promise)
                return
            }
            var start = context.channel.allocator.buffer(capacity: 20)
            HTTP1ResponseFraming.writeChunkStart(length: body.readableBytes, into: &start)
            context.write(wrapOutboundOut(.byteBuffer(start)), promise: nil)
            context.write(wrapOutboundOut(body), promise: nil)
            context.write(wrapOutboundOut(.byteBuffer(ByteBuffer(staticString: "\r\n"))), promise: promise)
        }
    }

    /// On the loop's next turn, not inside the write that ended the answer, which is still on its
    /// way down from the handlers the held parts go up to.
    private func scheduleReplay(_ context: ChannelHandlerContext) {
        guard !replayScheduled else { return }
        replayScheduled = true
        onNextTurn(context) { codec, context in
            codec.replayScheduled = false
            codec.replay(context)
        }
    }

    private func replay(_ context: ChannelHandlerContext) {
        while let next = held.first {
            switch next {
            case .part(let part):
                if case .head = part, answering { return }
                held.removeFirst()
                pass(part, context)
            case .error(let error):
                if answering && requestEnded { return }
                held.removeFirst()
                context.fireErrorCaught(error)
            case .event(let event):
                if answering && requestEnded { return }
                held.removeFirst()
                context.fireUserInboundEventTriggered(event)
            }
        }
        context.fireChannelReadComplete()
        if readPending {
            readPending = false
            context.read()
        }
    }
}
