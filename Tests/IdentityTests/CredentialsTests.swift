import Testing

@testable import Identity

@Suite struct CredentialsTests {
    @Test func generatedCredentialsHaveMinIOShape() {
        let (key, secret) = CredentialGenerator.make()
        #expect(key.count == 20 && key.allSatisfy { $0.isUppercase || $0.isNumber })
        #expect(secret.count == 40 && secret.allSatisfy { $0.isLetter || $0.isNumber })
        #expect(CredentialGenerator.make().accessKey != key)
    }

    @Test func storeResolvesRootOnly() {
        let store = Directory(root: AccessKey(accessKeyID: "root", secretKey: "secret-root", owner: "root"))
        #expect(store.accessKey("root")?.secretKey == "secret-root")
        #expect(store.accessKey("other") == nil)
        let principal = store.principal(for: "root")
        #expect(principal?.isRoot == true)
        // The canonical id is stable, hex, and does not reveal the key or secret.
        #expect(principal?.canonicalID == store.principal(for: "root")?.canonicalID)
        #expect(principal?.canonicalID.count == 64)
        #expect(principal?.canonicalID.contains("secret") == false)
    }
}
