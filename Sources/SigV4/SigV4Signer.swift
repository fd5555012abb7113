import Crypto

/// The credential scope `<date>/<region>/<service>/aws4_request`.
public struct CredentialScope: Sendable, Hashable {
    public var date: String
    public var region: String
    public var service: String

    public init(date: String, region: String, service: String) {
        self.date = date
        self.region = region
        self.service = service
    }

    public var string: String { "\(date)/\(region)/\(service)/aws4_request" }

    /// The bytes of `string`, appended without making it.
    func append(to out: inout [UInt8]) {
        out.append(contentsOf: date.utf8)
        out.append(UInt8(ascii: "/"))
        out.append(contentsOf: region.utf8)
        out.append(UInt8(ascii: "/"))
        out.append(contentsOf: service.utf8)
        out.append(contentsOf: "/aws4_request".utf8)
    }
}

/// The stages of Signature Version 4, one function per stage of the AWS documentation
/// ("Create a canonical request", "Create a string to sign", "Derive a signing key",
/// "Calculate the signature"). Shared by the verifier (server) and by clients.
public enum SigV4Signer {
    public static let algorithm = "AWS4-HMAC-SHA256"
    public static let emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// The canonical URI: each segment of the decoded path encoded once (S3 style), `/` kept.
    public static func canonicalURI(decodedPath: String) -> String {
        decodedPath.isEmpty ? "/" : URIEncoding.encode(decodedPath, keepSlash: true)
    }

    /// The canonical query: names and values encoded, sorted by name then value.
    public static func canonicalQuery(_ items: [(name: String, value: String)]) -> String {
        guard !items.isEmpty else { return "" }
        // Encoded names and values are ASCII, so byte order is the code-point order SigV4 sorts by.
        let encoded = items.map { (URIEncoding.encode($0.name), URIEncoding.encode($0.value)) }.sorted { a, b in
            a.0 == b.0 ? a.1.utf8.lexicographicallyPrecedes(b.1.utf8) : a.0.utf8.lexicographicallyPrecedes(b.0.utf8)
        }
        var out = ""
        out.reserveCapacity(encoded.reduce(0) { $0 + $1.0.utf8.count + $1.1.utf8.count + 2 })
        for (index, pair) in encoded.enumerated() {
            if index > 0 { out += "&" }
            out += pair.0
            out += "="
            out += pair.1
        }
        return out
    }

