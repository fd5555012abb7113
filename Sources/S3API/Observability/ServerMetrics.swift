import NIOConcurrencyHelpers

/// Request counters and latency histograms, rendered in the Prometheus text format.
/// One lock guards plain dictionaries: a request touches it once, after it completes.
public final class ServerMetrics: Sendable {
    static let latencyBuckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]

    struct Histogram {
        var counts = [UInt64](repeating: 0, count: ServerMetrics.latencyBuckets.count)
        var count: UInt64 = 0
        var sum: Double = 0

        mutating func record(_ seconds: Double) {
            count += 1
            sum += seconds
            for (i, bound) in ServerMetrics.latencyBuckets.enumerated() where seconds <= bound { counts[i] += 1 }
        }
    }

    struct State {
        var requests: [String: [Int: UInt64]] = [:]
        var latency: [String: Histogram] = [:]
        var bytesReceived: UInt64 = 0
        var bytesSent: UInt64 = 0
        var lifecycle: [String: UInt64] = [:]
        var lifecyclePasses: UInt64 = 0
        var notifications: [String: UInt64] = [:]
    }

    private let state = NIOLockedValueBox(State())
    public let prefix: String

    public init(prefix: String = "floe_s3") {
        self.prefix = prefix
    }

    public func record(operation: String, status: Int, seconds: Double, bytesIn: Int64, bytesOut: Int64) {
        state.withLockedValue { s in
            s.requests[operation, default: [:]][status, default: 0] += 1
            // In place: a histogram copied out of the dictionary and back copied its counts too.
            s.latency[operation, default: Histogram()].record(seconds)
            s.bytesReceived += UInt64(max(0, bytesIn))
            s.bytesSent += UInt64(max(0, bytesOut))
        }
    }

    /// What the lifecycle scanner did to one version or upload (`ObjectStore.LifecycleOutcome.Kind`).
    public func recordLifecycle(_ kind: String, count: UInt64 = 1) {
        state.withLockedValue { $0.lifecycle[kind, default: 0] += count }
    }

    /// A notification delivery outcome: `delivered`, `failed_attempt` or `dead`.
    public func recordNotification(_ outcome: String) {
        state.withLockedValue { $0.notifications[outcome, default: 0] += 1 }
    }

    public func recordLifecyclePass() {
        state.withLockedValue { $0.lifecyclePasses += 1 }
    }

    /// Totals over every operation, for the console's health page: requests, those answered
    /// 4xx/5xx, bytes, the cumulative latency buckets, and requests per operation.
    public func totals() -> (requests: UInt64, errors: UInt64, bytesIn: UInt64, bytesOut: UInt64, latency: [(bound: Double, count: UInt64)], operations: [(name: String, count: UInt64)]) {
        let s = state.withLockedValue { $0 }
        var requests: UInt64 = 0, errors: UInt64 = 0
        var operations: [(name: String, count: UInt64)] = []
        for (operation, statuses) in s.requests {
            let count = statuses.values.reduce(0, +)
            requests += count
            errors += statuses.filter { $0.key >= 400 }.values.reduce(0, +)
            operations.append((operation, count))
        }
        var cumulative = [UInt64](repeating: 0, count: Self.latencyBuckets.count)
        for histogram in s.latency.values {
            for i in cumulative.indices { cumulative[i] += histogram.counts[i] }
        }
        return (requests, errors, s.bytesReceived, s.bytesSent, zip(Self.latencyBuckets, cumulative).map { ($0, $1) }, operations.sorted { $0.count > $1.count })
    }

    /// The exposition text; `gauges` are appended as given (name, help, value).
    public func render(gauges: [(String, String, Double)]) -> String {
        let s = state.withLockedValue { $0 }
        var out = ""
        out += "# HELP \(prefix)_requests_total S3 requests by operation and HTTP status.\n"
        out += "# TYPE \(prefix)_requests_total counter\n"
        for operation in s.requests.keys.sorted() {
            for (status, count) in s.requests[operation]!.sorted(by: { $0.key < $1.key }) {
                out += "\(prefix)_requests_total{operation=\"\(operation)\",status=\"\(status)\"} \(count)\n"
            }
        }
        out += "# HELP \(prefix)_request_duration_seconds Time to produce a response, by operation.\n"
        out += "# TYPE \(prefix)_request_duration_seconds histogram\n"
        for operation in s.latency.keys.sorted() {
            let h = s.latency[operation]!
            for (i, bound) in Self.latencyBuckets.enumerated() {
                out += "\(prefix)_request_duration_seconds_bucket{operation=\"\(operation)\",le=\"\(bound)\"} \(h.counts[i])\n"
            }
            out += "\(prefix)_request_duration_seconds_bucket{operation=\"\(operation)\",le=\"+Inf\"} \(h.count)\n"
            out += "\(prefix)_request_duration_seconds_sum{operation=\"\(operation)\"} \(h.sum)\n"
            out += "\(prefix)_request_duration_seconds_count{operation=\"\(operation)\"} \(h.count)\n"
        }
        out += "# HELP \(prefix)_received_bytes_total Request body bytes received.\n"
        out += "# TYPE \(prefix)_received_bytes_total counter\n"
        out += "\(prefix)_received_bytes_total \(s.bytesReceived)\n"
        out += "# HELP \(prefix)_sent_bytes_total Response body bytes sent.\n"
        out += "# TYPE \(prefix)_sent_bytes_total counter\n"
        out += "\(prefix)_sent_bytes_total \(s.bytesSent)\n"
        out += "# HELP floe_lifecycle_actions_total What lifecycle rules did, by action (kept_by_lock: refused by Object Lock).\n"
        out += "# TYPE floe_lifecycle_actions_total counter\n"
        for (kind, count) in s.lifecycle.sorted(by: { $0.key < $1.key }) { out += "floe_lifecycle_actions_total{action=\"\(kind)\"} \(count)\n" }
        out += "# HELP floe_lifecycle_passes_total Completed lifecycle passes over every bucket with rules.\n"
        out += "# TYPE floe_lifecycle_passes_total counter\nfloe_lifecycle_passes_total \(s.lifecyclePasses)\n"
        out += "# HELP floe_notifications_total Bucket notification deliveries by outcome (dead: dead-lettered).\n"
        out += "# TYPE floe_notifications_total counter\n"
        for (outcome, count) in s.notifications.sorted(by: { $0.key < $1.key }) { out += "floe_notifications_total{outcome=\"\(outcome)\"} \(count)\n" }
        for (name, help, value) in gauges {
            out += "# HELP \(name) \(help)\n# TYPE \(name) gauge\n\(name) \(value)\n"
        }
        return out
    }
}
