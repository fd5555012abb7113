import Logging
import ServiceLifecycle
import UnixSignals

/// Re-reads the TLS certificate and key on SIGHUP (e.g. after certbot renews them). Without TLS,
/// SIGHUP is still trapped, so a `systemctl reload` does not stop the server.
struct TLSReloader: Service {
    let source: TLSContextSource?
    let logger: Logger

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        try? await cancelWhenGracefulShutdown {
            for await _ in signals {
                guard let source else {
                    logger.notice("SIGHUP received; TLS is off, nothing to reload")
                    continue
                }
                do {
                    try source.reload()
                    logger.notice("TLS certificate reloaded")
                } catch {
                    logger.error("TLS reload failed; keeping the previous certificate", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}
