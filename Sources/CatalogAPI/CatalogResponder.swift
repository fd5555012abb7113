import Catalog
import Foundation
import Hummingbird
import Identity
import HTTPTypes
import IcebergModel
import Logging
import NIOCore

public struct CatalogRequestContext: InitializableFromSource {
    public let logger: Logger
    public init(source: ApplicationRequestContextSource) { logger = source.logger }
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
    /// Policies for authorization; nil authorizes every authenticated caller (tests of the bare catalog).
    let directory: Directory?

    public init(service: CatalogService, tokens: TokenService, directory: Directory?, defaultWarehouse: String, logger: Logger) {
        self.service = service
        self.tokens = tokens
        self.directory = directory
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
        let response: Response
        do {
            // A mutation retried with the same Idempotency-Key (by the same caller) gets the first result.
            if let key = request.headers[HTTPField.Name("Idempotency-Key")!], request.method == .post || request.method == .delete,
                request.uri.path != "/v1/oauth/tokens"
            {
                let scoped = "\(principal(request) ?? "")|\(request.method.rawValue)|\(request.uri.path)|\(key)"
                if let cached = idempotency.lookup(scoped) {
                    response = cached
                } else {
                    var first: Response
                    do {
                        first = try await route(&request)
                    } catch let error as IcebergError {
                        first = Self.errorResponse(error, head: false)
                    }
                    response = await idempotency.store(scoped, first)
                }
            } else {
                response = try await route(&request)
            }
        } catch let error as IcebergError {
            response = Self.errorResponse(error, head: request.method == .head)
        } catch {
            logger.error("catalog request failed", metadata: ["error": "\(error)"])
            response = Self.errorResponse(.internalError("Internal server error"), head: request.method == .head)
        }
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

    /// The caller a valid bearer token names, if any.
    func principal(_ request: Request) -> String? {
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer "),
            case .valid(let name) = tokens.check(String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces))
        else { return nil }
        return name
    }

    func authenticate(_ request: Request) throws {
        guard let header = request.headers[.authorization] else { throw IcebergError.notAuthorized("Authorization required") }
        guard header.lowercased().hasPrefix("bearer ") else { throw IcebergError.notAuthorized("Bearer token required") }
        switch tokens.check(String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)) {
        case .valid: return
        case .expired: throw IcebergError.authenticationTimeout("The access token has expired")
        case .unknown: throw IcebergError.notAuthorized("Invalid access token")
        }
    }

    func route(_ request: inout Request) async throws -> Response {
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
        try authenticate(request)
        if path == ["v1", "config"], method == .get { return try await config(request) }
        guard path.count >= 3 else { throw IcebergError(code: 404, type: "NotFoundException", message: "No such endpoint") }
        let warehouse = try await service.warehouse(path[1])
        let rest = Array(path.dropFirst(2))
        try authorize(request, warehouse: warehouse, rest: rest)
        switch (method, rest.count, rest.first) {
        case (.get, 1, "namespaces"): return try await listNamespaces(warehouse, request)
        case (.post, 1, "namespaces"): return try await createNamespace(warehouse, &request)
        case (.post, 2, "tables") where rest[1] == "rename": return try await renameTable(warehouse, &request)
        case (.post, 2, "transactions") where rest[1] == "commit": return try await commitTransaction(warehouse, &request)
        case (.post, 2, "views") where rest[1] == "rename": return try await renameView(warehouse, &request)
        default: break
        }
        guard rest.first == "namespaces", rest.count >= 2 else { throw IcebergError(code: 404, type: "NotFoundException", message: "No such endpoint") }
        let namespace = rest[1].split(separator: "\u{1F}", omittingEmptySubsequences: false).map(String.init)
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
        case (.post, 3) where rest[2] == "tables": return try await createTable(warehouse, namespace, &request)
        case (.post, 3) where rest[2] == "register": return try await registerTable(warehouse, namespace, &request)
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
        case (.get, 4): return try await loadTable(warehouse, identifier, request)
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
            _ = try await service.loadTable(warehouse: warehouse, identifier)
            return Self.json(["storage-credentials": []])
        default:
            throw IcebergError(code: 404, type: "NotFoundException", message: "No such endpoint")
        }
    }
}
