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
    /// The caller's address while a route runs, for decisions its handler makes (vended
    /// credentials' write access) with the same condition keys as the route's authorization.
    @TaskLocal static var remoteAddressOfTask: String?

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
    let bodies = BodyBudget()
    let directory: Directory
    let vendor: CredentialVendor
    let audit: AuditLog
    /// SigV4-signed catalog requests, as AWS S3 Tables clients sign them (and pyiceberg's default name).
    let authenticator: RequestAuthenticator
    /// Verifies the console's statement of its browser's address.
    let forwardedClient: ForwardedClient?

    public init(
        service: CatalogService, tokens: TokenService, directory: Directory, vendor: CredentialVendor, audit: AuditLog = .disabled,
        defaultWarehouse: String, forwardedClient: ForwardedClient? = nil, logger: Logger
    ) {
        self.forwardedClient = forwardedClient
        self.service = service
        self.tokens = tokens
        self.directory = directory
        self.vendor = vendor
        self.audit = audit
        self.authenticator = RequestAuthenticator(services: ["s3tables", "execute-api"], directory: directory)
        self.defaultWarehouse = defaultWarehouse
        self.logger = logger
    }

    public func respond(to request: Request, context: CatalogRequestContext) async throws -> Response {
        let started = ContinuousClock.now
        var request = request
        var caller: Principal?
        var routed: (route: CatalogRoute, warehouse: String)?
        let remoteAddress = forwardedClient?.callerAddress(request.headers, peer: context.remoteAddress) ?? context.remoteAddress
        let origin = RequestOrigin(requestID: RequestOrigin.makeID(), remoteAddress: remoteAddress)
        var reservation: BodyBudget.Reservation?
        var response: Response
        do {
            let path = Self.segments(request.uri.path)
            if path.first == "v1" && path != ["v1", "oauth", "tokens"] {
                // Who is calling is settled before any body is read: a bearer token needs no
                // body; a SigV4 signature needs its key to exist first, and its body (which it
                // signs) is read within the sending address's share of the body budget.
                if let key = Self.signingKey(request) {
                    try checkSigningKey(request, accessKey: key)
                    // Not yet verified: the claimed key is no one's to spend, the sender's address is.
                    reservation = try bodies.reserve(request, for: "unverified " + (origin.remoteAddress ?? "?"))
                    caller = try await identify(&request)
                } else {
                    caller = try await identify(&request)
                }
            }
            if let caller, path.count >= 3, path[0] == "v1" {
                let route = try CatalogRoute.resolve(
                    request.method, Array(path.dropFirst(2)), parent: request.uri.queryParameters.get("parent").map { String($0) })
                try CatalogNames.check(path[1], "warehouse")
                // Authorized before the warehouse is looked up: whether it exists is not told
                // to a caller with no right on it.
                let warehouse = CatalogService.warehouseBucket(path[1])
                routed = (route, warehouse)
                // What can be decided without the body is decided before reading it (for most
                // routes, everything); each access is evaluated once.
                let early = route.takesJSONBody ? route.accessesBeforeBody(warehouse: warehouse) : try route.accesses(warehouse: warehouse, body: nil)
                try authorize(caller, early, origin: origin)
                _ = try await service.warehouse(warehouse)
                var body: JSONValue?
                if route.takesJSONBody {
                    if reservation == nil { reservation = try bodies.reserve(request, for: caller.accessKeyID) }
                    body = try await Self.readJSON(&request)
                    try authorize(caller, route.accesses(warehouse: warehouse, body: body).filter { !early.contains($0) }, origin: origin)
                }
                response = try await idempotent(request, caller: caller) { [body] in
                    try await RequestOrigin.$remoteAddressOfTask.withValue(origin.remoteAddress) {
                        try await self.handle(route, warehouse: warehouse, body: body, request: request, caller: caller)
                    }
                }
            } else {
                response = try await serviceRoute(&request, path: path, caller: caller)
            }
        } catch let error as IcebergError {
            response = Self.errorResponse(error, head: request.method == .head)
        } catch {
            logger.error("catalog request failed", metadata: ["error": "\(error)"])
            response = Self.errorResponse(.internalError("Internal server error"), head: request.method == .head)
        }
        if let reservation { bodies.release(reservation) }
        if let routed, let caller { auditMutation(routed.route, warehouse: routed.warehouse, caller: caller, status: response.status.code, origin: origin) }
        response.headers[HTTPField.Name("X-Request-Id")!] = origin.requestID
        let elapsed = ContinuousClock.now - started
        logger.info("catalog request", metadata: [
            "request_id": "\(origin.requestID)", "method": "\(request.method.rawValue)", "path": .string(LoggedName.text(request.uri.path)), "status": "\(response.status.code)",
            "duration_ms": "\(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)",
        ])
        return response
    }

    /// A mutation retried with the same Idempotency-Key (by the same caller) gets the first result.
    func idempotent(_ request: Request, caller: Principal, _ body: () async throws -> Response) async throws -> Response {
        guard let key = request.headers[HTTPField.Name("Idempotency-Key")!], request.method == .post || request.method == .delete else {
            return try await body()
        }
        let scoped = "\(caller.accessKeyID)|\(request.method.rawValue)|\(request.uri.path)|\(key)"
        if let cached = idempotency.lookup(scoped) { return cached }
        var first: Response
        do {
            first = try await body()
        } catch let error as IcebergError {
            first = Self.errorResponse(error, head: false)
        }
        return await idempotency.store(scoped, first)
    }

    static func errorResponse(_ error: IcebergError, head: Bool) -> Response {
        let body: JSONValue = ["error": ["message": .string(error.message), "type": .string(error.type), "code": .int(Int64(error.code))]]
        if head { return Response(status: .init(code: error.code)) }
        return json(body, status: .init(code: error.code))
    }

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: value.jsonBytes)))
    }

    static func readJSON(_ request: inout Request) async throws -> JSONValue {
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: BodyBudget.maxBodyBytes)
        } catch {
            throw IcebergError.badRequest("Request body larger than \(BodyBudget.maxBodyBytes) bytes or unreadable")
        }
        let parsed = buffer.readableBytesView.withUnsafeBytes { raw in try? JSONValue(parsing: raw.bindMemory(to: UInt8.self)) }
        guard let value = parsed, value.objectValue != nil else {
            throw IcebergError.badRequest("Malformed request: body is not a JSON object")
        }
        return value
    }

    /// Path segments, each percent-decoded once.
    static func segments(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map { URIEncoding.decode($0) ?? String($0) }
    }

    /// Whether `header` starts with the scheme `Bearer ` in any case.
    static func isBearer(_ header: String) -> Bool {
        let bytes = header.utf8
        return bytes.count >= 7 && zip(bytes.prefix(6), "bearer".utf8).allSatisfy { $0 | 0x20 == $1 } && bytes.dropFirst(6).first == UInt8(ascii: " ")
    }

    /// Who is calling: the principal of a bearer token, or of a SigV4 signature over the request.
    func identify(_ request: inout Request) async throws -> Principal {
        guard let header = request.headers[.authorization] else { throw IcebergError.notAuthorized("Authorization required") }
        if header.hasPrefix(SigV4Signer.algorithm + " ") { return try await identifySigned(&request) }
        guard Self.isBearer(header) else { throw IcebergError.notAuthorized("Bearer token or SigV4 signature required") }
        switch tokens.check(String(header.dropFirst(7).trimmingSpaces)) {
        case .valid(let principal): return principal
        case .expired: throw IcebergError.authenticationTimeout("The access token has expired")
        case .unknown: throw IcebergError.notAuthorized("Invalid access token")
        }
    }

    /// SigV4 covers the body's hash, so the (small, JSON) body is read first and put back; but
    /// only for a caller whose key (or session) exists, and within the body budget.
    func identifySigned(_ request: inout Request) async throws -> Principal {
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: BodyBudget.maxBodyBytes)
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

    /// The access key a SigV4 Authorization header names must exist (or its session token be
    /// valid) before the server reads a byte of the body it signs.
    static func signingKey(_ request: Request) -> String? {
        guard let header = request.headers[.authorization], header.hasPrefix(SigV4Signer.algorithm + " ") else { return nil }
        guard let start = header.range(of: "Credential=") else { return "" }
        return String(header[start.upperBound...].prefix { $0 != "/" && $0 != "," })
    }

    func checkSigningKey(_ request: Request, accessKey: String) throws {
        guard !accessKey.isEmpty else { throw IcebergError.notAuthorized("The SigV4 Authorization header names no credential") }
        if let token = request.headers[HTTPField.Name("x-amz-security-token")!] {
            do {
                _ = try directory.session(token: token, accessKeyID: accessKey)
            } catch .expired {
                throw IcebergError.authenticationTimeout("The session token has expired")
            } catch {
                throw IcebergError.notAuthorized("The session token is invalid")
            }
        } else if directory.accessKey(accessKey) == nil {
            throw IcebergError.notAuthorized("The access key is not known")
        }
    }

    /// Endpoints outside `/v1/{prefix}/`: health, OAuth tokens, config.
    func serviceRoute(_ request: inout Request, path: [String], caller: Principal?) async throws -> Response {
        let method = request.method
        if path.first == "floe" {
            switch path.dropFirst().joined(separator: "/") {
            case "health/live", "health/ready": return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "ok\n")))
            default: throw IcebergError(code: 404, type: "NotFoundException", message: "No such endpoint")
            }
        }
        guard path.first == "v1" else { throw IcebergError(code: 404, type: "NotFoundException", message: "No such endpoint: \(request.uri.path)") }
        if path == ["v1", "oauth", "tokens"], method == .post { return try await oauthToken(&request) }
        guard caller != nil else { throw IcebergError.notAuthorized("Authorization required") }
        if path == ["v1", "config"], method == .get { return try await config(request) }
        throw IcebergError(code: 404, type: "NotFoundException", message: "No such endpoint")
    }

    /// Runs a route whose every access was authorized.
    func handle(_ route: CatalogRoute, warehouse: String, body: JSONValue?, request: Request, caller: Principal) async throws -> Response {
        let json = body ?? [:]
        switch route {
        case .listNamespaces: return try await listNamespaces(warehouse, request)
        case .createNamespace: return try await createNamespace(warehouse, json)
        case .renameTable: return try await renameTable(warehouse, json)
        case .commitTransaction: return try await commitTransaction(warehouse, json, caller: caller)
        case .renameView: return try await renameView(warehouse, json)
        case .loadNamespace(let namespace): return try await loadNamespace(warehouse, namespace)
        case .namespaceExists(let namespace):
            _ = try await service.namespaceProperties(warehouse: warehouse, namespace)
            return Response(status: .noContent)
        case .dropNamespace(let namespace):
            try await service.store.dropNamespace(warehouse: warehouse, namespace)
            return Response(status: .noContent)
        case .updateNamespaceProperties(let namespace): return try await updateNamespaceProperties(warehouse, namespace, json)
        case .listTables(let namespace): return try await listTables(warehouse, namespace, request)
        case .createTable(let namespace): return try await createTable(warehouse, namespace, json, request, caller: caller)
        case .registerTable(let namespace): return try await registerTable(warehouse, namespace, json, request, caller: caller)
        case .listViews(let namespace): return try await listViews(warehouse, namespace, request)
        case .createView(let namespace): return try await createView(warehouse, namespace, json)
        case .registerView(let namespace): return try await registerView(warehouse, namespace, json)
        case .loadView(let identifier): return Self.json(Self.viewResult(try await service.loadView(warehouse: warehouse, identifier)))
        case .viewExists(let identifier):
            _ = try await service.loadView(warehouse: warehouse, identifier)
            return Response(status: .noContent)
        case .replaceView(let identifier): return try await replaceView(warehouse, identifier, json)
        case .dropView(let identifier):
            guard try await service.store.dropView(warehouse: warehouse, identifier) != nil else { throw IcebergError.noSuchView(identifier.description) }
            return Response(status: .noContent)
        case .loadTable(let identifier): return try await loadTable(warehouse, identifier, request, caller: caller)
        case .tableExists(let identifier):
            _ = try await service.loadTable(warehouse: warehouse, identifier)
            return Response(status: .noContent)
        case .updateTable(let identifier): return try await commitTable(warehouse, identifier, json, caller: caller)
        case .dropTable(let identifier):
            let purge = request.uri.queryParameters.get("purgeRequested")?.lowercased() == "true"
            try await service.dropTable(warehouse: warehouse, identifier, purge: purge)
            return Response(status: .noContent)
        case .reportMetrics(let identifier):
            _ = try await service.loadTable(warehouse: warehouse, identifier)
            return Response(status: .noContent)
        case .loadCredentials(let identifier):
            let record = try await service.loadTable(warehouse: warehouse, identifier)
            let vended = try vend(record, warehouse: warehouse, caller: caller, request: request)
            return Self.json(["storage-credentials": [vended.storageCredential]])
        }
    }
}
