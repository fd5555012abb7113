import Foundation
import NIOCore
import Testing

@testable import SigV4

/// Refusals: each malformed or wrong request fails with the code the S3 layer maps to its error.
@Suite struct VerifierTests {
    static let key = "FLOEKEY"
    static let secret = "floe-secret-key"
    static let now = AmzDate.parse("20261122T120000Z")!

    /// A correctly signed GET for `path` at `time`, as a client would produce it.
    static func signedRequest(path: String = "/bucket/key", amzDate: String = "20261122T120000Z", secret: String = secret, extra: [(String, String)] = []) -> [(String, String)] {
        var headers = [("host", "127.0.0.1:9000"), ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"), ("x-amz-date", amzDate)] + extra
        let decoded = URIEncoding.decode(path)!
        let auth = SigV4Signer.authorization(
            method: "GET", decodedPath: decoded, query: [], headers: headers.map { (name: $0.0, value: $0.1) },
            payloadHash: "UNSIGNED-PAYLOAD", credentials: SigV4Credentials(accessKey: key, secretKey: secret),
            scope: CredentialScope(date: String(amzDate.prefix(8)), region: "us-east-1", service: "s3"), amzDate: amzDate)
        headers.append(("authorization", auth))
        return headers
    }

    static func incoming(_ headers: [(String, String)], path: String = "/bucket/key", query: [(String, String)] = []) -> IncomingRequest {
        IncomingRequest(method: "GET", rawPath: path, query: query.map { (name: $0.0, value: $0.1) }) { name in
            headers.filter { $0.0 == name }.map(\.1)
        }
    }

    func authenticate(_ request: IncomingRequest, now: Int64 = now) throws(SigV4Error) -> AuthenticationResult {
        try SigV4Verifier().authenticate(request, now: now) { $0 == Self.key ? Self.secret : nil }
    }

    func code(_ body: () throws -> Void) -> SigV4Error.Code? {
        do { try body() } catch { return (error as? SigV4Error)?.code }
        return nil
    }

    /// A request whose x-amz-* headers are not all signed (one added after signing) is refused.
    @Test func unsignedAmzHeadersAreRefused() throws {
        let signed = Self.signedRequest()
        let names = signed.map(\.0)
        func request(_ headers: [(String, String)]) -> IncomingRequest {
            IncomingRequest(method: "GET", rawPath: "/bucket/key", query: [], headerNames: headers.map(\.0)) { name in
                headers.filter { $0.0 == name }.map(\.1)
            }
        }
        _ = try authenticate(request(signed))
        let added = signed + [("x-amz-copy-source", "other/secret")]
        #expect(code { _ = try authenticate(request(added)) } == .accessDenied)
        #expect(names.contains("x-amz-content-sha256"))
        // Other headers may go unsigned, as with AWS.
        _ = try authenticate(request(signed + [("user-agent", "test")]))
    }

    @Test func acceptsOwnSignature() throws {
        guard case .verified(let v) = try authenticate(Self.incoming(Self.signedRequest())) else { Issue.record("anonymous"); return }
        #expect(v.accessKey == Self.key)
        #expect(v.payload == .unsigned)
    }

    @Test func keysWithReservedCharactersVerifyEncodedEitherWay() throws {
        // The canonical URI is the decoded path encoded once; clients that escape more or fewer
        // characters on the wire still sign the same canonical form.
        let key = "/bucket/dir a=b/x+y@z~!é.txt"
        let headers = Self.signedRequest(path: URIEncoding.encode(key, keepSlash: true))
        for wire in [URIEncoding.encode(key, keepSlash: true), "/bucket/dir%20a%3Db/x%2By%40z~%21%C3%A9.txt", "/bucket/dir%20a=b/x%2By@z~!%C3%A9.txt"] {
            guard case .verified = try authenticate(Self.incoming(headers, path: wire)) else { Issue.record("anonymous"); return }
        }
    }

    @Test func anonymousWithoutAuthorization() throws {
        guard case .anonymous = try authenticate(Self.incoming([("host", "h")])) else { Issue.record("not anonymous"); return }
    }

    @Test func wrongSecretIsSignatureDoesNotMatch() {
        #expect(code { _ = try authenticate(Self.incoming(Self.signedRequest(secret: "other"))) } == .signatureDoesNotMatch)
    }

    @Test func tamperedHeaderIsSignatureDoesNotMatch() {
        var headers = Self.signedRequest(extra: [("x-amz-meta-a", "1")])
        headers[3] = ("x-amz-meta-a", "2")
        #expect(code { _ = try authenticate(Self.incoming(headers)) } == .signatureDoesNotMatch)
    }

    @Test func unknownKeyIsInvalidAccessKeyId() {
        let headers = Self.signedRequest().map { $0.0 == "authorization" ? ($0.0, $0.1.replacingFirst(Self.key, with: "NOPE")) : $0 }
        #expect(code { _ = try authenticate(Self.incoming(headers)) } == .invalidAccessKeyId)
    }

    @Test func clockSkewBeyondFifteenMinutes() {
        let headers = Self.signedRequest()
        #expect(code { _ = try authenticate(Self.incoming(headers), now: Self.now + 901) } == .requestTimeTooSkewed)
        #expect(code { _ = try authenticate(Self.incoming(headers), now: Self.now - 901) } == .requestTimeTooSkewed)
        #expect(code { _ = try authenticate(Self.incoming(headers), now: Self.now + 899) } == nil)
    }

    @Test func malformedAuthorizationHeaders() {
        for value in [
            "AWS4-HMAC-SHA256 Credential=FLOEKEY/20261122/us-east-1/s3/aws4_request, Signature=abc",
            "AWS4-HMAC-SHA256 Credential=FLOEKEY/2026/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=abc",
            "AWS4-HMAC-SHA256 Credential=FLOEKEY, SignedHeaders=host, Signature=abc",
            "AWS4-HMAC-SHA256 garbage",
            "AWS4-HMAC-SHA256 Credential=FLOEKEY/20261122/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=abc",
        ] {
            let headers = [("host", "h"), ("x-amz-date", "20261122T120000Z"), ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"), ("authorization", value)]
            #expect(code { _ = try authenticate(Self.incoming(headers)) } == .authorizationHeaderMalformed, "\(value)")
        }
    }

    /// Components of the Authorization header: an empty one (",,") is skipped, one of spaces alone
    /// is malformed, the last of a repeated one counts, and spaces and tabs around them are dropped.
    @Test func authorizationComponentsAreSplitTrimmedAndTheLastRepeatedOneCounts() {
        let signed = Self.signedRequest()
        func with(_ edit: (String) -> String) -> [(String, String)] {
            signed.map { $0.0 == "authorization" ? ($0.0, edit($0.1)) : $0 }
        }
        #expect(code { _ = try authenticate(Self.incoming(with { $0.replacingFirst(", SignedHeaders", with: ",, SignedHeaders") })) } == nil)
        #expect(code { _ = try authenticate(Self.incoming(with { $0.replacingFirst(", SignedHeaders", with: ", , SignedHeaders") })) } == .authorizationHeaderMalformed)
        #expect(code { _ = try authenticate(Self.incoming(with { $0.replacingFirst(", SignedHeaders", with: ",\t \tSignedHeaders") + " \t" })) } == nil)
        #expect(code { _ = try authenticate(Self.incoming(with { $0 + ", Signature=" + String(repeating: "0", count: 64) })) } == .signatureDoesNotMatch)
        #expect(code { _ = try authenticate(Self.incoming(with { $0.replacingFirst(", Signature=", with: ", Signature=\(String(repeating: "0", count: 64)), Signature=") })) } == nil)
        #expect(code { _ = try authenticate(Self.incoming(with { $0.replacingFirst("Credential=", with: "Region=x, Credential=") })) } == nil)
    }

    @Test func missingContentSHA256Header() {
        let headers = Self.signedRequest().filter { $0.0 != "x-amz-content-sha256" }
        #expect(code { _ = try authenticate(Self.incoming(headers)) } == .missingSecurityHeader)
    }

    @Test func invalidContentSHA256Value() {
        let headers = Self.signedRequest().map { $0.0 == "x-amz-content-sha256" ? ($0.0, "not-a-hash") : $0 }
        #expect(code { _ = try authenticate(Self.incoming(headers)) } == .invalidContentSHA256)
    }

    /// Services that read the body first (STS, the catalog) hand its hash to the verifier: a header
    /// naming another hash is refused before the signature is checked; without the header the
    /// known hash is what the signature covers.
    @Test func knownBodyHashIsEnforced() {
        let empty = SigV4Signer.emptySHA256
        let claimed = String(repeating: "a", count: 64)
        let headers = Self.signedRequest().map { $0.0 == "x-amz-content-sha256" ? ($0.0, claimed) : $0 }
        var request = Self.incoming(headers)
        request.bodySHA256 = empty
        #expect(code { _ = try authenticate(request) } == .contentSHA256Mismatch)
        var unsent = Self.incoming(Self.signedRequest().filter { $0.0 != "x-amz-content-sha256" })
        unsent.bodySHA256 = empty
        #expect(code { _ = try authenticate(unsent) } == .signatureDoesNotMatch)  // signed over UNSIGNED-PAYLOAD, checked over the body's hash
    }

    /// The S3 documentation's Signature Version 2 examples (object GET, header and query string).
    @Test func signatureV2DocumentedExamples() throws {
        let secrets = { (key: String) -> String? in key == "AKIAIOSFODNN7EXAMPLE" ? AWSPublishedVectorsTests.secret : nil }
        let date = "Tue, 27 Mar 2007 19:36:42 +0000"
        let headers = [("host", "johnsmith.s3.amazonaws.com"), ("date", date), ("authorization", "AWS AKIAIOSFODNN7EXAMPLE:bWq2s1WEIj+Ydj0vQ697zp+IXMU=")]
        let header = IncomingRequest(method: "GET", rawPath: "/photos/puppy.jpg", query: [], headerNames: headers.map(\.0),
                                     v2ResourcePath: "/johnsmith/photos/puppy.jpg") { name in headers.filter { $0.0 == name }.map(\.1) }
        let at = HTTPDate.parse(date)!
        guard case .verified(let v) = try SigV4Verifier().authenticate(header, now: at, secretForAccessKey: secrets) else { Issue.record("anonymous"); return }
        #expect(v.accessKey == "AKIAIOSFODNN7EXAMPLE" && v.scope == nil)
        #expect(code { _ = try SigV4Verifier().authenticate(header, now: at + 3600, secretForAccessKey: secrets) } == .requestTimeTooSkewed)

        let query = [("AWSAccessKeyId", "AKIAIOSFODNN7EXAMPLE"), ("Expires", "1175139620"), ("Signature", "NpgCjnDzrM+WFzoENXmpNDUsSn8=")]
        let presigned = IncomingRequest(method: "GET", rawPath: "/photos/puppy.jpg", query: query.map { (name: $0.0, value: $0.1) },
                                        headerNames: ["host"], v2ResourcePath: "/johnsmith/photos/puppy.jpg") { name in
            name == "host" ? ["johnsmith.s3.amazonaws.com"] : []
        }
        guard case .verified(let p) = try SigV4Verifier().authenticate(presigned, now: 1_175_139_000, secretForAccessKey: secrets) else { Issue.record("anonymous"); return }
        #expect(p.isPresigned)
        #expect(code { _ = try SigV4Verifier().authenticate(presigned, now: 1_175_139_621, secretForAccessKey: secrets) } == .requestExpired)
        let tampered = IncomingRequest(method: "GET", rawPath: "/photos/kitten.jpg", query: query.map { (name: $0.0, value: $0.1) },
                                       headerNames: ["host"], v2ResourcePath: "/johnsmith/photos/kitten.jpg") { _ in [] }
        #expect(code { _ = try SigV4Verifier().authenticate(tampered, now: 1_175_139_000, secretForAccessKey: secrets) } == .signatureDoesNotMatch)
    }

    /// Review finding: the signing-key cache was filled before the signature was checked, so anyone
    /// who knew an access key id could pin megabytes with made-up regions. Now only keys that
    /// verified a request are kept, and a region longer than any real one is malformed.
    @Test func onlyVerifiedRequestsEnterTheSigningKeyCache() {
        let verifier = SigV4Verifier()
        let secret: (String) -> String? = { $0 == Self.key ? Self.secret : nil }
        for region in (0..<50).map({ "made-up-region-\($0)" }) {
            var headers = Self.signedRequest()
            let authorization = headers.removeLast().1.replacingOccurrences(of: "/us-east-1/", with: "/\(region)/")
            headers.append(("authorization", authorization))
            #expect(code { _ = try verifier.authenticate(Self.incoming(headers), now: Self.now, secretForAccessKey: secret) } == .signatureDoesNotMatch)
        }
        #expect(verifier.signingKeys.count == 0)
        #expect(code { _ = try verifier.authenticate(Self.incoming(Self.signedRequest()), now: Self.now, secretForAccessKey: secret) } == nil)
        #expect(verifier.signingKeys.count == 1)

        var long = Self.signedRequest()
        long.append(("authorization", long.removeLast().1.replacingOccurrences(of: "/us-east-1/", with: "/\(String(repeating: "r", count: 65))/")))
        #expect(code { _ = try verifier.authenticate(Self.incoming(long), now: Self.now, secretForAccessKey: secret) } == .authorizationHeaderMalformed)
    }

    /// The cache answers the key it found last without hashing: requests that take turns between
    /// two secrets (a key's rotation) and two days each verify under their own, and one signed
    /// with the old secret fails once the key's secret is the new one.
    @Test func theLastKeyFoundServesOnlyItsOwnSecretAndDay() {
        let verifier = SigV4Verifier()
        let newSecret = "floe-secret-key-rotated"
        var current = Self.secret
        let secret: (String) -> String? = { $0 == Self.key ? current : nil }
        for round in 0..<3 {
            for (secretUsed, day) in [(Self.secret, "20261122T120000Z"), (newSecret, "20261122T120000Z"), (Self.secret, "20261123T000500Z")] {
                current = secretUsed
                let request = Self.incoming(Self.signedRequest(amzDate: day, secret: secretUsed))
                #expect(code { _ = try verifier.authenticate(request, now: AmzDate.parse(day)!, secretForAccessKey: secret) } == nil, "round \(round)")
            }
        }
        #expect(verifier.signingKeys.count == 3)
        current = newSecret
        let stale = Self.incoming(Self.signedRequest(secret: Self.secret))
        #expect(code { _ = try verifier.authenticate(stale, now: Self.now, secretForAccessKey: secret) } == .signatureDoesNotMatch)
    }

    /// botocore signs with the Date header when a request already has one (and drops
    /// X-Amz-Date): the HTTP date is the request time. Failed before: "requires a valid Date".
    @Test func dateHeaderStandsInForAmzDate() {
        let date = "Sun, 22 Nov 2026 12:00:00 GMT"
        var headers = [("host", "127.0.0.1:9000"), ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"), ("date", date)]
        let auth = SigV4Signer.authorization(
            method: "GET", decodedPath: "/bucket/key", query: [], headers: headers.map { (name: $0.0, value: $0.1) },
            payloadHash: "UNSIGNED-PAYLOAD", credentials: SigV4Credentials(accessKey: Self.key, secretKey: Self.secret),
            scope: CredentialScope(date: "20261122", region: "us-east-1", service: "s3"), amzDate: "20261122T120000Z")
        headers.append(("authorization", auth))
        #expect(code { _ = try authenticate(Self.incoming(headers)) } == nil)
        #expect(code { _ = try authenticate(Self.incoming(headers), now: Self.now + 3600) } == .requestTimeTooSkewed)
    }

    @Test func presignedExpiryLimits() {
        func presigned(expires: String) -> IncomingRequest {
            Self.incoming([("host", "h")], query: [
                ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"), ("X-Amz-Credential", "FLOEKEY/20261122/us-east-1/s3/aws4_request"),
                ("X-Amz-Date", "20261122T120000Z"), ("X-Amz-Expires", expires), ("X-Amz-SignedHeaders", "host"),
                ("X-Amz-Signature", "00"),
            ])
        }
        // Beyond a week is malformed (400, as S3); a negative or 0-second lifetime has expired on arrival.
        #expect(code { _ = try authenticate(presigned(expires: "604801")) } == .authorizationQueryParametersError)
        #expect(code { _ = try authenticate(presigned(expires: "-7")) } == .requestExpired)
        #expect(code { _ = try authenticate(presigned(expires: "0")) } == .requestExpired)
        #expect(code { _ = try authenticate(presigned(expires: "abc")) } == .authorizationQueryParametersError)
        #expect(code { _ = try authenticate(presigned(expires: "604800")) } == .signatureDoesNotMatch)
        #expect(code { _ = try authenticate(presigned(expires: "60"), now: Self.now + 61) } == .requestExpired)
        #expect(code { _ = try authenticate(presigned(expires: "60"), now: Self.now - 3600) } == .requestNotYetValid)
        let missing = Self.incoming([("host", "h")], query: [("X-Amz-Algorithm", "AWS4-HMAC-SHA256")])
        #expect(code { _ = try authenticate(missing) } == .authorizationQueryParametersError)
    }

    /// A presigned URL correctly signed over `signedHeaders`: the host must be among them, as AWS
    /// requires (403, the host named as not signed), or the URL would verify on any host.
    @Test func presignedURLsMustSignTheHost() throws {
        func presigned(signedHeaders: [String]) -> IncomingRequest {
            let headers = [("host", "127.0.0.1:9000"), ("x-meta", "v")]
            var query: [(name: String, value: String)] = [
                ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"), ("X-Amz-Credential", "FLOEKEY/20261122/us-east-1/s3/aws4_request"),
                ("X-Amz-Date", "20261122T120000Z"), ("X-Amz-Expires", "600"),
                ("X-Amz-SignedHeaders", signedHeaders.joined(separator: ";")),
            ]
            let canonical = SigV4Signer.canonicalRequest(
                method: "GET", canonicalURI: "/bucket/key", canonicalQuery: SigV4Signer.canonicalQuery(query),
                canonicalHeaders: SigV4Signer.canonicalHeaders(signedHeaders: signedHeaders) { name in headers.filter { $0.0 == name }.map(\.1) },
                signedHeaders: signedHeaders, payloadHash: "UNSIGNED-PAYLOAD")
            let scope = CredentialScope(date: "20261122", region: "us-east-1", service: "s3")
            let toSign = SigV4Signer.stringToSign(amzDate: "20261122T120000Z", scope: scope, canonicalRequest: canonical)
            query.append(("X-Amz-Signature", SigV4Signer.signature(signingKey: SigV4Signer.signingKey(secret: Self.secret, scope: scope), stringToSign: toSign)))
            return Self.incoming(headers, query: query.map { ($0.name, $0.value) })
        }
        guard case .verified(let v) = try authenticate(presigned(signedHeaders: ["host"])) else { Issue.record("anonymous"); return }
        #expect(v.isPresigned)
        #expect(code { _ = try authenticate(presigned(signedHeaders: [])) } == .accessDenied)
        #expect(code { _ = try authenticate(presigned(signedHeaders: ["x-meta"])) } == .accessDenied)
        _ = try authenticate(presigned(signedHeaders: ["host", "x-meta"]))
    }

    @Test func constantTimeComparison() {
        #expect(constantTimeEquals("abc", "abc"))
        #expect(!constantTimeEquals("abc", "abd"))
        #expect(!constantTimeEquals("abc", "abcd"))
        #expect(!constantTimeEquals("", "a"))
    }

    @Test func amzDateRoundTrip() {
        for text in ["19700101T000000Z", "20000229T235959Z", "20261122T120000Z", "20991231T000001Z"] {
            #expect(AmzDate.format(AmzDate.parse(text)!) == text)
        }
        #expect(AmzDate.parse("20261322T120000Z") == nil)
        #expect(AmzDate.parse("2026-11-22T12:00:00Z") == nil)
    }

    @Test func uriEncoding() {
        #expect(URIEncoding.encode("a b+c=d/é~", keepSlash: true) == "a%20b%2Bc%3Dd/%C3%A9~")
        #expect(URIEncoding.encode("a/b") == "a%2Fb")
        #expect(URIEncoding.decode("a%20b%2Bc") == "a b+c")
        #expect(URIEncoding.decode("a+b", plusAsSpace: true) == "a b")
        #expect(URIEncoding.decode("%zz") == nil)
        #expect(URIEncoding.decode("%FF") == nil)
    }
}

extension String {
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = self.range(of: target) else { return self }
        return self.replacingCharacters(in: range, with: replacement)
    }
}

/// The credential and a presigned URL's parameters, read over bytes: each shape the verifier
/// takes or refuses, pinned part by part.
@Suite struct CredentialParsingTests {
    func parsed(_ credential: String) -> (key: String, scope: CredentialScope)? {
        guard let (key, scope) = try? SigV4Verifier.parseCredential(credential, error: .authorizationHeaderMalformed) else { return nil }
        return (key, scope)
    }

    @Test func theScopeIsTheLastFourParts() throws {
        let plain = try #require(parsed("FLOEKEY/20261122/us-east-1/s3/aws4_request"))
        #expect(plain.key == "FLOEKEY")
        #expect(plain.scope == CredentialScope(date: "20261122", region: "us-east-1", service: "s3"))
        // Everything before the scope is the key, slashes included.
        let slashed = try #require(parsed("team/key/20261122/eu-central-2/sts/aws4_request"))
        #expect(slashed.key == "team/key")
        #expect(slashed.scope == CredentialScope(date: "20261122", region: "eu-central-2", service: "sts"))
        // An empty key is the key's business (unknown to the directory), not the parser's.
        #expect(parsed("/20261122/us-east-1/s3/aws4_request")?.key == "")
    }

    @Test func malformedCredentialsAreRefused() {
        for credential in [
            "", "aws4_request", "20261122/us-east-1/s3/aws4_request", "FLOEKEY/20261122/us-east-1/s3/aws4_requests",
            "FLOEKEY/20261122/us-east-1/s3/AWS4_REQUEST", "FLOEKEY/20261122/us-east-1/s3/aws4_request/",
            "FLOEKEY/20261122//s3/aws4_request", "FLOEKEY/2026112/us-east-1/s3/aws4_request",
            "FLOEKEY/2026112x/us-east-1/s3/aws4_request", "FLOEKEY/20261122/\(String(repeating: "r", count: 65))/s3/aws4_request",
        ] {
            #expect(parsed(credential) == nil, "\(credential)")
        }
        #expect(parsed("FLOEKEY/20261122/\(String(repeating: "r", count: 64))/s3/aws4_request") != nil)
    }

    /// Parameter names are the bytes sent: a name canonically equivalent to another (KELVIN SIGN
    /// U+212A normalizes to `K`) is a different name, as AWS compares them.
    @Test func parameterNamesCompareAsBytes() {
        let request = IncomingRequest(method: "GET", rawPath: "/b/k", query: [(name: "AWSAccess\u{212A}eyId", value: "key")]) { _ in [] }
        #expect("AWSAccess\u{212A}eyId" == "AWSAccessKeyId")  // what `==` alone would have taken
        #expect(request.queryValue("AWSAccessKeyId") == nil)
        #expect(SigV4Verifier.PresignedParameters([(name: "X-Amz-\u{212A}", value: "v")]).date == nil)
    }

    @Test func presignedParametersAreTheFirstOfEachNameAsSent() {
        let parameters = SigV4Verifier.PresignedParameters([
            (name: "X-Amz-Signature", value: "first"), (name: "x-amz-date", value: "lower-case"), (name: "X-Amz-Signature", value: "second"),
            (name: "X-Amz-Algorithm", value: "AWS4-HMAC-SHA256"), (name: "X-Amz-Date", value: "20261122T120000Z"),
            (name: "X-Amz-SignedHeaders", value: "host"), (name: "X-Amz-Expires", value: "60"), (name: "X-Amz-Credentials", value: "plural"),
        ])
        #expect(parameters.signature == "first")
        #expect(parameters.date == "20261122T120000Z")
        #expect(parameters.algorithm == "AWS4-HMAC-SHA256")
        #expect(parameters.signedHeaders == "host")
        #expect(parameters.expires == "60")
        #expect(parameters.credential == nil)
    }
}

/// Which forms of the path a signature may cover, each tried only when the ones before it did not
/// match: the path as S3 canonicalises it, the path exactly as sent, and, for services other than
/// S3, the path encoded twice.
@Suite struct SignedPathFormTests {
    static let amzDate = "20261122T120000Z"

    /// Headers signed over `canonicalURI` as given, for `service`.
    func headers(canonicalURI: String, service: String) -> [(String, String)] {
        let scope = CredentialScope(date: "20261122", region: "us-east-1", service: service)
        let headers = [("host", "127.0.0.1:9000"), ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"), ("x-amz-date", Self.amzDate)]
        let canonical = SigV4Signer.canonicalRequest(
            method: "GET", canonicalURI: canonicalURI, canonicalQuery: "",
            canonicalHeaders: SigV4Signer.canonicalHeaders(signedHeaders: headers.map(\.0)) { name in headers.filter { $0.0 == name }.map(\.1) },
            signedHeaders: headers.map(\.0), payloadHash: "UNSIGNED-PAYLOAD")
        let signature = SigV4Signer.signature(
            signingKey: SigV4Signer.signingKey(secret: VerifierTests.secret, scope: scope),
            stringToSign: SigV4Signer.stringToSign(amzDate: Self.amzDate, scope: scope, canonicalRequest: canonical))
        let authorization = "AWS4-HMAC-SHA256 Credential=\(VerifierTests.key)/\(scope.string), SignedHeaders=\(headers.map(\.0).joined(separator: ";")), Signature=\(signature)"
        return headers + [("authorization", authorization)]
    }

    func verifies(_ headers: [(String, String)], path: String, service: String) -> Bool {
        let request = VerifierTests.incoming(headers, path: path)
        guard case .verified = try? SigV4Verifier(services: [service]).authenticate(request, now: VerifierTests.now, secretForAccessKey: { _ in VerifierTests.secret }) else { return false }
        return true
    }

    @Test func aSignatureOverThePathAsSentVerifies() {
        // `!` escaped on the wire: its canonical form leaves it as `%21`; a client that signed
        // the path as it sent it signed `/bucket/a%21b` too, and one that sent `!` bare signed `!`.
        #expect(verifies(headers(canonicalURI: "/bucket/a!b", service: "s3"), path: "/bucket/a!b", service: "s3"))
        #expect(verifies(headers(canonicalURI: "/bucket/a%21b", service: "s3"), path: "/bucket/a!b", service: "s3"))
        #expect(!verifies(headers(canonicalURI: "/bucket/a!c", service: "s3"), path: "/bucket/a!b", service: "s3"))
    }

    @Test func otherServicesMaySignThePathEncodedTwice() {
        let twice = SigV4Signer.canonicalURI(decodedPath: "/v1/namespaces/a%1Fb")
        #expect(twice == "/v1/namespaces/a%251Fb")
        #expect(verifies(headers(canonicalURI: twice, service: "s3tables"), path: "/v1/namespaces/a%1Fb", service: "s3tables"))
        // S3 takes no path encoded twice.
        #expect(!verifies(headers(canonicalURI: twice, service: "s3"), path: "/v1/namespaces/a%1Fb", service: "s3"))
        #expect(verifies(headers(canonicalURI: "/v1/namespaces/a%1Fb", service: "s3"), path: "/v1/namespaces/a%1Fb", service: "s3"))
    }
}
