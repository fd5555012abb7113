import Crypto

/// A request's headers as the verifier reads them: by lower-case name, only as it asks.
public protocol SignedHeaderSource {
    /// Calls `body` with each value sent for a lower-case name, in order; `host` included.
    func forEachValue(_ name: String, _ body: (String) -> Void)
    /// Whether a header name sent (lower-case) satisfies `predicate`, without listing them.
    func containsName(where predicate: (String) -> Bool) -> Bool
    /// Every header name sent, lower-case (SigV2 signs all `x-amz-*` headers).
    var names: [String] { get }
}

/// Headers given as a list of names and a function from a name to its values.
struct ListedHeaders: SignedHeaderSource {
    let listNames: () -> [String]
    let values: (String) -> [String]

    func forEachValue(_ name: String, _ body: (String) -> Void) { values(name).forEach(body) }
    func containsName(where predicate: (String) -> Bool) -> Bool { listNames().contains(where: predicate) }
    var names: [String] { listNames() }
}

/// What the server knows of a request before it reads the body.
public struct IncomingRequest {
    public var method: String
    /// The path exactly as sent on the request line, still percent-encoded, without the query.
    public var rawPath: String
    /// Query parameters, decoded, in the order sent.
    public var query: [(name: String, value: String)]
    /// The query as sent (after `?`, still percent-encoded), when the caller has it: the
    /// canonical query is taken from it directly when it is already in canonical form.
    public var rawQuery: Substring?
    /// The headers. A source of three words or less is held without an allocation of its own
    /// (a closure per way of asking was one each, for every request).
    public var headers: any SignedHeaderSource
    /// Every header name sent, lower-case; listed only when asked.
    public var headerNames: [String] { headers.names }
    /// `/bucket/key` as sent, also for virtual-host requests (SigV2's canonical resource).
    public var v2ResourcePath: String
    /// The body's SHA-256 (hex) when the server has already read it: services other than S3
    /// (STS, the catalog) sign the body hash without sending `x-amz-content-sha256`.
    public var bodySHA256: String?

    public init(
        method: String, rawPath: String, query: [(name: String, value: String)], headerNames: [String] = [],
        v2ResourcePath: String? = nil, headerValues: @escaping (String) -> [String]
    ) {
        self.init(method: method, rawPath: rawPath, query: query, v2ResourcePath: v2ResourcePath, listHeaderNames: { headerNames }, headerValues: headerValues)
    }

    public init(
        method: String, rawPath: String, query: [(name: String, value: String)], v2ResourcePath: String? = nil,
        listHeaderNames: @escaping () -> [String], headerValues: @escaping (String) -> [String]
    ) {
        self.init(
            method: method, rawPath: rawPath, query: query, v2ResourcePath: v2ResourcePath,
            headers: ListedHeaders(listNames: listHeaderNames, values: headerValues))
    }

    public init(
        method: String, rawPath: String, query: [(name: String, value: String)], v2ResourcePath: String? = nil,
        headers: any SignedHeaderSource
    ) {
        self.method = method
        self.rawPath = rawPath
        self.query = query
        self.headers = headers
        self.v2ResourcePath = v2ResourcePath ?? rawPath
    }

    /// Every value sent for a lower-case header name.
    public func headerValues(_ name: String) -> [String] {
        var values: [String] = []
        headers.forEachValue(name) { values.append($0) }
        return values
    }

    func header(_ name: String) -> String? {
        var first: String?
        headers.forEachValue(name) { value in if first == nil { first = value } }
        return first
    }

    /// A session's token, where each signing form carries it: the header, or the query of a
    /// presigned URL (`X-Amz-Security-Token` for SigV4, `x-amz-security-token` for SigV2).
    public var securityToken: String? {
        header("x-amz-security-token") ?? queryValue("X-Amz-Security-Token") ?? queryValue("x-amz-security-token")
    }
    /// The first value of a query parameter, its name compared as bytes (as AWS does).
    func queryValue(_ name: String) -> String? { query.first { $0.name.sameBytes(name) }?.value }
}

