import Foundation

/// What a temporary credential stands for: whose policies apply, what narrows them, and until when.
public struct SessionClaims: Sendable, Equatable, Codable {
    public var accessKeyID: String
    public var secretKey: String
    /// The user the session acts for (root's access key id for root).
    public var parent: String
    /// Policy documents (JSON text) that must each allow a request, in addition to the parent's.
    public var policies: [String]
    /// Milliseconds since 1970.
    public var expires: Int64
    public var issued: Int64
    /// Vended by the catalog: the policies alone decide (the catalog already authorized the table
    /// access), the parent's own S3 policies do not apply.
    public var delegated: Bool?
    /// The long-term access key the session goes back to (chains keep the first one): the session
    /// ends when that key is deleted, disabled or expires.
    public var sourceKeyID: String?

    enum CodingKeys: String, CodingKey {
        case accessKeyID = "ak", secretKey = "sk", parent = "p", policies = "pol", expires = "exp", issued = "iat", delegated = "d", sourceKeyID = "src"
    }
}

public enum SessionError: Error, Equatable {
    case expired
    case invalid
}

/// Issues and opens session tokens: the claims sealed under the master key (`SealedToken`), so
/// sessions need no table and survive restarts for as long as the master key does.
public struct SessionIssuer: Sendable {
    public static let minimumDuration = 900
    public static let maximumDuration = 43_200
    let tokens: SealedToken<SessionClaims>

    public init(masterKey: [UInt8]) {
        tokens = SealedToken(masterKey: masterKey, purpose: "floe session tokens v1", prefix: "FLOE1")
    }

    /// New credentials for `parent`, narrowed by `policies`, valid for `seconds`.
    /// - Parameter notAfter: the caller's own expiry (milliseconds): the session ends no later.
    public func issue(
        parent: String, policies: [String], seconds: Int, delegated: Bool = false, sourceKeyID: String? = nil, notAfter: Int64? = nil,
        now: Date = Date()
    ) throws -> (claims: SessionClaims, token: String) {
        let (id, secret) = CredentialGenerator.make()
        let issued = Int64(now.timeIntervalSince1970 * 1000)
        var expires = issued + Int64(seconds) * 1000
        if let notAfter { expires = min(expires, notAfter) }
        guard expires > issued else { throw SessionError.expired }
        let claims = SessionClaims(
            accessKeyID: "ASIA" + id.dropFirst(4), secretKey: secret, parent: parent, policies: policies,
            expires: expires, issued: issued, delegated: delegated ? true : nil, sourceKeyID: sourceKeyID)
        return (claims, try tokens.seal(claims))
    }

    /// The claims of a token this server issued; `.invalid` for anything else, `.expired` after its time.
    public func open(_ token: String, now: Date = Date()) throws(SessionError) -> SessionClaims {
        guard let claims = tokens.open(token) else { throw .invalid }
        guard claims.expires > Int64(now.timeIntervalSince1970 * 1000) else { throw .expired }
        return claims
    }
}
