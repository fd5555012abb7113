import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// Whether a failed write means only that the client is gone (closed, reset, timed out): what
/// every aborted download ends with, as opposed to a fault of the server's own.
enum ClientDisconnect {
    static func explains(_ error: any Error) -> Bool {
        if let channelError = error as? ChannelError {
            switch channelError {
            case .ioOnClosedChannel, .eof, .outputClosed, .alreadyClosed: return true
            default: return false
            }
        }
        if let ioError = error as? IOError {
            return [EPIPE, ECONNRESET, ETIMEDOUT].contains(ioError.errnoCode)
        }
        return false
    }
}
