import Crypto
import Foundation
import SigV4

/// The address of the browser behind the console. The console calls the APIs on loopback, so
/// their TCP peer is 127.0.0.1; it names the browser's address in a header MACed with a key of
/// this process, and the APIs use that address for `aws:SourceIp` and the audit log. A header
/// that does not verify, has expired, or arrives from anywhere but loopback is ignored.
public struct ForwardedClient: Sendable {
    public static let header = "X-Floe-Console-Client"
    static let lifetime: Int64 = 300
    let key: SymmetricKey

    public init(key: SymmetricKey = SymmetricKey(size: .bits256)) {
        self.key = key
    }

    /// `ADDRESS;EXPIRY;MAC` for a request made now.
    public func value(for address: String, now: Date = Date()) -> String {
        let payload = "\(address);\(Int64(now.timeIntervalSince1970) + Self.lifetime)"
        return payload + ";" + mac(payload)
    }

    /// The browser's address when `value` verifies and the request came from loopback; nil otherwise.
    public func address(from value: String?, peer: String?, now: Date = Date()) -> String? {
        guard let value, let peer, Self.isLoopback(peer) else { return nil }
        let parts = value.split(separator: ";", omittingEmptySubsequences: false)
        guard parts.count == 3, let expiry = Int64(parts[1]), expiry >= Int64(now.timeIntervalSince1970),
            !parts[0].isEmpty, parts[0].utf8.count <= 64
        else { return nil }
        guard constantTimeEquals(mac(parts[0] + ";" + parts[1]), parts[2]) else { return nil }
        return String(parts[0])
    }

    func mac(_ payload: String) -> String {
        Hex.encode(Array(HMAC<SHA256>.authenticationCode(for: Array(payload.utf8), using: key)))
    }

    static func isLoopback(_ address: String) -> Bool {
        address.hasPrefix("127.") || address == "::1" || address.hasPrefix("::ffff:127.")
    }
}
