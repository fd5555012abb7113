import ObjectStore
import Testing

@Suite struct ETagTests {
    @Test func quotesTheHexMD5() {
        #expect(ETag.quoted(md5: [0x00, 0x0f, 0xa0, 0xff]) == "\"000fa0ff\"")
    }

    @Test func comparesWhatClientsSendBack() {
        let stored = "\"9b2cf535f27731c974343645a3985328\""
        #expect(ETag.same(stored, "9b2cf535f27731c974343645a3985328"))
        #expect(ETag.same(stored, " W/\"9B2CF535F27731C974343645A3985328\" "))
        #expect(!ETag.same(stored, "\"9b2cf535f27731c974343645a3985329\""))
        #expect(!ETag.same("\"abc-2\"", "abc"))
    }
}
