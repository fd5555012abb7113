import Crypto
import Foundation
import NIOConcurrencyHelpers

/// What a write asks for: SSE-S3, SSE-KMS with a key of Floe's key store, or SSE-C.
public enum EncryptionRequest: Sendable, Equatable {
    case s3(bucketKey: Bool?)
    case kms(keyID: String, context: String?, bucketKey: Bool?)
    /// The customer's 256-bit key (never stored) and its base64 MD5.
    case customer(key: [UInt8], keyMD5: String)
}

/// How a version's data key is kept, stored with the version (and with an upload in progress).
/// Envelope encryption: every object has its own random data key, stored only wrapped (AES-GCM)
/// under the server key (SSE-S3), a key-store key (SSE-KMS) or the customer's key (SSE-C).
public struct EncryptionInfo: Sendable, Equatable, Codable {
    public enum Mode: String, Sendable, Codable {
        case s3 = "AES256"
        case kms = "aws:kms"
        case customer = "SSE-C"
    }

    public var mode: Mode
    /// Base64 of the AES-GCM sealed data key.
    public var wrappedKey: String
    public var kmsKeyID: String?
    public var kmsKeyVersion: Int?
    /// Base64 MD5 of the customer's key, to tell a wrong key from a right one (as S3 answers it).
    public var customerKeyMD5: String?
    public var bucketKeyEnabled: Bool?
    /// `x-amz-server-side-encryption-context` as sent (base64 JSON), bound to the data key.
    public var context: String?

    /// Whether the ETag is the plaintext's MD5 (SSE-S3, as S3) or not (SSE-KMS, SSE-C).
    public var etagIsPlaintextMD5: Bool { mode == .s3 }
}

/// A named key of Floe's key store, one row per version; the material is sealed under the master key.
public struct KMSKeyRecord: Sendable, Equatable {
    public var name: String
    public var version: Int
    public var sealedMaterial: [UInt8]
    public var created: Milliseconds

    public init(name: String, version: Int, sealedMaterial: [UInt8], created: Milliseconds) {
        self.name = name
        self.version = version
        self.sealedMaterial = sealedMaterial
        self.created = created
    }
}

/// Data keys for server-side encryption: makes and wraps them for writes, unwraps them for reads.
/// The server key (SSE-S3) and the key store's wrapping key are derived from the master key
/// (HKDF, distinct labels), so neither is the key that seals identity secrets.
public final class KeyVault: Sendable {
    let serverKey: SymmetricKey
    let storeKey: SymmetricKey
    /// Seals configuration secrets (webhook credentials) at rest.
    let secretsKey: SymmetricKey
    let index: any ObjectIndex
    /// KMS key material by name and version, opened once.
    private let cache = NIOLockedValueBox([String: [Int: SymmetricKey]]())

    public init(masterKey: [UInt8], index: any ObjectIndex) {
        let master = SymmetricKey(data: masterKey)
        serverKey = HKDF<SHA256>.deriveKey(inputKeyMaterial: master, info: Array("floe sse-s3 server key".utf8), outputByteCount: 32)
        storeKey = HKDF<SHA256>.deriveKey(inputKeyMaterial: master, info: Array("floe kms key store".utf8), outputByteCount: 32)
        secretsKey = HKDF<SHA256>.deriveKey(inputKeyMaterial: master, info: Array("floe configuration secrets".utf8), outputByteCount: 32)
        self.index = index
    }

    /// A fresh data key for a write, and how to find it again.
    public func newDataKey(_ request: EncryptionRequest) async throws(StoreError) -> (SymmetricKey, EncryptionInfo) {
        let dataKey = SymmetricKey(size: .bits256)
        var info: EncryptionInfo
        let wrapping: SymmetricKey
        switch request {
        case .s3(let bucketKey):
            info = EncryptionInfo(mode: .s3, wrappedKey: "", bucketKeyEnabled: bucketKey)
            wrapping = serverKey
        case .kms(let keyID, let context, let bucketKey):
            let (version, key) = try await latestKMSKey(keyID)
            info = EncryptionInfo(mode: .kms, wrappedKey: "", kmsKeyID: keyID, kmsKeyVersion: version, bucketKeyEnabled: bucketKey, context: context)
            wrapping = key
        case .customer(let key, let md5):
            info = EncryptionInfo(mode: .customer, wrappedKey: "", customerKeyMD5: md5)
            wrapping = SymmetricKey(data: key)
        }
        let keyBytes = dataKey.withUnsafeBytes { Array($0) }
        do {
            let box = try AES.GCM.seal(keyBytes, using: wrapping, authenticating: Self.binding(info))
            info.wrappedKey = Data(box.combined!).base64EncodedString()
        } catch {
            throw .internalFailure("cannot wrap a data key: \(error)")
        }
        return (dataKey, info)
    }

