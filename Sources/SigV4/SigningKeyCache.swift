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
    private struct Keys {
        var byEntry: [Entry: SigningKey] = [:]
        /// The key found last: a client sending request after request asks for it again, and
        /// comparing its entry (the directory's secret is the same string each time, a scope's
        /// parts are small strings) costs a fraction of hashing the secret and scope for the table.
        var last: (entry: Entry, key: SigningKey)?
    }
    private let keys = Mutex(Keys())

    /// The key for a secret and scope, derived when not cached; `remember` is called with it only
    /// when the request it verifies is valid, so a caller without the secret cannot fill the cache.
    func key(secret: String, scope: CredentialScope) -> (key: SigningKey, remember: () -> Void) {
        let entry = Entry(secret: secret, scope: scope)
        let known = keys.withLock { keys -> SigningKey? in
            if let last = keys.last, last.entry == entry { return last.key }
            guard let found = keys.byEntry[entry] else { return nil }
            keys.last = (entry, found)
            return found
        }
        if let known { return (known, {}) }
        let key = SigV4Signer.signingKey(secret: secret, scope: scope)
        let derived = SigningKey(key: key, mac: KeyedHMAC(key: key))
        return (derived, { self.store(derived, for: entry) })
    }

    var count: Int { keys.withLock { $0.byEntry.count } }

    private func store(_ key: SigningKey, for entry: Entry) {
        keys.withLock { keys in
            if keys.byEntry.count >= Self.capacity { keys.byEntry.removeAll() }
            keys.byEntry[entry] = key
            keys.last = (entry, key)
        }
    }
}
