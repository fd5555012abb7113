import Foundation
import Testing

@testable import Identity

@Suite struct AuditLogTests {
    @Test func eventsAreAppendedAsJSONLines() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("audit-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let log = try AuditLog(destinations: [path])
        #expect(log.isEnabled && !AuditLog.disabled.isEnabled)
        for status in [200, 403] {
            log.record(AuditEvent(
                requestID: "R\(status)", api: "s3", principal: "alice", accessKey: "AK", sourceIP: "127.0.0.1", action: "s3:GetObject",
                resource: "arn:aws:s3:::b/k", outcome: status == 200 ? "allowed" : "denied", status: status))
        }
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        let second = try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Any]
        #expect(second?["request_id"] as? String == "R403" && second?["outcome"] as? String == "denied" && second?["source_ip"] as? String == "127.0.0.1")
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
    }

    @Test func theLatestEventsAreKeptBoundedNewestFirst() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("audit-recent-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let log = try AuditLog(destinations: [path])
        for i in 0..<(AuditLog.recentLimit + 30) {
            log.record(AuditEvent(
                requestID: "R\(i)", api: "admin", principal: "root", accessKey: "AK", sourceIP: nil, action: "admin:CreateUser",
                resource: "users/u\(i)", outcome: "allowed", status: 200))
        }
        let recent = log.recent(limit: 1000)
        #expect(recent.count == AuditLog.recentLimit)
        #expect(recent.first?.requestID == "R\(AuditLog.recentLimit + 29)")
        #expect(recent.last?.requestID == "R30")
        #expect(log.recent(limit: 3).map(\.requestID) == ["R129", "R128", "R127"])
        #expect(AuditLog.disabled.recent().isEmpty)
    }
}
