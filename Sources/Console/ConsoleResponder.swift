import AsyncHTTPClient
import FloeClient
import Foundation
import HTTPTypes
import Hummingbird
import Identity
import Crypto
import Logging
import NIOCore
import SigV4

/// Per-connection facts: the peer, and the logger carrying the request id.
public struct ConsoleRequestContext: InitializableFromSource {
    public let remoteAddress: String?
    public let logger: Logger

    public init(source: ApplicationRequestContextSource) {
        remoteAddress = source.channel.remoteAddress?.ipAddress
        logger = source.logger
    }
}

/// What a handler answers: a page, a redirect after a change (with a message), or a response
/// it built itself (a download, JSON for the upload script).
enum ConsoleReply {
    case page(PageContent, section: String)
    case redirect(String, Flash?)
    case response(Response)
}

/// A routed request of a signed-in principal, with the clients that act as it.
struct ConsoleCall: @unchecked Sendable {
    let request: Request
    let route: ConsoleRoute
    let query: FormFields
    /// The urlencoded form of a POST (empty for other bodies, which the handler reads itself).
    let form: FormFields
    let session: ConsoleSession
    let s3: S3Client
    /// The same principal on a pool of its own, for downloads and uploads: a browser that reads
    /// or sends slowly holds one of these connections, never one that pages need.
    let transfers: S3Client
    let permissions: Permissions
    let console: ConsoleResponder
    let forwardedHeaders: [(name: String, value: String)]

    func catalog(warehouse: String) -> CatalogClient {
        CatalogClient(endpoint: s3.endpoint, warehouse: warehouse, http: console.http, extraHeaders: forwardedHeaders)
    }

    /// The browser's host, for share links when no public S3 URL is configured.
    var requestHost: String? { request.head.authority }
}

/// The console's one responder: security headers on everything, sessions, CSRF, routing, and
/// the mapping of failures to pages. Every action goes through the S3, admin or catalog API as
/// the signed-in principal; the directory is read only to verify a sign-in and to decide which
/// buttons a page offers.
public struct ConsoleResponder: HTTPResponder {
    public typealias Context = ConsoleRequestContext

    let configuration: ConsoleConfiguration
    let directory: Directory
    let sessions: ConsoleSessions
    let renderer: Renderer
    let http: HTTPClient
    let transferHTTP: HTTPClient
    /// Downloads and uploads in flight per principal.
    let transfersPerPrincipal = ConcurrencySlots(limit: 8)
    let health: (any ConsoleHealthSource)?
    let throttle = SignInThrottle()
    /// Form uploads (no script) hold one 8 MiB part each: at most this many at once.
    let formUploads = ConcurrencySlots(limit: 16)
    /// A table's data section reads manifests and a row group: one at a time, server-wide.
    let tablePreviews = ConcurrencySlots(limit: 1)
    /// Signs the sign-in form's token (its expiry): only a form this server rendered signs in.
    let signInKey = SymmetricKey(size: .bits256)
    static let cookie = "floe_console"
    /// Under TLS the cookie is `__Host-` prefixed: only a secure page of this host, for path `/`,
    /// can set it, so no narrower-path copy can be planted beside it.
    static let secureCookie = "__Host-floe_console"
    static let signInFormLifetime: TimeInterval = 3600
    static let maxFormBytes = 1 << 20

    public init(configuration: ConsoleConfiguration, directory: Directory, http: HTTPClient, transferHTTP: HTTPClient, health: (any ConsoleHealthSource)?) {
        self.transferHTTP = transferHTTP
        self.configuration = configuration
        self.directory = directory
        self.sessions = ConsoleSessions(limits: .init(idle: TimeInterval(configuration.idleSeconds), absolute: TimeInterval(configuration.absoluteSeconds)))
        self.renderer = Renderer()
        self.http = http
        self.health = health
    }

    public func respond(to request: Request, context: ConsoleRequestContext) async throws -> Response {
        var response = await route(request, context: context)
        Self.secure(&response.headers)
        return response
    }

