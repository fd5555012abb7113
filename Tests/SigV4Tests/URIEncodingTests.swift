import Testing

@testable import SigV4

@Suite struct FormAndQueryDecodingTests {
    @Test func formBodiesDecodePlusAndEscapes() {
        let form = FormEncoding.decode("Action=AssumeRole&Policy=%7B%22a%22%3A+1%7D&Empty=&Flag&Action=Second")
        #expect(form["Action"] == "AssumeRole")
        #expect(form["Policy"] == #"{"a": 1}"#)
        #expect(form["Empty"] == "" && form["Flag"] == "")
    }

    @Test func queriesKeepOrderAndPlusSigns() throws {
        let query = try #require(URIEncoding.decodeQuery("b=2&a=x+y&c=%2F"))
        #expect(query.map(\.name) == ["b", "a", "c"])
        #expect(query.map(\.value) == ["2", "x+y", "/"])
        #expect(URIEncoding.decodeQuery("a=%zz") == nil)
        #expect(URIEncoding.decodeQuery("")?.isEmpty == true)
    }

    /// Empty parts are no parameters, and reserve no room: a head's worth of `&` is not 2 MB.
    @Test func emptyPartsReserveNothing() throws {
        let query = try #require(URIEncoding.decodeQuery(String(repeating: "&", count: 60_000)))
        #expect(query.isEmpty)
        #expect(query.capacity <= 16)
    }
}

@Suite struct UnreservedSetTests {
    /// The bit sets hold exactly SigV4's unreserved bytes, `A-Z a-z 0-9 - _ . ~`.
    @Test func everyByteIsClassedAsSigV4Defines() {
        let unreserved = Set(Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~".utf8))
        for byte in UInt8.min...UInt8.max {
            #expect(URIEncoding.isUnreserved(byte) == unreserved.contains(byte), "byte \(byte)")
        }
    }
}
