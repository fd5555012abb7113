import Foundation
import Testing

@testable import Identity

@Suite struct DirectoryTests {
    let root = AccessKey(accessKeyID: "ROOT", secretKey: "root-secret", owner: "root")

    @Test func keysAuthenticateOnlyWhileUsable() {
        var snapshot = Directory.Snapshot()
        snapshot.users["alice"] = UserRecord(name: "alice", policies: ["readonly"])
        snapshot.users["off"] = UserRecord(name: "off", enabled: false)
        snapshot.keys["AK1"] = UserKey(accessKeyID: "AK1", secretKey: "s1", user: "alice")
        snapshot.keys["AK2"] = UserKey(accessKeyID: "AK2", secretKey: "s2", user: "off")
        snapshot.keys["AK3"] = UserKey(accessKeyID: "AK3", secretKey: "s3", user: "alice", expires: 1)
        snapshot.keys["AK4"] = UserKey(accessKeyID: "AK4", secretKey: "s4", user: "alice", enabled: false)
        let directory = Directory(root: root, snapshot: snapshot)
        #expect(directory.accessKey("ROOT")?.secretKey == "root-secret")
        #expect(directory.accessKey("AK1")?.owner == "alice")
        #expect(directory.accessKey("AK2") == nil)
        #expect(directory.accessKey("AK3") == nil)
        #expect(directory.accessKey("AK4") == nil)
        #expect(directory.principal(for: "ROOT")?.isRoot == true)
        #expect(directory.principal(for: "AK1")?.isRoot == false)
    }

    @Test func authorizationCombinesIdentityAndBucketPolicies() throws {
        var snapshot = Directory.Snapshot()
        snapshot.users["alice"] = UserRecord(name: "alice", policies: ["readonly"])
        snapshot.users["bob"] = UserRecord(name: "bob", policies: [])
        let directory = Directory(root: root, snapshot: snapshot)
        let alice = Principal(name: "alice", accessKeyID: "AK", isRoot: false)
        let bob = Principal(name: "bob", accessKeyID: "BK", isRoot: false)
        let get = AccessRequest(action: "s3:GetObject", resource: "arn:aws:s3:::b/k")
        let put = AccessRequest(action: "s3:PutObject", resource: "arn:aws:s3:::b/k")
        #expect(directory.authorize(alice, get) == .allow)
        #expect(directory.authorize(alice, put) == .implicitDeny)
        #expect(directory.authorize(bob, get) == .implicitDeny)
        let bucketPolicy = try PolicyDocument(json: #"""
            {"Version": "2012-10-17", "Statement": [
              {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam:::user/bob"]}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"},
              {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/secret*"}]}
            """#)
        #expect(directory.authorize(bob, get, resourcePolicy: bucketPolicy) == .allow)
        let secret = AccessRequest(action: "s3:GetObject", resource: "arn:aws:s3:::b/secret.txt")
        #expect(directory.authorize(alice, secret, resourcePolicy: bucketPolicy) == .explicitDeny)
        #expect(directory.authorize(Principal(name: "root", accessKeyID: "ROOT", isRoot: true), secret, resourcePolicy: bucketPolicy) == .allow)
        // Every built-in policy parses.
        #expect(directory.snapshot.policies.count == BuiltinPolicies.documents.count)
    }

    @Test func secretsSealAndOpen() throws {
        let box = try SecretBox(masterKey: [UInt8](repeating: 7, count: 32))
        let sealed = try box.seal("wJalrXUtnFEMI")
        #expect(!String(decoding: sealed, as: UTF8.self).contains("wJalrXUtnFEMI"))
        #expect(try box.open(sealed) == "wJalrXUtnFEMI")
        #expect(try box.seal("same") != (try box.seal("same")))
        let other = try SecretBox(masterKey: [UInt8](repeating: 8, count: 32))
        #expect(throws: (any Error).self) { try other.open(sealed) }
        #expect(throws: (any Error).self) { try SecretBox(masterKey: [1, 2, 3]) }
        let file = NSTemporaryDirectory() + "floe-master-\(UUID().uuidString)"
        let first = try SecretBox.masterKey(environment: nil, file: file)
        #expect(try SecretBox.masterKey(environment: nil, file: file) == first)
        let attributes = try FileManager.default.attributesOfItem(atPath: file)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        try? FileManager.default.removeItem(atPath: file)
    }
}
