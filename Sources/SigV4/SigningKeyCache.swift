import Crypto
import Synchronization

/// SigV4 signing keys by (secret, scope). A key depends only on the secret and the credential
/// scope (day, region, service), so deriving it (four HMACs) once per day per access key is
/// enough. Bounded: when full it starts over, so a flood of distinct scopes costs at most
/// `capacity` entries.
final class SigningKeyCache: Sendable {
    static let capacity = 4096
    private struct Entry: Hashable {
        let secret: String
        let scope: CredentialScope
    }
    /// A derived key, and the same key absorbed into HMAC state for signatures.
    struct SigningKey: Sendable {
        let key: SymmetricKey
        let mac: KeyedHMAC
    }
    private let keys = Mutex<[Entry: SigningKey]>([:])

    func key(secret: String, scope: CredentialScope) -> SigningKey {
        let entry = Entry(secret: secret, scope: scope)
        if let known = keys.withLock({ $0[entry] }) { return known }
        let key = SigV4Signer.signingKey(secret: secret, scope: scope)
        let derived = SigningKey(key: key, mac: KeyedHMAC(key: key))
        keys.withLock { keys in
            if keys.count >= Self.capacity { keys.removeAll() }
            keys[entry] = derived
        }
        return derived
    }
}