/// How the body of a verified request is protected.
public enum PayloadMode: Sendable, Equatable {
    /// `UNSIGNED-PAYLOAD`: nothing to check.
    case unsigned
    /// The body must hash to this lower-case hex SHA-256.
    case sha256(String)
    /// aws-chunked with a signature per chunk (and a signed trailer when `trailer`).
    case streamingSigned(trailer: Bool)
    /// aws-chunked without chunk signatures, ending with a checksum trailer.
    case streamingUnsignedTrailer

    public var isAWSChunked: Bool {
        switch self {
        case .streamingSigned, .streamingUnsignedTrailer: return true
        case .unsigned, .sha256: return false
        }
    }
}

public struct VerifiedRequest: Sendable {
    public var accessKey: String
    /// The SigV4 credential scope; nil for SigV2.
    public var scope: CredentialScope?
    public var payload: PayloadMode
    public var isPresigned: Bool
    /// Present for `streamingSigned`: checks each chunk against the seed signature.
    public var chunkChain: ChunkSignatureChain?
}

public enum AuthenticationResult: Sendable {
    case anonymous
    case verified(VerifiedRequest)
}

/// Verifies header-signed and presigned SigV4 requests.
public struct SigV4Verifier: Sendable {
    public static let maxClockSkewSeconds: Int64 = 15 * 60
    public static let maxPresignedExpirySeconds: Int64 = 604_800
    static let maxRegionBytes = 64

    /// Signing names this listener accepts in the credential scope (e.g. `s3`).
    public var services: Set<String>
    /// Derived signing keys: four HMACs per (secret, day, region, service), done once a day per key.
    let signingKeys = SigningKeyCache()

    public init(services: Set<String> = ["s3"]) {
        self.services = services
    }

    /// - Parameters:
    ///   - secretForAccessKey: the secret of an access key, or nil when the key is unknown.
    ///   - now: seconds since 1970.
    public func authenticate(
        _ request: IncomingRequest,
        now: Int64,
        secretForAccessKey: (String) -> String?
    ) throws(SigV4Error) -> AuthenticationResult {
        if let authorization = request.header("authorization") {
            if authorization.hasPrefix("AWS ") {
                return .verified(try verifyV2Header(authorization, request, now: now, secretForAccessKey: secretForAccessKey))
            }
            return .verified(try verifyHeader(authorization, request, now: now, secretForAccessKey: secretForAccessKey))
        }
        if request.queryValue("X-Amz-Algorithm") != nil || request.queryValue("X-Amz-Signature") != nil {
            return .verified(try verifyPresigned(request, now: now, secretForAccessKey: secretForAccessKey))
        }
        if request.queryValue("Signature") != nil || request.queryValue("AWSAccessKeyId") != nil {
            return .verified(try verifyV2Presigned(request, now: now, secretForAccessKey: secretForAccessKey))
        }
        return .anonymous
    }

    // MARK: header form

    struct AuthorizationHeader {
        var accessKey: String
        var scope: CredentialScope
        var signedHeaders: [String]
        var signature: String
    }

