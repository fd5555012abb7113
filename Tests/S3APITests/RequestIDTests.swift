import Testing

@testable import S3API

@Suite struct RequestIDTests {
    @Test func idsAreSixteenUppercaseHexDigits() {
        for _ in 0..<1000 {
            let id = RequestIDs.make()
            #expect(id.utf8.count == 16 && id.utf8.allSatisfy { (48...57).contains($0) || (65...70).contains($0) }, "\(id)")
        }
    }

    /// Requests on every event loop at once never share an id.
    @Test func concurrentRequestsGetDistinctIDs() async {
        let ids = await withTaskGroup(of: [String].self) { group in
            for _ in 0..<4 { group.addTask { (0..<25_000).map { _ in RequestIDs.make() } } }
            var all: [String] = []
            for await part in group { all += part }
            return all
        }
        #expect(ids.count == 100_000)
        #expect(Set(ids).count == ids.count)
    }

    /// The mix is a bijection, so the ids of consecutive counts differ; it also spreads them.
    @Test func mixSpreadsConsecutiveCounts() {
        let mixed = (0..<4096 as Range<UInt64>).map(RequestIDs.mix)
        #expect(Set(mixed).count == mixed.count)
        #expect(Set(mixed.map { $0 >> 60 }).count == 16, "the leading hex digit takes every value")
    }
}