    static let pagePolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    /// Headers every answer carries: no framing, no inline script, no sniffing, no referrer to
    /// other origins (keys and presigned URLs travel in query strings), no caching of pages.
    static func secure(_ headers: inout HTTPFields) {
        // A served object keeps its own, stricter policy (a sandbox).
        if headers[.contentSecurityPolicy] == nil { headers[.contentSecurityPolicy] = pagePolicy }
        headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
        if headers[.cacheControl] == nil { headers[.cacheControl] = "no-store" }
    }

    func route(_ request: Request, context: ConsoleRequestContext) async -> Response {
        guard let route = ConsoleRoute(method: request.method.rawValue, path: request.uri.path) else {
            return errorPage(status: .notFound, heading: "Not found", message: "There is no such page.", session: nil)
        }
        let query = FormFields(request.uri.query ?? "")
        if case .asset(let name) = route { return Assets.response(name) }
        if route == .signInPage { return signInPage(request, flash: nil) }
        if route.changesState, !Self.sameOrigin(request, secure: isSecure(request)) {
            return errorPage(status: .forbidden, heading: "Refused", message: "The form was sent from another site.", session: nil)
        }
        if route == .signIn { return await signIn(request, context: context) }

        // A session lives only as long as its key: deleted, disabled, expired or re-keyed ends it.
        let cookie = cookieName(request)
        guard let id = Self.cookieValue(request, cookie), let session = sessions.touch(id),
            let key = directory.accessKey(session.accessKey), constantTimeEquals(key.secretKey, session.secretKey)
        else {
            if let id = Self.cookieValue(request, cookie) { sessions.remove(id) }
            if route.changesState {
                return errorPage(status: .forbidden, heading: "Signed out", message: "Your session has ended. Sign in again.", session: nil)
            }
            let back = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
            return Self.redirect("/signin" + FormFields.query([("next", back)]))
        }
        var form = FormFields("")
        if route.changesState {
            let type = request.headers[.contentType]?.lowercased() ?? ""
            if case .uploadStep = route {
                // The script's steps carry the token in a header; their bodies are the handler's to read.
                guard ConsoleSessions.csrfMatches(session, request.headers[HTTPField.Name("X-CSRF-Token")!]) else { return csrfRefused(session) }
            } else if type.hasPrefix("application/x-www-form-urlencoded") {
                do {
                    let body = try await request.body.collect(upTo: Self.maxFormBytes)
                    form = FormFields(String(buffer: body))
                } catch {
                    return errorPage(status: .contentTooLarge, heading: "Too large", message: "The form is larger than 1 MiB.", session: session)
                }
                guard ConsoleSessions.csrfMatches(session, form["_csrf"]) else { return csrfRefused(session) }
            } else if case .upload = route {
                // A multipart form: the handler checks the token, the body's first field, before reading any file.
            } else {
                guard ConsoleSessions.csrfMatches(session, request.headers[HTTPField.Name("X-CSRF-Token")!]) else { return csrfRefused(session) }
            }
        }
        if route == .signOut {
            sessions.remove(session.id)
            var response = Self.redirect("/signin")
            response.headers.append(HTTPField(name: .setCookie, value: cookieHeader(cookie, "", maxAge: 0, request: request)))
            return response
        }
        let endpoint = Endpoint(
            url: configuration.s3URL, accessKey: session.accessKey, secretKey: session.secretKey, region: configuration.region,
            catalogURL: configuration.catalogURL)
        let forwarded = context.remoteAddress.flatMap { address in
            configuration.forwardedClient.map { [(name: ForwardedClient.header, value: $0.value(for: address))] }
        } ?? []
        let call = ConsoleCall(
            request: request, route: route, query: query, form: form, session: session,
            s3: S3Client(endpoint: endpoint, http: http, extraHeaders: forwarded),
            transfers: S3Client(endpoint: endpoint, http: transferHTTP, extraHeaders: forwarded),
            permissions: Permissions(directory: directory, principal: directory.principal(for: session.accessKey)), console: self,
            forwardedHeaders: forwarded)
        do {
            let reply = try await dispatch(call)
            return render(reply, call: call)
        } catch let error as ClientError {
            return failure(error.code == "Transport" ? "The server could not be reached: \(error.message)" : "\(error.code): \(error.message)", call: call, status: HTTPResponse.Status(code: error.status == 0 ? 502 : error.status))
        } catch let error as ConsoleError {
            return failure(error.message, call: call, status: .badRequest)
        } catch {
            context.logger.error("console request failed", metadata: ["error": "\(error)"])
            return failure("The request failed: \(error)", call: call, status: .internalServerError)
        }
    }

