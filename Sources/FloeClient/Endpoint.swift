import Foundation

/// Where a Floe (or any S3 endpoint) is and how to sign in to it.
public struct Endpoint: Sendable, Equatable, Codable {
    /// `http(s)://host:port` of the S3 API, without a path.
    public var url: String
    public var accessKey: String
    public var secretKey: String
    public var sessionToken: String?
    public var region: String
    /// The Iceberg REST catalog, when known (default: same host, port 8181).
    public var catalogURL: String?

    public init(url: String, accessKey: String, secretKey: String, sessionToken: String? = nil, region: String = "us-east-1", catalogURL: String? = nil) {
        self.url = url.hasSuffix("/") ? String(url.dropLast()) : url
        self.accessKey = accessKey
        self.secretKey = secretKey
        self.sessionToken = sessionToken
        self.region = region
        self.catalogURL = catalogURL
    }

    /// `host:port` as the Host header carries it.
    public var authority: String {
        guard let components = URLComponents(string: url), let host = components.host else { return url }
        let bracketed = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        return components.port.map { "\(bracketed):\($0)" } ?? bracketed
    }

    /// The catalog URL given, else the S3 host on port 8181.
    public var resolvedCatalogURL: String {
        if let catalogURL { return catalogURL.hasSuffix("/") ? String(catalogURL.dropLast()) : catalogURL }
        guard var components = URLComponents(string: url) else { return url }
        components.port = 8181
        return components.string ?? url
    }
}
