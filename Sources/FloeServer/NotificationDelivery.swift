import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ObjectStore
import S3API
import ServiceLifecycle

/// Delivers the outbox to webhook targets, at least once and in the order written: each target
/// is a queue that does not move past an event until it is delivered (2xx) or dead-lettered
/// after `maxAttempts`, retried with a backoff that doubles up to a minute; an outage of one
/// target holds back only that target. Every request carries `X-Floe-Event-Id` (the outbox row,
/// for receivers to drop duplicates) and, when the target has a secret,
/// `X-Floe-Signature: sha256=<hex HMAC of the body>`.
struct NotificationDelivery: Service {
    let store: ObjectStore
    let metrics: ServerMetrics
    let maxAttempts: Int
    let logger: Logger

    static let idlePoll: Duration = .milliseconds(250)
    static let batch = 200
    static let maxBackoffSeconds: Double = 60
    static let timeout: TimeAmount = .seconds(10)

    func run() async throws {
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(5), read: Self.timeout)))
        try? await cancelWhenGracefulShutdown {
            // Per target: when to try again, and how many failures in a row.
            var retryAt: [String: ContinuousClock.Instant] = [:]
            var failures: [String: Int] = [:]
            while !Task.isCancelled {
                var delivered = false
                do {
                    delivered = try await round(client, retryAt: &retryAt, failures: &failures)
                } catch is CancellationError {
                    break
                } catch {
                    logger.error("notification delivery round failed", metadata: ["error": "\(error)"])
                }
                if !delivered { try await Task.sleep(for: Self.idlePoll) }
            }
        }
        try? await client.shutdown()
    }

    /// One pass over the outbox's head: true when something was delivered (go on at once).
    func round(_ client: HTTPClient, retryAt: inout [String: ContinuousClock.Instant], failures: inout [String: Int]) async throws -> Bool {
        let pending = try await store.index.pendingOutbox(limit: Self.batch)
        guard !pending.isEmpty else { return false }
        let targets = Dictionary(uniqueKeysWithValues: try await store.notificationTargets().map { ($0.name, $0) })
        var blocked: Set<String> = []
        var delivered: [Int64] = []
        let now = ContinuousClock.now
        for entry in pending where !blocked.contains(entry.target) {
            if let until = retryAt[entry.target], until > now {
                blocked.insert(entry.target)
                continue
            }
            guard let target = targets[entry.target] else {
                try await store.index.recordOutboxFailure(id: entry.id, error: "no target named \(entry.target)", dead: true)
                metrics.recordNotification("dead")
                continue
            }
            do {
                try await send(entry, to: target, client)
                delivered.append(entry.id)
                failures[entry.target] = nil
                retryAt[entry.target] = nil
                metrics.recordNotification("delivered")
            } catch {
                let dead = entry.attempts + 1 >= maxAttempts
                try await store.index.recordOutboxFailure(id: entry.id, error: "\(error)", dead: dead)
                metrics.recordNotification(dead ? "dead" : "failed_attempt")
                if dead {
                    logger.error("notification dead-lettered", metadata: ["target": "\(entry.target)", "event": "\(entry.id)", "error": "\(error)"])
                    continue
                }
                let count = (failures[entry.target] ?? 0) + 1
                failures[entry.target] = count
                retryAt[entry.target] = now + .seconds(min(Self.maxBackoffSeconds, pow(2, Double(min(count, 10))) / 4))
                blocked.insert(entry.target)
            }
        }
        try await store.index.acknowledgeOutbox(ids: delivered)
        return !delivered.isEmpty
    }

    struct DeliveryFailure: Error, CustomStringConvertible {
        let description: String
    }

    func send(_ entry: OutboxEntry, to target: NotificationTarget, _ client: HTTPClient) async throws {
        var request = HTTPClientRequest(url: target.url)
        request.method = .POST
        let body = Array(entry.payload.utf8)
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "X-Floe-Event-Id", value: String(entry.id))
        if let authorization = target.authorization { request.headers.add(name: "Authorization", value: authorization) }
        if let secret = target.signingSecret {
            let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Array(secret.utf8)))
            request.headers.add(name: "X-Floe-Signature", value: "sha256=" + mac.map { String(format: "%02x", $0) }.joined())
        }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await client.execute(request, timeout: Self.timeout)
        // The answer's body is not needed; read a little of it so the connection can be reused.
        _ = try? await response.body.collect(upTo: 64 * 1024)
        guard (200..<300).contains(response.status.code) else { throw DeliveryFailure(description: "HTTP \(response.status.code)") }
    }
}
