import Crypto
import Testing

@testable import SigV4

/// The pre-keyed HMAC agrees with swift-crypto's HMAC<SHA256> for every key length class
/// (empty, short, exactly one block, longer than a block) and message length.
@Suite struct KeyedHMACTests {
    @Test func matchesCryptoHMAC() {
        for keyLength in [0, 1, 20, 32, 63, 64, 65, 131] {
            let key = SymmetricKey(data: (0..<keyLength).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) })
            let keyed = KeyedHMAC(key: key)
            for messageLength in [0, 1, 55, 56, 64, 100, 1000] {
                let message = (0..<messageLength).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 1) }
                let expected = Array(HMAC<SHA256>.authenticationCode(for: message, using: key))
                let actual = message.withUnsafeBytes { keyed.authenticationCode($0) }
                #expect(actual == expected, "key \(keyLength) bytes, message \(messageLength) bytes")
            }
        }
    }

    @Test func rfc4231TestCase2() {
        // Key "Jefe", data "what do ya want for nothing?".
        let mac = KeyedHMAC(key: SymmetricKey(data: Array("Jefe".utf8))).authenticationCode("what do ya want for nothing?")
        #expect(Hex.encode(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }
}
