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

/// A named set of users; the group's policies apply to every member while it is enabled.
public struct GroupRecord: Sendable, Equatable, Codable {
    public var name: String
    public var enabled: Bool
    public var members: [String]
    public var policies: [String]

    public init(name: String, enabled: Bool = true, members: [String] = [], policies: [String] = []) {
        self.name = name
        self.enabled = enabled
        self.members = members
        self.policies = policies
    }
}

/// An access key of a user (the secret in plain text only in memory). A service account is a
/// key of its own kind: it acts for its parent user, narrowed by its optional policy.
public struct UserKey: Sendable, Equatable {
    public var accessKeyID: String
    public var secretKey: String
    public var user: String
    public var enabled: Bool
    /// Milliseconds since 1970; nil never expires.
    public var expires: Int64?
    public var isServiceAccount: Bool
    /// A service account's narrowing policy (JSON text); nil inherits the parent's policies whole.
    public var policy: String?

    public init(
        accessKeyID: String, secretKey: String, user: String, enabled: Bool = true, expires: Int64? = nil,
        isServiceAccount: Bool = false, policy: String? = nil
    ) {
        self.accessKeyID = accessKeyID
        self.secretKey = secretKey
        self.user = user
        self.enabled = enabled
        self.expires = expires
        self.isServiceAccount = isServiceAccount
        self.policy = policy
    }
}

/// Everything the request path needs to authenticate and authorize, held in memory and swapped
/// whole on every administrative change, so a request never waits for the database.
public final class Directory: Sendable {
    public struct Snapshot: Sendable {
        public var users: [String: UserRecord] = [:]
        public var keys: [String: UserKey] = [:]
        public var groups: [String: GroupRecord] = [:]
        /// Named policy documents (built-in ones included), parsed.
        public var policies: [String: PolicyDocument] = [:]
        public var policyTexts: [String: String] = [:]
        public init() {}
    }

    public let root: AccessKey
    private let state: Mutex<Snapshot>

    public init(root: AccessKey, snapshot: Snapshot = Snapshot(), sessions: SessionIssuer? = nil) {
        self.root = root
        self.sessions = sessions
        self.state = Mutex(Self.withBuiltins(snapshot))
    }

    static func withBuiltins(_ snapshot: Snapshot) -> Snapshot {
        var complete = snapshot
        for (name, text) in BuiltinPolicies.documents where complete.policies[name] == nil {
            complete.policies[name] = try? PolicyDocument(json: text)
            complete.policyTexts[name] = text
        }
        return complete
    }

    /// Replaces everything with what the store holds now (changes made by other nodes).
    public func reload(_ snapshot: Snapshot) {
        let complete = Self.withBuiltins(snapshot)
        state.withLock { $0 = complete }
    }

    public var snapshot: Snapshot { state.withLock { $0 } }

    public func replace(_ update: (inout Snapshot) -> Void) {
        state.withLock { update(&$0) }
    }

    static func nowMillis() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    /// Issues and opens session tokens (STS); nil turns sessions off.
    public let sessions: SessionIssuer?

    /// The key if it exists, is enabled, belongs to an enabled user (or root) and has not expired.
    public func accessKey(_ accessKeyID: String) -> AccessKey? {
        resolveKey(accessKeyID).map { AccessKey(accessKeyID: $0.accessKeyID, secretKey: $0.secretKey, owner: $0.user) }
    }

    func resolveKey(_ accessKeyID: String) -> UserKey? {
        if accessKeyID == root.accessKeyID { return UserKey(accessKeyID: root.accessKeyID, secretKey: root.secretKey, user: root.owner) }
        return state.withLock { s in
            guard let key = s.keys[accessKeyID], key.enabled else { return nil }
            guard key.user == root.owner || s.users[key.user]?.enabled == true else { return nil }
            if let expires = key.expires, expires <= Self.nowMillis() { return nil }
            return key
        }
    }

    /// Whether `name` is root or an enabled user: sessions and service accounts die with their parent.
    public func isActive(_ name: String) -> Bool {
        name == root.owner || state.withLock { $0.users[name]?.enabled == true }
    }

    public func principal(for accessKeyID: String) -> Principal? {
        resolveKey(accessKeyID).map(principal(of:))
    }

    /// The key's secret and who acts with it, from one look-up: what verifying a request's
    /// signature and then naming its caller need (`accessKey` and `principal(for:)` together).
    public func caller(accessKeyID: String) -> (secret: String, principal: Principal)? {
        resolveKey(accessKeyID).map { ($0.secretKey, principal(of: $0)) }
    }

    private func principal(of key: UserKey) -> Principal {
        let restriction = key.policy.flatMap { PolicyDocument.cached($0) }
        return Principal(
            name: key.user, accessKeyID: key.accessKeyID, isRoot: key.user == root.owner,
            kind: key.isServiceAccount ? .serviceAccount : nil, restrictions: restriction.map { [$0] } ?? [], sourceKeyID: key.accessKeyID,
            expires: key.expires)
    }

