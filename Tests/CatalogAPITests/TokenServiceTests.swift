import Foundation
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
        let middle = tampered.count / 2  // the padding's neighbours carry unused bits; the middle does not
        tampered[middle] = tampered[middle] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(tokens.check(String(decoding: tampered, as: UTF8.self)) == .unknown)
        #expect(tokens.check("FLOET1not-a-token") == .unknown)
        #expect(tokens.openedCount == 1)
    }

    /// A padded token's last character has low bits base64 does not use; setting them spells the
    /// same bytes differently, and such a spelling is refused (the cache kept one entry per
    /// spelling, and a tampering test failed whenever its change fell on those bits).
    @Test func anotherSpellingOfATokenDoesNotOpen() throws {
        let tokens = TokenService(directory: Self.directory(), masterKey: Array(repeating: 5, count: 32))
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var padded = 0
        for id in ["A", "AB", "ABC", "ABCD", "ABCDE", "ABCDEF"] {
            let token = try #require(tokens.issue(for: Principal(name: "ana", accessKeyID: id, isRoot: false)))
            #expect(tokens.claims(of: token) != nil)
            var bytes = Array(token.utf8)
            guard let last = bytes.lastIndex(where: { $0 != UInt8(ascii: "=") }), last < bytes.count - 1 else { continue }
            padded += 1
            let digit = try #require(alphabet.firstIndex(of: bytes[last]))
            bytes[last] = alphabet[digit + 1]  // canonical padding leaves the low bit 0: same bytes decoded
            #expect(Data(base64Encoded: String(decoding: bytes.dropFirst(7), as: UTF8.self)) == Data(base64Encoded: String(token.dropFirst(7))))
            #expect(tokens.claims(of: String(decoding: bytes, as: UTF8.self)) == nil, "token \(token)")
        }
        #expect(padded >= 2)
    }

    @Test func anExpiredKeptTokenIsExpired() throws {
        let tokens = TokenService(directory: Self.directory(), masterKey: Array(repeating: 9, count: 32), lifetime: -1)
        let token = try #require(tokens.issue(clientID: "AKANA", clientSecret: "ana-secret-123"))
        #expect(tokens.check(token) == .expired)
        #expect(tokens.check(token) == .expired)
    }
}
