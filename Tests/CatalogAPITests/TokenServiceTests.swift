import Testing

@testable import CatalogAPI
@testable import Identity

@Suite struct TokenServiceTests {
    static func directory(keyEnabled: Bool = true) -> Directory {
        var snapshot = Directory.Snapshot()
        snapshot.users["ana"] = UserRecord(name: "ana")
        snapshot.keys["AKANA"] = UserKey(accessKeyID: "AKANA", secretKey: "ana-secret-123", user: "ana", enabled: keyEnabled)
        return Directory(root: AccessKey(accessKeyID: "ROOT", secretKey: "root-secret-123", owner: "root"), snapshot: snapshot)
    }

    /// A token is opened once and its claims kept; the key behind it is still checked on every
    /// use, so disabling the key ends the token at once.
    @Test func aKeptTokenStillDiesWithItsKey() throws {
        let directory = Self.directory()
        let tokens = TokenService(directory: directory, masterKey: Array(repeating: 7, count: 32))
        let token = try #require(tokens.issue(clientID: "AKANA", clientSecret: "ana-secret-123"))
        for _ in 0..<3 {
            guard case .valid(let principal) = tokens.check(token) else { Issue.record("token refused"); return }
            #expect(principal.name == "ana")
        }
        #expect(tokens.openedCount == 1)
        directory.replace { $0.keys["AKANA"]?.enabled = false }
        #expect(tokens.check(token) == .unknown)
        // A token that does not open is never kept, nor is a tampered one.
        var tampered = Array(token.utf8)
        tampered[tampered.count - 2] = tampered[tampered.count - 2] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(tokens.check(String(decoding: tampered, as: UTF8.self)) == .unknown)
        #expect(tokens.check("FLOET1not-a-token") == .unknown)
        #expect(tokens.openedCount == 1)
    }

    @Test func anExpiredKeptTokenIsExpired() throws {
        let tokens = TokenService(directory: Self.directory(), masterKey: Array(repeating: 9, count: 32), lifetime: -1)
        let token = try #require(tokens.issue(clientID: "AKANA", clientSecret: "ana-secret-123"))
        #expect(tokens.check(token) == .expired)
        #expect(tokens.check(token) == .expired)
    }
}
