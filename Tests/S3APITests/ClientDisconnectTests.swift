import Glibc
import NIOCore
import Testing

@testable import S3API

/// An aborted download is logged at debug level; any other failure mid-answer at error level.
@Suite struct ClientDisconnectTests {
    @Test func aClientGoneExplainsTheFailure() {
        #expect(ClientDisconnect.explains(ChannelError.ioOnClosedChannel))
        #expect(ClientDisconnect.explains(ChannelError.eof))
        #expect(ClientDisconnect.explains(IOError(errnoCode: EPIPE, reason: "writev")))
        #expect(ClientDisconnect.explains(IOError(errnoCode: ECONNRESET, reason: "sendfile")))
    }

    @Test func otherFailuresAreTheServersOwn() {
        struct DiskFailure: Error {}
        #expect(!ClientDisconnect.explains(DiskFailure()))
        #expect(!ClientDisconnect.explains(IOError(errnoCode: EIO, reason: "pread")))
        #expect(!ClientDisconnect.explains(ChannelError.writeHostUnreachable))
    }
}
