import Crypto
import Foundation
import HTTPTypes
import Identity
import NIOCore
import ObjectStore
import S3Model
import SigV4

/// The SSE headers of requests and responses: SSE-S3 (`AES256`), SSE-KMS (`aws:kms` with a key of
/// Floe's key store) and SSE-C (the customer's key, used for the request and never stored).
enum SSEHeaders {
    static let algorithm = HTTPField.Name("x-amz-server-side-encryption")!
    static let kmsKeyID = HTTPField.Name("x-amz-server-side-encryption-aws-kms-key-id")!
    static let context = HTTPField.Name("x-amz-server-side-encryption-context")!
    static let bucketKey = HTTPField.Name("x-amz-server-side-encryption-bucket-key-enabled")!
    static let customerAlgorithm = HTTPField.Name("x-amz-server-side-encryption-customer-algorithm")!
    static let customerKey = HTTPField.Name("x-amz-server-side-encryption-customer-key")!
    static let customerKeyMD5 = HTTPField.Name("x-amz-server-side-encryption-customer-key-md5")!
    static let copySourceCustomerAlgorithm = HTTPField.Name("x-amz-copy-source-server-side-encryption-customer-algorithm")!
    static let copySourceCustomerKey = HTTPField.Name("x-amz-copy-source-server-side-encryption-customer-key")!
    static let copySourceCustomerKeyMD5 = HTTPField.Name("x-amz-copy-source-server-side-encryption-customer-key-md5")!

    struct CustomerKey {
        var key: [UInt8]
        var md5: String
    }

    /// An SSE-C key from the request's headers (or its copy-source headers): nil when it sends
    /// none. Algorithm, key and MD5 must all be there and agree.
    static func customerKey(_ headers: HTTPFields, copySource: Bool = false) throws -> CustomerKey? {
        let (algorithmName, keyName, md5Name) = copySource
            ? (copySourceCustomerAlgorithm, copySourceCustomerKey, copySourceCustomerKeyMD5) : (customerAlgorithm, customerKey, customerKeyMD5)
        let algorithm = headers[algorithmName]
        let key = headers[keyName]
        let md5 = headers[md5Name]
        guard algorithm != nil || key != nil || md5 != nil else { return nil }
        guard let algorithm else {
            throw S3Error.invalidArgument(
                "Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.", name: algorithmName.canonicalName)
        }
        guard algorithm == "AES256" else {
            throw S3Error(code: "InvalidEncryptionAlgorithmError", status: 400, message: "The encryption request you specified is not valid. The valid value is AES256.")
        }
        guard let key, let bytes = Data(base64Encoded: key), bytes.count == 32 else {
            throw S3Error.invalidArgument("The secret key was invalid for the specified algorithm.", name: keyName.canonicalName)
        }
        guard let md5 else {
            throw S3Error.invalidArgument("Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 of the secret key.", name: md5Name.canonicalName)
        }
        guard Data(Insecure.MD5.hash(data: bytes)).base64EncodedString() == md5 else {
            throw S3Error.invalidArgument("The calculated MD5 hash of the key did not match the hash that was provided.", name: md5Name.canonicalName)
        }
        return CustomerKey(key: Array(bytes), md5: md5)
    }

    /// The encryption a write names in its headers (nil: none, the bucket's default may apply).
    static func writeRequest(_ headers: HTTPFields, defaultKMSKey: String?) throws -> EncryptionRequest? {
        let customer = try customerKey(headers)
        let bucketKey = headers[bucketKey].map { $0.lowercased() == "true" }
        switch headers[algorithm] {
        case nil:
            if headers[kmsKeyID] != nil {
                throw S3Error.invalidArgument("Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms", name: kmsKeyID.canonicalName)
            }
            return customer.map { .customer(key: $0.key, keyMD5: $0.md5) }
        case let value?:
            if customer != nil {
                throw S3Error.invalidArgument("Server Side Encryption with Customer provided key is incompatible with the encryption method specified", name: algorithm.canonicalName, value: value)
            }
            switch value {
            case "AES256":
                if headers[kmsKeyID] != nil {
                    throw S3Error.invalidArgument("Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms", name: kmsKeyID.canonicalName)
                }
                return .s3(bucketKey: bucketKey)
            case "aws:kms", "aws:kms:dsse":
                if let given = headers[context] {
                    guard let json = Data(base64Encoded: given), (try? JSONSerialization.jsonObject(with: json)) is [String: Any] else {
                        throw S3Error.invalidArgument("The encryption context must be base64 of a JSON object", name: context.canonicalName)
                    }
                }
                guard let keyID = headers[kmsKeyID].flatMap({ $0.isEmpty ? nil : $0 }) ?? defaultKMSKey else {
                    throw S3Error.invalidArgument("SSE-KMS needs a key: name one in x-amz-server-side-encryption-aws-kms-key-id (this server has no default key)", name: kmsKeyID.canonicalName)
                }
                return .kms(keyID: keyID, context: headers[context], bucketKey: bucketKey)
            default:
                throw S3Error.invalidArgument("The encryption method specified is not supported", name: algorithm.canonicalName, value: value)
            }
        }
    }

