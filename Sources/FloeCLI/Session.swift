import AsyncHTTPClient
import FloeClient
import Foundation
import NIOSSL

/// What a CLI command works with: the aliases and one HTTP client, shut down when it ends.
final class Session {
    var aliases: AliasStore
    let http: HTTPClient
    let environment: [String: String]

    init() throws {
        environment = ProcessInfo.processInfo.environment
        aliases = try AliasStore(path: AliasStore.defaultPath(environment: environment), environment: environment)
        var configuration = HTTPClient.Configuration()
        var tls = TLSConfiguration.makeClientConfiguration()
        if let bundle = environment["FLOE_CA_BUNDLE"], !bundle.isEmpty {
            tls.trustRoots = .file(bundle)
        }
        if environment["FLOE_INSECURE"] == "1" { tls.certificateVerification = .none }
        configuration.tlsConfiguration = tls
        configuration.decompression = .disabled
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Runs `body` with a session and always shuts the HTTP client down.
    static func with(_ body: (Session) async throws -> Void) async throws {
        try await Reporting.run {
            let session = try Session()
            do {
                try await body(session)
                try await session.http.shutdown()
            } catch {
                try? await session.http.shutdown()
                throw error
            }
        }
    }

    func location(_ text: String) -> Location {
        Location.parse(text) { aliases.endpoint($0) != nil }
    }

    var aliasHint: String {
        let names = aliases.names
        return "write remote paths as ALIAS/BUCKET[/KEY]; " + (names.isEmpty ? "add an alias with `floe alias set NAME URL ACCESS_KEY SECRET_KEY`" : "known aliases: \(names.joined(separator: ", "))")
    }

    func endpoint(_ alias: String) throws -> Endpoint {
        guard let endpoint = aliases.endpoint(alias) else {
            throw CLIError("unknown alias \"\(alias)\"", hint: "add it with `floe alias set \(alias) URL ACCESS_KEY SECRET_KEY`")
        }
        return endpoint
    }

    func s3(_ alias: String) throws -> S3Client { S3Client(endpoint: try endpoint(alias), http: http) }

    func catalog(_ alias: String, warehouse: String) throws -> CatalogClient {
        CatalogClient(endpoint: try endpoint(alias), warehouse: warehouse, http: http)
    }

    /// A remote location that must name a bucket.
    func remote(_ text: String, needsBucket: Bool = true) throws -> (client: S3Client, alias: String, bucket: String, key: String) {
        guard case .remote(let alias, let bucket, let key) = location(text) else {
            throw CLIError("\"\(text)\" does not start with a known alias", hint: aliasHint)
        }
        guard let bucket else {
            throw CLIError("\"\(text)\" names no bucket", hint: "write ALIAS/BUCKET[/KEY]")
        }
        return (try s3(alias), alias, bucket, key)
    }

    /// Every object under a prefix, page by page (memory stays at one page).
    func eachObject(_ client: S3Client, bucket: String, prefix: String, _ body: (ObjectInfo) async throws -> Void) async throws {
        var token: String?
        repeat {
            let page = try await client.listObjects(bucket: bucket, prefix: prefix, continuation: token)
            for object in page.objects { try await body(object) }
            token = page.next
        } while token != nil
    }

    /// Every version and delete marker under a prefix, page by page.
    func eachVersion(_ client: S3Client, bucket: String, prefix: String, _ body: (ObjectInfo) async throws -> Void) async throws {
        var keyMarker: String?
        var versionMarker: String?
        repeat {
            let page = try await client.listVersions(bucket: bucket, prefix: prefix, keyMarker: keyMarker, versionMarker: versionMarker)
            for object in page.objects { try await body(object) }
            keyMarker = page.next
            versionMarker = page.nextVersionMarker
        } while keyMarker != nil
    }
}
