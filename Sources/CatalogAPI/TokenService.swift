import Foundation
import Identity
import SigV4
import Synchronization

/// OAuth2 bearer tokens for the catalog (`/v1/oauth/tokens`, client credentials = an access key
/// pair). A token is its claims — the access key it was issued to and its expiry — sealed under
/// the master key: no token table, so tokens survive restarts and are valid on every node that
/// shares the master key. The principal is re-resolved from the key on every use, so a token dies
/// early when its key or user is disabled or deleted, and picks up policy changes at once.
public final class TokenService: Sendable {
    struct Claims: Codable, Sendable {
        /// The access key the token was issued to.
        var ak: String
        /// Milliseconds since 1970.
        var exp: Int64
    }

    let sealed: SealedToken<Claims>
    let directory: Directory
    public let lifetime: TimeInterval
    /// Claims of tokens opened lately, by the token's bytes. Opening one (base64, AES-GCM, JSON)
    /// was a tenth of a loadTable's CPU, and clients send the same token with every request. A
    /// token's claims never change, so a kept entry is what opening it again gives; expiry and
    /// the key's principal are still checked on every use. Only tokens that opened are kept.
    private let opened = Mutex<[BytesKey: Claims]>([:])
    static let maxOpened = 1024
    static let maxKeptTokenBytes = 1024

    public init(directory: Directory, masterKey: [UInt8], lifetime: TimeInterval = 3600) {
        self.directory = directory
        self.sealed = SealedToken(masterKey: masterKey, purpose: "floe catalog bearer tokens v1", prefix: "FLOET1")
        self.lifetime = lifetime
    }

    public enum Outcome: Equatable {
        case valid(Principal)
        case expired
        case unknown
    }

    func claims(of token: String) -> Claims? {
        let key = BytesKey(utf8: token)
        if let known = opened.withLock({ $0[key] }) { return known }
        guard let claims = sealed.open(token) else { return nil }
        if key.bytes.count <= Self.maxKeptTokenBytes {
            opened.withLock { kept in
                if kept.count >= Self.maxOpened { kept = [:] }
                kept[key] = claims
            }
        }
        return claims
    }

    /// How many opened tokens are kept.
    var openedCount: Int { opened.withLock { $0.count } }

    /// A new token for a valid key pair; nil when the pair does not match (compared in constant time).
    public func issue(clientID: String, clientSecret: String) -> String? {
        guard let key = directory.accessKey(clientID), constantTimeEquals(key.secretKey, clientSecret),
            let principal = directory.principal(for: clientID)
        else { return nil }
        return issue(for: principal)
    }

    /// A token for a principal that signs in with an access key (sessions have none to re-resolve).
    public func issue(for principal: Principal) -> String? {
        let expires = Int64((Date().timeIntervalSince1970 + lifetime) * 1000)
        return try? sealed.seal(Claims(ak: principal.accessKeyID, exp: expires))
    }

    public func check(_ token: String) -> Outcome {
        guard let claims = claims(of: token) else { return .unknown }
        guard claims.exp > Int64(Date().timeIntervalSince1970 * 1000) else { return .expired }
        guard let principal = directory.principal(for: claims.ak) else { return .unknown }
        return .valid(principal)
    }
}
