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
/// is a queue that does not move past an event until it is delivered (2xx) or dead-lettered.
/// Targets are served side by side, each with a deadline per request (head and body), so a slow
/// or broken target holds back only its own queue. A failing target is retried with a backoff
/// that doubles up to a minute; after `maxAttempts` failures in a row its head is dead-lettered,
/// and while it keeps failing every further event is dead-lettered after one more try (a target
/// down for longer than the dead-letter window does not hold each event that long again).
/// Each request carries `X-Floe-Event-Id` (the outbox row, never reused: receivers drop
/// duplicates by it) and, with a secret, `X-Floe-Signature: sha256=<hex HMAC of the body>`.
struct NotificationDelivery: Service {
    let store: ObjectStore
    let metrics: ServerMetrics
    let maxAttempts: Int
    let logger: Logger

    static let idlePoll: Duration = .milliseconds(250)
    static let perTarget = 100
    static let maxBackoffSeconds: Double = 60
    static let deadline: Duration = .seconds(10)
    /// Targets served at once.
    static let concurrentTargets = 16

    /// Per target: failures in a row and when to try again.
    struct TargetState: Sendable {
        var failures = 0
        var retryAt: ContinuousClock.Instant?
    }

    func run() async throws {
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(5), read: .seconds(10))))
        try? await cancelWhenGracefulShutdown {
            var states: [String: TargetState] = [:]
            while !Task.isCancelled {
                var delivered = false
                do {
                    delivered = try await round(client, states: &states)
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

    /// One pass over every target's queue head: true when something was delivered (go on at once).
    func round(_ client: HTTPClient, states: inout [String: TargetState]) async throws -> Bool {
        let pending = try await store.index.pendingOutbox(perTarget: Self.perTarget)
        guard !pending.isEmpty else { return false }
        let targets = Dictionary(uniqueKeysWithValues: try await store.notificationTargets().map { ($0.name, $0) })
        let queues = Dictionary(grouping: pending, by: \.target)
        let now = ContinuousClock.now
        let due = queues.keys.sorted().filter { states[$0]?.retryAt.map { $0 <= now } ?? true }.prefix(Self.concurrentTargets)
        var anyDelivered = false
        try await withThrowingTaskGroup(of: (String, TargetState, Bool).self) { group in
            for name in due {
                let state = states[name] ?? TargetState()
                let queue = queues[name] ?? []
                let target = targets[name]
                group.addTask { try await self.drain(queue, to: target, named: name, state: state, client) }
            }
            for try await (name, state, delivered) in group {
                states[name] = state
                anyDelivered = anyDelivered || delivered
            }
        }
        return anyDelivered
    }

    /// Sends a target's queue head in order until one fails; returns its new state.
    func drain(_ queue: [OutboxEntry], to target: NotificationTarget?, named name: String, state: TargetState, _ client: HTTPClient) async throws
        -> (String, TargetState, Bool)
    {
        var state = state
        var delivered = false
        for entry in queue {
            guard let target else {
                try await store.index.recordOutboxFailure(id: entry.id, error: "no target named \(name)", dead: true)
                metrics.recordNotification("dead")
                continue
            }
            do {
                try await send(entry, to: target, client)
                // Acknowledged at once: a crash now re-sends at most this one event.
                try await store.index.acknowledgeOutbox(ids: [entry.id])
                metrics.recordNotification("delivered")
                state = TargetState()
                delivered = true
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                state.failures += 1
                let dead = entry.attempts + 1 >= maxAttempts || state.failures > maxAttempts
                try await store.index.recordOutboxFailure(id: entry.id, error: "\(error)", dead: dead)
                metrics.recordNotification(dead ? "dead" : "failed_attempt")
                if dead {
                    logger.error("notification dead-lettered", metadata: ["target": "\(name)", "event": "\(entry.id)", "error": "\(error)"])
                    continue
                }
                let backoff = min(Self.maxBackoffSeconds, pow(2, Double(min(state.failures, 10))) / 4)
                state.retryAt = ContinuousClock.now + .seconds(backoff)
                return (name, state, delivered)
            }
        }
        return (name, state, delivered)
    }

    struct DeliveryFailure: Error, CustomStringConvertible {
        let description: String
    }

    /// One POST, head and body within `deadline`; the answer's body is not read.
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
        let prepared = request
        let status = try await withThrowingTaskGroup(of: UInt?.self) { group in
            group.addTask {
                let response = try await client.execute(prepared, timeout: .seconds(10))
                return response.status.code
            }
            group.addTask {
                try await Task.sleep(for: Self.deadline)
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
        guard let status else { throw DeliveryFailure(description: "no answer within \(Self.deadline)") }
        guard (200..<300).contains(status) else { throw DeliveryFailure(description: "HTTP \(status)") }
    }
}
