import Foundation
import HTTPTypes
import Hummingbird
import NIOConcurrencyHelpers
import NIOCore

/// Results of mutations sent with an `Idempotency-Key`, kept for `lifetime` so a retried request
/// gets the first result instead of doing the work twice (a second commit, a duplicate create).
/// Entries are per principal; 5xx results are not kept, so a retry after a server error runs again.
final class IdempotencyCache: Sendable {
    struct Entry {
        let status: HTTPResponse.Status
        let headers: HTTPFields
        let body: ByteBuffer
        let expires: Date
    }

    static let lifetime: TimeInterval = 30 * 60
    static let maxEntries = 10_000
    private let entries = NIOLockedValueBox<[String: Entry]>([:])

    func lookup(_ key: String) -> Response? {
        guard let entry = entries.withLockedValue({ $0[key] }), entry.expires > Date() else { return nil }
        return Response(status: entry.status, headers: entry.headers, body: .init(byteBuffer: entry.body))
    }

    /// Stores the response (reading its small JSON body) and returns an equivalent one to send.
    func store(_ key: String, _ response: Response) async -> Response {
        guard response.status.code < 500 else { return response }
        let collector = Collector()
        do {
            try await response.body.write(collector)
        } catch {
            return response
        }
        let body = collector.state.withLockedValue { $0 }
        let now = Date()
        entries.withLockedValue { entries in
            if entries.count >= Self.maxEntries { entries = entries.filter { $0.value.expires > now } }
            if entries.count < Self.maxEntries {
                entries[key] = Entry(status: response.status, headers: response.headers, body: body, expires: now.addingTimeInterval(Self.lifetime))
            }
        }
        return Response(status: response.status, headers: response.headers, body: .init(byteBuffer: body))
    }

    /// A response body writer that keeps what is written.
    struct Collector: ResponseBodyWriter {
        let state = NIOLockedValueBox(ByteBuffer())

        mutating func write(_ buffer: ByteBuffer) async throws {
            var buffer = buffer
            state.withLockedValue { $0.writeBuffer(&buffer) }
        }

        consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }
}