    /// The bucket's default encryption as a request, for writes that name none.
    static func defaultRequest(_ bucket: BucketRecord, defaultKMSKey: String?) throws -> EncryptionRequest? {
        guard let rule = bucket.settings.encryption else { return nil }
        guard let request = rule.request(defaultKMSKey: defaultKMSKey) else {
            throw S3Error.invalidArgument("The bucket's default SSE-KMS names no key, and this server has no default key")
        }
        return request
    }

    /// Whether any field is an SSE header (a copy source's, with `copySource`).
    static func anySent(_ headers: HTTPFields, copySource: Bool) -> Bool {
        let prefix = copySource ? "x-amz-copy-source-server-side-encryption" : "x-amz-server-side-encryption"
        return headers.contains { $0.name.canonicalName.hasPrefix(prefix) }
    }

    /// Reads never take the write-side SSE headers (S3 answers them 400).
    static func refuseOnRead(_ headers: HTTPFields) throws {
        for name in [algorithm, kmsKeyID] where headers[name] != nil {
            throw S3Error.invalidArgument("\(name.canonicalName) header is not supported for this operation.", name: name.canonicalName)
        }
    }

    /// The response headers that say how a version (or upload) is encrypted.
    static func add(_ info: EncryptionInfo?, to headers: inout HTTPFields) {
        guard let info else { return }
        switch info.mode {
        case .s3, .kms:
            headers[algorithm] = info.mode.rawValue
            if let keyID = info.kmsKeyID { headers[kmsKeyID] = keyID }
            if info.bucketKeyEnabled == true { headers[bucketKey] = "true" }
        case .customer:
            headers[customerAlgorithm] = "AES256"
            if let md5 = info.customerKeyMD5 { headers[customerKeyMD5] = md5 }
        }
    }
}

extension S3Responder {
    /// SSE-C keys travel in request headers: only over TLS, or from this machine (loopback),
    /// where no network sees them.
    func requireSafeTransportForCustomerKeys(_ call: S3Call) throws {
        if configuration.secureTransport { return }
        let remote = call.remoteAddress ?? ""
        if remote.hasPrefix("127.") || remote == "::1" || remote.hasPrefix("::ffff:127.") { return }
        throw S3Error.invalidRequest("Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection.")
    }

    /// The data key and stored description for a new object (or upload): what the request asks
    /// for, else the bucket's default; nil when it is to be stored as sent.
    func encryptionForWrite(_ call: S3Call, bucket: BucketRecord) async throws -> (SymmetricKey, EncryptionInfo)? {
        let request = try SSEHeaders.writeRequest(call.headers, defaultKMSKey: configuration.defaultKMSKey)
            ?? SSEHeaders.defaultRequest(bucket, defaultKMSKey: configuration.defaultKMSKey)
        if case .customer = request { try requireSafeTransportForCustomerKeys(call) }
        if case .kms(let keyID, _, _) = request { try await authorizeKMS(call, keyID, "kms:GenerateDataKey") }
        return try await store.newDataKey(request)
    }

    /// As AWS: a key of the key store is used only by callers its policies let (bucket policies
    /// cannot grant it, and anonymous callers never may); the refusal is AccessDenied, audited.
    func authorizeKMS(_ call: S3Call, _ keyID: String, _ action: String) async throws {
        var scope = AccessScope(call: call)
        let access = ResourceAccess(action: action, resource: .kmsKey(keyID))
        var allowed = false
        if call.principal.kind != .anonymous { allowed = await isAllowed(access, in: &scope) }
        if !allowed {
            throw S3Error.accessDenied("Access denied to KMS key \(keyID) (\(action))")
        }
    }

    /// Reading the data of an SSE-KMS version needs `kms:Decrypt` on its key.
    func authorizeDecrypt(_ call: S3Call, _ version: ObjectVersion) async throws {
        guard let info = version.attributes.encryption, info.mode == .kms, let keyID = info.kmsKeyID else { return }
        try await authorizeKMS(call, keyID, "kms:Decrypt")
    }

    /// The SSE-C key a read of `version` must carry (nil for other versions), checked against it:
    /// missing → 400, not the object's key → 400, sent for an object without SSE-C → 400.
    func customerKeyForRead(_ call: S3Call, _ version: ObjectVersion, copySource: Bool = false) throws -> [UInt8]? {
        // Nearly every read sends no SSE header at all: one pass over the fields tells, where
        // each of the five looked up by name was a pass.
        let sent = SSEHeaders.anySent(call.headers, copySource: copySource)
        if sent, !copySource { try SSEHeaders.refuseOnRead(call.headers) }
        let given = sent ? try SSEHeaders.customerKey(call.headers, copySource: copySource) : nil
        guard version.attributes.encryption?.mode == .customer else {
            if given != nil { throw S3Error.invalidRequest("The encryption parameters are not applicable to this object.") }
            return nil
        }
        guard let given else { throw StoreError.encryptionKeyRequired }
        try requireSafeTransportForCustomerKeys(call)
        guard given.md5 == version.attributes.encryption?.customerKeyMD5 else { throw StoreError.encryptionKeyMismatch }
        return given.key
    }
}
