import Crypto
import Foundation

/// Encrypts secrets at rest with AES-256-GCM under the master key; each value gets a fresh nonce.
public struct SecretBox: Sendable {
    let key: SymmetricKey

    public init(masterKey: [UInt8]) throws {
        guard masterKey.count == 32 else { throw SecretBoxError(reason: "the master key must be 32 bytes") }
        key = SymmetricKey(data: masterKey)
    }

    public func seal(_ plaintext: String) throws -> [UInt8] {
        guard let combined = try AES.GCM.seal(Array(plaintext.utf8), using: key).combined else {
            throw SecretBoxError(reason: "cannot seal")
        }
        return Array(combined)
    }

    public func open(_ sealed: [UInt8]) throws -> String {
        let box = try AES.GCM.SealedBox(combined: sealed)
        return String(decoding: try AES.GCM.open(box, using: key), as: UTF8.self)
    }

    /// The master key from FLOE_MASTER_KEY (base64 of 32 bytes), else from `file`, created with
    /// 0600 permissions and 32 random bytes on first start.
    public static func masterKey(environment: String?, file: String) throws -> [UInt8] {
        if let environment, !environment.isEmpty {
            guard let bytes = Data(base64Encoded: environment), bytes.count == 32 else {
                throw SecretBoxError(reason: "FLOE_MASTER_KEY must be base64 of 32 bytes")
            }
            return Array(bytes)
        }
        if let existing = FileManager.default.contents(atPath: file) {
            guard existing.count == 32 else { throw SecretBoxError(reason: "\(file) is not a 32-byte key") }
            return Array(existing)
        }
        let fresh = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
        guard FileManager.default.createFile(atPath: file, contents: Data(fresh), attributes: [.posixPermissions: 0o600]) else {
            throw SecretBoxError(reason: "cannot write \(file)")
        }
        return fresh
    }
}

public struct SecretBoxError: Error, CustomStringConvertible {
    public let reason: String
    public var description: String { reason }
}
