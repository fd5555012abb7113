import HTTPTypes
import HummingbirdCore
import NIOConcurrencyHelpers
import HTTP1
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOHTTPTypes
import NIOPosix
import Testing

@testable import FloeServer

/// Counts the reads that reach the socket end of the pipeline.
private final class ReadCounter: ChannelOutboundHandler {
    typealias OutboundIn = Any
    var reads = 0
    var flushes = 0
    /// Flushes and closes in the order they reached the socket: a socket's close fails the writes
    /// not yet flushed, which `EmbeddedChannel` does not.
    var events: [String] = []
    func read(context: ChannelHandlerContext) {
        reads += 1
        context.read()
    }
    func flush(context: ChannelHandlerContext) {
        flushes += 1
        events.append("flush")
        context.flush()
    }
    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        events.append("close")
        context.close(mode: mode, promise: promise)
    }
}

/// A socket whose writes complete only when the test says: bytes handed down but not yet sent.
private final class SlowSocket: ChannelOutboundHandler {
    typealias OutboundIn = IOData
    private var held: [(NIOAny, EventLoopPromise<Void>?)] = []
    private var context: ChannelHandlerContext?
    var closed = false
    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) { held.append((data, promise)) }
    func flush(context: ChannelHandlerContext) {}
    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        closed = true
        context.close(mode: mode, promise: promise)
    }
    /// The client takes everything written so far.
    func drain() {
        guard let context else { return }
        for (data, promise) in held { context.write(data, promise: promise) }
        held.removeAll()
        context.flush()
    }
}

@Suite struct HTTP1ServerCodecTests {
    /// A request's head as the decoder makes it from the bytes a client sends.
    private func head(_ uri: String, method: String = "GET", version: HTTPVersion = .http1_1, fields: String = "") -> HTTP1RequestPart {
        var parser = HTTP1RequestParser()
        parser.feed(ByteBuffer(string: "\(method) \(uri) HTTP/1.\(version.minor)\r\n\(fields)\r\n"))
        return try! parser.next()!
    }

