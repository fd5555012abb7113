import AsyncHTTPClient
import Console
import Foundation
import Hummingbird
import HummingbirdCore
import Identity
import Logging
import NIOCore
import NIOSSL
import ObjectStore
import S3API
import ServiceLifecycle

/// The web console's listener: its responder calls this server's own S3 and catalog
/// listeners on loopback, as the signed-in principal.
enum ConsoleListener {
    /// The address the console reaches a listener at: loopback for a wildcard bind.
    static func loopbackURL(_ address: HostAndPort, secure: Bool) -> String {
        var host = address.host
        switch host {
        case "", "0.0.0.0", "*": host = "127.0.0.1"
        case "::", "[::]": host = "[::1]"
        default: if host.contains(":") && !host.hasPrefix("[") { host = "[\(host)]" }
        }
        return "\(secure ? "https" : "http")://\(host):\(address.port)"
    }

    /// `connections`: per listener; page calls and transfers get clients of their own.
    static func client(secure: Bool, connections: Int) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: connections)
        if secure {
            // The console calls its own process on a loopback address, which the certificate
            // (issued for the public name) need not name.
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.certificateVerification = .none
            configuration.tlsConfiguration = tls
        }
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(600))
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    static func application(
        _ configuration: ServerConfiguration, address: HostAndPort, directory: Directory, store: ObjectStore, metrics: ServerMetrics, audit: AuditLog,
        history: MetricsHistory, forwardedClient: ForwardedClient, transferHTTP: HTTPClient,
        http: HTTPClient, tls: TLSContextSource?, connections: ConnectionLimiter.Count, idleTimeout: TimeAmount, logger: Logger
    ) -> some Service {
        let secure = configuration.tlsCertificate != nil
        var console = ConsoleConfiguration(
            s3URL: loopbackURL(configuration.s3Address, secure: secure), catalogURL: loopbackURL(configuration.catalogAddress, secure: secure),
            region: configuration.region, publicS3URL: configuration.consoleS3URL, s3Port: configuration.s3Address.port, secure: secure)
        console.forwardedClient = forwardedClient
        console.temporaryCredentials = [
            ("Session duration (STS DurationSeconds)", "\(SessionIssuer.minimumDuration)–\(SessionIssuer.maximumDuration) s, default 3600 s"),
            ("Catalog bearer tokens", "\(configuration.catalogTokenLifetime) s (FLOE_CATALOG_TOKEN_LIFETIME)"),
            ("Vended table credentials", "\(configuration.vendedCredentialLifetime) s (FLOE_VENDED_CREDENTIALS_LIFETIME)"),
            ("Sessions end", "when their parent user is disabled or deleted, or its source key is"),
        ]
        let responder = ConsoleResponder(
            configuration: console,
            directory: directory, http: http, transferHTTP: transferHTTP, health: ServerHealth(metrics: metrics, store: store, audit: audit, samples: history))
        let channel = HTTP1Channel.Configuration(additionalChannelHandlers: [ConnectionLimiter(connections)], idleTimeout: idleTimeout)
        return Application(
            responder: responder,
            server: tls?.http1(channel) ?? .http1(configuration: channel),
            configuration: .init(address: .hostname(address.host, port: address.port), serverName: nil),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port.map(String.init) ?? "?"
                print("Floe console listening on \(secure ? "https" : "http")://\(address.host):\(bound)")
                fflush(nil)
            },
            logger: logger)
    }
}

/// The server's figures as the console's health page reads them.
struct ServerHealth: ConsoleHealthSource {
    let metrics: ServerMetrics
    let store: ObjectStore
    let audit: AuditLog
    let samples: MetricsHistory

    func history() -> [HealthSample] { samples.history }

    func recentAuditEvents(limit: Int) -> [AuditEvent]? {
        audit.isEnabled ? audit.recent(limit: limit) : nil
    }

    func healthFigures() -> HealthFigures {
        let t = metrics.totals()
        return HealthFigures(
            requests: t.requests, errors: t.errors, bytesIn: t.bytesIn, bytesOut: t.bytesOut, latencyBuckets: t.latency, operations: t.operations)
    }

    func bucketUsage() async throws -> [String: BucketUsage] {
        try await store.index.bucketUsage().mapValues { BucketUsage(objects: $0.objects, bytes: $0.bytes) }
    }
}