    func dispatch(_ call: ConsoleCall) async throws -> ConsoleReply {
        switch call.route {
        case .home: return .redirect("/buckets", nil)
        case .buckets: return try await BucketPages.list(call)
        case .createBucket: return try await BucketPages.create(call)
        case .browse(let bucket): return try await ObjectPages.browse(call, bucket: bucket)
        case .bucketSettings(let bucket): return try await BucketPages.settings(call, bucket: bucket)
        case .bucketAction(let bucket, let action): return try await BucketPages.act(call, bucket: bucket, action)
        case .object(let bucket): return try await ObjectPages.details(call, bucket: bucket)
        case .download(let bucket): return try await ObjectPages.download(call, bucket: bucket, inline: false)
        case .preview(let bucket): return try await ObjectPages.download(call, bucket: bucket, inline: true)
        case .objectAction(let bucket, let action): return try await ObjectPages.act(call, bucket: bucket, action)
        case .upload(let bucket): return try await UploadHandlers.form(call, bucket: bucket)
        case .uploadStep(let bucket, let step): return try await UploadHandlers.step(call, bucket: bucket, step)
        case .identity: return try await IdentityPages.overview(call)
        case .identityAction(let action): return try await IdentityPages.act(call, action)
        case .catalog: return try await CatalogPages.warehouse(call)
        case .namespace: return try await CatalogPages.namespace(call)
        case .table: return try await CatalogPages.table(call)
        case .catalogAction(let action): return try await CatalogPages.act(call, action)
        case .health: return try await HealthPage.show(call)
        case .signInPage, .signIn, .signOut, .asset: return .redirect("/", nil)
        }
    }

    /// `permissions`: the request's, when it has them already (else they are looked up from the session).
    func chrome(_ section: String?, session: ConsoleSession?, flash: Flash?, permissions known: Permissions? = nil) -> Chrome {
        let permissions = known ?? session.map { Permissions(directory: directory, principal: directory.principal(for: $0.accessKey)) }
        return Chrome(
            section: section, principal: session?.principal, csrf: session?.csrfToken, flash: flash,
            showIdentity: permissions.map { $0.admin("ListUsers", "users") || $0.admin("ListPolicies", "policies") || $0.admin("ListGroups", "groups") } ?? false, showHealth: permissions?.admin("ServerInfo", "info") ?? false)
    }

    func render(_ reply: ConsoleReply, call: ConsoleCall) -> Response {
        switch reply {
        case .response(let response): return response
        case .redirect(let location, let flash):
            if let flash { sessions.setFlash(call.session.id, flash) }
            return Self.redirect(location)
        case .page(var page, let section):
            page.data["csrf"] = call.session.csrfToken
            let html = renderer.page(page, chrome: chrome(section, session: call.session, flash: sessions.takeFlash(call.session.id), permissions: call.permissions))
            return Self.html(html)
        }
    }

    /// A failed action returns to the page it came from with the API's message; a failed page shows it.
    func failure(_ message: String, call: ConsoleCall, status: HTTPResponse.Status) -> Response {
        if call.route.changesState, call.query["json"] == nil, call.request.headers[HTTPField.Name("X-CSRF-Token")!] == nil {
            sessions.setFlash(call.session.id, Flash(text: message, isError: true))
            return Self.redirect(Self.safeReturn(call.form["back"]) ?? call.route.page)
        }
        if call.request.headers[HTTPField.Name("X-CSRF-Token")!] != nil {
            return Self.json(["error": message], status: status)
        }
        return errorPage(status: status, heading: "That did not work", message: message, session: call.session)
    }

