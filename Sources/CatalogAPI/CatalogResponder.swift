import Catalog
import Foundation
import Hummingbird
import Authentication
import Crypto
import Identity
import SigV4
import HTTPTypes
import IcebergModel
import Logging
import NIOCore

/// Where a catalog request came from, for the audit log (the id is also the `X-Request-Id` response header).
struct RequestOrigin {
    let requestID: String
    let remoteAddress: String?

    static func makeID() -> String {
        var generator = SystemRandomNumberGenerator()
        return String(generator.next() as UInt64, radix: 16, uppercase: true)
    }
}

public struct CatalogRequestContext: InitializableFromSource {
    public let logger: Logger
    public let remoteAddress: String?
    public init(source: ApplicationRequestContextSource) {
        logger = source.logger
        remoteAddress = source.channel.remoteAddress?.ipAddress
    }
}

/// The Iceberg REST catalog (`/v1/...`): routes by path, authenticates bearer tokens, and renders
/// every failure as the spec's ErrorModel in one place.
public struct CatalogResponder: HTTPResponder {
    public typealias Context = CatalogRequestContext

    let service: CatalogService
    let tokens: TokenService
    let logger: Logger
    let defaultWarehouse: String
    let idempotency = IdempotencyCache()
    let directory: Directory
    let vendor: CredentialVendor
    let audit: AuditLog
    /// SigV4-signed catalog requests, as AWS S3 Tables clients sign them (and pyiceberg's default name).
    let authenticator: RequestAuthenticator

    public init(
        service: CatalogService, tokens: TokenService, directory: Directory, vendor: CredentialVendor, audit: AuditLog = .disabled,
        defaultWarehouse: String, logger: Logger
    ) {
        self.service = service
        self.tokens = tokens
        self.directory = directory
        self.vendor = vendor
        self.audit = audit
        self.authenticator = RequestAuthenticator(services: ["s3tables", "execute-api"], directory: directory)
        self.defaultWarehouse = defaultWarehouse
        self.logger = logger
    }

    /// What `/v1/config` advertises: exactly the routes this server implements.
    static let endpoints = [
        "GET /v1/{prefix}/namespaces", "POST /v1/{prefix}/namespaces", "GET /v1/{prefix}/namespaces/{namespace}",
        "HEAD /v1/{prefix}/namespaces/{namespace}", "DELETE /v1/{prefix}/namespaces/{namespace}",
        "POST /v1/{prefix}/namespaces/{namespace}/properties", "GET /v1/{prefix}/namespaces/{namespace}/tables",
        "POST /v1/{prefix}/namespaces/{namespace}/tables", "GET /v1/{prefix}/namespaces/{namespace}/tables/{table}",
        "HEAD /v1/{prefix}/namespaces/{namespace}/tables/{table}", "POST /v1/{prefix}/namespaces/{namespace}/tables/{table}",
        "DELETE /v1/{prefix}/namespaces/{namespace}/tables/{table}", "POST /v1/{prefix}/namespaces/{namespace}/register",
        "POST /v1/{prefix}/namespaces/{namespace}/tables/{table}/metrics",
        "GET /v1/{prefix}/namespaces/{namespace}/tables/{table}/credentials", "POST /v1/{prefix}/tables/rename",
        "POST /v1/{prefix}/transactions/commit",
        "GET /v1/{prefix}/namespaces/{namespace}/views", "POST /v1/{prefix}/namespaces/{namespace}/views",
        "GET /v1/{prefix}/namespaces/{namespace}/views/{view}", "HEAD /v1/{prefix}/namespaces/{namespace}/views/{view}",
        "POST /v1/{prefix}/namespaces/{namespace}/views/{view}", "DELETE /v1/{prefix}/namespaces/{namespace}/views/{view}",
        "POST /v1/{prefix}/views/rename", "POST /v1/{prefix}/namespaces/{namespace}/register-view",
    ]