    static func parseAuthorizationHeader(_ value: String) throws(SigV4Error) -> AuthorizationHeader {
        let malformed = { (message: String) in SigV4Error(.authorizationHeaderMalformed, message) }
        let prefix = SigV4Signer.algorithm + " "
        guard value.utf8.starts(with: prefix.utf8) else {
            throw SigV4Error(.unsupportedAlgorithm, "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.")
        }
        // The last of a repeated component counts; unknown components are ignored.
        var credential: String?
        var signedHeaders: String?
        var signature: String?
        var malformedComponent: String?
        var text = value
        text.withUTF8 { bytes in
            var start = prefix.utf8.count
            while start < bytes.count, malformedComponent == nil {
                var end = start
                while end < bytes.count, bytes[end] != UInt8(ascii: ",") { end += 1 }
                defer { start = end + 1 }
                // An empty component (",,") is skipped; one of spaces alone is malformed.
                guard end > start else { continue }
                let component = trimmingSpaces(bytes, start..<end)
                guard let eq = bytes[component].firstIndex(of: UInt8(ascii: "=")) else {
                    malformedComponent = String(decoding: UnsafeBufferPointer(rebasing: bytes[component]), as: UTF8.self)
                    continue
                }
                let name = UnsafeBufferPointer(rebasing: bytes[component.lowerBound..<eq])
                let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[(eq + 1)..<component.upperBound]), as: UTF8.self)
                if name.elementsEqual("Credential".utf8) {
                    credential = text
                } else if name.elementsEqual("SignedHeaders".utf8) {
                    signedHeaders = text
                } else if name.elementsEqual("Signature".utf8) {
                    signature = text
                }
            }
        }
        if let malformedComponent {
            throw malformed("The authorization header is malformed; the authorization component \"\(malformedComponent)\" is malformed.")
        }
        guard let credential else {
            throw malformed("The authorization header is malformed; missing Credential.")
        }
        guard let signedHeaders else {
            throw malformed("The authorization header is malformed; missing SignedHeaders.")
        }
        guard let signature else {
            throw malformed("The authorization header is malformed; missing Signature.")
        }
        let (accessKey, scope) = try parseCredential(credential, error: .authorizationHeaderMalformed)
        return AuthorizationHeader(
            accessKey: accessKey,
            scope: scope,
            signedHeaders: signedHeaders.splitASCII(UInt8(ascii: ";"), omittingEmpty: true),
            signature: signature
        )
    }

    static func parseCredential(_ credential: String, error code: SigV4Error.Code) throws(SigV4Error) -> (String, CredentialScope) {
        // `<key>/<date>/<region>/<service>/aws4_request`: the scope is the last four parts, and
        // the key all before them (an access key never holds `/`, but be exact about the scope).
        var text = credential
        let parts: (key: String, date: String, region: String, service: String)? = text.withUTF8 { bytes in
            var slashes = (0, 0, 0, 0)
            var found = 0
            var index = bytes.count
            while found < 4, index > 0 {
                index -= 1
                guard bytes[index] == UInt8(ascii: "/") else { continue }
                switch found {
                case 0: slashes.0 = index
                case 1: slashes.1 = index
                case 2: slashes.2 = index
                default: slashes.3 = index
                }
                found += 1
            }
            guard found == 4, sameBytesOf(UnsafeBufferPointer(rebasing: bytes[(slashes.0 + 1)...]), UnsafeBufferPointer(start: ("aws4_request" as StaticString).utf8Start, count: 12)) else { return nil }
            func text(_ range: Range<Int>) -> String { String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self) }
            return (text(0..<slashes.3), text((slashes.3 + 1)..<slashes.2), text((slashes.2 + 1)..<slashes.1), text((slashes.1 + 1)..<slashes.0))
        }
        guard let parts else {
            throw SigV4Error(code, "The authorization header is malformed; the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".")
        }
        let scope = CredentialScope(date: parts.date, region: parts.region, service: parts.service)
        // Region names are short ("us-east-1", "eu-central-2"); a long one is not a region.
        guard (1...Self.maxRegionBytes).contains(scope.region.utf8.count) else {
            throw SigV4Error(code, "The authorization header is malformed; the region '\(scope.region.prefix(64))' is wrong.")
        }
        guard scope.date.utf8.count == 8, scope.date.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            throw SigV4Error(code, "The authorization header is malformed; Invalid credential date \"\(scope.date)\". This date is not the same as X-Amz-Date.")
        }
        return (parts.key, scope)
    }

    func verifyHeader(
        _ authorization: String,
        _ request: IncomingRequest,
        now: Int64,
        secretForAccessKey: (String) -> String?
    ) throws(SigV4Error) -> VerifiedRequest {
        let parsed = try Self.parseAuthorizationHeader(authorization)
        guard services.contains(parsed.scope.service) else {
            throw SigV4Error(.authorizationHeaderMalformed, "The authorization header is malformed; incorrect service \"\(parsed.scope.service)\". This endpoint belongs to \"\(services.sorted().joined(separator: ","))\".")
        }
        // X-Amz-Date wins; without it the Date header (an HTTP date) gives the request time, as
        // SigV4 allows and botocore signs when a request carries a Date of its own.
        let amzDate: String
        if let header = request.header("x-amz-date") {
            amzDate = header
        } else if let date = request.header("date"), let seconds = HTTPDate.parse(date) {
            amzDate = AmzDate.format(seconds)
        } else {
            throw SigV4Error(.accessDenied, "AWS authentication requires a valid Date or x-amz-date header")
        }
        guard let signedAt = AmzDate.parse(amzDate) else {
            throw SigV4Error(.accessDenied, "AWS authentication requires a valid Date or x-amz-date header")
        }
        guard amzDate.hasPrefix(parsed.scope.date) else {
            throw SigV4Error(.authorizationHeaderMalformed, "The authorization header is malformed; Invalid credential date. Date is not the same as X-Amz-Date.")
        }
        guard parsed.signedHeaders.contains("host") else {
            throw SigV4Error(.authorizationHeaderMalformed, "The authorization header is malformed; the SignedHeaders must include host.")
        }
        guard let secret = secretForAccessKey(parsed.accessKey) else {
            throw SigV4Error(.invalidAccessKeyId, "The AWS Access Key Id you provided does not exist in our records.")
        }
        guard abs(now - signedAt) <= Self.maxClockSkewSeconds else {
            throw SigV4Error(.requestTimeTooSkewed, "The difference between the request time and the current time is too large.")
        }
        guard let payloadHash = request.header("x-amz-content-sha256") ?? request.bodySHA256 else {
            throw SigV4Error(.missingSecurityHeader, "Missing required header for this request: x-amz-content-sha256")
        }
        let payload = try Self.payloadMode(payloadHash)
        if case .sha256(let claimed) = payload, let known = request.bodySHA256, claimed != known.lowercased() {
            throw SigV4Error(.contentSHA256Mismatch, "The provided 'x-amz-content-sha256' header does not match what was computed.")
        }
        let (key, remember) = signingKeys.key(secret: secret, scope: parsed.scope)
        try checkSignature(
            request: request,
            query: request.query,
            signedHeaders: parsed.signedHeaders,
            payloadHash: payloadHash,
            amzDate: amzDate,
            scope: parsed.scope,
            mac: key.mac,
            claimed: parsed.signature
        )
        try Self.requireSignedAmzHeaders(request, signed: parsed.signedHeaders)
        remember()
        var chain: ChunkSignatureChain? = nil
        if case .streamingSigned = payload {
            chain = ChunkSignatureChain(signingKey: key.key, amzDate: amzDate, scope: parsed.scope, seedSignature: parsed.signature)
        }
        return VerifiedRequest(
            accessKey: parsed.accessKey,
            scope: parsed.scope,
            payload: payload,
            isPresigned: false,
            chunkChain: chain
        )
    }

    static func payloadMode(_ value: String) throws(SigV4Error) -> PayloadMode {
        switch value {
        case "UNSIGNED-PAYLOAD": return .unsigned
        case "STREAMING-AWS4-HMAC-SHA256-PAYLOAD": return .streamingSigned(trailer: false)
        case "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER": return .streamingSigned(trailer: true)
        case "STREAMING-UNSIGNED-PAYLOAD-TRAILER": return .streamingUnsignedTrailer
        default:
            guard value.utf8.count == 64, Hex.decode(value) != nil else {
                throw SigV4Error(.invalidContentSHA256, "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.")
            }
            return .sha256(value.lowercased())
        }
    }

    // MARK: presigned form

    func verifyPresigned(
        _ request: IncomingRequest,
        now: Int64,
        secretForAccessKey: (String) -> String?
    ) throws(SigV4Error) -> VerifiedRequest {
        let parameters = PresignedParameters(request.query)
        guard let algorithm = parameters.algorithm,
            let credential = parameters.credential,
            let signature = parameters.signature,
            let amzDate = parameters.date,
            let signedHeadersValue = parameters.signedHeaders,
            let expiresValue = parameters.expires
        else {
            throw SigV4Error(.authorizationQueryParametersError, "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.")
        }
        guard algorithm == SigV4Signer.algorithm else {
            throw SigV4Error(.authorizationQueryParametersError, "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"")
        }
        let (accessKey, scope) = try Self.parseCredential(credential, error: .authorizationQueryParametersError)
        guard services.contains(scope.service) else {
            throw SigV4Error(.authorizationQueryParametersError, "Error parsing the X-Amz-Credential parameter; incorrect service \"\(scope.service)\".")
        }
        guard let signedAt = AmzDate.parse(amzDate) else {
            throw SigV4Error(.authorizationQueryParametersError, "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
        }
        // Beyond a week is malformed (400 AuthorizationQueryParametersError, as S3); a negative
        // lifetime ended before the request was signed: expired (403).
        guard let expires = Int64(expiresValue) else {
            throw SigV4Error(.authorizationQueryParametersError, "X-Amz-Expires should be a number")
        }
        guard expires >= 0 else { throw SigV4Error(.requestExpired, "Request has expired") }
        guard expires <= Self.maxPresignedExpirySeconds else {
            throw SigV4Error(.authorizationQueryParametersError, "X-Amz-Expires must be less than a week (in seconds) that is 604800")
        }
        let signedHeaders = signedHeadersValue.splitASCII(UInt8(ascii: ";"), omittingEmpty: true)
        // As AWS: a URL whose signature leaves the host out would verify on any host that knows the key.
        guard signedHeaders.contains(where: { $0.lowercased() == "host" }) else {
            throw SigV4Error(.accessDenied, "There were headers present in the request which were not signed")
        }
        guard let secret = secretForAccessKey(accessKey) else {
            throw SigV4Error(.invalidAccessKeyId, "The AWS Access Key Id you provided does not exist in our records.")
        }
        if now + Self.maxClockSkewSeconds < signedAt {
            throw SigV4Error(.requestNotYetValid, "Request is not valid yet")
        }
        // A URL valid for 0 seconds is expired when it arrives.
        if now > signedAt + expires || expires == 0 {
            throw SigV4Error(.requestExpired, "Request has expired")
        }
        let payloadHash = request.header("x-amz-content-sha256") ?? "UNSIGNED-PAYLOAD"
        let (key, remember) = signingKeys.key(secret: secret, scope: scope)
        try checkSignature(
            request: request,
            query: request.query,
            omitting: "X-Amz-Signature",
            signedHeaders: signedHeaders,
            payloadHash: payloadHash,
            amzDate: amzDate,
            scope: scope,
            mac: key.mac,
            claimed: signature
        )
        try Self.requireSignedAmzHeaders(request, signed: signedHeaders)
        remember()
        return VerifiedRequest(
            accessKey: accessKey,
            scope: scope,
            payload: payloadHash == "UNSIGNED-PAYLOAD" ? .unsigned : try Self.payloadMode(payloadHash),
            isPresigned: true,
            chunkChain: nil
        )
    }

    /// A presigned URL's `X-Amz-*` parameters, each the first sent, read in one pass over the query.
    struct PresignedParameters {
        var algorithm: String?
        var credential: String?
        var signature: String?
        var date: String?
        var signedHeaders: String?
        var expires: String?

        init(_ query: [(name: String, value: String)]) {
            for (name, value) in query where name.utf8.count >= 10 {
                switch name.utf8.count {
                case 10 where name.sameBytes("X-Amz-Date"): date = date ?? value
                case 13 where name.sameBytes("X-Amz-Expires"): expires = expires ?? value
                case 15 where name.sameBytes("X-Amz-Algorithm"): algorithm = algorithm ?? value
                case 15 where name.sameBytes("X-Amz-Signature"): signature = signature ?? value
                case 16 where name.sameBytes("X-Amz-Credential"): credential = credential ?? value
                case 19 where name.sameBytes("X-Amz-SignedHeaders"): signedHeaders = signedHeaders ?? value
                default: break
                }
            }
        }
    }

    /// Every `x-amz-*` header must be signed, as AWS requires: otherwise anyone holding a signed
    /// request (a presigned URL above all) could add a copy source, tags or an ACL to it.
    /// `x-amz-content-sha256` is covered anyway: it is the canonical request's payload hash.
    static func requireSignedAmzHeaders(_ request: IncomingRequest, signed: [String]) throws(SigV4Error) {
        guard request.headers.containsName(where: { $0.hasPrefix("x-amz-") }) else { return }
        // A handful of names: a scan costs less than hashing them into a set.
        let signedNames = signed.map { $0.lowercased() }
        for name in request.headerNames where name.hasPrefix("x-amz-") && name != "x-amz-content-sha256" && !signedNames.contains(name) {
            throw SigV4Error(.accessDenied, "There were headers present in the request which were not signed")
        }
    }

    // MARK: the comparison

    /// Computes the signature for the path as S3 canonicalises it (decoded, encoded once), and,
    /// if that differs, for the path exactly as sent: clients differ in how they escape characters
    /// such as `!`, `*`, `'`, `(`, `)` and both forms are signatures over the same request.
    /// Where the string to sign gets the hex of the canonical request's hash.
    private static let hexPlaceholder = [UInt8](repeating: 0, count: 2 * SHA256.byteCount)

    func checkSignature(
        request: IncomingRequest,
        query: [(name: String, value: String)],
        omitting: String? = nil,
        signedHeaders: [String],
        payloadHash: String,
        amzDate: String,
        scope: CredentialScope,
        mac: KeyedHMAC,
        claimed: String
    ) throws(SigV4Error) {
        // One buffer holds the string to sign (its prefix, then the hex of the canonical
        // request's hash) and after it the canonical request: method, URI, then a part the same
        // for every URI tried. Each is hashed in place at once (a SHA-256 value copied before an
        // update allocates a copy of its state), and trying another URI rewrites only the URI.
        // Tried in turn, each only when the ones before it did not sign the request: the path as
        // S3 canonicalises it, the path as sent, and for other services the path encoded twice.
        let canonicalURI = URIEncoding.isPlainPath(request.rawPath)
            ? request.rawPath : URIEncoding.decode(request.rawPath).map { SigV4Signer.canonicalURI(decodedPath: $0) }
        let raw = request.rawPath.isEmpty ? "/" : request.rawPath
        var buffer: [UInt8] = []
        buffer.reserveCapacity(
            160 + request.method.utf8.count + request.rawPath.utf8.count * 2 + CanonicalBytes.afterURICapacity(query: query))
        buffer.append(contentsOf: SigV4Signer.algorithm.utf8)
        buffer.append(UInt8(ascii: "\n"))
        buffer.append(contentsOf: amzDate.utf8)
        buffer.append(UInt8(ascii: "\n"))
        scope.append(to: &buffer)
        buffer.append(UInt8(ascii: "\n"))
        let hexStart = buffer.count
        buffer.append(contentsOf: Self.hexPlaceholder)
        let canonicalStart = buffer.count
        buffer.append(contentsOf: request.method.utf8)
        buffer.append(UInt8(ascii: "\n"))
        let uriStart = buffer.count
        // The first URI tried is written in place; each later one differs from those before it.
        buffer.append(contentsOf: (canonicalURI ?? raw).utf8)
        var uriEnd = buffer.count
        var firstTry = true
        CanonicalBytes.appendAfterURI(
            query: query, rawQuery: request.rawQuery, omitting: omitting, signedHeaders: signedHeaders,
            headers: request.headers, payloadHash: payloadHash, to: &buffer)
        func signs(_ uri: String) -> Bool {
            if firstTry {
                firstTry = false
            } else {
                var uri = uri
                uri.withUTF8 { buffer.replaceSubrange(uriStart..<uriEnd, with: $0) }
                uriEnd = uriStart + uri.utf8.count
            }
            return buffer.withUnsafeMutableBufferPointer { all in
                let digest = SHA256.digest(of: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: all[canonicalStart...])))
                Hex.write(bytesOf: digest, into: UnsafeMutableBufferPointer(rebasing: all[hexStart..<canonicalStart]))
                return Hex.matches(mac.code(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: all[..<canonicalStart]))), claimed)
            }
        }
        if let canonicalURI, signs(canonicalURI) { return }
        if raw != canonicalURI, signs(raw) { return }
        // Services other than S3 (the catalog's s3tables, execute-api) sign the path encoded
        // twice, as botocore's signer does for them: a nested namespace's %1F is %251F there.
        if scope.service != "s3" {
            let twice = SigV4Signer.canonicalURI(decodedPath: raw)
            if twice != canonicalURI, twice != raw, signs(twice) { return }
        }
        throw SigV4Error(.signatureDoesNotMatch, "The request signature we calculated does not match the signature you provided. Check your key and signing method.")
    }
}

