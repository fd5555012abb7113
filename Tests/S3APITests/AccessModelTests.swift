import Foundation
import HTTPTypes
import ObjectStore
import S3Model
import Testing

@testable import S3API

/// The pure parts of ACLs, POST policies, CORS and access log records.
@Suite struct AccessModelTests {
    @Test func cannedACLsListGroupsBeforeTheOwner() throws {
        let acl = try AccessControl.canned("public-read-write", owner: "o", bucketOwner: "o")
        #expect(acl.grants.map(\.permission) == [.read, .write, .fullControl])
        #expect(acl.grants.last?.grantee == .user("o"))
        #expect(acl.isPublic)
        #expect(acl.grants(.write, to: nil))
        let read = try AccessControl.canned("bucket-owner-read", owner: "writer", bucketOwner: "owner")
        #expect(read.grants(.read, to: "owner") && !read.grants(.write, to: "owner"))
        #expect(throws: S3Error.self) { try AccessControl.canned("everyone", owner: "o", bucketOwner: "o") }
    }

    @Test func grantHeadersAndCannedACLsDoNotMix() throws {
        var headers = HTTPFields()
        headers[HTTPField.Name("x-amz-grant-read")!] = #"id="a", uri="http://acs.amazonaws.com/groups/global/AllUsers""#
        let acl = try #require(try AccessControl.fromHeaders(headers, owner: "o", bucketOwner: "o"))
        #expect(acl.grants == [.init(grantee: .user("a"), permission: .read), .init(grantee: .group(AccessControlList.allUsers), permission: .read)])
        headers[AccessControl.cannedHeader] = "private"
        #expect(throws: S3Error.self) { try AccessControl.fromHeaders(headers, owner: "o", bucketOwner: "o") }
    }

    @Test func postPolicyConditions() throws {
        let json = #"{"expiration": "2030-01-01T00:00:00Z", "conditions": [{"bucket": "b"}, ["StArTs-WiTh", "$Key", "in/"], ["content-length-range", 1, 10], ["eq", "$acl", "private"]]}"#
        let policy = try PostPolicy.parse(Array(json.utf8))
        #expect(policy.lengthRange == 1...10)
        let now = Int64(Date(timeIntervalSince1970: 1_800_000_000).timeIntervalSince1970) * 1000
        try policy.check(fields: ["bucket": "b", "key": "in/x", "acl": "private", "policy": "…", "x-ignore-me": "1"], now: now)
        #expect(throws: S3Error.self) { try policy.check(fields: ["bucket": "b", "key": "out/x", "acl": "private"], now: now) }
        #expect(throws: S3Error.self) { try policy.check(fields: ["bucket": "b", "key": "in/x", "acl": "private", "x-amz-meta-a": "1"], now: now) }
        #expect(throws: S3Error.self) { try policy.check(fields: ["bucket": "b", "key": "in/x", "acl": "private"], now: 2_000_000_000_000) }
        for bad in [#"{"conditions": []}"#, #"{"expiration": "2030-01-01T00:00:00Z"}"#, #"{"expiration": "2030-01-01T00:00:00Z", "conditions": [{}]}"#,
                    #"{"expiration": "2030-01-01T00:00:00Z", "conditions": [["content-length-range", -1, 5]]}"#] {
            #expect(throws: S3Error.self) { try PostPolicy.parse(Array(bad.utf8)) }
        }
    }

    @Test func corsMatching() {
        let rules = [CORSRule(allowedOrigins: ["https://*.example"], allowedMethods: ["GET"], allowedHeaders: ["x-amz-*"])]
        #expect(CORS.match(rules, origin: "https://a.example", method: "GET", headers: ["x-amz-date"]) != nil)
        #expect(CORS.match(rules, origin: "https://a.example", method: "PUT", headers: []) == nil)
        #expect(CORS.match(rules, origin: "https://a.example", method: "GET", headers: ["authorization"]) == nil)
        #expect(CORS.match(rules, origin: "https://example.evil", method: "GET", headers: []) == nil)
        #expect(CORS.pattern("start*end", matches: "startend") && !CORS.pattern("start*end", matches: "0startend"))
    }

    @Test func accessLogRecordsStayOneLineAndHoldNoCredentials() {
        let entry = AccessLogEntry(
            bucketOwner: "owner", bucket: "b", time: 1_549_411_238_000, remoteIP: "127.0.0.1", requester: nil, requestID: "R", operation: "REST.GET.OBJECT",
            key: "a b", requestLine: "GET /b/a?X-Amz-Signature=abc HTTP/1.1", status: 200, errorCode: nil, bytesSent: 0, objectSize: nil,
            totalMilliseconds: 3, referrer: nil, userAgent: "ua\u{2028}\"x\"", versionID: nil, hostID: "H", signatureVersion: nil, authType: nil,
            host: "h", tls: false)
        let line = entry.line
        #expect(line.contains("[06/Feb/2019:00:00:38 +0000]"))
        #expect(line.contains(" a%20b "))
        #expect(line.contains("\"ua%E2%80%A8%22x%22\""))
        #expect(!line.unicodeScalars.contains { $0.value < 0x20 || $0.value > 0x7E })
        #expect(AccessLogEntry.redacted("/b/k?X-Amz-Signature=abc&versionId=1&x-amz-security-token=t") == "/b/k?X-Amz-Signature=REDACTED&versionId=1&x-amz-security-token=REDACTED")
    }

    @Test func logKeysFollowTheConfiguredFormat() {
        var batch = AccessLogBatches.Batch(source: "src", sourceOwner: "own", region: "us-east-1", logging: BucketLogging(targetBucket: "t", targetPrefix: "log/"), opened: 0, firstEvent: 0)
        #expect(AccessLogBatches.key(for: batch, now: 1_549_411_238_000, unique: "U") == "log/2019-02-06-00-00-38-U")
        batch.logging.keyFormat = .partitioned(dateSource: "EventTime")
        #expect(AccessLogBatches.key(for: batch, now: 1_549_411_238_000, unique: "U") == "log/own/us-east-1/src/1970/01/01/2019-02-06-00-00-38-U")
    }
}