    /// Only a path on this console (never `//host` or a scheme) is followed after an action.
    static func safeReturn(_ target: String?) -> String? {
        guard let target, target.hasPrefix("/"), !target.hasPrefix("//"), !target.contains("\\"),
            !target.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
        else { return nil }
        return target
    }

    func errorPage(status: HTTPResponse.Status, heading: String, message: String, session: ConsoleSession?) -> Response {
        let page = PageContent(title: heading, template: "error", data: ["heading": heading, "message": message, "back": session == nil ? "/signin" : "/"])
        var response = Self.html(renderer.page(page, chrome: chrome(nil, session: session, flash: nil)))
        response.status = status
        return response
    }

    func csrfRefused(_ session: ConsoleSession) -> Response {
        errorPage(status: .forbidden, heading: "Refused", message: "The form's security token is missing or wrong. Reload the page and try again.", session: session)
    }

    // MARK: sign-in

    func signInPage(_ request: Request, flash: Flash?, accessKey: String = "", next: String? = nil, status: HTTPResponse.Status = .ok) -> Response {
        var data: [String: Any] = ["signinToken": signInToken(), "accessKey": accessKey]
        if let next = Self.safeReturn(next ?? FormFields(request.uri.query ?? "")["next"]) { data["next"] = next }
        let page = PageContent(title: "Sign in", template: "signin", data: data)
        var response = Self.html(renderer.page(page, chrome: chrome(nil, session: nil, flash: flash)))
        response.status = status
        return response
    }

    func signIn(_ request: Request, context: ConsoleRequestContext) async -> Response {
        guard let body = try? await request.body.collect(upTo: 64 * 1024) else {
            return signInPage(request, flash: Flash(text: "The form is too large.", isError: true), status: .contentTooLarge)
        }
        let form = FormFields(String(buffer: body))
        let next = form["next"]
        guard let submitted = form["_csrf"], signInTokenIsValid(submitted) else {
            return signInPage(request, flash: Flash(text: "The sign-in form expired. Try again.", isError: true), next: next, status: .forbidden)
        }
        let accessKey = form["accessKey"]?.trimmingWhitespace ?? ""
        let secret = form["secretKey"] ?? ""
        // Per address and key, and per key (behind a proxy every browser has the proxy's address).
        let subjects = ["pair:\(context.remoteAddress ?? "")|\(accessKey.prefix(128))", "key:" + String(accessKey.prefix(128))]
        if let wait = throttle.wait(subjects) {
            var response = signInPage(
                request, flash: Flash(text: "Too many failed sign-ins. Try again in \(Int(wait.rounded(.up))) s.", isError: true), accessKey: accessKey, next: next,
                status: .tooManyRequests)
            response.headers[.retryAfter] = String(Int(wait.rounded(.up)))
            return response
        }
        // The same check as a signature's: the key must exist, be enabled, belong to an enabled
        // user and not have expired; the secret is compared in constant time.
        guard let key = directory.accessKey(accessKey), constantTimeEquals(key.secretKey, secret),
            let principal = directory.principal(for: accessKey)
        else {
            throttle.failed(subjects)
            // The access key is logged only when it names a key: a secret typed into the wrong field stays out of the log.
            let known = directory.accessKey(accessKey) != nil
            context.logger.notice(
                "console sign-in refused", metadata: ["access_key": "\(known ? accessKey : "(not a key)")", "remote": "\(context.remoteAddress ?? "")"])
            return signInPage(request, flash: Flash(text: "The access key or secret is not valid.", isError: true), accessKey: accessKey, next: next, status: .unauthorized)
        }
        throttle.succeeded(subjects)
        let session = sessions.create(accessKey: accessKey, secretKey: secret, principal: principal.name)
        context.logger.info("console sign-in", metadata: ["principal": "\(principal.name)", "remote": "\(context.remoteAddress ?? "")"])
        let destination = Self.safeReturn(next) ?? "/buckets"
        var response = Self.redirect(destination)
        response.headers.append(HTTPField(name: .setCookie, value: cookieHeader(cookieName(request), session.id, maxAge: configuration.absoluteSeconds, request: request)))
        return response
    }