    public func respond(to request: Request, context: CatalogRequestContext) async throws -> Response {
        let started = ContinuousClock.now
        var request = request
        var caller: Principal?
        let origin = RequestOrigin(requestID: RequestOrigin.makeID(), remoteAddress: context.remoteAddress)
        var response: Response
        do {
            let path = Self.segments(request.uri.path)
            if path.first == "v1" && path != ["v1", "oauth", "tokens"] { caller = try await identify(&request) }
            // A mutation retried with the same Idempotency-Key (by the same caller) gets the first result.
            if let key = request.headers[HTTPField.Name("Idempotency-Key")!], request.method == .post || request.method == .delete, let caller {
                let scoped = "\(caller.accessKeyID)|\(request.method.rawValue)|\(request.uri.path)|\(key)"
                if let cached = idempotency.lookup(scoped) {
                    response = cached
                } else {
                    var first: Response
                    do {
                        first = try await route(&request, caller: caller, origin: origin)
                    } catch let error as IcebergError {
                        first = Self.errorResponse(error, head: false)
                    }
                    response = await idempotency.store(scoped, first)
                }
            } else {
                response = try await route(&request, caller: caller, origin: origin)
            }
        } catch let error as IcebergError {
            response = Self.errorResponse(error, head: request.method == .head)
        } catch {
            logger.error("catalog request failed", metadata: ["error": "\(error)"])
            response = Self.errorResponse(.internalError("Internal server error"), head: request.method == .head)
        }
        auditMutation(request, caller: caller, status: response.status.code, origin: origin)
        response.headers[HTTPField.Name("X-Request-Id")!] = origin.requestID
        let elapsed = ContinuousClock.now - started
        logger.info("catalog request", metadata: [
            "method": "\(request.method.rawValue)", "path": "\(request.uri.path)", "status": "\(response.status.code)",
            "duration_ms": "\(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)",
        ])
        return response
    }