    private func makeChannel() throws -> (EmbeddedChannel, ReadCounter) {
        let counter = ReadCounter()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(counter)
        try channel.pipeline.syncOperations.addHandler(HTTP1ServerCodec())
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9000)).wait()
        #expect(channel.isActive)
        return (channel, counter)
    }

    private func paths(_ channel: EmbeddedChannel) throws -> [String] {
        var seen: [String] = []
        while let part = try channel.readInbound(as: HTTPRequestPart.self) {
            if case .head(let head) = part { seen.append(head.path ?? "") }
        }
        return seen
    }

    private func answer(_ channel: EmbeddedChannel, length: Bool = true) throws {
        let fields: HTTPFields = length ? [.contentLength: "0"] : [:]
        send(channel, HTTPResponsePart.head(HTTPResponse(status: .ok, headerFields: fields)))
        send(channel, HTTPResponsePart.end(nil))
        channel.embeddedEventLoop.run()
    }

    @Test func readingGoesOnWhileARequestWithNothingBehindItIsAnswered() throws {
        let (channel, counter) = try makeChannel()
        try channel.writeInbound(head("/a"))
        try channel.writeInbound(HTTP1RequestPart.end(nil))
        channel.read()
        #expect(counter.reads == 1)
        #expect(try paths(channel) == ["/a"])
    }

    @Test func aPipelinedRequestWaitsForTheAnswerBeforeIt() throws {
        let (channel, counter) = try makeChannel()
        for uri in ["/a", "/b", "/c"] {
            try channel.writeInbound(head(uri))
            try channel.writeInbound(HTTP1RequestPart.end(nil))
        }
        #expect(try paths(channel) == ["/a"])
        channel.read()
        #expect(counter.reads == 0)
        try answer(channel)
        #expect(try paths(channel) == ["/b"])
        #expect(counter.reads == 0)
        try answer(channel)
        #expect(try paths(channel) == ["/c"])
        // Nothing is held any more: the read asked for meanwhile goes out.
        #expect(counter.reads == 1)
    }

    @Test func anErrorAfterAnEndedRequestWaitsForItsAnswer() throws {
        let (channel, _) = try makeChannel()
        try channel.writeInbound(head("/a"))
        try channel.writeInbound(HTTP1RequestPart.end(nil))
        channel.pipeline.fireErrorCaught(HTTPParserError.invalidHeaderToken)
        #expect(throws: Never.self) { try channel.throwIfErrorCaught() }
        try answer(channel)
        #expect(throws: HTTPParserError.self) { try channel.throwIfErrorCaught() }
    }

    @Test func anErrorInARequestBodyGoesUpAtOnce() throws {
        let (channel, _) = try makeChannel()
        try channel.writeInbound(head("/a"))
        channel.pipeline.fireErrorCaught(HTTPParserError.invalidChunkSize)
        #expect(throws: HTTPParserError.self) { try channel.throwIfErrorCaught() }
    }

    /// An HTTP/1.0 request without keep-alive is answered in 1.0 with `Connection: close`, the
    /// connection closes after the answer, and a request pipelined behind it never runs.
    @Test func anHTTP10RequestIsAnsweredIn10AndEndsTheConnection() throws {
        let (channel, _) = try makeChannel()
        try channel.writeInbound(head("/a", version: .http1_0))
        try channel.writeInbound(HTTP1RequestPart.end(nil))
        try channel.writeInbound(head("/b"))
        try channel.writeInbound(HTTP1RequestPart.end(nil))
        #expect(try paths(channel) == ["/a"])
        try answer(channel)
        let written = try wire(channel)
        #expect(written.hasPrefix("HTTP/1.0 200 OK\r\n"))
        #expect(written.contains("\r\nConnection: close\r\n"))
        #expect(try paths(channel) == [])
        #expect(!channel.isActive)
    }


    /// HTTP/1.1 with `Connection: close` ends the connection as 1.0 does: nothing written after
    /// that answer (the parser's error for bytes behind it once drew a 400 onto the wire), and
    /// the request pipelined behind it never runs.
    @Test func anHTTP11RequestAskingToCloseIsTheLastAnswered() throws {
        let (channel, _) = try makeChannel()
        try channel.writeInbound(head("/a", fields: "Connection: close\r\n"))
        try channel.writeInbound(HTTP1RequestPart.end(nil))
        try channel.writeInbound(head("/b"))
        try channel.writeInbound(HTTP1RequestPart.end(nil))
        #expect(try paths(channel) == ["/a"])
        try respond(channel, HTTPResponse(status: .ok, headerFields: [.contentLength: "5", .connection: "close"]), body: ["hello"])
        let late = channel.write(HTTPResponsePart.head(HTTPResponse(status: .badRequest, headerFields: [.contentLength: "0"])))
        channel.flush()
        #expect(try wire(channel) == "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello")
        #expect(throws: ChannelError.self) { try late.wait() }
        #expect(try paths(channel) == [])
        #expect(!channel.isActive)
    }

    /// A codec over a socket that takes bytes only when told (`SlowSocket.drain`).
    private func makeSlowChannel() throws -> (EmbeddedChannel, SlowSocket) {
        let socket = SlowSocket()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(socket)
        try channel.pipeline.syncOperations.addHandler(HTTP1ServerCodec())
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9000)).wait()
        return (channel, socket)
    }

    /// A close from above after the closing answer has ended (a handler answering bytes that
    /// arrived behind it) waits for that answer to be sent: it once cut its last bytes off.
    @Test func theClosingAnswerIsSentWholeBeforeTheConnectionCloses() throws {
        let (channel, socket) = try makeSlowChannel()
        try channel.writeInbound(head("/a", fields: "Connection: close\r\n"))
        try channel.writeInbound(HTTP1RequestPart.end(nil))
        try respond(channel, HTTPResponse(status: .ok, headerFields: [.contentLength: "5"]), body: ["hello"])
        channel.embeddedEventLoop.run()
        channel.close(promise: nil)
        channel.embeddedEventLoop.run()
        #expect(!socket.closed)
        socket.drain()
        channel.embeddedEventLoop.run()
        #expect(socket.closed)
        #expect(try wire(channel) == "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello")
    }

    /// A close during an answer (a GET whose blob failed midway) sends what was written of it
    /// first: the bytes the socket had not yet taken were once dropped.
    @Test func anAnswerCutOffSendsItsWrittenBytesBeforeTheClose() throws {
        let (channel, socket) = try makeSlowChannel()
        try request("GET", channel)
        send(channel, HTTPResponsePart.head(HTTPResponse(status: .ok, headerFields: [.contentLength: "9"])))
        send(channel, HTTPResponsePart.body(ByteBuffer(string: "half")))
        channel.embeddedEventLoop.run()
        var closed = false
        channel.close().assumeIsolated().whenComplete { _ in closed = true }
        channel.embeddedEventLoop.run()
        #expect(!socket.closed && !closed)
        socket.drain()
        channel.embeddedEventLoop.run()
        #expect(socket.closed && closed)
        #expect(try wire(channel) == "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nhalf")
    }

    /// Writes and flushes a part without waiting: the codec flushes on the loop's next turn.
    private func send(_ channel: EmbeddedChannel, _ part: HTTPResponsePart) {
        channel.writeAndFlush(part, promise: nil)
    }

    /// Everything written to the socket so far, as text, once the loop has turned.
    private func wire(_ channel: EmbeddedChannel) throws -> String {
        channel.embeddedEventLoop.run()
        var bytes = ""
        while let data = try channel.readOutbound(as: IOData.self) {
            guard case .byteBuffer(let buffer) = data else { continue }
            bytes += String(buffer: buffer)
        }
        return bytes
    }

    private func request(_ method: String, _ channel: EmbeddedChannel, version: HTTPVersion = .http1_1) throws {
        try channel.writeInbound(head("/x", method: method, version: version))
        try channel.writeInbound(HTTP1RequestPart.end(nil))
        _ = try paths(channel)
    }

    /// Writes an answer: its head, each body part, its end.
    private func respond(_ channel: EmbeddedChannel, _ response: HTTPResponse, body: [String] = [], trailers: HTTPFields? = nil) throws {
        send(channel, HTTPResponsePart.head(response))
        for part in body { send(channel, HTTPResponsePart.body(ByteBuffer(string: part))) }
        send(channel, HTTPResponsePart.end(trailers))
    }

    @Test func anAnswerWithALengthGoesAsItIs() throws {
        let (channel, _) = try makeChannel()
        try request("GET", channel)
        try respond(channel, HTTPResponse(status: .ok, headerFields: [.contentLength: "5", .transferEncoding: "chunked", .eTag: "\"e\""]), body: ["hello"])
        #expect(try wire(channel) == "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nETag: \"e\"\r\n\r\nhello")
    }

    /// The status line's code and phrase, and fields written in one copy: names as given, values
    /// byte for byte (UTF-8 included), every line ended, many fields at once.
    @Test func theHeadIsWrittenByteForByte() throws {
        let (channel, _) = try makeChannel()
        try request("GET", channel)
        var fields: HTTPFields = [.contentLength: "0", HTTPField.Name("x-amz-meta-note")!: "caf\u{e9} \u{2603}"]
        for index in 0..<40 { fields.append(HTTPField(name: HTTPField.Name("x-f\(index)")!, value: String(repeating: "v", count: index))) }
        try respond(channel, HTTPResponse(status: .init(code: 599, reasonPhrase: "Odd Phrase"), headerFields: fields))
        var expected = "HTTP/1.1 599 Odd Phrase\r\nContent-Length: 0\r\nx-amz-meta-note: caf\u{e9} \u{2603}\r\n"
        for index in 0..<40 { expected += "x-f\(index): \(String(repeating: "v", count: index))\r\n" }
        #expect(try wire(channel) == expected + "\r\n")
        try request("GET", channel)
        try respond(channel, HTTPResponse(status: .notFound, headerFields: [.contentLength: "0"]))
        #expect(try wire(channel) == "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
    }

    /// Each answer's head is written into the buffer of the one before when the socket has let
    /// go of it: a head still waiting to be sent keeps its bytes, and a head too large to keep
    /// does not change the next one.
    @Test func aHeadNotYetSentKeepsItsBytesWhenTheNextIsWritten() throws {
        let socket = SlowSocket()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(socket)
        try channel.pipeline.syncOperations.addHandler(HTTP1ServerCodec())
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9000)).wait()
        var (expected, sent) = ("", "")
        for (index, size) in [10, 3, 5000, 1, 20, 7].enumerated() {
            try channel.writeInbound(head("/\(index)"))
            try channel.writeInbound(HTTP1RequestPart.end(nil))
            let value = String(repeating: Character(UnicodeScalar(UInt8(ascii: "a") + UInt8(index))), count: size)
            send(channel, HTTPResponsePart.head(HTTPResponse(status: .ok, headerFields: [.contentLength: "0", .eTag: value])))
            send(channel, HTTPResponsePart.end(nil))
            channel.embeddedEventLoop.run()
            expected += "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nETag: \(value)\r\n\r\n"
            // The first two heads stay with the socket until the third is written; from then on
            // each is sent and let go of before the next, whose head reuses its buffer.
            if index >= 2 {
                socket.drain()
                sent += try wire(channel)
            }
        }
        #expect(sent == expected)
    }

    @Test func anAnswerWithoutALengthIsChunkedInHTTP11() throws {
        let (channel, _) = try makeChannel()
        try request("GET", channel)
        try respond(channel, HTTPResponse(status: .ok), body: ["hello world, ", "", "again"], trailers: [HTTPField.Name("x-trailer")!: "abc"])
        #expect(try wire(channel) == "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nd\r\nhello world, \r\n5\r\nagain\r\n0\r\nx-trailer: abc\r\n\r\n")
        #expect(channel.isActive)
    }

    /// A 1.0 client cannot read chunks: the body ends with the connection.
    @Test func anAnswerWithoutALengthEndsTheConnectionInHTTP10() throws {
        let (channel, _) = try makeChannel()
        try channel.writeInbound(head("/x", version: .http1_0, fields: "Connection: keep-alive\r\n"))
        try channel.writeInbound(HTTP1RequestPart.end(nil))
        try respond(channel, HTTPResponse(status: .ok), body: ["hello"])
        channel.embeddedEventLoop.run()
        #expect(try wire(channel) == "HTTP/1.0 200 OK\r\nConnection: close\r\n\r\nhello")
        #expect(!channel.isActive)
    }

    /// An answer to HEAD says what a GET would have had, sends no body bytes and refuses any,
    /// and the answer to a broken request after it has its body again.
    @Test func anAnswerToHEADHasNoBody() throws {
        let (channel, _) = try makeChannel()
        try request("HEAD", channel)
        send(channel, HTTPResponsePart.head(HTTPResponse(status: .ok, headerFields: [.contentLength: "5"])))
        let refused = channel.write(HTTPResponsePart.body(ByteBuffer(string: "hello")))
        send(channel, HTTPResponsePart.end(nil))
        #expect(throws: NIOHTTPResponseEncoderError.self) { try refused.wait() }
        #expect(try wire(channel) == "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n")
        try request("HEAD", channel)
        try respond(channel, HTTPResponse(status: .ok))
        #expect(try wire(channel) == "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        channel.embeddedEventLoop.run()
        // A parse error after it: its 400 is not an answer to the HEAD.
        channel.pipeline.fireErrorCaught(HTTPParserError.invalidHeaderToken)
        try respond(channel, HTTPResponse(status: .badRequest, headerFields: [.contentLength: "3"]), body: ["bad"])
        #expect(try wire(channel) == "HTTP/1.1 400 Bad Request\r\nContent-Length: 3\r\n\r\nbad")
    }

    /// botocore reads the first line after an `Expect: 100-continue` itself and wants three parts.
    /// Flushes wait for the loop's next turn and go down once: answers finished in the same turn
    /// reach the socket together, and a write's promise completes after that flush.
    @Test func flushesWaitForTheLoopsNextTurnAndGoDownOnce() throws {
        let (channel, counter) = try makeChannel()
        try request("GET", channel)
        let flushesBefore = counter.flushes
        send(channel, HTTPResponsePart.head(HTTPResponse(status: .ok, headerFields: [.contentLength: "2"])))
        let ended = channel.writeAndFlush(HTTPResponsePart.end(nil))
        channel.flush()
        #expect(try channel.readOutbound(as: IOData.self) == nil)
        var completed = false
        ended.assumeIsolated().whenComplete { _ in completed = true }
        #expect(!completed)
        channel.embeddedEventLoop.run()
        #expect(completed)
        #expect(counter.flushes == flushesBefore + 1)
        #expect(try wire(channel) == "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n")
    }

    /// An answer without body bytes goes to the socket as one write whose promise is its end's:
    /// its head and an empty buffer for the end's promise were two pending writes and a writev.
    @Test func anAnswerWithoutBodyBytesIsOneWrite() throws {
        for (method, length) in [("HEAD", "4096"), ("PUT", "0")] {
            let (channel, _) = try makeChannel()
            try request(method, channel)
            send(channel, HTTPResponsePart.head(HTTPResponse(status: .ok, headerFields: [.contentLength: length])))
            let ended = channel.writeAndFlush(HTTPResponsePart.end(nil))
            channel.embeddedEventLoop.run()
            var writes: [String] = []
            while let data = try channel.readOutbound(as: IOData.self) {
                if case .byteBuffer(let buffer) = data { writes.append(String(buffer: buffer)) }
            }
            #expect(writes == ["HTTP/1.1 200 OK\r\nContent-Length: \(length)\r\n\r\n"])
            var completed = false
            ended.assumeIsolated().whenComplete { _ in completed = true }
            #expect(completed)
        }
    }

    /// A head waits for what follows it only until a flush: a streamed answer whose first body
    /// part is slow to come (a cold read) has its head on the wire meanwhile.
    @Test func aHeadGoesOutWithAFlushBeforeItsBody() throws {
        let (channel, _) = try makeChannel()
        try request("GET", channel)
        send(channel, HTTPResponsePart.head(HTTPResponse(status: .ok, headerFields: [.contentLength: "4"])))
        #expect(try wire(channel) == "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n")
        send(channel, HTTPResponsePart.body(ByteBuffer(string: "data")))
        send(channel, HTTPResponsePart.end(nil))
        #expect(try wire(channel) == "data")
    }

    /// An answer cut off by an error (a blob found short mid-body) is closed in the turn its
    /// bytes were written: the close must not overtake their flush, or the client gets nothing.
    @Test func aCloseInTheTurnOfAWriteSendsTheWriteFirst() throws {
        let (channel, counter) = try makeChannel()
        try request("GET", channel)
        send(channel, HTTPResponsePart.head(HTTPResponse(status: .ok, headerFields: [.contentLength: "9"])))
        send(channel, HTTPResponsePart.body(ByteBuffer(string: "half")))
        counter.events.removeAll()
        channel.close(promise: nil)
        channel.embeddedEventLoop.run()
        #expect(counter.events.first == "flush")
        #expect(counter.events.contains("close"))
        #expect(try wire(channel) == "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nhalf")
    }

    @Test func aStatusMadeFromItsCodeIsSentWithItsPhrase() throws {
        let (channel, _) = try makeChannel()
        try request("PUT", channel)
        try respond(channel, HTTPResponse(status: .init(code: 403), headerFields: [.contentLength: "0"]))
        #expect(try wire(channel) == "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
    }

    /// Only a 2xx answer to CONNECT is bodyless (RFC 9112 §6.3); a refusal keeps its body.
    @Test func aRefusedCONNECTIsAnsweredWithItsBody() throws {
        let (channel, _) = try makeChannel()
        try request("CONNECT", channel)
        try respond(channel, HTTPResponse(status: .badRequest, headerFields: [.contentLength: "3"]), body: ["bad"])
        #expect(try wire(channel) == "HTTP/1.1 400 Bad Request\r\nContent-Length: 3\r\n\r\nbad")
        var accepted = HTTPResponse(status: .ok, headerFields: [.contentLength: "3"])
        #expect(HTTP1ResponseFraming.frame(&accepted, version: .http1_1, method: .connect) == .none)
        #expect(accepted.headerFields[.contentLength] == nil)
    }

    /// No body for 204 and 304, whatever the fields say; an interim 100 leaves the final answer's
    /// framing alone.
    @Test func statusesWithoutABodyLoseTheirFramingFields() throws {
        let (channel, _) = try makeChannel()
        try request("GET", channel)
        send(channel, HTTPResponsePart.head(HTTPResponse(status: .continue)))
        send(channel, HTTPResponsePart.head(HTTPResponse(status: .noContent, headerFields: [.contentLength: "0", .transferEncoding: "chunked"])))
        send(channel, HTTPResponsePart.end(nil))
        try request("GET", channel)
        send(channel, HTTPResponsePart.head(HTTPResponse(status: .notModified, headerFields: [.eTag: "\"e\""])))
        send(channel, HTTPResponsePart.end(nil))
        #expect(try wire(channel) == "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304 Not Modified\r\nETag: \"e\"\r\n\r\n")
    }
}

