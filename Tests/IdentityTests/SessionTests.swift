import Foundation
import Testing

@testable import Identity

@Suite struct SessionTests {
    let issuer = SessionIssuer(masterKey: Array(repeating: 7, count: 32))
    let root = AccessKey(accessKeyID: "ROOT", secretKey: "root-secret", owner: "ROOT")
    let onlyGold = #"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/gold/*"}]}"#

    @Test func tokensRoundTripAndExpire() throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let (claims, token) = try issuer.issue(parent: "alice", policies: [onlyGold], seconds: 900, now: now)
        #expect(claims.accessKeyID.hasPrefix("ASIA") && claims.accessKeyID.count == 20)
        #expect(try issuer.open(token, now: now) == claims)
        #expect(try issuer.open(token, now: now.addingTimeInterval(899)) == claims)
        #expect(throws: SessionError.expired) { try issuer.open(token, now: now.addingTimeInterval(900)) }
    }

    @Test func tamperedOrForeignTokensAreInvalid() throws {
        let (_, token) = try issuer.issue(parent: "alice", policies: [], seconds: 900)
        var bytes = Array(Data(base64Encoded: String(token.dropFirst("FLOE1.".count)))!)
        bytes[bytes.count / 2] ^= 1
        #expect(throws: SessionError.invalid) { try issuer.open("FLOE1." + Data(bytes).base64EncodedString()) }
        #expect(throws: SessionError.invalid) { try issuer.open("garbage") }
        let other = SessionIssuer(masterKey: Array(repeating: 8, count: 32))
        #expect(throws: SessionError.invalid) { try other.open(token) }
    }

    @Test func sessionsNarrowTheirParentAndDieWithIt() throws {
        var snapshot = Directory.Snapshot()
        snapshot.users["alice"] = UserRecord(name: "alice", policies: ["readwrite"])
        let directory = Directory(root: root, snapshot: snapshot, sessions: issuer)
        let alice = try #require(directory.principal(for: "ROOT")).with(name: "alice")
        let issued = try directory.issueSession(for: alice, policy: onlyGold, seconds: 900)
        #expect(throws: SessionError.invalid) { try directory.session(token: issued.token, accessKeyID: "ASIAOTHERKEY") }
        let (secret, session) = try directory.session(token: issued.token, accessKeyID: issued.claims.accessKeyID)
        #expect(secret == issued.claims.secretKey && session.kind == .session && session.name == "alice")
        #expect(directory.authorize(session, AccessRequest(action: "s3:GetObject", resource: "arn:aws:s3:::b/gold/x")) == .allow)
        #expect(directory.authorize(session, AccessRequest(action: "s3:GetObject", resource: "arn:aws:s3:::b/raw/x")) == .implicitDeny)
        #expect(directory.authorize(session, AccessRequest(action: "s3:PutObject", resource: "arn:aws:s3:::b/gold/x")) == .implicitDeny)
        directory.replace { $0.users["alice"]?.enabled = false }
        #expect(throws: SessionError.invalid) { try directory.session(token: issued.token, accessKeyID: issued.claims.accessKeyID) }
    }

    @Test func delegatedSessionsAreDecidedByTheirPolicyAlone() throws {
        var snapshot = Directory.Snapshot()
        snapshot.users["carl"] = UserRecord(name: "carl", policies: [])
        let directory = Directory(root: root, snapshot: snapshot, sessions: issuer)
        let carl = Principal(name: "carl", accessKeyID: "AK", isRoot: false)
        let plain = try directory.issueSession(for: carl, policy: onlyGold, seconds: 900)
        let delegated = try directory.issueDelegatedSession(for: carl, policy: onlyGold, seconds: 900)
        let gold = AccessRequest(action: "s3:GetObject", resource: "arn:aws:s3:::b/gold/x")
        let plainPrincipal = try directory.session(token: plain.token, accessKeyID: plain.claims.accessKeyID).principal
        let delegatedPrincipal = try directory.session(token: delegated.token, accessKeyID: delegated.claims.accessKeyID).principal
        // carl himself may do nothing: his own session neither; the catalog's delegation may read gold.
        #expect(directory.authorize(plainPrincipal, gold) == .implicitDeny)
        #expect(delegatedPrincipal.kind == .delegated && !delegatedPrincipal.isRoot)
        #expect(directory.authorize(delegatedPrincipal, gold) == .allow)
        #expect(directory.authorize(delegatedPrincipal, AccessRequest(action: "admin:ListUsers", resource: "arn:aws:s3:::*")) == .implicitDeny)
    }

    /// Delegated credentials keep the caller's limits: its Deny statements, a bucket policy's
    /// Deny, and its own narrowing.
    @Test func delegatedSessionsKeepTheCallersLimits() throws {
        var snapshot = Directory.Snapshot()
        snapshot.users["dana"] = UserRecord(name: "dana", policies: ["no-secret"])
        snapshot.policies["no-secret"] = try PolicyDocument(
            json: #"{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::b/gold/secret*"}]}"#)
        snapshot.keys["DANAKEY"] = UserKey(accessKeyID: "DANAKEY", secretKey: "s", user: "dana", isServiceAccount: true,
            policy: #"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/gold/a*"}]}"#)
        let directory = Directory(root: root, snapshot: snapshot, sessions: issuer)
        let dana = try #require(directory.principal(for: "DANAKEY"))
        let vended = try directory.issueDelegatedSession(for: dana, policy: onlyGold, seconds: 900)
        let principal = try directory.session(token: vended.token, accessKeyID: vended.claims.accessKeyID).principal
        #expect(directory.authorize(principal, AccessRequest(action: "s3:GetObject", resource: "arn:aws:s3:::b/gold/a.csv")) == .allow)
        // The service account's narrowing: b/gold/b* is outside it.
        #expect(directory.authorize(principal, AccessRequest(action: "s3:GetObject", resource: "arn:aws:s3:::b/gold/b.csv")) == .implicitDeny)
        #expect(directory.authorize(principal, AccessRequest(action: "s3:GetObject", resource: "arn:aws:s3:::b/gold/asecret")) == .allow)
        let bucketDeny = try PolicyDocument(
            json: #"{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/gold/a2*"}]}"#)
        #expect(directory.authorize(principal, AccessRequest(action: "s3:GetObject", resource: "arn:aws:s3:::b/gold/a2.csv"), resourcePolicy: bucketDeny) == .explicitDeny)
        // The parent's own Deny statements bind the vended credentials too.
        let plain = Principal(name: "dana", accessKeyID: "X", isRoot: false)
        let wide = try directory.issueDelegatedSession(for: plain, policy: onlyGold, seconds: 900)
        let widePrincipal = try directory.session(token: wide.token, accessKeyID: wide.claims.accessKeyID).principal
        #expect(directory.authorize(widePrincipal, AccessRequest(action: "s3:GetObject", resource: "arn:aws:s3:::b/gold/secret.csv")) == .explicitDeny)
    }

    /// A session never outlives the credentials that made it, and dies with the key it goes back to.
    @Test func sessionsAreBoundToTheirSource() throws {
        var snapshot = Directory.Snapshot()
        snapshot.users["erin"] = UserRecord(name: "erin", policies: ["readwrite"])
        snapshot.keys["ERINKEY"] = UserKey(accessKeyID: "ERINKEY", secretKey: "s", user: "erin")
        let directory = Directory(root: root, snapshot: snapshot, sessions: issuer)
        let erin = try #require(directory.principal(for: "ERINKEY"))
        let first = try directory.issueSession(for: erin, policy: nil, seconds: 900)
        let session = try directory.session(token: first.token, accessKeyID: first.claims.accessKeyID).principal
        let chained = try directory.issueSession(for: session, policy: nil, seconds: 43_200)
        #expect(chained.claims.expires <= first.claims.expires)
        #expect(chained.claims.sourceKeyID == "ERINKEY")
        // Narrowing the account later narrows the sessions it made.
        let account = try #require(directory.principal(for: "ERINKEY"))
        let gold = AccessRequest(action: "s3:GetObject", resource: "arn:aws:s3:::b/gold/x")
        let before = try directory.session(token: first.token, accessKeyID: first.claims.accessKeyID).principal
        #expect(directory.authorize(before, gold) == .allow && account.restrictions.isEmpty)
        directory.replace { $0.keys["ERINKEY"]?.policy = #"{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]}"# }
        let after = try directory.session(token: first.token, accessKeyID: first.claims.accessKeyID).principal
        #expect(directory.authorize(after, gold) == .explicitDeny)
        directory.replace { $0.keys["ERINKEY"]?.enabled = false }
        #expect(throws: SessionError.invalid) { try directory.session(token: first.token, accessKeyID: first.claims.accessKeyID) }
        #expect(throws: SessionError.invalid) { try directory.session(token: chained.token, accessKeyID: chained.claims.accessKeyID) }
        directory.replace { $0.keys["ERINKEY"] = nil }
        #expect(throws: SessionError.invalid) { try directory.session(token: first.token, accessKeyID: first.claims.accessKeyID) }
    }

    @Test func groupPoliciesApplyToEnabledGroupsOnly() throws {
        var snapshot = Directory.Snapshot()
        snapshot.users["gina"] = UserRecord(name: "gina")
        snapshot.groups["analysts"] = GroupRecord(name: "analysts", members: ["gina"], policies: ["readonly"])
        let directory = Directory(root: root, snapshot: snapshot)
        let gina = Principal(name: "gina", accessKeyID: "AK", isRoot: false)
        let read = AccessRequest(action: "s3:GetObject", resource: "arn:aws:s3:::b/k")
        #expect(directory.authorize(gina, read) == .allow)
        directory.replace { $0.groups["analysts"]?.enabled = false }
        #expect(directory.authorize(gina, read) == .implicitDeny)
    }

    @Test func serviceAccountsCarryTheirNarrowingPolicy() throws {
        var snapshot = Directory.Snapshot()
        snapshot.users["sam"] = UserRecord(name: "sam", policies: ["readwrite"])
        snapshot.keys["SVC"] = UserKey(accessKeyID: "SVC", secretKey: "s", user: "sam", isServiceAccount: true, policy: onlyGold)
        let directory = Directory(root: root, snapshot: snapshot)
        let account = try #require(directory.principal(for: "SVC"))
        #expect(account.kind == .serviceAccount && account.name == "sam")
        #expect(directory.authorize(account, AccessRequest(action: "s3:GetObject", resource: "arn:aws:s3:::b/gold/x")) == .allow)
        #expect(directory.authorize(account, AccessRequest(action: "s3:PutObject", resource: "arn:aws:s3:::b/gold/x")) == .implicitDeny)
    }
}

extension Principal {
    func with(name: String) -> Principal {
        Principal(name: name, accessKeyID: "AK-" + name, isRoot: false, kind: .user)
    }
}
