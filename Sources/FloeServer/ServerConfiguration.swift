import ObjectStore

/// Everything `floe server` needs to start. Flags override environment variables
/// (`FLOE_*`), which override these defaults.
public struct ServerConfiguration: Sendable {
    /// Root of all data: `meta/` (index, credentials) and `blobs/` (object bytes).
    public var dataDirectory: String = "./floe-data"
    public var s3Address: HostAndPort = HostAndPort(host: "0.0.0.0", port: 9000)
    public var catalogAddress: HostAndPort = HostAndPort(host: "0.0.0.0", port: 8181)
    /// The web console's listener; nil turns the console off.
    public var consoleAddress: HostAndPort? = HostAndPort(host: "0.0.0.0", port: 9001)
    /// The S3 URL the console's share links name; nil: the host the browser used, on the S3 port.
    public var consoleS3URL: String?
    /// `postgres://user:password@host:port/database` for a PostgreSQL catalog; nil = embedded SQLite.
    public var catalogDB: String?
    /// PEM certificate chain and private key; when both are set, both listeners speak TLS only.
    public var tlsCertificate: String?
    public var tlsKey: String?
    /// Lifetime of catalog bearer tokens, in seconds.
    public var catalogTokenLifetime: Int = 3600
    /// Create warehouse `lakehouse` with namespaces raw, bronze and gold on first start.
    public var bootstrap: Bool = true
    public var region: String = "us-east-1"
    /// Domains for virtual-host style requests (`bucket.<domain>`).
    public var domains: [String] = []
    public var rootUser: String?
    public var rootPassword: String?
    /// Base64 of 32 bytes; encrypts stored secret keys. Without it, `meta/master.key` is used (created on first start).
    public var masterKey: String?
    public var logLevel: String = "info"
    /// Multipart uploads older than this many seconds are aborted (default 7 days).
    public var multipartExpirySeconds: Int64 = 7 * 24 * 3600
    /// Where audit events go: file paths and/or `stdout`; empty audits nothing.
    public var auditLog: [String] = []
    /// The S3 URL handed to engines with vended credentials (`s3.endpoint`); nil derives it from the
    /// host the catalog was reached at and the S3 port.
    public var publicS3URL: String?
    /// Lifetime of vended table credentials, in seconds (900–43200).
    public var vendedCredentialLifetime: Int = 3600
    /// A connection with no complete request head for this long, or idle this long between
    /// requests, is closed.
    public var idleTimeoutSeconds: Int = 60
    /// Open connections per listener; more are closed as they arrive.
    public var maxConnections: Int = 4096
    /// Object Ownership of buckets created without one (`FLOE_DEFAULT_OBJECT_OWNERSHIP`):
    /// BucketOwnerEnforced as AWS, or `none` for the pre-2023 model where ACLs always apply.
    public var defaultObjectOwnership: ObjectOwnership? = .bucketOwnerEnforced
    /// Seconds server access log records gather before one object delivers them (`FLOE_ACCESS_LOG_ROLL_SECONDS`).
    public var accessLogRollSeconds: Int = 300
    /// How many seconds a lifecycle "day" lasts (`FLOE_LIFECYCLE_DAY_SECONDS`): 86400, or fewer to
    /// compress time for tests, as Ceph's `rgw_lc_debug_interval`.
    public var lifecycleDaySeconds: Int = 86_400
    /// Seconds between lifecycle passes (`FLOE_LIFECYCLE_INTERVAL_SECONDS`); nil: an hour, or a
    /// quarter of a compressed day.
    public var lifecycleIntervalSeconds: Int?
    /// The key-store key SSE-KMS uses when a request or bucket default names none
    /// (`FLOE_KMS_DEFAULT_KEY`, AWS's `aws/s3`); nil refuses such requests.
    public var defaultKMSKey: String?
    /// Delivery attempts of a bucket notification before it is dead-lettered
    /// (`FLOE_NOTIFY_MAX_ATTEMPTS`; with the one-minute backoff cap, 1440 is about a day).
    public var notificationMaxAttempts: Int = 1440
    /// Long aligned stretches of uploads written straight to the disk, past the page cache
    /// (`FLOE_DIRECT_WRITES`, on by default; `BlobFileOutput`). Off: every byte through the cache.
    public var directWrites: Bool = true

