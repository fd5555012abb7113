import NIOCore
import NIOHTTP1

/// Hands the handlers above one request at a time: a request pipelined behind one still being
/// answered waits here, with everything after it, until that answer has ended, and no more is read
/// meanwhile (what waits is bounded by what one read brought). A client that does not pipeline
/// never waits and reading never pauses: NIO's pipelining assistance instead paused reading after
/// every request's end until its answer ended, two `epoll_ctl` calls per request.
final class RequestSequencer: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private enum Held {
        case part(HTTPServerRequestPart)
        case error(any Error)
        case event(Any)
    }

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

    private func pass(_ part: HTTPServerRequestPart, _ context: ChannelHandlerContext) {
        switch part {
        case .head: (answering, requestEnded) = (true, false)
        case .end: requestEnded = true
        case .body: break
        }
        context.fireChannelRead(wrapInboundOut(part))
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

    func read(context: ChannelHandlerContext) {
        if held.isEmpty { context.read() } else { readPending = true }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            answering = false
            if !held.isEmpty { scheduleReplay(context) }
        }
        context.write(data, promise: promise)
    }

    /// On the loop's next turn, not inside the write that ended the answer, which is still on its
    /// way down from the handlers the held parts go up to.
    private func scheduleReplay(_ context: ChannelHandlerContext) {
        guard !replayScheduled else { return }
        replayScheduled = true
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.execute {
            let (sequencer, context) = bound.value
            sequencer.replayScheduled = false
            sequencer.replay(context)
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
