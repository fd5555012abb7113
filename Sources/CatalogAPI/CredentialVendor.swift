import Foundation
import IcebergModel
import Identity

/// Vended credentials: short-lived session credentials whose session policy reaches only one
/// table's location prefix, read-only or read-write, handed to engines in `config` and as
/// prefix-scoped `storage-credentials` so they never need static S3 keys.
public struct CredentialVendor: Sendable {
    public struct Settings: Sendable {
        /// The S3 URL engines should use; nil derives `<scheme>://<catalog host>:<s3Port>`.
        public var publicS3URL: String?
        public var s3Port: Int
        public var secure: Bool
        public var region: String
        public var lifetime: Int

        public init(publicS3URL: String?, s3Port: Int, secure: Bool, region: String, lifetime: Int) {
            self.publicS3URL = publicS3URL
            self.s3Port = s3Port
            self.secure = secure
            self.region = region
            self.lifetime = lifetime
        }
    }

    let directory: Directory
    let settings: Settings

    public init(directory: Directory, settings: Settings) {
        self.directory = directory
        self.settings = settings
    }

    /// `s3://bucket/some/prefix` → (bucket, `some/prefix`), without a trailing slash.
    static func split(location: String) -> (bucket: String, prefix: String)? {
        let scheme = ["s3://", "s3a://", "s3n://"].first { location.hasPrefix($0) }
        guard let scheme else { return nil }
        let rest = location.dropFirst(scheme.count)
        let parts = rest.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let bucket = parts.first, !bucket.isEmpty else { return nil }
        var prefix = parts.count > 1 ? String(parts[1]) : ""
        while prefix.hasSuffix("/") { prefix.removeLast() }
        return (String(bucket), prefix)
    }

    /// The session policy for one table location: objects under `prefix/`, listing only there.
    static func sessionPolicy(bucket: String, prefix: String, write: Bool) -> String {
        let objects = prefix.isEmpty ? "arn:aws:s3:::\(bucket)/*" : "arn:aws:s3:::\(bucket)/\(prefix)/*"
        var objectActions = ["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectAttributes", "s3:GetObjectVersionAttributes"]
        if write {
            objectActions += ["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
        }
        var listing: [String: Any] = ["Effect": "Allow", "Action": ["s3:ListBucket", "s3:ListBucketVersions"], "Resource": ["arn:aws:s3:::\(bucket)"]]
        if !prefix.isEmpty { listing["Condition"] = ["StringLike": ["s3:prefix": ["\(prefix)/", "\(prefix)/*"]]] }
        let document: [String: Any] = [
            "Version": "2012-10-17",
            "Statement": [
                ["Effect": "Allow", "Action": objectActions, "Resource": [objects]],
                listing,
                ["Effect": "Allow", "Action": ["s3:GetBucketLocation"], "Resource": ["arn:aws:s3:::\(bucket)"]],
            ],
        ]
        let data = (try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// The S3 endpoint as the caller reached the catalog: same host, the S3 port.
    func endpoint(catalogHost: String?) -> String {
        if let url = settings.publicS3URL { return url }
        var host = catalogHost ?? "127.0.0.1"
        if host.hasPrefix("["), let close = host.firstIndex(of: "]") {
            host = String(host[...close])
        } else if let colon = host.lastIndex(of: ":") {
            host = String(host[..<colon])
        }
        return "\(settings.secure ? "https" : "http")://\(host):\(settings.s3Port)"
    }

    public struct Vended: Sendable {
        /// The legacy per-table `config` keys.
        public var config: [String: JSONValue]
        /// One entry of `storage-credentials`.
        public var storageCredential: JSONValue
    }

    public func vend(for caller: Principal, location: String, write: Bool, catalogHost: String?) throws(IcebergError) -> Vended {
        guard let (bucket, prefix) = Self.split(location: location) else {
            throw IcebergError.badRequest("Credentials can only be vended for s3:// table locations, not \(location)")
        }
        // The prefix goes into a policy as it is: a wildcard or variable in it would widen it.
        guard !(bucket + prefix).contains(where: { "*?$".contains($0) }) else {
            throw IcebergError.forbidden("Credentials cannot be vended for a location with *, ? or $: \(location)")
        }
        let issued: (claims: SessionClaims, token: String)
        do {
            issued = try directory.issueDelegatedSession(
                for: caller, policy: Self.sessionPolicy(bucket: bucket, prefix: prefix, write: write), seconds: settings.lifetime)
        } catch {
            throw IcebergError.internalError("Sessions are not available")
        }
        let config: [String: JSONValue] = [
            "s3.access-key-id": .string(issued.claims.accessKeyID),
            "s3.secret-access-key": .string(issued.claims.secretKey),
            "s3.session-token": .string(issued.token),
            "s3.session-token-expires-at-ms": .string(String(issued.claims.expires)),
            "s3.endpoint": .string(endpoint(catalogHost: catalogHost)),
            "s3.path-style-access": "true",
            "s3.region": .string(settings.region),
            "client.region": .string(settings.region),
        ]
        let scope = "s3://\(bucket)" + (prefix.isEmpty ? "" : "/\(prefix)")
        return Vended(config: config, storageCredential: ["prefix": .string(scope), "config": .object(config)])
    }
}
