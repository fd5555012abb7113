import Foundation
import SigV4
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// One audited event: an administrative change, a denied request or a catalog mutation.
public struct AuditEvent: Sendable, Encodable {
    public var time: String
    public var requestID: String
    /// `admin`, `s3`, `sts` or `catalog`.
    public var api: String
    public var principal: String
    public var accessKey: String
    public var sourceIP: String
    public var action: String
    public var resource: String
    /// `allowed`, `denied` or `failed`.
    public var outcome: String
    public var status: Int

    public init(
        requestID: String, api: String, principal: String, accessKey: String, sourceIP: String?, action: String, resource: String, outcome: String,
        status: Int, time: Date = Date()
    ) {
        self.time = AuditLog.timestamp(time)
        self.requestID = requestID
        self.api = api
        self.principal = principal
        self.accessKey = accessKey
        self.sourceIP = sourceIP ?? ""
        self.action = action
        self.resource = resource
        self.outcome = outcome
        self.status = status
    }

    enum CodingKeys: String, CodingKey {
        case time, requestID = "request_id", api, principal, accessKey = "access_key", sourceIP = "source_ip", action, resource, outcome, status
    }
}

/// Appends audit events as JSON lines to files and/or stdout. Secrets never reach it: events hold
/// names, access key ids and resource names only.
public final class AuditLog: Sendable {
    private let sinks: Mutex<[Int32]>
    /// The last events written, newest last, for the console's health page (bounded).
    private let recentEvents = Mutex<[AuditEvent]>([])
    public static let recentLimit = 100

    /// - Parameter destinations: file paths, `stdout` or `-`; an empty list audits nothing.
    public init(destinations: [String]) throws {
        var descriptors: [Int32] = []
        for destination in destinations where !destination.isEmpty {
            if destination == "stdout" || destination == "-" {
                descriptors.append(STDOUT_FILENO)
                continue
            }
            let fd = open(destination, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw SecretBoxError(reason: "cannot open audit log \(destination): errno \(errno)") }
            descriptors.append(fd)
        }
        sinks = Mutex(descriptors)
    }

    public static let disabled = try! AuditLog(destinations: [])

    public var isEnabled: Bool { sinks.withLock { !$0.isEmpty } }

    public func record(_ event: AuditEvent) {
        guard isEnabled else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard var line = try? encoder.encode(event) else { return }
        line.append(UInt8(ascii: "\n"))
        recentEvents.withLock { events in
            if events.count >= Self.recentLimit { events.removeFirst(events.count - Self.recentLimit + 1) }
            events.append(event)
        }
        sinks.withLock { descriptors in
            for fd in descriptors {
                // One write per line: O_APPEND keeps concurrent lines whole.
                _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            }
        }
    }

    /// Up to `limit` of the latest events, newest first (none when the log is off).
    public func recent(limit: Int = 50) -> [AuditEvent] {
        recentEvents.withLock { Array($0.suffix(max(0, limit)).reversed()) }
    }

    static func timestamp(_ date: Date) -> String {
        HTTPDate.iso8601(milliseconds: Int64(date.timeIntervalSince1970 * 1000))
    }
}
