import Crypto
import SigV4

/// An access key pair and who it belongs to.
public struct AccessKey: Sendable, Equatable {
    public var accessKeyID: String
    public var secretKey: String
    public var owner: String

    public init(accessKeyID: String, secretKey: String, owner: String) {
        self.accessKeyID = accessKeyID
        self.secretKey = secretKey
        self.owner = owner
    }
}

/// Who made a request, once its signature has been verified.
public struct Principal: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case root, user, serviceAccount = "service-account", session, anonymous
        /// Vended table credentials: only the session policy decides.
        case delegated
    }

    /// The user whose policies apply (the parent for service accounts and sessions).
    public var name: String
    public var accessKeyID: String
    /// True when the caller acts as root; restrictions may still narrow what it may do.
    public var isRoot: Bool
    public var kind: Kind
    /// Policies that must each allow a request as well (a service account's or session's policy).
    public var restrictions: [PolicyDocument]
    /// The long-term access key (a user's key or service account) the credentials go back to:
    /// the key itself, or for sessions the key that started the chain. Sessions die with it.
    public var sourceKeyID: String?
    /// When the credentials end (milliseconds since 1970); nil for long-term keys. A session
    /// issued from them never outlives them.
    public var expires: Int64?

    public init(
        name: String, accessKeyID: String, isRoot: Bool, kind: Kind? = nil, restrictions: [PolicyDocument] = [], sourceKeyID: String? = nil,
        expires: Int64? = nil
    ) {
        self.name = name
        self.accessKeyID = accessKeyID
        self.isRoot = isRoot
        self.kind = kind ?? (isRoot ? .root : .user)
        self.restrictions = restrictions
        self.sourceKeyID = sourceKeyID
        self.expires = expires
    }

    /// The canonical user id S3 shows as `Owner/ID`: a stable hash of the name, never the key.
    public var canonicalID: String { Self.canonicalID(of: name) }

    public static func canonicalID(of name: String) -> String {
        Hex.encode(SHA256.hash(data: Array("floe:\(name)".utf8)))
    }
}

/// Generates root credentials in MinIO's shape: a 20-character key id and a 40-character secret.
public enum CredentialGenerator {
    static let keyAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    static let secretAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")

    public static func make() -> (accessKey: String, secretKey: String) {
        var generator = SystemRandomNumberGenerator()
        let key = String((0..<20).map { _ in keyAlphabet.randomElement(using: &generator)! })
        let secret = String((0..<40).map { _ in secretAlphabet.randomElement(using: &generator)! })
        return (key, secret)
    }
}
