import HTTPTypes
import HummingbirdCore
import NIOCore

/// A request as the S3 layer reads it: its head and its body. Hummingbird's `Request` parses its
/// target into a `URI` when it is made, which S3 never reads (`RequestTarget` parses the target
/// its own way); for a small GET that parse was about 1 % of the server's CPU.
public struct S3Request: Sendable {
    public let head: HTTPRequest
    public var body: RequestBody

    public init(head: HTTPRequest, body: RequestBody) {
        self.head = head
        self.body = body
    }

    public var method: HTTPRequest.Method { head.method }
    public var headers: HTTPFields { head.headerFields }

    /// The whole body, at most `maxSize` bytes; kept as the body, so it can be read again.
    public mutating func collectBody(upTo maxSize: Int) async throws -> ByteBuffer {
        let buffer = try await body.collect(upTo: maxSize)
        body = RequestBody(buffer: buffer)
        return buffer
    }
}