    /// A header value as SigV4 canonicalises it: trimmed, inner runs of spaces folded to one.
    public static func canonicalHeaderValue(_ value: some StringProtocol) -> String {
        if isCanonical(value.utf8) { return String(value) }
        var out = ""
        out.reserveCapacity(value.utf8.count)
        var pendingSpace = false
        for ch in value.unicodeScalars {
            if ch == " " || ch == "\t" {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.append(" ") }
                pendingSpace = false
                out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    /// True when a value has no leading, trailing or doubled spaces and no tabs (the usual case).
    static func isCanonical(_ bytes: some Collection<UInt8>) -> Bool {
        var previousSpace = true
        for byte in bytes {
            if byte == UInt8(ascii: "\t") { return false }
            let space = byte == UInt8(ascii: " ")
            if space && previousSpace { return false }
            previousSpace = space
        }
        return !previousSpace || bytes.isEmpty
    }

    /// `name:value\n` for each signed header, in the order given (already sorted lower-case names).
    /// `values(name)` returns every value sent for that header; several are joined with `,`.
    public static func canonicalHeaders(signedHeaders: [String], values: (String) -> [String]) -> String {
        var out = ""
        for name in signedHeaders {
            let joined = values(name).map { canonicalHeaderValue($0) }.joined(separator: ",")
            out += "\(name):\(joined)\n"
        }
        return out
    }

    public static func canonicalRequest(
        method: String,
        canonicalURI: String,
        canonicalQuery: String,
        canonicalHeaders: String,
        signedHeaders: [String],
        payloadHash: String
    ) -> String {
        var out = ""
        out.reserveCapacity(
            method.utf8.count + canonicalURI.utf8.count + canonicalQuery.utf8.count + canonicalHeaders.utf8.count
                + signedHeaders.reduce(0) { $0 + $1.utf8.count + 1 } + payloadHash.utf8.count + 5)
        for part in [method, canonicalURI, canonicalQuery, canonicalHeaders] {
            out += part
            out += "\n"
        }
        for (index, name) in signedHeaders.enumerated() {
            if index > 0 { out += ";" }
            out += name
        }
        out += "\n"
        out += payloadHash
        return out
    }

    public static func stringToSign(amzDate: String, scope: CredentialScope, canonicalRequest: String) -> String {
        let scopeText = scope.string
        var out = ""
        out.reserveCapacity(algorithm.utf8.count + amzDate.utf8.count + scopeText.utf8.count + 64 + 3)
        out += algorithm
        out += "\n"
        out += amzDate
        out += "\n"
        out += scopeText
        out += "\n"
        out += sha256Hex(canonicalRequest)
        return out
    }

    public static func signingKey(secret: String, scope: CredentialScope) -> SymmetricKey {
        let kDate = hmac(key: SymmetricKey(data: Array("AWS4\(secret)".utf8)), scope.date)
        let kRegion = hmac(key: SymmetricKey(data: kDate), scope.region)
        let kService = hmac(key: SymmetricKey(data: kRegion), scope.service)
        return SymmetricKey(data: hmac(key: SymmetricKey(data: kService), "aws4_request"))
    }

    public static func signature(signingKey: SymmetricKey, stringToSign: String) -> String {
        signature(KeyedHMAC(key: signingKey), stringToSign: stringToSign)
    }

    static func signature(_ mac: KeyedHMAC, stringToSign: String) -> String {
        Hex.encode(mac.authenticationCode(stringToSign))
    }

    public static func sha256Hex(_ text: String) -> String {
        var text = text
        return text.withUTF8 { bytes in
            var hasher = SHA256()
            hasher.update(bufferPointer: UnsafeRawBufferPointer(bytes))
            return hasher.finalize().withUnsafeBytes { Hex.encode($0) }
        }
    }

    static func hmac(key: SymmetricKey, _ message: String) -> [UInt8] {
        KeyedHMAC(key: key).authenticationCode(message)
    }
}

/// Signs a request as a client does; used by tests, the benchmark tool and (later) the CLI.
public struct SigV4Credentials: Sendable {
    public var accessKey: String
    public var secretKey: String
    public var sessionToken: String?

    public init(accessKey: String, secretKey: String, sessionToken: String? = nil) {
        self.accessKey = accessKey
        self.secretKey = secretKey
        self.sessionToken = sessionToken
    }
}

extension SigV4Signer {
    /// Returns the `Authorization` header value for a request whose headers (lower-case names)
    /// already include `host` and `x-amz-date`.
    public static func authorization(
        method: String,
        decodedPath: String,
        query: [(name: String, value: String)],
        headers: [(name: String, value: String)],
        payloadHash: String,
        credentials: SigV4Credentials,
        scope: CredentialScope,
        amzDate: String
    ) -> String {
        let signed = Array(Set(headers.map { $0.name.lowercased() })).sorted()
        let canonical = canonicalRequest(
            method: method,
            canonicalURI: canonicalURI(decodedPath: decodedPath),
            canonicalQuery: canonicalQuery(query),
            canonicalHeaders: canonicalHeaders(signedHeaders: signed) { name in
                headers.filter { $0.name.lowercased() == name }.map(\.value)
            },
            signedHeaders: signed,
            payloadHash: payloadHash
        )
        let key = signingKey(secret: credentials.secretKey, scope: scope)
        let sig = signature(signingKey: key, stringToSign: stringToSign(amzDate: amzDate, scope: scope, canonicalRequest: canonical))
        return "\(algorithm) Credential=\(credentials.accessKey)/\(scope.string), SignedHeaders=\(signed.joined(separator: ";")), Signature=\(sig)"
    }
}
