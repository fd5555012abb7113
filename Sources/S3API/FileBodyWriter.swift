import Hummingbird

/// A response body writer that can send ranges of open files without reading them (`sendfile`):
/// an object's bytes go from the page cache to the socket with no copy through Floe's memory.
/// The connection's writer is one; `sendsFiles` is false where the bytes must pass through a
/// handler (TLS), and then a body is written as buffers.
public protocol FileBodyWriter: ResponseBodyWriter {
    var sendsFiles: Bool { get }
    /// False once the client has gone: a body stops before reading more of its file from disk
    /// (a GET closed at once otherwise had its next windows read in for nobody).
    var clientConnected: Bool { get }
    /// Sends `length` bytes of the open file `descriptor` from `offset`. The descriptor stays the
    /// caller's; the writer sends from a duplicate of it.
    mutating func writeFile(descriptor: Int32, offset: Int64, length: Int64) async throws
}
