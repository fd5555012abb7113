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
}
