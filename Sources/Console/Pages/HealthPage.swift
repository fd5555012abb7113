import FloeClient
import Foundation
import Identity
import NIOHTTP1

/// The server's figures for administrators: what the admin API's ServerInfo reports, and the
/// request metrics of this process, the index's per-bucket use, and the audit log's latest
/// events (kept in memory beside its destinations).
enum HealthPage {
    static let maxBuckets = 100

    static func show(_ call: ConsoleCall) async throws -> ConsoleReply {
        guard call.permissions.admin("ServerInfo", "info") else { throw ConsoleError("Only an administrator allowed admin:ServerInfo may see the server's health.") }
        let info = try await call.s3.admin(.GET, "info") as? [String: Any] ?? [:]
        let buckets = try await call.s3.listBuckets()
        let figures = call.console.health?.healthFigures()
        let usage = try await call.console.health?.bucketUsage() ?? [:]

        var tiles: [[String: Any]] = []
        func tile(_ id: String, _ label: String, _ value: String) { tiles.append(["id": id, "label": label, "value": value]) }
        if let figures {
            tile("requests", "Requests", String(figures.requests))
            tile("errors", "Errors", String(figures.errors))
            tile("error-rate", "Error rate", errorRate(errors: figures.errors, requests: figures.requests))
            tile("bytes-in", "Bytes in", Format.bytes(Int64(clamping: figures.bytesIn)))
            tile("bytes-out", "Bytes out", Format.bytes(Int64(clamping: figures.bytesOut)))
        }
        tile("objects", "Objects", String(number(info["objects"])))
        tile("stored", "Stored", Format.bytes(Int64(clamping: number(info["bytes"]))))
        tile("buckets", "Buckets", String(number(info["buckets"])))

        var data: [String: Any] = [
            "tiles": tiles, "metrics": figures != nil,
            "region": text(info["region"]), "users": String(number(info["users"])), "groups": String(number(info["groups"])),
            "policies": String(number(info["policies"])),
            "buckets": buckets.prefix(maxBuckets).map { bucket -> [String: Any] in
                [
                    "name": bucket.name, "href": "/buckets/" + FormFields.encode(bucket.name), "created": Format.date(bucket.created),
                    "objects": usage[bucket.name].map { Format.count($0.objects) } ?? "", "size": usage[bucket.name].map { Format.bytes($0.bytes) } ?? "",
                ]
            },
            "moreBuckets": max(0, buckets.count - maxBuckets), "hasMoreBuckets": buckets.count > maxBuckets,
        ]
        if !call.permissions.admin("ListAuditEvents", "audit") {
            data["auditHidden"] = true
        } else if let events = call.console.health?.recentAuditEvents(limit: 50) {
            data["audit"] = ["events": events.map { e -> [String: Any] in
                ["time": e.time, "api": e.api, "principal": e.principal, "action": e.action, "resource": e.resource, "outcome": e.outcome, "status": e.status]
            }, "none": events.isEmpty] as [String: Any]
        } else {
            data["auditOff"] = true
        }
        if let figures {
            data["latency"] = [("p50", 0.5), ("p90", 0.9), ("p99", 0.99)].map { pair -> [String: Any] in
                ["name": pair.0, "value": percentile(pair.1, buckets: figures.latencyBuckets).map { duration($0) } ?? "no data"]
            }
            let recent = rates(call.console.health?.history() ?? [])
            if let latest = recent.last {
                data["rate"] = ["svg": rateChart(recent), "latest": rateText(latest.requests), "errors": rateText(latest.errors)]
            }
            let svg = chart(figures.operations)
            if !svg.isEmpty { data["chart"] = ["svg": svg] }
        }
        return .page(PageContent(title: "Health", template: "health", data: data), section: "health")
    }


    /// The q-quantile (0…1) of a histogram with cumulative counts per upper bound (seconds),
    /// interpolated linearly within the bucket it falls in, as Prometheus' histogram_quantile does.
    /// A quantile in the unbounded bucket answers the largest finite bound; nil without observations.
    static func percentile(_ q: Double, buckets: [(bound: Double, count: UInt64)]) -> Double? {
        let sorted = buckets.sorted { $0.bound < $1.bound }
        guard let total = sorted.last?.count, total > 0, !q.isNaN else { return nil }
        let rank = min(max(q, 0), 1) * Double(total)
        var lowerBound = 0.0
        var lowerCount: UInt64 = 0
        for bucket in sorted {
            if bucket.count > lowerCount, Double(bucket.count) >= rank {
                if !bucket.bound.isFinite { return lowerBound }
                let share = (rank - Double(lowerCount)) / Double(bucket.count - lowerCount)
                return lowerBound + (bucket.bound - lowerBound) * max(0, share)
            }
            if bucket.bound.isFinite { lowerBound = bucket.bound }
            lowerCount = max(lowerCount, bucket.count)
        }
        return lowerBound
    }

