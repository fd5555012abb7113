import Foundation
import Identity

/// How the console reaches the APIs it drives and how it sets its cookie.
public struct ConsoleConfiguration: Sendable {
    /// The S3 API (and admin API) as the console calls it, on loopback: `http(s)://127.0.0.1:PORT`.
    public var s3URL: String
    /// The Iceberg REST catalog as the console calls it.
    public var catalogURL: String
    public var region: String
    /// The S3 URL share links name; nil: the host the browser used, on the S3 port.
    public var publicS3URL: String?
    public var s3Port: Int
    /// The console is served over TLS: cookies get `Secure`.
    public var secure: Bool
    public var idleSeconds: Int
    public var absoluteSeconds: Int
    public var defaultWarehouse: String
    /// The server's settings for temporary credentials, as the identity page lists them.
    public var temporaryCredentials: [(name: String, value: String)] = []
    /// States the browser's address to the APIs (for `aws:SourceIp` and the audit log).
    public var forwardedClient: ForwardedClient?

    public init(
        s3URL: String, catalogURL: String, region: String, publicS3URL: String?, s3Port: Int, secure: Bool,
        idleSeconds: Int = 1800, absoluteSeconds: Int = 43_200, defaultWarehouse: String = "lakehouse"
    ) {
        self.s3URL = s3URL
        self.catalogURL = catalogURL
        self.region = region
        self.publicS3URL = publicS3URL
        self.s3Port = s3Port
        self.secure = secure
        self.idleSeconds = idleSeconds
        self.absoluteSeconds = absoluteSeconds
        self.defaultWarehouse = defaultWarehouse
    }
}

/// Server figures the health page shows; the server adapts its metrics to this.
public protocol ConsoleHealthSource: Sendable {
    func healthFigures() -> HealthFigures
    /// Objects and bytes per bucket, as the index keeps them (shown to principals allowed
    /// `admin:ServerInfo`, like the totals of the admin API).
    func bucketUsage() async throws -> [String: BucketUsage]
    /// The latest audit events, newest first; nil when the audit log is off.
    func recentAuditEvents(limit: Int) -> [AuditEvent]?
    /// Counter samples at a fixed interval, oldest first (rates are their differences).
    func history() -> [HealthSample]
}

/// The cumulative counters at one moment.
public struct HealthSample: Sendable, Equatable {
    public var millis: Int64
    public var requests: UInt64
    public var errors: UInt64
    public var bytesIn: UInt64
    public var bytesOut: UInt64

    public init(millis: Int64, requests: UInt64, errors: UInt64, bytesIn: UInt64, bytesOut: UInt64) {
        self.millis = millis
        self.requests = requests
        self.errors = errors
        self.bytesIn = bytesIn
        self.bytesOut = bytesOut
    }
}

public struct BucketUsage: Sendable {
    public var objects: Int64
    public var bytes: Int64
    public init(objects: Int64, bytes: Int64) {
        self.objects = objects
        self.bytes = bytes
    }
}

public struct HealthFigures: Sendable {
    public var requests: UInt64
    public var errors: UInt64
    public var bytesIn: UInt64
    public var bytesOut: UInt64
    /// Upper bounds in seconds with cumulative counts, over every operation.
    public var latencyBuckets: [(bound: Double, count: UInt64)]
    /// Requests by operation name, most first.
    public var operations: [(name: String, count: UInt64)]

    public init(
        requests: UInt64, errors: UInt64, bytesIn: UInt64, bytesOut: UInt64, latencyBuckets: [(bound: Double, count: UInt64)],
        operations: [(name: String, count: UInt64)]
    ) {
        self.requests = requests
        self.errors = errors
        self.bytesIn = bytesIn
        self.bytesOut = bytesOut
        self.latencyBuckets = latencyBuckets
        self.operations = operations
    }
}
