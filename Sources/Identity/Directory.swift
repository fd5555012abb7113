import Foundation
import Synchronization

/// A user of the identity system: a name, whether it may sign in, and the policies attached to it.
public struct UserRecord: Sendable, Equatable, Codable {
    public var name: String
    public var enabled: Bool
    public var policies: [String]

    public init(name: String, enabled: Bool = true, policies: [String] = []) {
        self.name = name
        self.enabled = enabled
        self.policies = policies
    }
}

/// An access key of a user (the secret in plain text only in memory).
public struct UserKey: Sendable, Equatable {
    public var accessKeyID: String
    public var secretKey: String
    public var user: String
    public var enabled: Bool
    /// Milliseconds since 1970; nil never expires.
    public var expires: Int64?

    public init(accessKeyID: String, secretKey: String, user: String, enabled: Bool = true, expires: Int64? = nil) {
        self.accessKeyID = accessKeyID
        self.secretKey = secretKey
        self.user = user
        self.enabled = enabled
        self.expires = expires
    }
}

/// Everything the request path needs to authenticate and authorize, held in memory and swapped
/// whole on every administrative change, so a request never waits for the database.
public final class Directory: CredentialStore, Sendable {
    public struct Snapshot: Sendable {
        public var users: [String: UserRecord] = [:]
        public var keys: [String: UserKey] = [:]
        /// Named policy documents (built-in ones included), parsed.
        public var policies: [String: PolicyDocument] = [:]
        public var policyTexts: [String: String] = [:]
        public init() {}
    }

    public let root: AccessKey
    private let state: Mutex<Snapshot>

    public init(root: AccessKey, snapshot: Snapshot = Snapshot()) {
        self.root = root
        var initial = snapshot
        for (name, text) in BuiltinPolicies.documents where initial.policies[name] == nil {
            initial.policies[name] = try? PolicyDocument(json: text)
            initial.policyTexts[name] = text
        }
        self.state = Mutex(initial)
    }

    public var snapshot: Snapshot { state.withLock { $0 } }

    public func replace(_ update: (inout Snapshot) -> Void) {
        state.withLock { update(&$0) }
    }

    static func nowMillis() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    /// The key if it exists, is enabled, belongs to an enabled user and has not expired.
    public func accessKey(_ accessKeyID: String) -> AccessKey? {
        if accessKeyID == root.accessKeyID { return root }
        return state.withLock { s in
            guard let key = s.keys[accessKeyID], key.enabled, let user = s.users[key.user], user.enabled else { return nil }
            if let expires = key.expires, expires <= Self.nowMillis() { return nil }
            return AccessKey(accessKeyID: key.accessKeyID, secretKey: key.secretKey, owner: key.user)
        }
    }

    public func principal(for accessKeyID: String) -> Principal? {
        guard let key = accessKey(accessKeyID) else { return nil }
        return Principal(name: key.owner, accessKeyID: key.accessKeyID, isRoot: accessKeyID == root.accessKeyID)
    }

    /// The policies attached to a user (unknown names are skipped).
    public func policies(of user: String) -> [PolicyDocument] {
        state.withLock { s in (s.users[user]?.policies ?? []).compactMap { s.policies[$0] } }
    }

    /// Root may do everything; anyone else what their policies (and, for S3, the bucket policy) allow.
    public func authorize(_ principal: Principal, _ request: AccessRequest, resourcePolicy: PolicyDocument? = nil) -> PolicyDecision {
        if principal.isRoot { return .allow }
        let identity = PolicyEvaluator.evaluate(policies(of: principal.name), request)
        if identity == .explicitDeny { return .explicitDeny }
        var named = request
        named.principal = principal.name
        let resource = resourcePolicy.map { PolicyEvaluator.evaluate([$0], named) } ?? .implicitDeny
        if resource == .explicitDeny { return .explicitDeny }
        return identity == .allow || resource == .allow ? .allow : .implicitDeny
    }
}

/// Where administrative changes are made durable before the in-memory directory changes.
public protocol IdentityPersistence: Sendable {
    func saveUser(_ user: UserRecord) async throws
    func deleteUser(_ name: String) async throws
    func saveKey(_ key: UserKey) async throws
    func deleteKey(_ accessKeyID: String) async throws
    func savePolicy(name: String, document: String) async throws
}
