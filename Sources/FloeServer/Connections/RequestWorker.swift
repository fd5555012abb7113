import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

/// Hands a connection's requests, one at a time, to the one task that answers them. A task per
/// request cost about a dozen `malloc` calls for the task allocator's slabs (its async frames,
/// 1–12 KB each, did not fit the slab before) besides making, starting and destroying the task;
/// a task that answers request after request keeps the slabs its frames grew into. Used only on
/// the connection's event loop, where the task runs too (its preferred executor).
final class RequestWorker: @unchecked Sendable {
    struct Request: Sendable {
        let head: HTTPRequest
        let body: RequestBody
        /// The request asked to close the connection after its answer.
        let closing: Bool
    }

    /// How long a worker waits for its connection's next request before it ends.
    static let releaseAfter = TimeAmount.seconds(1)

    private let loop: any EventLoop
    /// A request handed while the task was still answering the one before.
    private var pending: Request?
    private var waiter: UnsafeContinuation<Request?, Never>?
    /// No request comes any more: the task ends after what it was handed.
    private(set) var ended = false
    /// Since when the task has waited for a request, while it waits.
    private(set) var waitingSince: NIODeadline?

    init(loop: any EventLoop) {
        self.loop = loop
    }

    /// Requests arrive one at a time: the codec holds the next until the answer before it ended.
    func hand(_ request: Request) {
        loop.preconditionInEventLoop()
        if let waiter {
            self.waiter = nil
            waitingSince = nil
            waiter.resume(returning: request)
        } else {
            precondition(pending == nil, "a request was handed before the one before it was taken")
            pending = request
        }
    }

    /// The next request, once there is one; nil once the worker has ended.
    func next() async -> Request? {
        loop.preconditionInEventLoop()
        if let request = pending {
            pending = nil
            return request
        }
        if ended { return nil }
        return await withUnsafeContinuation { continuation in
            waitingSince = .now()
            waiter = continuation
        }
    }

    func end() {
        ended = true
        if let waiter {
            self.waiter = nil
            waitingSince = nil
            waiter.resume(returning: nil)
        }
    }

    /// Runs the responder for one request and writes its answer.
    static func answer(
        _ request: Request, respond: HTTPConnectionHandler.Respond, channel: any Channel, logger: Logger, files: NIOLoopBound<HTTP1ServerCodec>?,
        handler: NIOLoopBound<HTTPConnectionHandler>
    ) async {
        var response: Response
        do {
            response = try await respond(request.head, request.body, ApplicationRequestContextSource(channel: channel, logger: logger))
        } catch {
            logger.error("responder failed", metadata: ["error": "\(error)"])
            response = Response(status: .internalServerError)
        }
        // Appended when absent (as from every S3 answer): setting it looks for it twice.
        if response.headers[.date] == nil {
            response.headers.append(ResponseDate.current())
        } else {
            response.headers[.date] = ResponseDate.current().value
        }
        // The handler closes the connection after this answer.
        if request.closing { response.headers[.connection] = "close" }
        let writer = ChannelResponseWriter(
            channel: channel, head: response.head, expectedLength: response.body.contentLength, files: files, handler: handler)
        do {
            try await response.body.write(writer)
        } catch {
            // The head may be out: the connection cannot carry another response.
            channel.close(promise: nil)
        }
    }
}
