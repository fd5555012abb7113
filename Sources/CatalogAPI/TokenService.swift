import Foundation
import Identity
import NIOConcurrencyHelpers

/// OAuth2 bearer tokens for the catalog (`/v1/oauth/tokens`, client credentials = an access key
/// pair). Tokens are random, opaque and held in memory with the principal they stand for
/// (restrictions included) and their expiry; a restart asks clients to authenticate again.
public final class TokenService: Sendable {
    struct Grant {
        let principal: Principal
        let expires: Date
    }

    private let grants = NIOLockedValueBox<[String: Grant]>([:])
    let directory: Directory
    public let lifetime: TimeInterval

    public init(directory: Directory, lifetime: TimeInterval = 3600) {
        self.directory = directory
        self.lifetime = lifetime
    }

    public enum Outcome: Equatable {
        case valid(Principal)
        case expired
        case unknown
    }

    /// A new token for a valid key pair; nil when the pair does not match (compared in constant time).
    public func issue(clientID: String, clientSecret: String) -> String? {
        guard let key = directory.accessKey(clientID), Self.constantTimeEquals(key.secretKey, clientSecret),
            let principal = directory.principal(for: clientID)
        else { return nil }
        return issue(for: principal)
    }

    public func issue(for principal: Principal) -> String {
        var generator = SystemRandomNumberGenerator()
        let token = (0..<4).map { _ in String(generator.next() as UInt64, radix: 16) }.joined()
        let now = Date()
        grants.withLockedValue { grants in
            grants = grants.filter { $0.value.expires > now.addingTimeInterval(-lifetime) }
            grants[token] = Grant(principal: principal, expires: now.addingTimeInterval(lifetime))
        }
        return token
    }

    /// The principal of a live token. A token dies early when its access key or user is disabled or deleted.
    public func check(_ token: String) -> Outcome {
        guard let grant = grants.withLockedValue({ $0[token] }) else { return .unknown }
        guard grant.expires > Date() else { return .expired }
        guard directory.accessKey(grant.principal.accessKeyID) != nil else { return .unknown }
        return .valid(grant.principal)
    }

    static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var difference: UInt8 = x.count == y.count ? 0 : 1
        for i in 0..<max(x.count, y.count) { difference |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0) }
        return difference == 0
    }
}
