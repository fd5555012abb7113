import Crypto
import Synchronization

/// SigV4 signing keys by (secret, scope). A key depends only on the secret and the credential
/// scope (day, region, service), so deriving it (four HMACs) once per day per access key is
/// enough. Only keys that verified a request are kept, so entries come from callers who hold
/// the secret; bounded, and when full it starts over.
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

    /// The key for a secret and scope, derived when not cached; `remember` is called with it only
    /// when the request it verifies is valid, so a caller without the secret cannot fill the cache.
    func key(secret: String, scope: CredentialScope) -> (key: SigningKey, remember: () -> Void) {
        let entry = Entry(secret: secret, scope: scope)
        if let known = keys.withLock({ $0[entry] }) { return (known, {}) }
        let key = SigV4Signer.signingKey(secret: secret, scope: scope)
        let derived = SigningKey(key: key, mac: KeyedHMAC(key: key))
        return (derived, { self.store(derived, for: entry) })
    }

    var count: Int { keys.withLock { $0.count } }

    private func store(_ key: SigningKey, for entry: Entry) {
        keys.withLock { keys in
            if keys.count >= Self.capacity { keys.removeAll() }
            keys[entry] = key
        }
    }
}