    static func errorRate(errors: UInt64, requests: UInt64) -> String {
        guard requests > 0 else { return "–" }
        let hundredths = Int((Double(errors) / Double(requests) * 10_000).rounded())
        return "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100) %"
    }

    static func duration(_ seconds: Double) -> String {
        if seconds >= 1 { return String(format: "%.2f s", seconds) }
        if seconds >= 0.001 { return String(format: "%.1f ms", seconds * 1000) }
        return String(format: "%.0f µs", seconds * 1_000_000)
    }

    /// Requests per operation (the ten most) as a horizontal bar chart: SVG built here with every
    /// text escaped, styled only by presentation attributes and classes (the CSP forbids inline style).
    /// Requests and errors per second between consecutive samples.
    static func rates(_ samples: [HealthSample]) -> [(millis: Int64, requests: Double, errors: Double)] {
        zip(samples, samples.dropFirst()).compactMap { a, b in
            let seconds = Double(b.millis - a.millis) / 1000
            guard seconds > 0, b.requests >= a.requests, b.errors >= a.errors else { return nil }
            return (b.millis, Double(b.requests - a.requests) / seconds, Double(b.errors - a.errors) / seconds)
        }
    }

    /// Requests/s over time as bars, errors/s as a darker bar inside each: SVG built here, text escaped.
    static func rateChart(_ rates: [(millis: Int64, requests: Double, errors: Double)]) -> String {
        guard let first = rates.first, let last = rates.last else { return "" }
        let peak = max(1, rates.map(\.requests).max() ?? 1)
        let width = 640, height = 160, left = 48, bottom = 20
        let slot = Double(width - left) / Double(rates.count)
        let plot = Double(height - bottom - 8)
        let summary = "Requests per second from \(Format.date(millis: first.millis)) to \(Format.date(millis: last.millis)): peak \(rateText(peak)), latest \(rateText(last.requests))"
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"rate-chart\" class=\"chart\" role=\"img\" aria-label=\"\(escape(summary))\""
        svg += " viewBox=\"0 0 \(width) \(height)\" width=\"\(width)\" height=\"\(height)\">"
        svg += "<title>\(escape(summary))</title>"
        svg += "<text x=\"\(left - 6)\" y=\"14\" text-anchor=\"end\">\(escape(rateText(peak)))</text>"
        svg += "<text x=\"\(left - 6)\" y=\"\(height - bottom)\" text-anchor=\"end\">0</text>"
        for (i, rate) in rates.enumerated() {
            let x = Double(left) + Double(i) * slot
            let h = plot * rate.requests / peak, e = plot * min(rate.errors, rate.requests) / peak
            let w = max(1, slot - 1)
            svg += "<rect class=\"bar\" x=\"\(Int(x))\" y=\"\(Int(Double(height - bottom) - h))\" width=\"\(Int(w))\" height=\"\(max(0, Int(h.rounded())))\"></rect>"
            if e > 0 {
                svg += "<rect class=\"error-bar\" fill=\"#b42318\" x=\"\(Int(x))\" y=\"\(Int(Double(height - bottom) - e))\" width=\"\(Int(w))\" height=\"\(max(1, Int(e.rounded())))\"></rect>"
            }
        }
        svg += "<text x=\"\(left)\" y=\"\(height - 4)\">\(escape(Format.date(millis: first.millis)))</text>"
        svg += "<text x=\"\(width)\" y=\"\(height - 4)\" text-anchor=\"end\">\(escape(Format.date(millis: last.millis)))</text>"
        return svg + "</svg>"
    }

    static func rateText(_ perSecond: Double) -> String {
        perSecond >= 100 ? String(Int(perSecond.rounded())) + "/s" : String(format: "%.1f/s", perSecond)
    }

    static func chart(_ operations: [(name: String, count: UInt64)]) -> String {
        let top = operations.sorted { $0.count > $1.count }.prefix(10)
        guard let most = top.first?.count, most > 0 else { return "" }
        let row = 26, labelWidth = 200, barSpace = 340, width = 640
        let height = top.count * row + 8
        let summary = "Requests per operation: " + top.map { "\($0.name) \($0.count)" }.joined(separator: ", ")
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"operations-chart\" class=\"chart\" role=\"img\" aria-label=\"\(escape(summary))\""
        svg += " viewBox=\"0 0 \(width) \(height)\" width=\"\(width)\" height=\"\(height)\" font-size=\"13\">"
        svg += "<title>\(escape(summary))</title>"
        for (index, operation) in top.enumerated() {
            let y = index * row + 4
            let bar = max(1, Int((Double(operation.count) / Double(most) * Double(barSpace)).rounded()))
            svg += "<text class=\"chart-label\" x=\"\(labelWidth - 8)\" y=\"\(y + 15)\" text-anchor=\"end\" fill=\"currentColor\">\(escape(operation.name))</text>"
            svg += "<rect class=\"bar\" x=\"\(labelWidth)\" y=\"\(y)\" width=\"\(bar)\" height=\"\(row - 8)\" fill=\"#3b6ea5\"></rect>"
            svg += "<text class=\"chart-value\" x=\"\(labelWidth + bar + 6)\" y=\"\(y + 15)\" fill=\"currentColor\">\(operation.count)</text>"
        }
        return svg + "</svg>"
    }

