import Foundation
import Testing

@testable import Identity

@Suite struct ForwardedClientTests {
    @Test func onlyTheConsolesOwnStatementFromLoopbackCounts() {
        let forwarded = ForwardedClient()
        let now = Date(timeIntervalSince1970: 2_000_000_000)
        let value = forwarded.value(for: "192.0.2.7", now: now)
        #expect(forwarded.address(from: value, peer: "127.0.0.1", now: now) == "192.0.2.7")
        #expect(forwarded.address(from: value, peer: "::1", now: now) == "192.0.2.7")
        // From anywhere but loopback the header is someone's claim, not the console's.
        #expect(forwarded.address(from: value, peer: "192.0.2.99", now: now) == nil)
        #expect(forwarded.address(from: value, peer: nil, now: now) == nil)
        // Another process's key, a changed address, an expired statement.
        #expect(ForwardedClient().address(from: value, peer: "127.0.0.1", now: now) == nil)
        #expect(forwarded.address(from: value.replacingOccurrences(of: "192.0.2.7", with: "10.0.0.1"), peer: "127.0.0.1", now: now) == nil)
        #expect(forwarded.address(from: value, peer: "127.0.0.1", now: now.addingTimeInterval(301)) == nil)
        #expect(forwarded.address(from: "garbage", peer: "127.0.0.1", now: now) == nil)
        #expect(forwarded.address(from: nil, peer: "127.0.0.1", now: now) == nil)
    }
}