    /// Secure under TLS, or behind a proxy that says it terminated TLS (the flag only narrows where the cookie goes).
    func cookieHeader(_ name: String, _ value: String, maxAge: Int, request: Request) -> String {
        let secure = isSecure(request)
        return "\(name)=\(value); Path=/; Max-Age=\(maxAge); HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "")
    }

    /// `EXPIRY.NONCE.MAC`: a form this server rendered, good for an hour. What stops another
    /// site (or another port of this host) from posting it is the Origin check on every POST.
    func signInToken(now: Date = Date()) -> String {
        let payload = "\(Int64(now.addingTimeInterval(Self.signInFormLifetime).timeIntervalSince1970)).\(ConsoleSessions.randomToken().prefix(32))"
        return payload + "." + Hex.encode(Array(HMAC<SHA256>.authenticationCode(for: Array(payload.utf8), using: signInKey)))
    }

    func signInTokenIsValid(_ token: String, now: Date = Date()) -> Bool {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let expiry = Int64(parts[0]), Double(expiry) >= now.timeIntervalSince1970 else { return false }
        let payload = parts[0] + "." + parts[1]
        return constantTimeEquals(Hex.encode(Array(HMAC<SHA256>.authenticationCode(for: Array(payload.utf8), using: signInKey))), parts[2])
    }

    /// Whether a state-changing request comes from a page of this console. Browsers send
    /// `Origin` (and `Sec-Fetch-Site`) with every POST; a request without either is not a
    /// browser's, and cross-site request forgery needs a browser.
    static func sameOrigin(_ request: Request, secure: Bool) -> Bool {
        if let site = request.headers[HTTPField.Name("Sec-Fetch-Site")!]?.lowercased(), site != "same-origin", site != "none" { return false }
        guard let origin = request.headers[HTTPField.Name("Origin")!] else { return true }
        // Some browsers send "null" for their own forms under a strict referrer policy; the fetch metadata still says where it came from.
        if origin == "null" { return request.headers[HTTPField.Name("Sec-Fetch-Site")!]?.lowercased() == "same-origin" }
        guard let host = request.head.authority else { return false }
        return withoutDefaultPort(origin.lowercased()) == withoutDefaultPort(((secure ? "https://" : "http://") + host).lowercased())
    }

    /// `http://h:80` is `http://h`, `https://h:443` is `https://h`.
    static func withoutDefaultPort(_ origin: String) -> String {
        if origin.hasPrefix("http://"), origin.hasSuffix(":80") { return String(origin.dropLast(3)) }
        if origin.hasPrefix("https://"), origin.hasSuffix(":443") { return String(origin.dropLast(4)) }
        return origin
    }

    func isSecure(_ request: Request) -> Bool {
        configuration.secure || request.headers[HTTPField.Name("X-Forwarded-Proto")!]?.lowercased() == "https"
    }

    func cookieName(_ request: Request) -> String { isSecure(request) ? Self.secureCookie : Self.cookie }

    /// The cookie's value; nil when absent, empty, or sent more than once (a second cookie of the
    /// same name, set for a narrower path from another port of this host, must not pick the session).
    static func cookieValue(_ request: Request, _ name: String) -> String? {
        var found: [String] = []
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == name {
                    found.append(parts[1].trimmingCharacters(in: .whitespaces))
                }
            }
        }
        guard found.count == 1, let value = found.first, !value.isEmpty else { return nil }
        return value
    }

    // MARK: responses

    static func html(_ text: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    static func redirect(_ location: String) -> Response {
        var headers = HTTPFields()
        headers[.location] = location
        return Response(status: .seeOther, headers: headers)
    }

    static func json(_ object: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// A request the console itself refuses (a missing field, a confirmation that does not match).
struct ConsoleError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

