import Synchronization

/// A bound on the request bytes held in memory at once across all requests of a listener: a
/// request reserves what it may read before reading it, and releases it when done. When the
/// budget is spent the request is refused at once instead of growing the server.
public final class ByteBudget: Sendable {
    public let total: Int
    private let inFlight = Mutex(0)

    public init(total: Int) {
        self.total = total
    }

    /// Reserves `bytes`; false when that would exceed the total.
    public func reserve(_ bytes: Int) -> Bool {
        guard bytes > 0 else { return true }
        return inFlight.withLock { used in
            guard used + bytes <= total else { return false }
            used += bytes
            return true
        }
    }

    public func release(_ bytes: Int) {
        guard bytes > 0 else { return }
        inFlight.withLock { $0 -= bytes }
    }

    public var used: Int { inFlight.withLock { $0 } }
}
