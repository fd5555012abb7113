import Testing
import SigV4

@Suite struct BytesKeyTests {
    @Test func equalBytesAreOneKeyAndEquivalentTextsAreTwo() {
        var map: [BytesKey: Int] = [:]
        map[BytesKey(utf8: "caf\u{E9}")] = 1
        map[BytesKey(utf8: "cafe\u{301}")] = 2  // canonically equivalent to the first, other bytes
        map[BytesKey(Array("caf\u{E9}".utf8))] = 3  // the first again
        #expect(map.count == 2)
        #expect(map[BytesKey(utf8: "caf\u{E9}")] == 3)
        #expect(map[BytesKey(utf8: "cafe\u{301}")] == 2)
        // Keys that differ only in length or in their last byte stay apart.
        let long = [UInt8](repeating: 7, count: 100_000)
        #expect(BytesKey(long) != BytesKey(Array(long.dropLast())))
        #expect(BytesKey(long) != BytesKey(Array(long.dropLast()) + [8]))
        #expect(BytesKey(long).hashValue == BytesKey(long).hashValue)
    }
}
