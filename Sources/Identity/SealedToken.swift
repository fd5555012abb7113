import Crypto
import Foundation

/// Opaque tokens that carry their own claims: JSON sealed with AES-GCM under a key derived (HKDF)
/// from the master key for one purpose. The server keeps no table of them, they survive restarts
/// and are valid on every node sharing the master key, and any alteration fails the GCM tag.
public struct SealedToken<Claims: Codable>: Sendable {
    let prefix: String
    let key: SymmetricKey

    /// - Parameters:
    ///   - purpose: separates keys, so a token of one kind never opens as another.
    ///   - prefix: marks the token kind in its text (`FLOE1.` for sessions).
    public init(masterKey: [UInt8], purpose: String, prefix: String) {
        self.prefix = prefix + "."
        key = HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: masterKey), info: Array(purpose.utf8), outputByteCount: 32)
    }

    public func seal(_ claims: Claims) throws -> String {
        guard let combined = try AES.GCM.seal(try JSONEncoder().encode(claims), using: key).combined else {
            throw SecretBoxError(reason: "cannot seal a token")
        }
        return prefix + Data(combined).base64EncodedString()
    }

    /// The claims of a token sealed with this key, or nil. Only the token's own spelling opens:
    /// base64 leaves the low bits of a padded token's last character unused, and a decoder that
    /// ignores them would open altered spellings of it as the same token.
    public func open(_ token: String) -> Claims? {
        guard token.hasPrefix(prefix) else { return nil }
        let body = String(token.dropFirst(prefix.count))
        guard let data = Data(base64Encoded: body), data.base64EncodedString() == body,
            let box = try? AES.GCM.SealedBox(combined: data), let plain = try? AES.GCM.open(box, using: key)
        else { return nil }
        return try? JSONDecoder().decode(Claims.self, from: plain)
    }
}
