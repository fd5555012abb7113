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
    private var admitted = false

    init(_ count: Count) { self.count = count }

    func handlerAdded(context: ChannelHandlerContext) {
        admitted = count.admit()
        if !admitted { context.close(promise: nil) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if admitted {
            admitted = false
            count.leave()
        }
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        if admitted {
            admitted = false
            count.leave()
        }
    }
}