    static func errorResponse(_ error: IcebergError, head: Bool) -> Response {
        let body: JSONValue = ["error": ["message": .string(error.message), "type": .string(error.type), "code": .int(Int64(error.code))]]
        if head { return Response(status: .init(code: error.code)) }
        return json(body, status: .init(code: error.code))
    }

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func readJSON(_ request: inout Request) async throws -> JSONValue {
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: 32 << 20)
        } catch {
            throw IcebergError.badRequest("Request body too large or unreadable")
        }
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(buffer.readableBytesView)), value.objectValue != nil else {
            throw IcebergError.badRequest("Malformed request: body is not a JSON object")
        }
        return value
    }

    /// Path segments, each percent-decoded once.
    static func segments(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map { String($0).removingPercentEncoding ?? String($0) }
    }

    /// Who is calling: the principal of a bearer token, or of a SigV4 signature over the request.
    func identify(_ request: inout Request) async throws -> Principal {
        guard let header = request.headers[.authorization] else { throw IcebergError.notAuthorized("Authorization required") }
        if header.hasPrefix(SigV4Signer.algorithm + " ") { return try await identifySigned(&request) }
        guard header.lowercased().hasPrefix("bearer ") else { throw IcebergError.notAuthorized("Bearer token or SigV4 signature required") }
        switch tokens.check(String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)) {
        case .valid(let principal): return principal
        case .expired: throw IcebergError.authenticationTimeout("The access token has expired")
        case .unknown: throw IcebergError.notAuthorized("Invalid access token")
        }
    }

    /// SigV4 covers the body's hash, so the (small, JSON) body is read first and put back.
    func identifySigned(_ request: inout Request) async throws -> Principal {
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: 32 << 20)
        } catch {
            throw IcebergError.badRequest("Request body too large or unreadable")
        }
        request.body = RequestBody(buffer: body)
        let bodyHash = Hex.encode(Array(SHA256.hash(data: body.readableBytesView)))
        let rawTarget = request.head.path ?? "/"
        let rawPath = String(rawTarget.prefix { $0 != "?" })
        guard let query = URIEncoding.decodeQuery(rawTarget.drop { $0 != "?" }.dropFirst()) else {
            throw IcebergError.badRequest("The query string is not validly percent-encoded")
        }
        var incoming = IncomingRequest(method: request.method, rawPath: rawPath, query: query, fields: request.headers, authority: request.head.authority)
        incoming.bodySHA256 = bodyHash
        let outcome: RequestAuthenticator.Outcome
        do {
            outcome = try authenticator.identify(incoming, now: Int64(Date().timeIntervalSince1970))
        } catch {
            switch error {
            case .session(.expired): throw IcebergError.authenticationTimeout("The session token has expired")
            case .session(.invalid): throw IcebergError.notAuthorized("The session token is invalid")
            case .unknownKey: throw IcebergError.notAuthorized("The access key is not known")
            case .signature(let failure) where failure.code == .contentSHA256Mismatch: throw IcebergError.badRequest(failure.message)
            case .signature(let failure): throw IcebergError.notAuthorized(failure.message)
            }
        }
        guard case .caller(let principal, _) = outcome else { throw IcebergError.notAuthorized("Authorization required") }
        return principal
    }

    func route(_ request: inout Request, caller: Principal?, origin: RequestOrigin) async throws -> Response {
        let path = Self.segments(request.uri.path)
        let method = request.method
        if path.first == "floe" {
            switch path.dropFirst().joined(separator: "/") {
            case "health/live", "health/ready": return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "ok\n")))
            default: throw IcebergError(code: 404, type: "NotFoundException", message: "No such endpoint")
            }
        }
        guard path.first == "v1" else { throw IcebergError(code: 404, type: "NotFoundException", message: "No such endpoint: \(request.uri.path)") }
        if path == ["v1", "oauth", "tokens"], method == .post { return try await oauthToken(&request) }
        guard let caller else { throw IcebergError.notAuthorized("Authorization required") }
        if path == ["v1", "config"], method == .get { return try await config(request) }
        guard path.count >= 3 else { throw IcebergError(code: 404, type: "NotFoundException", message: "No such endpoint") }
        let warehouse = try await service.warehouse(path[1])
        let rest = Array(path.dropFirst(2))
        try authorize(caller, method: method, warehouse: warehouse, rest: rest, origin: origin)
        switch (method, rest.count, rest.first) {
        case (.get, 1, "namespaces"): return try await listNamespaces(warehouse, request)
        case (.post, 1, "namespaces"): return try await createNamespace(warehouse, &request)
        case (.post, 2, "tables") where rest[1] == "rename": return try await renameTable(warehouse, &request)
        case (.post, 2, "transactions") where rest[1] == "commit": return try await commitTransaction(warehouse, &request)
        case (.post, 2, "views") where rest[1] == "rename": return try await renameView(warehouse, &request)
        default: break
        }
        guard rest.first == "namespaces", rest.count >= 2 else { throw IcebergError(code: 404, type: "NotFoundException", message: "No such endpoint") }
        let namespace = NamespaceKey.split(rest[1])
        switch (method, rest.count) {
        case (.get, 2): return try await loadNamespace(warehouse, namespace)
        case (.head, 2):
            _ = try await service.namespaceProperties(warehouse: warehouse, namespace)
            return Response(status: .noContent)
        case (.delete, 2):
            try await service.store.dropNamespace(warehouse: warehouse, namespace)
            return Response(status: .noContent)
        case (.post, 3) where rest[2] == "properties": return try await updateNamespaceProperties(warehouse, namespace, &request)
        case (.get, 3) where rest[2] == "tables": return try await listTables(warehouse, namespace, request)
        case (.post, 3) where rest[2] == "tables": return try await createTable(warehouse, namespace, &request, caller: caller)
        case (.post, 3) where rest[2] == "register": return try await registerTable(warehouse, namespace, &request, caller: caller)
        case (.get, 3) where rest[2] == "views": return try await listViews(warehouse, namespace, request)
        case (.post, 3) where rest[2] == "views": return try await createView(warehouse, namespace, &request)
        case (.post, 3) where rest[2] == "register-view": return try await registerView(warehouse, namespace, &request)
        default: break
        }
        if rest.count == 4 && rest[2] == "views" {
            let identifier = TableIdentifier(namespace: namespace, name: rest[3])
            switch method {
            case .get: return Self.json(Self.viewResult(try await service.loadView(warehouse: warehouse, identifier)))
            case .head:
                _ = try await service.loadView(warehouse: warehouse, identifier)
                return Response(status: .noContent)
            case .post: return try await replaceView(warehouse, identifier, &request)
            case .delete:
                guard try await service.store.dropView(warehouse: warehouse, identifier) != nil else { throw IcebergError.noSuchView(identifier.description) }
                return Response(status: .noContent)
            default: throw IcebergError(code: 405, type: "MethodNotAllowedException", message: "Method not allowed")
            }
        }
        guard rest.count >= 4, rest[2] == "tables" else { throw IcebergError(code: 404, type: "NotFoundException", message: "No such endpoint") }
        let identifier = TableIdentifier(namespace: namespace, name: rest[3])
        switch (method, rest.count) {
        case (.get, 4): return try await loadTable(warehouse, identifier, request, caller: caller)
        case (.head, 4):
            _ = try await service.loadTable(warehouse: warehouse, identifier)
            return Response(status: .noContent)
        case (.post, 4): return try await commitTable(warehouse, identifier, &request)
        case (.delete, 4):
            let purge = request.uri.queryParameters.get("purgeRequested")?.lowercased() == "true"
            try await service.dropTable(warehouse: warehouse, identifier, purge: purge)
            return Response(status: .noContent)
        case (.post, 5) where rest[4] == "metrics":
            _ = try await service.loadTable(warehouse: warehouse, identifier)
            return Response(status: .noContent)
        case (.get, 5) where rest[4] == "credentials":
            let record = try await service.loadTable(warehouse: warehouse, identifier)
            let vended = try vend(record, warehouse: warehouse, caller: caller, request: request)
            return Self.json(["storage-credentials": [vended.storageCredential]])
        default:
            throw IcebergError(code: 404, type: "NotFoundException", message: "No such endpoint")
        }
    }
}
