import Testing

@testable import CatalogAPI
@testable import Identity

@Suite struct CredentialVendorTests {
    @Test func locationsSplitIntoBucketAndPrefix() {
        #expect(CredentialVendor.split(location: "s3://lakehouse/bronze/events")! == ("lakehouse", "bronze/events"))
        #expect(CredentialVendor.split(location: "s3a://lakehouse/bronze/events/")! == ("lakehouse", "bronze/events"))
        #expect(CredentialVendor.split(location: "s3://lakehouse")! == ("lakehouse", ""))
        #expect(CredentialVendor.split(location: "file:///tmp/x") == nil)
        #expect(CredentialVendor.split(location: "s3:///nobucket") == nil)
    }

    @Test func sessionPolicyStopsAtTheTableBoundary() throws {
        let read = try PolicyDocument(json: CredentialVendor.sessionPolicy(bucket: "lake", prefix: "ns/events", write: false))
        let write = try PolicyDocument(json: CredentialVendor.sessionPolicy(bucket: "lake", prefix: "ns/events", write: true))
        func decide(_ policy: PolicyDocument, _ action: String, _ resource: String, prefix: String? = nil) -> PolicyDecision {
            PolicyEvaluator.evaluate([policy], AccessRequest(action: action, resource: resource, context: prefix.map { ["s3:prefix": [$0]] } ?? [:]))
        }
        #expect(decide(read, "s3:GetObject", "arn:aws:s3:::lake/ns/events/data/a.parquet") == .allow)
        #expect(decide(read, "s3:PutObject", "arn:aws:s3:::lake/ns/events/data/a.parquet") == .implicitDeny)
        #expect(decide(write, "s3:PutObject", "arn:aws:s3:::lake/ns/events/data/a.parquet") == .allow)
        #expect(decide(write, "s3:GetObject", "arn:aws:s3:::lake/ns/events2/data/a.parquet") == .implicitDeny)
        #expect(decide(read, "s3:ListBucket", "arn:aws:s3:::lake", prefix: "ns/events/metadata/") == .allow)
        #expect(decide(read, "s3:ListBucket", "arn:aws:s3:::lake", prefix: "ns/events") == .implicitDeny)
        #expect(decide(read, "s3:ListBucket", "arn:aws:s3:::lake") == .implicitDeny)
    }

    @Test func endpointFollowsTheCatalogHost() {
        let directory = Directory(root: AccessKey(accessKeyID: "R", secretKey: "s", owner: "R"))
        let vendor = CredentialVendor(directory: directory, settings: .init(publicS3URL: nil, s3Port: 9000, secure: false, region: "us-east-1", lifetime: 900))
        #expect(vendor.endpoint(catalogHost: "lake.example:8181") == "http://lake.example:9000")
        #expect(vendor.endpoint(catalogHost: "[::1]:8181") == "http://[::1]:9000")
        #expect(vendor.endpoint(catalogHost: "10.0.0.5") == "http://10.0.0.5:9000")
        let proxied = CredentialVendor(directory: directory, settings: .init(publicS3URL: "https://s3.example", s3Port: 9000, secure: true, region: "eu", lifetime: 900))
        #expect(proxied.endpoint(catalogHost: "anything:1") == "https://s3.example")
    }
}
