import HTTPTypes
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
    func read(context: ChannelHandlerContext) {
        reads += 1
        context.read()
    }
}

@Suite struct HTTP1ServerCodecTests {
    private func head(_ uri: String, version: HTTPVersion = .http1_1) -> HTTPServerRequestPart {
        .head(HTTPRequestHead(version: version, method: .GET, uri: uri))
    }

    private func makeChannel() throws -> (EmbeddedChannel, ReadCounter) {
        let counter = ReadCounter()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(counter)
        try channel.pipeline.syncOperations.addHandler(HTTP1ServerCodec())
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
        try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .ok, headerFields: fields)))
        try channel.writeOutbound(HTTPResponsePart.end(nil))
        channel.embeddedEventLoop.run()
    }

    @Test func readingGoesOnWhileARequestWithNothingBehindItIsAnswered() throws {
        let (channel, counter) = try makeChannel()
        try channel.writeInbound(head("/a"))
        try channel.writeInbound(HTTPServerRequestPart.end(nil))
        channel.read()
        #expect(counter.reads == 1)
        #expect(try paths(channel) == ["/a"])
    }

    @Test func aPipelinedRequestWaitsForTheAnswerBeforeIt() throws {
        let (channel, counter) = try makeChannel()
        for uri in ["/a", "/b", "/c"] {
            try channel.writeInbound(head(uri))
            try channel.writeInbound(HTTPServerRequestPart.end(nil))
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
        try channel.writeInbound(HTTPServerRequestPart.end(nil))
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
        try channel.writeInbound(HTTPServerRequestPart.end(nil))
        try channel.writeInbound(head("/b"))
        try channel.writeInbound(HTTPServerRequestPart.end(nil))
        #expect(try paths(channel) == ["/a"])
        try answer(channel)
        guard case .head(let written) = try channel.readOutbound(as: HTTPServerResponsePart.self) else {
            Issue.record("no head written")
            return
        }
        #expect(written.version == .http1_0)
        #expect(written.headers["connection"] == ["close"])
        #expect(try paths(channel) == [])
        #expect(!channel.isActive)
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
