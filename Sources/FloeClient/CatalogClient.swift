import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// The Iceberg REST catalog: an OAuth2 client-credentials token from the access key pair, then
/// JSON calls under `/v1/{prefix}/`. Errors come back as `ClientError` with the ErrorModel's type.
public final class CatalogClient: Sendable {
    public let endpoint: Endpoint
    public let warehouse: String
    let http: HTTPClient
    /// Sent with every request: the console's statement of its browser's address.
    let extraHeaders: [(name: String, value: String)]

    public init(endpoint: Endpoint, warehouse: String = "lakehouse", http: HTTPClient, extraHeaders: [(name: String, value: String)] = []) {
        self.endpoint = endpoint
        self.warehouse = warehouse
        self.http = http
        self.extraHeaders = extraHeaders
    }

    func token() async throws -> String {
        var request = HTTPClientRequest(url: endpoint.resolvedCatalogURL + "/v1/oauth/tokens")
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/x-www-form-urlencoded")
        let form = [("grant_type", "client_credentials"), ("client_id", endpoint.accessKey), ("client_secret", endpoint.secretKey), ("scope", "catalog")]
            .map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
        request.body = .bytes(ByteBuffer(string: form))
        let object = try await execute(request)
        guard let token = (object as? [String: Any])?["access_token"] as? String else {
            throw ClientError(status: 401, code: "NotAuthorized", message: "the catalog issued no token for \(endpoint.accessKey)")
        }
        return token
    }

    /// `path` is below `/v1/{warehouse}/` (e.g. `namespaces`); answers the decoded JSON (nil for 204).
    public func call(_ method: HTTPMethod, _ path: String, query: [(String, String)] = [], json: Any? = nil) async throws -> Any? {
        var url = endpoint.resolvedCatalogURL + "/v1/" + warehouse + "/" + path
        if !query.isEmpty {
            url += "?" + query.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
        }
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "authorization", value: "Bearer " + (try await token()))
        if let json {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json)))
        }
        return try await execute(request)
    }

    /// A paged list (`pageToken` / `next-page-token`), one page at a time.
    public func eachPage(_ path: String, query: [(String, String)] = [], _ body: ([String: Any]) throws -> Void) async throws {
        var token: String?
        repeat {
            let page = try await call(.GET, path, query: query + (token.map { [("pageToken", $0)] } ?? [])) as? [String: Any] ?? [:]
            try body(page)
            token = page["next-page-token"] as? String
        } while token != nil
    }

    /// Namespace path segment: levels joined with the unit separator, percent-encoded.
    public static func namespacePath(_ levels: [String]) -> String {
        levels.joined(separator: "\u{1F}").addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? ""
    }

    func execute(_ request: HTTPClientRequest) async throws -> Any? {
        var request = request
        for (name, value) in extraHeaders { request.headers.add(name: name, value: value) }
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: .seconds(60))
        } catch {
            throw ClientError.transport("cannot reach the catalog at \(endpoint.resolvedCatalogURL): \(error)")
        }
        let body = try await response.body.collect(upTo: 64 << 20)
        let object = body.readableBytes == 0 ? nil : try? JSONSerialization.jsonObject(with: Data(body.readableBytesView), options: [.fragmentsAllowed])
        guard response.status.code < 300 else {
            let error = (object as? [String: Any])?["error"] as? [String: Any]
            let oauth = (object as? [String: Any])?["error"] as? String
            throw ClientError(
                status: Int(response.status.code), code: error?["type"] as? String ?? oauth ?? "HTTP\(response.status.code)",
                message: error?["message"] as? String ?? (object as? [String: Any])?["error_description"] as? String ?? String(buffer: body))
        }
        return object
    }
}
