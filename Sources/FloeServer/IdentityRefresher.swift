import Identity
import Logging
import ServiceLifecycle

/// With a shared (PostgreSQL) identity store, other nodes change users and keys too: reload the
/// directory every few seconds so such a change applies everywhere shortly after it is made.
struct IdentityRefresher: Service {
    let store: any IdentityPersistence
    let directory: Directory
    let interval: Duration
    let logger: Logger

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                do {
                    directory.reload(try await store.load())
                } catch {
                    logger.warning("identity reload failed; keeping the last known state", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}
