import Testing

@testable import Catalog

/// Multi-table swaps lock their rows in this order: it must be one order whatever the request's
/// order (review finding: names equal under canonical equivalence made it not transitive, and
/// two transactions deadlocked).
@Suite struct IdentifierOrderTests {
    @Test func theOrderIsByBytesAndTheSameForEveryPermutation() {
        let p = TableIdentifier(namespace: ["bob", "e\u{301}"], name: "b")
        let q = TableIdentifier(namespace: ["bob", "\u{E9}"], name: "a")
        let r = TableIdentifier(namespace: ["bob", "f"], name: "x")
        let s = TableIdentifier(namespace: ["bob"], name: "z")
        let expected = [s, p, r, q]  // "bob" < "bob\u{1F}e…" < "bob\u{1F}f" < "bob\u{1F}\u{C3}…" bytewise
        for order in [[p, q, r, s], [r, p, q, s], [q, r, p, s], [s, r, q, p], [q, p, s, r], [r, s, p, q]] {
            let sorted = order.sorted(by: TableIdentifier.precedesBytewise)
            #expect(sorted.map { Array($0.description.utf8) } == expected.map { Array($0.description.utf8) })
        }
        #expect(!TableIdentifier.precedesBytewise(p, p))
    }
}
