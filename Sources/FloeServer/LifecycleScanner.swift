import Foundation
import Identity
import Logging
import ObjectStore
import S3API
import ServiceLifecycle

/// Runs every bucket's lifecycle rules in the background: a pass over the buckets that have rules,
/// a page of versions at a time (one short read, then one small guarded write per action), with a
/// pause between pages so foreground requests never wait behind a whole bucket. The position is
/// saved after each page, so a restart resumes the pass instead of starting over.
struct LifecycleScanner: Service {
    let store: ObjectStore
    let clock: LifecycleClock
    let interval: Duration
    /// Where the pass position is kept (`<data>/meta/lifecycle-cursor.json`).
    let cursorFile: String
    let metrics: ServerMetrics
    let audit: AuditLog
    let logger: Logger

    /// A breath between pages, for the index's writer and the foreground's requests.
    static let pause: Duration = .milliseconds(5)

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await pass()
                    metrics.recordLifecyclePass()
                } catch is CancellationError {
                    return
                } catch {
                    logger.error("lifecycle pass failed", metadata: ["error": "\(error)"])
                }
                try await Task.sleep(for: interval)
            }
        }
    }

    /// One pass over every bucket with rules, in name order, from the saved position.
    func pass() async throws {
        let saved = loadCursor()
        for bucket in try await store.listBuckets() {
            guard let configuration = bucket.settings.lifecycle, !configuration.enabledRules.isEmpty else { continue }
            if let saved, bucket.name.utf8.lexicographicallyPrecedes(saved.bucket.utf8) { continue }
            var cursor = saved.flatMap { $0.bucket == bucket.name ? $0.resumable : nil } ?? ObjectStore.LifecycleCursor(bucket: bucket.name)
            let now = ObjectStore.now()
            var planner = LifecyclePlanner(configuration: configuration, clock: clock, now: now)
            // Bounded: a bucket of ten billion versions is still finite work per pass.
            for _ in 0..<10_000_000 {
                try Task.checkCancellation()
                let (outcomes, next) = try await store.applyLifecycle(bucket: bucket, configuration, clock: clock, from: cursor, planner: &planner)
                report(outcomes, bucket: bucket.name)
                guard let next else { break }
                cursor = next
                saveCursor(cursor)
                try await Task.sleep(for: Self.pause)
            }
            report(try await store.abortDueUploads(bucket: bucket, configuration, clock: clock, now: now), bucket: bucket.name)
            saveCursor(ObjectStore.LifecycleCursor(bucket: bucket.name + "\u{0}"))
        }
        try? FileManager.default.removeItem(atPath: cursorFile)
    }

    func report(_ outcomes: [ObjectStore.LifecycleOutcome], bucket: String) {
        for outcome in outcomes {
            metrics.recordLifecycle(outcome.kind.rawValue)
            let action = outcome.kind == .uploadAborted ? "s3:AbortMultipartUpload" : "s3:DeleteObjectVersion"
            audit.record(AuditEvent(
                requestID: "lifecycle", api: "lifecycle", principal: "floe:lifecycle/\(outcome.ruleID)", accessKey: "", sourceIP: nil, action: action,
                resource: "arn:aws:s3:::\(bucket)/\(outcome.key)" + (outcome.versionID.map { "?versionId=\($0)" } ?? ""),
                outcome: outcome.kind == .keptByLock ? "denied" : "allowed", status: outcome.kind == .keptByLock ? 403 : 204))
        }
    }

    func loadCursor() -> ObjectStore.LifecycleCursor? {
        guard let data = FileManager.default.contents(atPath: cursorFile) else { return nil }
        return try? JSONDecoder().decode(ObjectStore.LifecycleCursor.self, from: data)
    }

    /// Written to a temporary file and renamed, so a crash leaves the old position or the new.
    func saveCursor(_ cursor: ObjectStore.LifecycleCursor) {
        guard let data = try? JSONEncoder().encode(cursor) else { return }
        let temporary = cursorFile + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: data) else { return }
        if rename(temporary, cursorFile) != 0 { logger.warning("cannot save the lifecycle position", metadata: ["file": "\(cursorFile)"]) }
    }
}
