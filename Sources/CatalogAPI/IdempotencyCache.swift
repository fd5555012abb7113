import Foundation
import HTTPTypes
import Hummingbird
import NIOConcurrencyHelpers
import NIOCore

/// Results of mutations sent with an `Idempotency-Key`, kept for `lifetime` so a retried request
/// gets the first result instead of doing the work twice (a second commit, a duplicate create).
/// Entries are per principal; 5xx results are not kept, so a retry after a server error runs again.
/// Bounded by count and by bytes: a body larger than `maxBodyBytes` is not kept (the retry runs
/// again), and when the cache is full, expired entries go first, then the oldest.
final class IdempotencyCache: Sendable {
    struct Entry {
        let status: HTTPResponse.Status
        let headers: HTTPFields
        let body: ByteBuffer
        let expires: Date
    }

    static let lifetime: TimeInterval = 30 * 60
    static let maxEntries = 10_000
    static let maxBodyBytes = 256 * 1024
    static let maxTotalBytes = 16 * 1024 * 1024

    struct State {
        var entries: [String: Entry] = [:]
        var bytes = 0
        /// Keys in the order they were stored, to evict the oldest first.
        var order: [String] = []
    }
    private let state = NIOLockedValueBox(State())

    func lookup(_ key: String) -> Response? {
        guard let entry = state.withLockedValue({ $0.entries[key] }), entry.expires > Date() else { return nil }
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
        if body.readableBytes <= Self.maxBodyBytes {
            let entry = Entry(status: response.status, headers: response.headers, body: body, expires: Date().addingTimeInterval(Self.lifetime))
            state.withLockedValue { Self.insert(key, entry, into: &$0) }
        }
        return Response(status: response.status, headers: response.headers, body: .init(byteBuffer: body))
    }

    static func insert(_ key: String, _ entry: Entry, into state: inout State) {
        let size = entry.body.readableBytes + key.utf8.count
        if let old = state.entries.removeValue(forKey: key) {
            state.bytes -= old.body.readableBytes + key.utf8.count
            state.order.removeAll { $0 == key }
        }
        let now = Date()
        if state.entries.count >= maxEntries || state.bytes + size > maxTotalBytes {
            for (name, expired) in state.entries where expired.expires <= now {
                state.entries[name] = nil
                state.bytes -= expired.body.readableBytes + name.utf8.count
            }
            state.order.removeAll { state.entries[$0] == nil }
        }
        var dropped = 0
        while state.entries.count >= maxEntries || state.bytes + size > maxTotalBytes, dropped < state.order.count {
            let oldest = state.order[dropped]
            dropped += 1
            if let removed = state.entries.removeValue(forKey: oldest) { state.bytes -= removed.body.readableBytes + oldest.utf8.count }
        }
        state.order.removeFirst(dropped)
        state.entries[key] = entry
        state.bytes += size
        state.order.append(key)
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
