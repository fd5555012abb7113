import S3API
import ServiceLifecycle

/// Delivers server access logs: every tick, the batches that are old or large enough become
/// objects in their target buckets; at shutdown, all of them. Off the request path.
struct AccessLogFlusher: Service {
    let responder: S3Responder
    let rollSeconds: Int

    var tick: Duration { .milliseconds(max(100, min(1000, rollSeconds * 100))) }

    func run() async throws {
        await responder.loadAccessLogging()
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: tick)
                await responder.deliverAccessLogs()
            }
        }
        await responder.deliverAccessLogs(all: true)
    }
}
