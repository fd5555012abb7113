import Logging
import ObjectStore
import ServiceLifecycle

/// Aborts multipart uploads older than `maxAge`, so abandoned parts do not fill the disk.
/// Runs as a service beside the listener and stops with it.
struct UploadJanitor: Service {
    let store: ObjectStore
    /// Milliseconds.
    let maxAge: Int64
    let logger: Logger

    var interval: Duration {
        .milliseconds(max(1000, min(maxAge / 4, 3_600_000)))
    }

    func run() async throws {
        // Shutdown cancels the sleep; that is the normal way out, not a failure.
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let aborted = try await store.abortStaleUploads(maxAge: maxAge)
                    if aborted > 0 { logger.notice("aborted stale multipart uploads", metadata: ["count": "\(aborted)"]) }
                } catch {
                    logger.error("stale upload sweep failed", metadata: ["error": "\(error)"])
                }
                try await Task.sleep(for: interval)
            }
        }
    }
}
