import NIOCore
import NIOEmbedded
import NIOHTTP1
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

@Suite struct RequestSequencerTests {
    private func head(_ uri: String) -> HTTPServerRequestPart {
        .head(HTTPRequestHead(version: .http1_1, method: .GET, uri: uri))
    }

    private func makeChannel() throws -> (EmbeddedChannel, ReadCounter) {
        let counter = ReadCounter()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(counter)
        try channel.pipeline.syncOperations.addHandler(RequestSequencer())
        return (channel, counter)
    }

    private func uris(_ channel: EmbeddedChannel) throws -> [String] {
        var seen: [String] = []
        while let part = try channel.readInbound(as: HTTPServerRequestPart.self) {
            if case .head(let head) = part { seen.append(head.uri) }
        }
        return seen
    }

    private func answer(_ channel: EmbeddedChannel) throws {
        try channel.writeOutbound(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok)))
        try channel.writeOutbound(HTTPServerResponsePart.end(nil))
        channel.embeddedEventLoop.run()
    }

    @Test func readingGoesOnWhileARequestWithNothingBehindItIsAnswered() throws {
        let (channel, counter) = try makeChannel()
        try channel.writeInbound(head("/a"))
        try channel.writeInbound(HTTPServerRequestPart.end(nil))
        channel.read()
        #expect(counter.reads == 1)
        #expect(try uris(channel) == ["/a"])
    }

    @Test func aPipelinedRequestWaitsForTheAnswerBeforeIt() throws {
        let (channel, counter) = try makeChannel()
        for uri in ["/a", "/b", "/c"] {
            try channel.writeInbound(head(uri))
            try channel.writeInbound(HTTPServerRequestPart.end(nil))
        }
        #expect(try uris(channel) == ["/a"])
        channel.read()
        #expect(counter.reads == 0)
        try answer(channel)
        #expect(try uris(channel) == ["/b"])
        #expect(counter.reads == 0)
        try answer(channel)
        #expect(try uris(channel) == ["/c"])
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
}
