import Hummingbird
import HTTPTypes
import NIOCore
import ObjectStore
import S3Model
import SigV4

/// Get/Put/DeleteBucketEncryption: the default encryption of writes that name none.
extension S3Responder {
    func getBucketEncryption(_ call: S3Call) async throws -> Response {
        let bucket = try await bucket(call)
        guard let rule = bucket.settings.encryption else {
            throw S3Error(code: "ServerSideEncryptionConfigurationNotFoundError", status: 404, message: "The server side encryption configuration was not found")
                .with(detail: "BucketName", bucket.name)
        }
        var xml = XMLWriter()
        xml.group("ServerSideEncryptionConfiguration", namespace: XMLWriter.s3Namespace) { x in
            x.group("Rule") { x in
                x.group("ApplyServerSideEncryptionByDefault") { x in
                    x.element("SSEAlgorithm", rule.algorithm.rawValue)
                    x.optional("KMSMasterKeyID", rule.kmsKeyID)
                }
                if let bucketKey = rule.bucketKeyEnabled { x.element("BucketKeyEnabled", bucketKey) }
            }
        }
        return Self.xmlResponse(xml)
    }

    func putBucketEncryption(_ call: S3Call) async throws -> Response {
        let bucket = try await bucket(call)
        let document = try await readXML(call, root: "ServerSideEncryptionConfiguration", limit: 64 * 1024, digestRequired: true)
        let rules = document.children("Rule")
        guard rules.count == 1, let apply = rules[0].child("ApplyServerSideEncryptionByDefault"), let algorithmText = apply.value("SSEAlgorithm") else {
            throw S3Error.malformedXML()
        }
        var rule: BucketEncryption
        switch algorithmText {
        case "AES256": rule = BucketEncryption(algorithm: .aes256)
        case "aws:kms", "aws:kms:dsse": rule = BucketEncryption(algorithm: .kms)
        default: throw S3Error.malformedXML()
        }
        if let keyID = apply.value("KMSMasterKeyID"), !keyID.isEmpty {
            guard rule.algorithm == .kms else {
                throw S3Error.invalidArgument("a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms", name: "ApplyServerSideEncryptionByDefault")
            }
            rule.kmsKeyID = keyID
        }
        if let text = rules[0].value("BucketKeyEnabled") {
            guard let flag = Bool(text.lowercased()) else { throw S3Error.malformedXML() }
            rule.bucketKeyEnabled = flag
        }
        try await store.setSetting(bucket, .encryption, rule)
        return Response(status: .ok)
    }

    func deleteBucketEncryption(_ call: S3Call) async throws -> Response {
        let bucket = try await bucket(call)
        try await store.setSetting(bucket, .encryption, Optional<BucketEncryption>.none)
        return Response(status: .noContent)
    }
}
