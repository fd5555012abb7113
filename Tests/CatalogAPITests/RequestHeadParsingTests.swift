import SigV4
import Testing

@testable import CatalogAPI

/// The parts of a catalog request read before routing: path segments and the bearer scheme.
@Suite struct RequestHeadParsingTests {
    @Test func segmentsArePercentDecodedOnce() {
        #expect(CatalogResponder.segments("/v1/wh/namespaces/a%1Fb/tables/t%2520x") == ["v1", "wh", "namespaces", "a\u{1F}b", "tables", "t%20x"])
        #expect(CatalogResponder.segments("/v1//x/") == ["v1", "x"])
        // A malformed escape, or bytes that are not UTF-8, leave the segment as sent.
        #expect(CatalogResponder.segments("/v1/100%/t%zz/%FF") == ["v1", "100%", "t%zz", "%FF"])
        #expect(CatalogResponder.segments("/v1/caf%C3%A9") == ["v1", "caf\u{E9}"])
    }

    @Test func theBearerSchemeIsMatchedInAnyCase() {
        for header in ["Bearer abc", "bearer abc", "BEARER abc", "Bearer "] { #expect(CatalogResponder.isBearer(header), "\(header)") }
        for header in ["Bearerabc", "Basic abc", "Bearer", "Bearex abc", "Bearer\tabc", "AWS4-HMAC-SHA256 Credential=x"] {
            #expect(!CatalogResponder.isBearer(header), "\(header)")
        }
        // The token is read without the optional whitespace around it (SigV4's shared trimming).
        #expect((" \t tok.en \t" as Substring).trimmingSpaces == "tok.en")
        #expect(("   " as Substring).trimmingSpaces == "")
    }
}
