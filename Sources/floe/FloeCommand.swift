import ArgumentParser
import FloeCLI
import FloeServer
import Foundation
import Logging

@main
struct Floe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "floe",
        abstract: "Floe: an S3-compatible object store and Iceberg catalog in one binary.",
        discussion: "`floe server` runs the server. Every other command is a client: remote paths are ALIAS/BUCKET/KEY (add an alias with `floe alias set`), local paths are plain paths. Add --json for one JSON object per line. Exit status: 0 success, 1 failure (the message says what to do), 64 usage error.",
        version: "0.1.0",
        subcommands: [Server.self] + FloeCLI.commands
    )
}

extension Floe {
    struct Server: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the Floe server.",
            discussion: "Settings come from flags, then FLOE_* environment variables, then defaults. Root credentials: FLOE_ROOT_USER and FLOE_ROOT_PASSWORD; when unset, they are generated on first start, stored in <data>/meta/root-credentials and printed once."
        )

        @Option(name: .long, help: "Data directory (env FLOE_DATA, default ./floe-data).")
        var data: String?

        @Option(name: .customLong("s3-address"), help: "S3 listener HOST:PORT (env FLOE_S3_ADDRESS, default 0.0.0.0:9000).")
        var s3Address: String?

        @Option(name: .customLong("catalog-address"), help: "Iceberg REST catalog listener HOST:PORT (env FLOE_CATALOG_ADDRESS, default 0.0.0.0:8181).")
        var catalogAddress: String?

        @Option(name: .customLong("console-address"), help: "Web console listener HOST:PORT (env FLOE_CONSOLE_ADDRESS, default 0.0.0.0:9001; off: no console).")
        var consoleAddress: String?

        @Option(name: .customLong("console-s3-url"), help: "S3 URL the console's share links name (env FLOE_CONSOLE_S3_URL; default: the browser's host with the S3 port).")
        var consoleS3URL: String?

        @Flag(name: .customLong("no-console"), help: "Do not serve the web console (env FLOE_CONSOLE_ADDRESS=off).")
        var noConsole = false

        @Option(name: .customLong("catalog-db"), help: "postgres://user:password@host:port/database for a PostgreSQL catalog (env FLOE_CATALOG_DB; default: embedded SQLite in the data directory).")
        var catalogDB: String?

        @Option(name: .customLong("tls-cert"), help: "PEM certificate chain; with --tls-key, both listeners serve HTTPS only (env FLOE_TLS_CERT).")
        var tlsCert: String?

        @Option(name: .customLong("tls-key"), help: "PEM private key for --tls-cert (env FLOE_TLS_KEY).")
        var tlsKey: String?

        @Flag(name: .customLong("no-bootstrap"), help: "Do not create warehouse lakehouse with namespaces raw, bronze, gold (env FLOE_BOOTSTRAP=false).")
        var noBootstrap = false

        @Option(name: .long, help: "Region name the server reports and accepts (env FLOE_REGION, default us-east-1).")
        var region: String?

        @Option(name: .long, help: "Domain for virtual-host style requests, bucket.<domain> (env FLOE_DOMAIN; comma-separated).")
        var domain: String?

        @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (env FLOE_LOG_LEVEL, default info).")
        var logLevel: String?

        @Option(name: .customLong("multipart-expiry"), help: "Abort multipart uploads older than this many seconds (env FLOE_MULTIPART_EXPIRY, default 604800).")
        var multipartExpiry: Int64?

        @Option(name: .customLong("audit-log"), help: "Audit log destinations: file paths and/or stdout, comma-separated (env FLOE_AUDIT_LOG; default off).")
        var auditLog: String?

        @Option(name: .customLong("public-s3-url"), help: "S3 URL given to engines with vended credentials (env FLOE_PUBLIC_S3_URL; default: the catalog request's host with the S3 port).")
        var publicS3URL: String?

        func run() async throws {
            LoggingSystem.bootstrap { LineLogHandler(label: $0) }
            var configuration = ServerConfiguration()
            try configuration.apply(environment: ProcessInfo.processInfo.environment)
            if let data { configuration.dataDirectory = data }
            if let s3Address { configuration.s3Address = try HostAndPort(parsing: s3Address) }
            if let catalogAddress { configuration.catalogAddress = try HostAndPort(parsing: catalogAddress) }
            if let consoleAddress {
                configuration.consoleAddress = ["off", "false", "none"].contains(consoleAddress.lowercased()) ? nil : try HostAndPort(parsing: consoleAddress)
            }
            if noConsole { configuration.consoleAddress = nil }
            if let consoleS3URL { configuration.consoleS3URL = consoleS3URL }
            if noBootstrap { configuration.bootstrap = false }
            if let catalogDB { configuration.catalogDB = catalogDB }
            if let tlsCert { configuration.tlsCertificate = tlsCert }
            if let tlsKey { configuration.tlsKey = tlsKey }
            if let region { configuration.region = region }
            if let domain { configuration.domains = domain.split(separator: ",").map { String($0) } }
            if let logLevel { configuration.logLevel = logLevel }
            if let multipartExpiry { configuration.multipartExpirySeconds = multipartExpiry }
            if let auditLog { configuration.auditLog = auditLog.split(separator: ",").map { String($0) } }
            if let publicS3URL { configuration.publicS3URL = publicS3URL }
            try await FloeServer.run(configuration: configuration)
        }
    }
}