/// A task that prefers a loop's `EventLoopTaskExecutor` runs on that loop, nonisolated async
/// calls and resumptions included.
@Suite struct EventLoopTaskExecutorTests {
    private static func stillOn(_ loop: any EventLoop) async -> Bool {
        await Task.yield()
        let here = loop.inEventLoop
        try? await Task.sleep(for: .milliseconds(1))
        return here && loop.inEventLoop
    }

    @Test func aTaskPreferringTheExecutorRunsOnItsLoop() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let loop = group.next()
        let executor = EventLoopTaskExecutor.on(loop)
        #expect(EventLoopTaskExecutor.on(loop) === executor)
        let onLoop = await Task(executorPreference: executor) { await Self.stillOn(loop) }.value
        #expect(onLoop)
        try await group.shutdownGracefully()
    }
}

/// A connection's worker task takes its requests in the order handed, whether handed while it
/// answers one (held) or while it waits, and ends once told, after what it was handed.
@Suite struct RequestWorkerTests {
    private static func request(_ path: String) -> RequestWorker.Request {
        RequestWorker.Request(head: HTTPRequest(method: .get, scheme: nil, authority: "h", path: path), body: RequestBody(buffer: ByteBuffer()), closing: false)
    }

    /// Polls on the loop, at most `tries` times a millisecond apart, until `condition` holds there.
    private static func eventually(on loop: any EventLoop, tries: Int = 2000, _ condition: @escaping @Sendable () -> Bool) async throws -> Bool {
        for _ in 0..<tries {
            if try await loop.submit(condition).get() { return true }
            try await Task.sleep(for: .milliseconds(1))
        }
        return false
    }

