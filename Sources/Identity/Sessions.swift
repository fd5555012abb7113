import Crypto
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

    enum CodingKeys: String, CodingKey {
        case accessKeyID = "ak", secretKey = "sk", parent = "p", policies = "pol", expires = "exp", issued = "iat", delegated = "d"
    }
}

public enum SessionError: Error, Equatable {
    case expired
    case invalid
}

/// Issues and opens session tokens. A token is the claims sealed with AES-GCM under a key derived
/// from the master key: the server keeps no session table, a tampered token fails authentication,
/// and sessions survive restarts for as long as the master key does.
public struct SessionIssuer: Sendable {
    static let prefix = "FLOE1"
    public static let minimumDuration = 900
    public static let maximumDuration = 43_200
    let key: SymmetricKey

    public init(masterKey: [UInt8]) {
        key = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: masterKey), info: Array("floe session tokens v1".utf8), outputByteCount: 32)
    }

    /// New credentials for `parent`, narrowed by `policies`, valid for `seconds`.
    public func issue(
        parent: String, policies: [String], seconds: Int, delegated: Bool = false, now: Date = Date()
    ) throws -> (claims: SessionClaims, token: String) {
        let (id, secret) = CredentialGenerator.make()
        let issued = Int64(now.timeIntervalSince1970 * 1000)
        let claims = SessionClaims(
            accessKeyID: "ASIA" + id.dropFirst(4), secretKey: secret, parent: parent, policies: policies,
            expires: issued + Int64(seconds) * 1000, issued: issued, delegated: delegated ? true : nil)
        let sealed = try AES.GCM.seal(try JSONEncoder().encode(claims), using: key)
        guard let combined = sealed.combined else { throw SessionError.invalid }
        return (claims, Self.prefix + "." + Data(combined).base64EncodedString())
    }

    /// The claims of a token this server issued; `.invalid` for anything else, `.expired` after its time.
    public func open(_ token: String, now: Date = Date()) throws(SessionError) -> SessionClaims {
        guard token.hasPrefix(Self.prefix + "."), let data = Data(base64Encoded: String(token.dropFirst(Self.prefix.count + 1))),
            let box = try? AES.GCM.SealedBox(combined: data), let plain = try? AES.GCM.open(box, using: key),
            let claims = try? JSONDecoder().decode(SessionClaims.self, from: plain)
        else { throw .invalid }
        guard claims.expires > Int64(now.timeIntervalSince1970 * 1000) else { throw .expired }
        return claims
    }
}