    static func escape(_ text: String) -> String { HTMLText.escape(text) }

    static func number(_ value: Any?) -> UInt64 {
        guard let value else { return 0 }
        switch value {
        case let n as UInt64: return n
        case let n as Int: return UInt64(max(0, n))
        case let n as NSNumber: return n.int64Value < 0 ? 0 : n.uint64Value
        default: return 0
        }
    }

    static func text(_ value: Any?) -> String { value as? String ?? "" }
}

extension Templates {
    static let health: [String: String] = [
        "health": """
            <h1>Server health</h1>
            <h2 id="figures-heading" class="sr">Figures</h2>
            <ul class="tiles" id="health-tiles" aria-labelledby="figures-heading">
            {{#tiles}}<li class="tile" id="tile-{{id}}"><span class="tile-label">{{label}}</span> <strong class="tile-value">{{value}}</strong></li>{{/tiles}}
            </ul>
            {{^metrics}}<p class="hint" id="metrics-unavailable">Request metrics are not available from this server.</p>{{/metrics}}
            <dl class="facts" id="server-info">
            <dt>Region</dt><dd id="server-region">{{region}}</dd>
            <dt>Users</dt><dd id="server-users">{{users}}</dd>
            <dt>Groups</dt><dd id="server-groups">{{groups}}</dd>
            <dt>Policies</dt><dd id="server-policies">{{policies}}</dd>
            </dl>
            {{#metrics}}
            <h2 id="rate-heading">Requests per second</h2>
            {{#rate}}<p>Latest: <strong id="rate-latest">{{latest}}</strong>, errors {{errors}} (sampled every 10 s, the last 15 minutes).</p>
            <figure>{{{svg}}}</figure>{{/rate}}
            {{^rate}}<p class="hint" id="rate-pending">The rate appears once two samples are taken (every 10 s).</p>{{/rate}}
            <h2 id="latency-heading">Latency</h2>
            <table class="list" id="latency" aria-labelledby="latency-heading"><thead><tr><th scope="col">Percentile</th><th scope="col">Estimate</th></tr></thead><tbody>
            {{#latency}}<tr id="latency-{{name}}"><td>{{name}}</td><td class="num">{{value}}</td></tr>{{/latency}}
            </tbody></table>
            <p class="hint">Estimated from the latency histogram of every request since the server started.</p>
            <h2 id="operations-heading">Requests per operation</h2>
            {{#chart}}<figure id="operations" aria-labelledby="operations-heading">{{{svg}}}</figure>{{/chart}}
            {{^chart}}<p class="empty" id="no-operations">No requests yet.</p>{{/chart}}
            {{/metrics}}
            <h2 id="buckets-heading">Buckets</h2>
            <table class="list" id="health-buckets" aria-labelledby="buckets-heading"><thead><tr><th scope="col">Bucket</th><th scope="col">Created</th><th scope="col" class="num">Objects</th><th scope="col" class="num">Size</th></tr></thead><tbody>
            {{#buckets}}<tr><td><a class="bucket-link" href="{{href}}">{{name}}</a></td><td>{{created}}</td><td class="num">{{objects}}</td><td class="num">{{size}}</td></tr>{{/buckets}}
            </tbody></table>
            {{#hasMoreBuckets}}<p class="hint" id="more-buckets">{{moreBuckets}} more buckets are not listed.</p>{{/hasMoreBuckets}}
            <p class="hint" id="bucket-use-note">Objects and sizes count the current version of each key; noncurrent versions are not included.</p>
            <h2 id="audit-heading">Recent audit events</h2>
            {{#auditHidden}}<p class="hint" id="audit-hidden">Recent audit events are shown to principals allowed <code>admin:ListAuditEvents</code>.</p>{{/auditHidden}}
            {{#auditOff}}<p class="hint" id="audit-off">The audit log is off: start the server with <code>--audit-log</code> (a file or stdout) to record and show administrative changes and refusals.</p>{{/auditOff}}
            {{#audit}}
            {{#none}}<p class="hint">None since the server started.</p>{{/none}}
            {{^none}}<table class="list" id="audit-events" aria-labelledby="audit-heading"><thead><tr><th scope="col">Time (UTC)</th><th scope="col">API</th><th scope="col">Principal</th><th scope="col">Action</th><th scope="col">Resource</th><th scope="col">Outcome</th></tr></thead><tbody>
            {{#events}}<tr><td>{{time}}</td><td>{{api}}</td><td>{{principal}}</td><td>{{action}}</td><td>{{resource}}</td><td>{{outcome}} ({{status}})</td></tr>{{/events}}
            </tbody></table>{{/none}}
            {{/audit}}
            """,
    ]
}
