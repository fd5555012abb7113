import NIOCore
import Synchronization

/// Closes a connection at once when its listener already holds `limit` open ones, so a flood of
/// idle or slow connections cannot exhaust the process's file descriptors.
final class ConnectionLimiter: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    /// The open connections of one listener.
    final class Count: Sendable {
        let limit: Int
        private let open = Atomic<Int>(0)

        init(limit: Int) { self.limit = limit }

        /// Counts a new connection; false when it is one too many (and is not counted).
        func admit() -> Bool {
            let now = open.add(1, ordering: .relaxed).newValue
            guard now <= limit else {
                open.subtract(1, ordering: .relaxed)
                return false
            }
            return true
        }

        func leave() { open.subtract(1, ordering: .relaxed) }
    }

    /// An admitted connection's place in the count, given back once nothing holds it: the
    /// channel holds it until it closes, and the task answering its requests
    /// (`HTTPConnectionHandler`) until that task ends. A client that sends a long request (a
    /// large CopyObject) and resets the connection at once has closed it, but its request still
    /// runs: counted until it ends, so the limit bounds the requests in flight, not only the
    /// sockets open.
    final class Lease: Sendable {
        let count: Count
        init(_ count: Count) { self.count = count }
        deinit { count.leave() }
    }

    private let count: Count
    /// Taken by the connection's handler while the pipeline is set up (`lease`).
    private(set) var lease: Lease?

    init(_ count: Count) { self.count = count }

    /// Admits the connection or closes it. An admitted one is counted until it closes and its
    /// requests end (`Lease`); this handler leaves the pipeline once the channel is active, so
    /// that no read passes through it.
    func handlerAdded(context: ChannelHandlerContext) {
        guard count.admit() else {
            context.close(promise: nil)
            return
        }
        let lease = Lease(count)
        self.lease = lease
        context.channel.closeFuture.whenComplete { _ in withExtendedLifetime(lease) {} }
        if context.channel.isActive { leave(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        context.fireChannelActive()
        leave(context)
    }

    private func leave(_ context: ChannelHandlerContext) {
        lease = nil
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}
