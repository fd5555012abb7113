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
    private let keys = Mutex<[Entry: SymmetricKey]>([:])

    func key(secret: String, scope: CredentialScope) -> SymmetricKey {
        let entry = Entry(secret: secret, scope: scope)
        if let known = keys.withLock({ $0[entry] }) { return known }
        let derived = SigV4Signer.signingKey(secret: secret, scope: scope)
        keys.withLock { keys in
            if keys.count >= Self.capacity { keys.removeAll() }
            keys[entry] = derived
        }
        return derived
    }
}
