import NIOConcurrencyHelpers
import ObjectStore
import SigV4

/// One server access log record in S3's format (26 space-separated fields; the time in
/// brackets, the request line, referrer and user agent quoted, `-` for what does not apply).
struct AccessLogEntry: Sendable {
    var bucketOwner: String
    var bucket: String
    /// Milliseconds since 1970.
    var time: Int64
    var remoteIP: String?
    /// The requester's canonical id; nil for anonymous requests.
    var requester: String?
    var requestID: String
    var operation: String
    var key: String?
    var requestLine: String
    var status: Int
    var errorCode: String?
    var bytesSent: Int64
    var objectSize: Int64?
    var totalMilliseconds: Int
    var referrer: String?
    var userAgent: String?
    var versionID: String?
    var hostID: String
    /// `SigV2` or `SigV4`; nil when unsigned.
    var signatureVersion: String?
    /// `AuthHeader` or `QueryString`; nil when unsigned.
    var authType: String?
    var host: String?
    var tls: Bool

    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `06/Feb/2019:00:00:38 +0000`
    static func timestamp(_ milliseconds: Int64) -> String {
        let seconds = milliseconds / 1000
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let (y, m, d) = AmzDate.civilFromDays(days)
        let rest = seconds - days * 86_400
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(two(d))/\(months[Int(m) - 1])/\(y):\(two(rest / 3600)):\(two(rest / 60 % 60)):\(two(rest % 60)) +0000"
    }

    /// Query parameters whose values would let a log reader replay the request.
    static let secretParameters: Set<String> = ["signature", "x-amz-signature", "x-amz-security-token", "x-amz-credential"]

    /// The request target with presigned credentials' values removed.
    static func redacted(_ target: String) -> String {
        guard let q = target.firstIndex(of: "?") else { return target }
        let query = target[target.index(after: q)...].split(separator: "&", omittingEmptySubsequences: false).map { pair -> String in
            let name = pair.split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
            return secretParameters.contains(name.lowercased()) ? name + "=REDACTED" : String(pair)
        }
        return target[..<q] + "?" + query.joined(separator: "&")
    }

    /// Text inside a quoted field: printable ASCII only (quotes, controls and everything else,
    /// Unicode line separators included, percent-encoded), so no field can split a record.
    static func quoted(_ text: String?) -> String {
        guard let text, !text.isEmpty else { return "-" }
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "%22"
            case _ where scalar.value < 0x20 || scalar.value >= 0x7F:
                for byte in String(scalar).utf8 { out += "%" + String(format2: UInt32(byte)) }
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// A bare field: no spaces, quotes or brackets.
    static func bare(_ text: String?) -> String {
        guard let text, !text.isEmpty else { return "-" }
        return URIEncoding.encode(text, keepSlash: true)
    }

    var line: String {
        [
            Self.bare(bucketOwner), Self.bare(bucket), "[\(Self.timestamp(time))]", Self.bare(remoteIP), Self.bare(requester), Self.bare(requestID),
            operation, Self.bare(key), Self.quoted(requestLine), String(status), Self.bare(errorCode), bytesSent > 0 ? String(bytesSent) : "-",
            objectSize.map(String.init) ?? "-", String(totalMilliseconds), String(totalMilliseconds), Self.quoted(referrer), Self.quoted(userAgent),
            Self.bare(versionID), Self.bare(hostID), signatureVersion ?? "-", tls ? "ECDHE-RSA-AES128-GCM-SHA256" : "-", authType ?? "-",
            Self.bare(host), tls ? "TLSv1.2" : "-", "-", "-",
        ].joined(separator: " ")
    }
}

extension String {
    fileprivate init(format2 value: UInt32) {
        let digits = Array("0123456789ABCDEF")
        self = String([digits[Int(value >> 4 & 0xF)], digits[Int(value & 0xF)]])
    }
}

/// Access log records waiting for delivery, batched per source bucket. A batch becomes a log
/// object once it is `rollMilliseconds` old or 1 MiB large; memory is bounded by
/// `maxPendingBytes` (records beyond it are dropped and counted). Nothing here runs in the
/// request path beyond appending a line.
final class AccessLogBatches: Sendable {
    struct Batch: Sendable {
        var source: String
        var sourceOwner: String
        var region: String
        var logging: BucketLogging
        var lines: [String] = []
        var bytes = 0
        var opened: Int64
        var firstEvent: Int64
    }

    struct State {
        var batches: [String: Batch] = [:]
        var pendingBytes = 0
        var dropped = 0
        /// Set once any bucket has logging configured: until then requests skip the lookup.
        var active = false
    }

    let state = NIOLockedValueBox(State())
    let rollMilliseconds: Int64
    static let maxBatchBytes = 1 << 20
    static let maxPendingBytes = 32 << 20

    init(rollSeconds: Int) {
        rollMilliseconds = Int64(rollSeconds) * 1000
    }

    var active: Bool { state.withLockedValue { $0.active } }

    func activate() { state.withLockedValue { $0.active = true } }

    func append(_ entry: AccessLogEntry, logging: BucketLogging, region: String) {
        let line = entry.line
        state.withLockedValue { s in
            guard s.pendingBytes + line.utf8.count + 1 <= Self.maxPendingBytes else {
                s.dropped += 1
                return
            }
            var batch = s.batches[entry.bucket] ?? Batch(
                source: entry.bucket, sourceOwner: entry.bucketOwner, region: region, logging: logging, opened: entry.time, firstEvent: entry.time)
            // A changed target starts a new batch; the old one is delivered as it was.
            if batch.logging != logging, !batch.lines.isEmpty { return }
            batch.logging = logging
            batch.lines.append(line)
            batch.bytes += line.utf8.count + 1
            s.pendingBytes += line.utf8.count + 1
            s.batches[entry.bucket] = batch
        }
    }

    /// Removes and answers the batches due at `now` (all of them with `all`).
    func takeDue(now: Int64, all: Bool) -> [Batch] {
        state.withLockedValue { s in
            let due = s.batches.values.filter { all || now - $0.opened >= rollMilliseconds || $0.bytes >= Self.maxBatchBytes }
            for batch in due {
                s.batches[batch.source] = nil
                s.pendingBytes -= batch.bytes
            }
            return due
        }
    }

    /// The log object's key for a batch delivered at `now`.
    static func key(for batch: Batch, now: Int64, unique: String) -> String {
        func stamp(_ ms: Int64, separator: String) -> (date: String, time: String) {
            let t = AccessLogEntry.timestamp(ms)  // dd/Mon/yyyy:HH:MM:SS +0000
            let day = t.prefix(2), month = AccessLogEntry.months.firstIndex(of: String(t.dropFirst(3).prefix(3)))! + 1
            let year = t.dropFirst(7).prefix(4), clock = t.dropFirst(12).prefix(8).split(separator: ":").joined(separator: "-")
            let mm = month < 10 ? "0\(month)" : "\(month)"
            return ("\(year)\(separator)\(mm)\(separator)\(day)", clock)
        }
        let (date, clock) = stamp(now, separator: "-")
        let simple = "\(date)-\(clock)-\(unique)"
        switch batch.logging.keyFormat {
        case .partitioned(let source)?:
            let (partition, _) = stamp(source == "EventTime" ? batch.firstEvent : now, separator: "/")
            return "\(batch.logging.targetPrefix)\(batch.sourceOwner)/\(batch.region)/\(batch.source)/\(partition)/\(simple)"
        case .simple?, nil:
            return batch.logging.targetPrefix + simple
        }
    }
}