    public init() {}

    /// Applies `FLOE_*` variables from `environment` on top of the defaults.
    public mutating func apply(environment: [String: String]) throws {
        if let v = environment["FLOE_DATA"], !v.isEmpty { dataDirectory = v }
        if let v = environment["FLOE_S3_ADDRESS"], !v.isEmpty { s3Address = try HostAndPort(parsing: v) }
        if let v = environment["FLOE_CATALOG_ADDRESS"], !v.isEmpty { catalogAddress = try HostAndPort(parsing: v) }
        if let v = environment["FLOE_CONSOLE_ADDRESS"], !v.isEmpty {
            consoleAddress = ["off", "false", "none"].contains(v.lowercased()) ? nil : try HostAndPort(parsing: v)
        }
        if let v = environment["FLOE_CATALOG_DB"], !v.isEmpty { catalogDB = v }
        if let v = environment["FLOE_TLS_CERT"], !v.isEmpty { tlsCertificate = v }
        if let v = environment["FLOE_TLS_KEY"], !v.isEmpty { tlsKey = v }
        if let v = environment["FLOE_CATALOG_TOKEN_LIFETIME"], !v.isEmpty {
            guard let seconds = Int(v), seconds > 0 else {
                throw ConfigurationError(description: "FLOE_CATALOG_TOKEN_LIFETIME must be a positive number of seconds")
            }
            catalogTokenLifetime = seconds
        }
        if let v = environment["FLOE_BOOTSTRAP"], !v.isEmpty { bootstrap = !["0", "false", "no", "off"].contains(v.lowercased()) }
        if let v = environment["FLOE_REGION"], !v.isEmpty { region = v }
        if let v = environment["FLOE_DOMAIN"], !v.isEmpty { domains = v.split(separator: ",").map { String($0) } }
        if let v = environment["FLOE_ROOT_USER"], !v.isEmpty { rootUser = v }
        if let v = environment["FLOE_ROOT_PASSWORD"], !v.isEmpty { rootPassword = v }
        if let v = environment["FLOE_MASTER_KEY"], !v.isEmpty { masterKey = v }
        if let v = environment["FLOE_LOG_LEVEL"], !v.isEmpty { logLevel = v }
        if let v = environment["FLOE_AUDIT_LOG"], !v.isEmpty { auditLog = v.split(separator: ",").map { String($0) } }
        if let v = environment["FLOE_PUBLIC_S3_URL"], !v.isEmpty { publicS3URL = v }
        if let v = environment["FLOE_CONSOLE_S3_URL"], !v.isEmpty { consoleS3URL = v }
        if let v = environment["FLOE_VENDED_CREDENTIALS_LIFETIME"], !v.isEmpty {
            guard let seconds = Int(v), (900...43_200).contains(seconds) else {
                throw ConfigurationError(description: "FLOE_VENDED_CREDENTIALS_LIFETIME must be 900 to 43200 seconds")
            }
            vendedCredentialLifetime = seconds
        }
        if let v = environment["FLOE_IDLE_TIMEOUT"], !v.isEmpty {
            guard let seconds = Int(v), (1...86_400).contains(seconds) else {
                throw ConfigurationError(description: "FLOE_IDLE_TIMEOUT must be 1 to 86400 seconds")
            }
            idleTimeoutSeconds = seconds
        }
        if let v = environment["FLOE_MAX_CONNECTIONS"], !v.isEmpty {
            guard let count = Int(v), (1...1_000_000).contains(count) else {
                throw ConfigurationError(description: "FLOE_MAX_CONNECTIONS must be 1 to 1000000")
            }
            maxConnections = count
        }
        if let v = environment["FLOE_ACCESS_LOG_ROLL_SECONDS"], !v.isEmpty {
            guard let seconds = Int(v), (1...86_400).contains(seconds) else {
                throw ConfigurationError(description: "FLOE_ACCESS_LOG_ROLL_SECONDS must be 1 to 86400 seconds")
            }
            accessLogRollSeconds = seconds
        }
        if let v = environment["FLOE_DEFAULT_OBJECT_OWNERSHIP"], !v.isEmpty {
            if v.lowercased() == "none" {
                defaultObjectOwnership = nil
            } else if let ownership = ObjectOwnership(rawValue: v) {
                defaultObjectOwnership = ownership
            } else {
                throw ConfigurationError(description: "FLOE_DEFAULT_OBJECT_OWNERSHIP must be BucketOwnerEnforced, BucketOwnerPreferred, ObjectWriter or none")
            }
        }
        if let v = environment["FLOE_LIFECYCLE_DAY_SECONDS"], !v.isEmpty {
            guard let seconds = Int(v), (1...86_400).contains(seconds) else {
                throw ConfigurationError(description: "FLOE_LIFECYCLE_DAY_SECONDS must be 1 to 86400 seconds")
            }
            lifecycleDaySeconds = seconds
        }
        if let v = environment["FLOE_LIFECYCLE_INTERVAL_SECONDS"], !v.isEmpty {
            guard let seconds = Int(v), (1...86_400).contains(seconds) else {
                throw ConfigurationError(description: "FLOE_LIFECYCLE_INTERVAL_SECONDS must be 1 to 86400 seconds")
            }
            lifecycleIntervalSeconds = seconds
        }
        if let v = environment["FLOE_KMS_DEFAULT_KEY"], !v.isEmpty { defaultKMSKey = v }
        if let v = environment["FLOE_NOTIFY_MAX_ATTEMPTS"], !v.isEmpty {
            guard let attempts = Int(v), (1...1_000_000).contains(attempts) else {
                throw ConfigurationError(description: "FLOE_NOTIFY_MAX_ATTEMPTS must be 1 to 1000000")
            }
            notificationMaxAttempts = attempts
        }
        if let v = environment["FLOE_DIRECT_WRITES"], !v.isEmpty {
            switch v.lowercased() {
            case "1", "true", "yes", "on": directWrites = true
            case "0", "false", "no", "off": directWrites = false
            default: throw ConfigurationError(description: "FLOE_DIRECT_WRITES must be on or off")
            }
        }
        if let v = environment["FLOE_MULTIPART_EXPIRY"], !v.isEmpty {
            guard let seconds = Int64(v), seconds > 0 else {
                throw ConfigurationError(description: "FLOE_MULTIPART_EXPIRY must be a positive number of seconds")
            }
            multipartExpirySeconds = seconds
        }
    }
}

public struct ConfigurationError: Error, CustomStringConvertible {
    public let description: String
}

/// `HOST:PORT`, `[IPv6]:PORT` or `:PORT` (all interfaces).
public struct HostAndPort: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public init(parsing text: String) throws {
        let hostPart: Substring
        let portPart: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                throw ConfigurationError(description: "address \"\(text)\" is not [IPv6]:PORT")
            }
            hostPart = text[text.index(after: text.startIndex)..<close]
            portPart = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                throw ConfigurationError(description: "address \"\(text)\" is not HOST:PORT")
            }
            hostPart = text[..<colon]
            portPart = text[text.index(after: colon)...]
        }
        guard let port = Int(portPart), (0...65535).contains(port) else {
            throw ConfigurationError(description: "address \"\(text)\" has an invalid port")
        }
        self.host = hostPart.isEmpty ? "0.0.0.0" : String(hostPart)
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
