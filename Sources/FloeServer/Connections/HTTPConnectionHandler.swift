import Foundation
import Hummingbird
import HummingbirdCore
import HTTPTypes
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOSSL
import S3API
import SigV4

/// The last handler of an S3 or catalog connection: it turns each request head into a `Request`
/// (its body a stream fed from this handler, with backpressure), starts one task that runs the
/// responder and writes the response, and feeds the body parts as they arrive. Everything here runs on the
/// channel's event loop; the task reaches the channel only through thread-safe channel writes.
///
/// It also ends connections: one idle for `idleTimeout` (between requests, or stalled while
/// sending one; never while its answer is being worked on or written: a client that stops
/// reading an answer is `HTTP1ServerCodec`'s to end), and, when the server shuts down, each
/// one once its answer in progress has ended. Body bytes that no one reads any more (the rest of
/// a refused upload) do not count as activity: a client trickling them is idle.
///
/// Not generic over the responder: a generic class's methods are not specialized, and NIO's
/// unwrapping of every part in them went through the runtime's dynamic cast (about 1 % of a small
/// request's CPU). The responder is kept as a function instead.
final class HTTPConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart
    typealias BodyProducer = NIOThrowingAsyncSequenceProducer<
        ByteBuffer, any Error, NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark, BodyDemand
    >

    typealias Respond = @Sendable (HTTPRequest, RequestBody, ApplicationRequestContextSource) async throws -> Response
    let respond: Respond
    let logger: Logger
    let idleTimeout: TimeAmount?
    private var context: ChannelHandlerContext?
    /// When the client last sent something or an answer last ended.
    private var lastActivity = NIODeadline.now()
    private var idleCheck: Scheduled<Void>?
    /// A request's head has arrived and its end has not.
    private var readingRequest = false
    /// The body of the request being read, while the responder may still want it.
    private var body: (source: BodyProducer.Source, request: Int)?
    /// Requests started, which numbers them for the body stream's callbacks.
    private var requests = 0
    /// Requests whose response has not ended (`HTTP1ServerCodec` keeps it at 0 or 1).
    private var unanswered = 0
    /// The codec below, which knows what is still being sent.
    private var codec: HTTP1ServerCodec?
    /// The body stream is full: reads wait until its reader takes some.
    private var bodyFull = false
    private var readPending = false
    /// The connection ends once the response in progress has ended (its request broke off).
    private var closeAfterResponse = false
    /// The last response end written, which a close waits for.
    private var lastEnd: EventLoopFuture<Void>?
    /// A request that waits to start until the connection can take its response: a client that
    /// sends pipelined requests and reads no answers must not make the server queue answers.
    private var waiting: RequestWorker.Request?
    /// Where this connection's request tasks run: its event loop.
    private var executor: EventLoopTaskExecutor?
    /// Where response bodies can send file ranges; nil when they cannot.
    private var files: NIOLoopBound<HTTP1ServerCodec>?
    /// The connection's place in its listener's count, held by the task answering its requests
    /// until that task ends (`ConnectionLimiter.Lease`).
    private var lease: ConnectionLimiter.Lease?
    /// This handler, for its requests' tasks to write their answers through on the loop.
    private var bound: NIOLoopBound<HTTPConnectionHandler>?
    /// The task answering this connection's requests, while it has one (`RequestWorker`).
    private var worker: RequestWorker?
    /// Ends the worker once it has waited `RequestWorker.releaseAfter` for a request.
    private var workerRelease: RepeatedTask?

    init<Responder: HTTPResponder>(responder: Responder, idleTimeout: TimeAmount?, logger: Logger)
    where Responder.Context: InitializableFromSource<ApplicationRequestContextSource> {
        if let s3 = responder as? S3Responder {
            // S3 reads the request as it is, without the URI that making a `Request` parses.
            self.respond = { head, body, source in try await s3.respond(to: S3Request(head: head, body: body), context: S3RequestContext(source: source)) }
        } else {
            self.respond = { head, body, source in
                try await responder.respond(to: Request(head: head, body: body), context: Responder.Context(source: source))
            }
        }
        self.idleTimeout = idleTimeout
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        if context.channel.isActive { scheduleIdleCheck(context) }
        // Files go to the socket as they are unless a handler below needs their bytes (TLS).
        let pipeline = context.pipeline.syncOperations
        codec = try? pipeline.handler(type: HTTP1ServerCodec.self)
        lease = (try? pipeline.handler(type: ConnectionLimiter.self))?.lease
        if (try? pipeline.handler(type: NIOSSLServerHandler.self)) == nil, let codec {
            files = NIOLoopBound(codec, eventLoop: context.eventLoop)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        idleCheck?.cancel()
        idleCheck = nil
        endWorker()
        self.context = nil
        lease = nil
        // `bound` refers to this handler itself: kept, it held the handler, and the codec through
        // `codec` and `files`, for the life of the process after the connection closed. Answers
        // still being written hold what they need themselves. A body stream's demand callbacks
        // refer to the handler too, through a request still waiting to start or being read.
        bound = nil
        codec = nil
        files = nil
        waiting = nil
        body?.source.finish(ChannelError.eof)
        body = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        scheduleIdleCheck(context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            lastActivity = .now()
            readingRequest = true
            // After a decided close (a broken-off request, `Connection: close`) no request runs:
            // its head is dropped, and so are its parts, for no body stream takes them.
            guard !closeAfterResponse else { return }
            let closing = Self.asksToClose(head)
            if closing { closeAfterResponse = true }
            requests += 1
            unanswered += 1
            let requestBody: RequestBody
            if Self.hasBody(head) {
                let (handler, request, loop) = (NIOLoopBound(self, eventLoop: context.eventLoop), requests, context.eventLoop)
                let demand = BodyDemand(
                    wanted: { loop.execute { handler.value.bodyWanted(request) } },
                    abandoned: { loop.execute { handler.value.bodyAbandoned(request) } })
                let made = BodyProducer.makeSequence(
                    backPressureStrategy: .init(lowWatermark: 2, highWatermark: 8), finishOnDeinit: false, delegate: demand)
                body = (made.source, requests)
                requestBody = RequestBody(asyncSequence: made.sequence)
            } else {
                requestBody = RequestBody(buffer: ByteBuffer())
            }
            let request = RequestWorker.Request(head: head, body: requestBody, closing: closing)
            if context.channel.isWritable {
                start(request, channel: context.channel)
            } else {
                waiting = request
            }
        case .body(let buffer):
            guard let current = body else { return }  // the responder no longer reads it, or dropped
            lastActivity = .now()
            switch current.source.yield(buffer) {
            case .produceMore: break
            case .stopProducing: bodyFull = true
            case .dropped: bodyAbandoned(current.request)
            }
        case .end:
            lastActivity = .now()
            readingRequest = false
            body?.source.finish()
            body = nil
            resumeReading()
        }
    }

    /// The later of the client's last activity and the socket's last taking of an answer.
    private var idleSince: NIODeadline {
        guard let sent = codec?.lastProgress else { return lastActivity }
        return max(lastActivity, sent)
    }

    /// Closes the connection once it has been idle for `idleTimeout`; the check runs again at
    /// the next moment that could be. While an answer is being worked on nothing is checked: its
    /// end starts the wait again. While one is still being sent, the codec times it out, and the
    /// wait counts from when the socket took its last bytes.
    private func scheduleIdleCheck(_ context: ChannelHandlerContext, at deadline: NIODeadline? = nil) {
        guard let idleTimeout, idleCheck == nil else { return }
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        idleCheck = context.eventLoop.scheduleTask(deadline: deadline ?? idleSince + idleTimeout) {
            let (handler, context) = loopBound.value
            handler.idleCheck = nil
            guard handler.context != nil else { return }
            if !handler.readingRequest, handler.unanswered > 0 { return }
            // An answer still on its way is the codec's to time out; the wait starts after it.
            if handler.codec?.isSending == true { return handler.scheduleIdleCheck(context, at: .now() + idleTimeout) }
            if NIODeadline.now() >= handler.idleSince + idleTimeout {
                context.close(promise: nil)
            } else {
                handler.scheduleIdleCheck(context)
            }
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, let request = waiting {
            waiting = nil
            start(request, channel: context.channel)
        }
        context.fireChannelWritabilityChanged()
    }

    /// Reads wait while the body stream is full (NIO asks for each read with this outbound event).
    func read(context: ChannelHandlerContext) {
        if bodyFull {
            readPending = true
        } else {
            context.read()
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        pass(unwrapOutboundIn(data), promise: promise, context: context)
    }

    /// Writes the parts of the answer in progress from this handler's place in the pipeline, then
    /// `file` (a body range for `sendfile`, by the codec) if there is one, and flushes: what
    /// `ChannelResponseWriter` does on the loop. A write through the channel went through NIO's
    /// generic write, which boxed each part, and back up the pipeline to this handler. Returns the
    /// last write's completion.
    func send(_ parts: [HTTPResponsePart], file: (region: FileRegion, codec: HTTP1ServerCodec)? = nil, channel: any Channel) -> EventLoopFuture<Void> {
        if parts.isEmpty && file == nil { return channel.eventLoop.makeSucceededVoidFuture() }
        let last = channel.eventLoop.makePromise(of: Void.self)
        for (index, part) in parts.enumerated() {
            let promise = file == nil && index == parts.count - 1 ? last : nil
            if let context {
                pass(part, promise: promise, context: context)
            } else {
                channel.write(part, promise: promise)  // removed: the channel has closed, and the write fails there
            }
        }
        if let file { file.codec.writeFile(file.region, promise: last) }
        if let context { context.flush() } else { channel.flush() }
        return last.futureResult
    }

    private func pass(_ part: HTTPResponsePart, promise: EventLoopPromise<Void>?, context: ChannelHandlerContext) {
        guard case .end = part else {
            context.write(wrapOutboundOut(part), promise: promise)
            return
        }
        // Counted before the write, so that whatever the write sets off sees this answer ended.
        let written = promise ?? context.eventLoop.makePromise()
        unanswered -= 1
        lastEnd = written.futureResult
        context.write(wrapOutboundOut(part), promise: written)
        guard unanswered == 0 else { return }
        if closeAfterResponse {
            closeAfterWrites(context)
        } else {
            lastActivity = .now()
            scheduleIdleCheck(context)
        }
    }

    /// Closes once the last response is on the wire. It waits for the loop's next turn: this may
    /// run inside a write still on its way down the pipeline, before that write's flush.
    private func closeAfterWrites(_ context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.execute {
            let (handler, context) = loopBound.value
            guard let last = handler.lastEnd else { return context.close(promise: nil) }
            last.whenComplete { _ in context.close(promise: nil) }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        body?.source.finish(ChannelError.eof)
        body = nil
        // A request that waited for the connection to become writable never starts now.
        waiting = nil
        endWorker()
        context.fireChannelInactive()
    }

    /// The client closed its side: a body still expected ends short (the responder answers
    /// IncompleteBody), and the connection closes after the answers in progress.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            // The server is shutting down: no new request starts here, and the connection closes
            // now or once the answer in progress has ended.
            closeAfterResponse = true
            if unanswered == 0 { closeAfterWrites(context) }
            return
        }
        if case .inputClosed = event as? ChannelEvent {
            body?.source.finish()
            body = nil
            resumeReading()
            closeAfterResponse = true
            if unanswered == 0 { closeAfterWrites(context) }
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// A malformed request between requests gets 400 and the connection ends. In the middle of a
    /// request's body, the body fails (IncompleteBody from the responder) and the connection ends
    /// after that answer; when the request was answered already, it just ends: a 400 now would be
    /// a second answer to it.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let current = body {
            current.source.finish(error)
            body = nil
            resumeReading()
        }
        let answering = unanswered > 0
        closeAfterResponse = true
        guard !answering else { return }
        guard error is HTTPParserError, !readingRequest else { return closeAfterWrites(context) }
        // Counted as unanswered until written, so an input close meanwhile waits for it; written
        // on the loop's next turn, after any response end on its way down the pipeline now.
        unanswered += 1
        let head = HTTPResponse(status: .badRequest, headerFields: [.connection: "close", .contentLength: "0"])
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.execute {
            let (handler, context) = loopBound.value
            context.write(handler.wrapOutboundOut(.head(head)), promise: nil)
            let written = context.eventLoop.makePromise(of: Void.self)
            handler.unanswered -= 1
            handler.lastEnd = written.futureResult
            context.writeAndFlush(handler.wrapOutboundOut(.end(nil)), promise: written)
            handler.closeAfterWrites(context)
        }
    }

    /// The body stream's reader wants more.
    func bodyWanted(_ request: Int) {
        guard body?.request == request else { return }
        resumeReading()
    }

    /// The responder dropped the body without reading it all: the rest is read and discarded.
    func bodyAbandoned(_ request: Int) {
        guard body?.request == request else { return }
        body = nil
        resumeReading()
    }

    private func resumeReading() {
        bodyFull = false
        if readPending, let context {
            readPending = false
            context.read()
        }
    }

    /// Whether the head announces a body (HTTP/1.1 framing: a length above 0 or any transfer coding).
    static func hasBody(_ head: HTTPRequest) -> Bool {
        if head.headerFields[.transferEncoding] != nil { return true }
        guard let length = head.headerFields[.contentLength] else { return false }
        return length != "0"
    }

    /// `Connection: close` among the request's connection options.
    static func asksToClose(_ head: HTTPRequest) -> Bool { head.headerFields.namesCloseOption }

    /// Hands the request to the connection's worker task, started if it has none.
    private func start(_ request: RequestWorker.Request, channel: any Channel) {
        if let worker {
            worker.hand(request)
            return
        }
        let worker = RequestWorker(loop: channel.eventLoop)
        self.worker = worker
        worker.hand(request)
        let (respond, logger, files, lease) = (respond, logger, files, lease)
        let handler = bound ?? NIOLoopBound(self, eventLoop: channel.eventLoop)
        if executor == nil { executor = EventLoopTaskExecutor.on(channel.eventLoop) }
        Task(executorPreference: executor) {
            defer { withExtendedLifetime(lease) {} }
            while true {
                guard let request = await worker.next() else { return }
                await RequestWorker.answer(request, respond: respond, channel: channel, logger: logger, files: files, handler: handler)
            }
        }
        if workerRelease == nil {
            let loopBound = NIOLoopBound(self, eventLoop: channel.eventLoop)
            workerRelease = channel.eventLoop.scheduleRepeatedTask(initialDelay: RequestWorker.releaseAfter, delay: RequestWorker.releaseAfter) { _ in
                loopBound.value.releaseIdleWorker()
            }
        }
    }

    /// Ends a worker that has waited for a request for `RequestWorker.releaseAfter`: its task's
    /// memory goes back, and a connection that stays open without requests holds none.
    private func releaseIdleWorker() {
        guard let worker else {
            workerRelease?.cancel()
            workerRelease = nil
            return
        }
        if let since = worker.waitingSince, NIODeadline.now() - since >= RequestWorker.releaseAfter { endWorker() }
    }

    private func endWorker() {
        workerRelease?.cancel()
        workerRelease = nil
        worker?.end()
        worker = nil
    }
}

/// The body stream's demand, delivered to the handler on its event loop.
struct BodyDemand: NIOAsyncSequenceProducerDelegate {
    let wanted: @Sendable () -> Void
    let abandoned: @Sendable () -> Void

    func produceMore() { wanted() }
    func didTerminate() { abandoned() }
}

/// Writes a response to the channel. A body of one buffer goes out with its head and end in one
/// flush; a longer one keeps at most one write in flight beyond the one being issued, so a slow
/// reader holds back the responder (and its disk reads) instead of queueing the object in memory.
/// A class: Hummingbird takes the writer as `any ResponseBodyWriter`, and a struct this size was
/// boxed into a new allocation, each of its references retained, for every answer.
final class ChannelResponseWriter: FileBodyWriter {
    let channel: any Channel
    /// The head, until it is written.
    var head: HTTPResponse?
    let expectedLength: Int?
    /// A whole body's single buffer, held to go out with the end.
    var held: ByteBuffer?
    var previousWrite: EventLoopFuture<Void>?
    let files: NIOLoopBound<HTTP1ServerCodec>?
    /// The connection's handler, which writes the parts on the loop (`HTTPConnectionHandler.send`).
    let handler: NIOLoopBound<HTTPConnectionHandler>

    init(
        channel: any Channel, head: HTTPResponse, expectedLength: Int?, files: NIOLoopBound<HTTP1ServerCodec>?,
        handler: NIOLoopBound<HTTPConnectionHandler>
    ) {
        self.channel = channel
        self.head = head
        self.expectedLength = expectedLength
        self.files = files
        self.handler = handler
    }

    var sendsFiles: Bool { files != nil }
    var clientConnected: Bool { channel.isActive }

    /// The head and the held buffer, if not yet written, as parts to write now.
    private func takeUnsent() -> [HTTPResponsePart] {
        var parts: [HTTPResponsePart] = []
        parts.reserveCapacity(3)  // with the end `finish` adds: one allocation, where appending grew it twice
        if let head {
            parts.append(.head(head))
            self.head = nil
        }
        if let held {
            parts.append(.body(held))
            self.held = nil
        }
        return parts
    }

    /// Sends the file range from a duplicate of `descriptor`, closed once the range is written or
    /// the write has failed. Like `write`, returns once the write before this one is done.
    func writeFile(descriptor: Int32, offset: Int64, length: Int64) async throws {
        guard let files else { throw ChannelError.operationUnsupported }
        let parts = takeUnsent()
        let duplicate = dup(descriptor)
        guard duplicate >= 0 else { throw IOError(errnoCode: errno, reason: "dup") }
        let handle = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: duplicate)
        let region = FileRegion(fileHandle: handle, readerIndex: Int(offset), endIndex: Int(offset + length))
        let (channel, handler) = (channel, handler)
        let send = { handler.value.send(parts, file: (region, files.value), channel: channel) }
        let written = channel.eventLoop.inEventLoop ? send() : channel.eventLoop.flatSubmit(send)
        written.whenComplete { _ in try? handle.close() }
        let earlier = previousWrite
        previousWrite = written
        try await earlier?.get()
    }

    func write(_ buffer: ByteBuffer) async throws {
        if head != nil, held == nil, buffer.readableBytes == expectedLength {
            held = buffer
            return
        }
        var parts = takeUnsent()
        parts.append(.body(buffer))
        let written = send(parts)
        let earlier = previousWrite
        previousWrite = written
        try await earlier?.get()
    }

    func finish(_ trailingHeaders: HTTPFields?) async throws {
        var parts = takeUnsent()
        parts.append(.end(trailingHeaders))
        _ = send(parts)
        try await previousWrite?.get()
    }

    /// Writes the parts and flushes once, in one hop to the event loop when called from elsewhere.
    private func send(_ parts: [HTTPResponsePart]) -> EventLoopFuture<Void> {
        let (channel, handler) = (channel, handler)
        if channel.eventLoop.inEventLoop { return handler.value.send(parts, channel: channel) }
        return channel.eventLoop.flatSubmit { handler.value.send(parts, channel: channel) }
    }
}

/// The `Date` field, made once per second.
enum ResponseDate {
    private static let cache = NIOLockedValueBox<(second: Int, field: HTTPField)>((-1, HTTPField(name: .date, value: "")))

    static func current() -> HTTPField {
        let second = Int(Date().timeIntervalSince1970)
        return cache.withLockedValue { cached in
            if cached.second != second { cached = (second, HTTPField(name: .date, value: HTTPDate.rfc1123(Int64(second)))) }
            return cached.field
        }
    }
}

extension HTTPFields {
    /// `close` among the `Connection` options.
    var namesCloseOption: Bool {
        self[values: .connection].contains { value in
            value.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces).lowercased() == "close" }
        }
    }
}
