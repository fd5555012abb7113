import NIOSSL

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