    /// The data key of a stored version. SSE-C needs the customer's key: absent, or not the one
    /// the object was written with, is the client's error.
    public func dataKey(_ info: EncryptionInfo, customerKey: [UInt8]?) async throws(StoreError) -> SymmetricKey {
        let wrapping: SymmetricKey
        switch info.mode {
        case .s3:
            wrapping = serverKey
        case .kms:
            guard let keyID = info.kmsKeyID, let version = info.kmsKeyVersion else { throw .internalFailure("a KMS-encrypted version names no key") }
            wrapping = try await kmsKey(keyID, version: version)
        case .customer:
            guard let customerKey else { throw .encryptionKeyRequired }
            guard Data(Insecure.MD5.hash(data: customerKey)).base64EncodedString() == info.customerKeyMD5 else { throw .encryptionKeyMismatch }
            wrapping = SymmetricKey(data: customerKey)
        }
        do {
            guard let combined = Data(base64Encoded: info.wrappedKey) else { throw StoreError.internalFailure("unreadable wrapped key") }
            let box = try AES.GCM.SealedBox(combined: combined)
            return SymmetricKey(data: try AES.GCM.open(box, using: wrapping, authenticating: Self.binding(info)))
        } catch {
            if info.mode == .customer { throw .encryptionKeyMismatch }
            throw .internalFailure("cannot unwrap a data key (was the master key changed?)")
        }
    }

    /// What the wrapped key is bound to: its mode and key-store key (a key cannot be moved to another).
    static func binding(_ info: EncryptionInfo) -> [UInt8] {
        Array("\(info.mode.rawValue)|\(info.kmsKeyID ?? "")|\(info.kmsKeyVersion ?? 0)|\(info.context ?? "")".utf8)
    }

    /// A secret of the configuration (a webhook's credentials), sealed for the index, bound to `label`.
    public func sealSecret(_ plaintext: [UInt8], label: String) throws(StoreError) -> [UInt8] {
        do {
            return Array(try AES.GCM.seal(plaintext, using: secretsKey, authenticating: Array(label.utf8)).combined!)
        } catch {
            throw .internalFailure("cannot seal a secret: \(error)")
        }
    }

    public func openSecret(_ sealed: [UInt8], label: String) throws(StoreError) -> [UInt8] {
        do {
            return Array(try AES.GCM.open(try AES.GCM.SealedBox(combined: sealed), using: secretsKey, authenticating: Array(label.utf8)))
        } catch {
            throw .internalFailure("cannot open a sealed secret (was the master key changed?)")
        }
    }

    // MARK: the key store

    public static func validKeyName(_ name: String) -> Bool {
        (1...128).contains(name.utf8.count) && name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || [0x2D, 0x5F, 0x2E].contains(byte)
        }
    }

    /// Creates a named key (version 1), or with `rotate` adds the next version of an existing one:
    /// new objects use the newest version, older ones keep theirs.
    public func addKey(_ name: String, rotate: Bool) async throws(StoreError) -> KMSKeyRecord {
        guard Self.validKeyName(name) else { throw .invalidArgument("A key name is 1-128 characters of letters, digits and - _ .") }
        let material = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
        let record = try await index.addKMSKey(name: name, rotate: rotate) { version throws(StoreError) in
            do {
                let box = try AES.GCM.seal(material, using: self.storeKey, authenticating: Array("\(name)|\(version)".utf8))
                return Array(box.combined!)
            } catch {
                throw .internalFailure("cannot seal key material: \(error)")
            }
        }
        cache.withLockedValue { $0[name] = nil }
        return record
    }

    public func keys() async throws(StoreError) -> [KMSKeyRecord] {
        try await index.kmsKeys(named: nil)
    }

    func latestKMSKey(_ name: String) async throws(StoreError) -> (Int, SymmetricKey) {
        let versions = try await index.kmsKeys(named: name)
        guard let newest = versions.max(by: { $0.version < $1.version }) else { throw .kmsKeyNotFound(name) }
        return (newest.version, try open(newest))
    }

    func kmsKey(_ name: String, version: Int) async throws(StoreError) -> SymmetricKey {
        if let key = cache.withLockedValue({ $0[name]?[version] }) { return key }
        guard let record = try await index.kmsKeys(named: name).first(where: { $0.version == version }) else { throw .kmsKeyNotFound(name) }
        return try open(record)
    }

    func open(_ record: KMSKeyRecord) throws(StoreError) -> SymmetricKey {
        if let key = cache.withLockedValue({ $0[record.name]?[record.version] }) { return key }
        let key: SymmetricKey
        do {
            let box = try AES.GCM.SealedBox(combined: record.sealedMaterial)
            key = SymmetricKey(data: try AES.GCM.open(box, using: storeKey, authenticating: Array("\(record.name)|\(record.version)".utf8)))
        } catch {
            throw .internalFailure("cannot open key \(record.name) (was the master key changed?)")
        }
        cache.withLockedValue { $0[record.name, default: [:]][record.version] = key }
        return key
    }
}
