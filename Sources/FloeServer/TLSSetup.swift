import HummingbirdCore
import Logging
import NIOCore
import NIOSSL
import Synchronization

/// The server TLS configuration from `--tls-cert` / `--tls-key` (PEM files), or nil for plain HTTP.
enum TLSSetup {
    static func configuration(_ configuration: ServerConfiguration) throws -> TLSConfiguration? {
        switch (configuration.tlsCertificate, configuration.tlsKey) {
        case (nil, nil):
            return nil
        case (let certificate?, let key?):
            let chain = try NIOSSLCertificate.fromPEMFile(certificate).map { NIOSSLCertificateSource.certificate($0) }
            guard !chain.isEmpty else { throw ConfigurationError(description: "\(certificate) holds no certificate") }
            return TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
        default:
            throw ConfigurationError(description: "set both --tls-cert and --tls-key (FLOE_TLS_CERT, FLOE_TLS_KEY), or neither")
        }
    }
}

/// The TLS context both listeners use for new connections. `reload()` re-reads the certificate and
/// key files (on SIGHUP, so renewed certificates apply without a restart); connections already
/// open keep the context they started with. A reload that fails keeps the previous context.
final class TLSContextSource: Sendable {
    private let configuration: ServerConfiguration
    private let current: Mutex<NIOSSLContext>

    init?(_ configuration: ServerConfiguration) throws {
        guard let tls = try TLSSetup.configuration(configuration) else { return nil }
        self.configuration = configuration
        current = Mutex(try NIOSSLContext(configuration: tls))
    }

    var context: NIOSSLContext { current.withLock { $0 } }

    func reload() throws {
        guard let tls = try TLSSetup.configuration(configuration) else { return }
        let fresh = try NIOSSLContext(configuration: tls)
        current.withLock { $0 = fresh }
    }

    /// An HTTP/1.1 server whose connections start with TLS from the current context.
    func http1(_ configuration: HTTP1Channel.Configuration) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            ReloadableTLSChannel(base: HTTP1Channel(responder: responder, configuration: configuration), source: self)
        }
    }
}

/// A child channel that adds a TLS handler, with the source's context at accept time, in front of its base.
struct ReloadableTLSChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value
    let base: Base
    let source: TLSContextSource

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let context = source.context
        return channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}
