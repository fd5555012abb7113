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

    private let count: Count

    init(_ count: Count) { self.count = count }

    /// Admits the connection or closes it. An admitted one is counted until it closes, and this
    /// handler leaves the pipeline, so that no read passes through it.
    func handlerAdded(context: ChannelHandlerContext) {
        guard count.admit() else {
            context.close(promise: nil)
            return
        }
        let count = count
        context.channel.closeFuture.whenComplete { _ in count.leave() }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}