    /// A caller of temporary credentials: the secret to verify the signature with, and who it is.
    public func session(token: String, accessKeyID: String) throws(SessionError) -> (secret: String, principal: Principal) {
        guard let sessions else { throw .invalid }
        let claims = try sessions.open(token)
        guard claims.accessKeyID == accessKeyID, isActive(claims.parent) else { throw .invalid }
        // A session lives no longer than the key it goes back to (sessions issued before keys
        // were recorded have none and live by their parent alone).
        if let source = claims.sourceKeyID, resolveKey(source)?.user != claims.parent { throw .invalid }
        var restrictions: [PolicyDocument] = []
        for text in claims.policies {
            guard let document = PolicyDocument.cached(text) else { throw .invalid }
            restrictions.append(document)
        }
        // The source key's narrowing as it is now: an account's policy made narrower since the
        // session began binds the session too (the copy in the token keeps it from widening).
        if let source = claims.sourceKeyID, let policy = resolveKey(source)?.policy {
            guard let current = PolicyDocument.cached(policy) else { throw .invalid }
            restrictions.append(current)
        }
        let delegated = claims.delegated == true
        guard !delegated || !restrictions.isEmpty else { throw .invalid }
        let principal = Principal(
            name: claims.parent, accessKeyID: accessKeyID, isRoot: claims.parent == root.owner && !delegated,
            kind: delegated ? .delegated : .session, restrictions: restrictions, sourceKeyID: claims.sourceKeyID, expires: claims.expires)
        return (claims.secretKey, principal)
    }

    /// A session for `principal`, narrowed by its own restrictions and by `policy` when given.
    public func issueSession(for principal: Principal, policy: String?, seconds: Int) throws -> (claims: SessionClaims, token: String) {
        guard let sessions else { throw SessionError.invalid }
        var texts = principal.restrictions.map(\.json)
        if let policy { texts.append(policy) }
        return try sessions.issue(
            parent: principal.name, policies: texts, seconds: seconds, delegated: principal.kind == .delegated,
            sourceKeyID: principal.sourceKeyID, notAfter: principal.expires)
    }

    /// Credentials the catalog vends for a table: `policy` decides what they may reach, and the
    /// caller's own limits still apply (its restrictions, its explicit Deny statements, bucket
    /// policies' Deny: see `authorize`).
    public func issueDelegatedSession(for principal: Principal, policy: String, seconds: Int) throws -> (claims: SessionClaims, token: String) {
        guard let sessions else { throw SessionError.invalid }
        let texts = [policy] + principal.restrictions.map(\.json)
        return try sessions.issue(
            parent: principal.name, policies: texts, seconds: seconds, delegated: true, sourceKeyID: principal.sourceKeyID, notAfter: principal.expires)
    }

    /// The policies that apply to a user: its own and those of its enabled groups (unknown names are skipped).
    public func policies(of user: String) -> [PolicyDocument] {
        state.withLock { s in
            var names = s.users[user]?.policies ?? []
            for group in s.groups.values where group.enabled && group.members.contains(user) {
                names += group.policies
            }
            return names.compactMap { s.policies[$0] }
        }
    }

    /// Root may do everything; anyone else what their policies (and, for S3, the bucket policy)
    /// allow. A service account's or session's restrictions must each allow the request too.
    /// - Parameter identityPolicies: `policies(of: principal.name)` when the caller has them already.
    public func authorize(
        _ principal: Principal, _ request: AccessRequest, identityPolicies: [PolicyDocument]? = nil, resourcePolicy: PolicyDocument? = nil
    ) -> PolicyDecision {
        var restricted = PolicyDecision.allow
        for restriction in principal.restrictions {
            switch PolicyEvaluator.evaluate([restriction], request) {
            case .allow: continue
            case .explicitDeny: return .explicitDeny
            case .implicitDeny: restricted = .implicitDeny
            }
        }
        if principal.isRoot { return restricted }
        let identity = PolicyEvaluator.evaluate(identityPolicies ?? policies(of: principal.name), request)
        if identity == .explicitDeny { return .explicitDeny }
        var named = request
        named.principal = principal.name
        let resource = resourcePolicy.map { PolicyEvaluator.evaluate([$0], named) } ?? .implicitDeny
        if resource == .explicitDeny { return .explicitDeny }
        // Delegated (vended) credentials: their session policy grants; the parent's Deny
        // statements and the bucket policy's still bind them.
        if principal.kind == .delegated { return restricted }
        guard restricted == .allow else { return .implicitDeny }
        return identity == .allow || resource == .allow ? .allow : .implicitDeny
    }
}

/// Where administrative changes are made durable before the in-memory directory changes.
public protocol IdentityPersistence: Sendable {
    /// Everything stored, secrets opened.
    func load() async throws -> Directory.Snapshot
    func saveUser(_ user: UserRecord) async throws
    func deleteUser(_ name: String) async throws
    func saveKey(_ key: UserKey) async throws
    func deleteKey(_ accessKeyID: String) async throws
    func savePolicy(name: String, document: String) async throws
    func deletePolicy(_ name: String) async throws
    func saveGroup(_ group: GroupRecord) async throws
    func deleteGroup(_ name: String) async throws
}