extension Substring {
    /// Without the spaces and tabs around it (HTTP's optional whitespace), over the UTF-8 bytes.
    public var trimmingSpaces: Substring {
        let bytes = utf8
        var start = bytes.startIndex
        var end = bytes.endIndex
        while start < end, bytes[start] == UInt8(ascii: " ") || bytes[start] == UInt8(ascii: "\t") { start = bytes.index(after: start) }
        while start < end {
            let last = bytes.index(before: end)
            guard bytes[last] == UInt8(ascii: " ") || bytes[last] == UInt8(ascii: "\t") else { break }
            end = last
        }
        return self[start..<end]
    }
}

extension StringProtocol {
    /// Splits on an ASCII byte over the UTF-8 code units: header and query syntax is bytes, and
    /// `split` on Characters pays for grapheme breaking on every request.
    func splitASCII(_ separator: UInt8, omittingEmpty: Bool = false) -> [String] {
        if let parts = utf8.withContiguousStorageIfAvailable({ asciiParts(of: $0, separator, omittingEmpty) }) { return parts }
        return Array(utf8).withUnsafeBufferPointer { asciiParts(of: $0, separator, omittingEmpty) }
    }
}

private func asciiParts(of bytes: UnsafeBufferPointer<UInt8>, _ separator: UInt8, _ omittingEmpty: Bool) -> [String] {
    var parts: [String] = []
    var start = 0
    for index in 0...bytes.count where index == bytes.count || bytes[index] == separator {
        if !(omittingEmpty && start == index) {
            parts.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self))
        }
        start = index + 1
    }
    return parts
}

/// `range` of `bytes` without the spaces and tabs around it (HTTP's optional whitespace).
private func trimmingSpaces(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Range<Int> {
    var (start, end) = (range.lowerBound, range.upperBound)
    while start < end, bytes[start] == UInt8(ascii: " ") || bytes[start] == UInt8(ascii: "\t") { start += 1 }
    while start < end, bytes[end - 1] == UInt8(ascii: " ") || bytes[end - 1] == UInt8(ascii: "\t") { end -= 1 }
    return start..<end
}

extension String {
    /// Equal as bytes, for names on the wire against ASCII names: the byte counts first, which
    /// settles most. With the counts equal, `==` (canonical equivalence) is byte equality when
    /// one side is ASCII: text that normalizes to ASCII but holds other characters is longer.
    @inline(__always)
    func sameBytes(_ other: String) -> Bool {
        utf8.count == other.utf8.count && self == other
    }
}

/// Whether two buffers of the same length hold the same bytes.
func sameBytesOf(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
    guard a.count == b.count else { return false }
    var index = 0
    while index < a.count {
        if a[index] != b[index] { return false }
        index += 1
    }
    return true
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