    @Test func requestsAreTakenInTurnUntilTheWorkerEnds() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let worker = RequestWorker(loop: loop)
        let taken = NIOLockedValueBox<[String]>([])
        // Handed before the task first asks: held for it.
        try await loop.submit { worker.hand(Self.request("/a")) }.get()
        let task = Task(executorPreference: EventLoopTaskExecutor.on(loop)) {
            while let request = await worker.next() {
                #expect(loop.inEventLoop)
                taken.withLockedValue { $0.append(request.head.path ?? "") }
            }
        }
        for path in ["/b", "/c"] {
            #expect(try await Self.eventually(on: loop) { worker.waitingSince != nil })
            try await loop.submit { worker.hand(Self.request(path)) }.get()
        }
        #expect(try await Self.eventually(on: loop) { worker.waitingSince != nil })
        // Handed and ended in one turn: the request is still answered, then the task ends.
        try await loop.submit {
            worker.hand(Self.request("/d"))
            worker.end()
        }.get()
        await task.value
        #expect(taken.withLockedValue { $0 } == ["/a", "/b", "/c", "/d"])
        #expect(try await loop.submit { worker.ended && worker.waitingSince == nil }.get())
        try await group.shutdownGracefully()
    }
}

/// The socket's acknowledged-bytes count, read at the offset Linux gives it, grows with what the
/// peer has taken.
@Suite struct TCPProgressTests {
    @Test func acknowledgedBytesCountWhatThePeerTook() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let received = NIOLockedValueBox(0)
        final class Sink: ChannelInboundHandler, Sendable {
            typealias InboundIn = ByteBuffer
            let received: NIOLockedValueBox<Int>
            init(_ received: NIOLockedValueBox<Int>) { self.received = received }
            func channelRead(context: ChannelHandlerContext, data: NIOAny) {
                let count = unwrapInboundIn(data).readableBytes
                received.withLockedValue { $0 += count }
            }
        }
        let server = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Sink(received)) } }
            .bind(host: "127.0.0.1", port: 0).get()
        let client = try await ClientBootstrap(group: group).connect(to: server.localAddress!).get()
        let size = 300_000
        try await client.writeAndFlush(ByteBuffer(repeating: 7, count: size)).get()
        for _ in 0..<200 where received.withLockedValue({ $0 }) < size { try await Task.sleep(for: .milliseconds(10)) }
        #expect(received.withLockedValue { $0 } == size)
        let acknowledged = try await client.eventLoop.submit { TCPProgress.bytesAcknowledged(client) }.get()
        #expect(acknowledged.map { $0 >= UInt64(size) && $0 < UInt64(size) + 1024 } == true, "\(String(describing: acknowledged))")
        #expect(TCPProgress.bytesAcknowledged(EmbeddedChannel()) == nil)
        try await client.close()
        try await server.close()
        try await group.shutdownGracefully()
    }
}
