import NIOCore
import NIOPosix

/// Binds every listener's address once, and lets it go, before any service starts: an address
/// already taken ends the server with the bind error before anything runs.
///
/// A listener that failed to bind inside the running service group made Hummingbird's group
/// cancel its other services, and that cancellation can deadlock in a dependency (the server
/// then listened on, half started, and never exited; the integration test hung in two CI runs).
/// `gdb` of a debug server that hung that way, under CPU load with its console's port taken
/// (about one start in seven): one thread cancelling the group held a task's status record and
/// waited, in swift-async-algorithms' `MergeStorage.next` cancellation handler, for the merge's
/// lock; the lock's holder waited for that task's status record. Binding first keeps the common
/// failure (a port in use, a host not on this machine, one address twice) out of that path. A
/// port taken between this check and the listener's own bind, which follow each other across
/// the start-up's stores, migrations and bootstrap (seconds with PostgreSQL), still goes through
/// it; Hummingbird cannot take over an already bound socket.
enum ListenerPreflight {
    /// The bind error, with the address it was for (NIO's names no address).
    struct Unavailable: Error, CustomStringConvertible {
        let address: HostAndPort
        let underlying: any Error
        var description: String { "cannot listen on \(address.host):\(address.port): \(underlying)" }
    }

    /// Throws the first address's bind error, as the listener's own bind would. All are held
    /// until the last is bound, so two listeners given one address fail here too.
    static func check(_ addresses: [HostAndPort]) async throws {
        var bound: [any Channel] = []
        defer { for channel in bound { channel.close(promise: nil) } }
        for address in addresses {
            // As Hummingbird's listeners: SO_REUSEADDR, so a port left in TIME_WAIT passes. No
            // reads, so nothing is accepted: a client connecting meanwhile is reset at the close
            // (review finding: NIO accepted it and kept it open, outside every limit).
            do {
                bound.append(
                    try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                        .serverChannelOption(.autoRead, value: false)
                        .serverChannelOption(.backlog, value: 1)
                        .bind(host: address.host, port: address.port)
                        .get())
            } catch {
                throw Unavailable(address: address, underlying: error)
            }
        }
        for channel in bound { try await channel.close() }
        bound.removeAll()
    }
}
