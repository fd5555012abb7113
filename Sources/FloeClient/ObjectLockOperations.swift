import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import S3Model
import SigV4

/// A bucket's Object Lock configuration as the CLI shows it.
public struct LockConfiguration: Sendable, Equatable {
    public var enabled: Bool
    /// GOVERNANCE or COMPLIANCE, with the default period in days or years.
    public var mode: String?
    public var days: Int?
    public var years: Int?
}

/// One version's retention and legal hold.
public struct ObjectLockState: Sendable, Equatable {
    public var mode: String?
    public var retainUntil: Date?
    public var legalHold: Bool?
}

extension S3Client {
    public func makeBucket(_ name: String, objectLock: Bool) async throws {
        let headers = objectLock ? [(name: "x-amz-bucket-object-lock-enabled", value: "true")] : []
        _ = try await send(.PUT, bucket: name, headers: headers).body.collect(upTo: 1 << 20)
    }

    /// nil when the bucket has no Object Lock.
    public func lockConfiguration(bucket: String) async throws -> LockConfiguration? {
        let document: XMLElement
        do {
            document = try await Self.xml(try await send(.GET, bucket: bucket, query: [("object-lock", "")]))
        } catch let error as ClientError where error.code == "ObjectLockConfigurationNotFoundError" {
            return nil
        }
        let retention = document.child("Rule")?.child("DefaultRetention")
        return LockConfiguration(
            enabled: document.value("ObjectLockEnabled") == "Enabled", mode: retention?.value("Mode"),
            days: retention?.value("Days").flatMap { Int($0) }, years: retention?.value("Years").flatMap { Int($0) })
    }

    /// Sets (or with a nil mode removes) a bucket's default retention; enables Object Lock on a
    /// versioned bucket that lacks it.
    public func setLockConfiguration(bucket: String, mode: String?, days: Int?, years: Int?) async throws {
        var xml = XMLWriter()
        xml.group("ObjectLockConfiguration", namespace: XMLWriter.s3Namespace) { x in
            x.element("ObjectLockEnabled", "Enabled")
            if let mode {
                x.group("Rule") { x in
                    x.group("DefaultRetention") { x in
                        x.element("Mode", mode)
                        if let days { x.element("Days", days) }
                        if let years { x.element("Years", years) }
                    }
                }
            }
        }
        try await sendDigested(.PUT, bucket: bucket, key: nil, query: [("object-lock", "")], xml, headers: [])
    }

    public func lockState(bucket: String, key: String, versionID: String?) async throws -> ObjectLockState {
        var state = ObjectLockState()
        let query = versionID.map { [("versionId", $0)] } ?? []
        do {
            let document = try await Self.xml(try await send(.GET, bucket: bucket, key: key, query: [("retention", "")] + query))
            state.mode = document.value("Mode")
            state.retainUntil = Self.date(document.value("RetainUntilDate"))
        } catch let error as ClientError where error.code == "NoSuchObjectLockConfiguration" {}
        do {
            let document = try await Self.xml(try await send(.GET, bucket: bucket, key: key, query: [("legal-hold", "")] + query))
            state.legalHold = document.value("Status") == "ON"
        } catch let error as ClientError where error.code == "NoSuchObjectLockConfiguration" {}
        return state
    }

    /// Sets (or with a nil mode removes) one version's retention.
    public func setRetention(bucket: String, key: String, versionID: String?, mode: String?, until: Date?, bypassGovernance: Bool) async throws {
        var xml = XMLWriter()
        xml.group("Retention", namespace: XMLWriter.s3Namespace) { x in
            if let mode, let until {
                x.element("Mode", mode)
                x.element("RetainUntilDate", HTTPDate.iso8601(milliseconds: Int64(until.timeIntervalSince1970 * 1000)))
            }
        }
        let headers = bypassGovernance ? [(name: "x-amz-bypass-governance-retention", value: "true")] : []
        try await sendDigested(.PUT, bucket: bucket, key: key, query: [("retention", "")] + (versionID.map { [("versionId", $0)] } ?? []), xml, headers: headers)
    }

    public func setLegalHold(bucket: String, key: String, versionID: String?, on: Bool) async throws {
        var xml = XMLWriter()
        xml.group("LegalHold", namespace: XMLWriter.s3Namespace) { $0.element("Status", on ? "ON" : "OFF") }
        try await sendDigested(.PUT, bucket: bucket, key: key, query: [("legal-hold", "")] + (versionID.map { [("versionId", $0)] } ?? []), xml, headers: [])
    }

    /// Configuration writes that S3 wants a digest of their body with (tagging, Object Lock).
    func sendDigested(
        _ method: HTTPMethod, bucket: String, key: String?, query: [(name: String, value: String)], _ xml: XMLWriter,
        headers: [(name: String, value: String)]
    ) async throws {
        let body = xml.bytes
        let md5 = Data(Insecure.MD5.hash(data: body)).base64EncodedString()
        _ = try await send(method, bucket: bucket, key: key, query: query, headers: headers + [("content-md5", md5)], body: .bytes(body))
            .body.collect(upTo: 1 << 20)
    }
}
