import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// How many bytes the peer of a TCP socket has acknowledged so far (Linux's `tcpi_bytes_acked`,
/// RFC 4898's HCThruOctetsAcked): whether a client is still taking an answer, however slowly.
enum TCPProgress {
    /// `struct tcp_info` as Linux 4.19 and later fill it (232 bytes). Glibc's declaration stops
    /// at `tcpi_total_retrans`; the fields after it only ever grow at the end, so their offsets hold.
    private struct LinuxTCPInfo: Sendable {
        var words: (
            UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
            UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
            UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64
        ) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    }

    /// Byte offset of `tcpi_bytes_acked` (after `tcpi_pacing_rate` and `tcpi_max_pacing_rate`).
    static let bytesAckedOffset = 120

    /// Nil when the channel is not a socket (tests) or the kernel does not say. Called on the
    /// channel's event loop, where the option is read at once.
    static func bytesAcknowledged(_ channel: any Channel) -> UInt64? {
        #if os(Linux)
        guard let provider = channel as? any SocketOptionProvider, channel.eventLoop.inEventLoop else { return nil }
        let future: EventLoopFuture<LinuxTCPInfo> = provider.unsafeGetSocketOption(level: SocketOptionLevel(IPPROTO_TCP), name: SocketOptionName(TCP_INFO))
        // On the loop the option is read before the future is returned: it is complete already.
        var read: LinuxTCPInfo?
        future.assumeIsolated().whenSuccess { read = $0 }
        guard let info = read else { return nil }
        let acked = withUnsafeBytes(of: info.words) { $0.load(fromByteOffset: bytesAckedOffset, as: UInt64.self) }
        return acked == 0 ? nil : acked
        #else
        return nil
        #endif
    }
}
