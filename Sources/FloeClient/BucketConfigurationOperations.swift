import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import S3Model

extension S3Client {
    /// The bucket's lifecycle rules as documents (`<Rule>` elements); empty when it has none.
    public func lifecycleRules(bucket: String) async throws -> [XMLElement] {
        do {
            return try await Self.xml(try await send(.GET, bucket: bucket, query: [("lifecycle", "")])).children("Rule")
        } catch let error as ClientError where error.code == "NoSuchLifecycleConfiguration" {
            return []
        }
    }

    /// Replaces the bucket's lifecycle rules; no rules removes the configuration.
    public func setLifecycleRules(bucket: String, _ rules: [XMLElement]) async throws {
        guard !rules.isEmpty else {
            _ = try await send(.DELETE, bucket: bucket, query: [("lifecycle", "")]).body.collect(upTo: 1 << 20)
            return
        }
        var xml = XMLWriter()
        xml.group("LifecycleConfiguration", namespace: XMLWriter.s3Namespace) { x in
            for rule in rules { x.write(rule) }
        }
        try await sendDigested(.PUT, bucket: bucket, key: nil, query: [("lifecycle", "")], xml, headers: [])
    }
}

extension S3Client {
    /// The bucket's default encryption rule (`<Rule>`), nil when it has none.
    public func bucketEncryption(bucket: String) async throws -> XMLElement? {
        do {
            return try await Self.xml(try await send(.GET, bucket: bucket, query: [("encryption", "")])).child("Rule")
        } catch let error as ClientError where error.code == "ServerSideEncryptionConfigurationNotFoundError" {
            return nil
        }
    }

    /// Sets (or with nil removes) the bucket's default encryption rule.
    public func setBucketEncryption(bucket: String, _ rule: XMLElement?) async throws {
        guard let rule else {
            _ = try await send(.DELETE, bucket: bucket, query: [("encryption", "")]).body.collect(upTo: 1 << 20)
            return
        }
        var xml = XMLWriter()
        xml.group("ServerSideEncryptionConfiguration", namespace: XMLWriter.s3Namespace) { $0.write(rule) }
        try await sendDigested(.PUT, bucket: bucket, key: nil, query: [("encryption", "")], xml, headers: [])
    }
}

extension S3Client {
    /// The bucket's notification configurations (Queue/Topic/CloudFunction elements).
    public func notificationRules(bucket: String) async throws -> [XMLElement] {
        try await Self.xml(try await send(.GET, bucket: bucket, query: [("notification", "")])).children
    }

    /// Replaces the bucket's notification configurations (none removes them all).
    public func setNotificationRules(bucket: String, _ rules: [XMLElement]) async throws {
        var xml = XMLWriter()
        xml.group("NotificationConfiguration", namespace: XMLWriter.s3Namespace) { x in
            for rule in rules { x.write(rule) }
        }
        _ = try await send(.PUT, bucket: bucket, query: [("notification", "")], body: .bytes(xml.bytes)).body.collect(upTo: 1 << 20)
    }
}
