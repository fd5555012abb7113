import Crypto

/// AWS Signature Version 2 for S3 ("Signing and authenticating REST requests"): still what
/// boto3's `generate_presigned_url` and `aws s3 presign` produce by default against a
/// custom endpoint, and what older tools send. HMAC-SHA1 over
///
///     VERB \n Content-MD5 \n Content-Type \n Date-or-Expires \n CanonicalizedAmzHeaders CanonicalizedResource
public enum SigV2 {
    /// Sub-resources that are part of the canonical resource, per the S3 documentation.
    static let signedSubresources: Set<String> = [
        "accelerate", "acl", "analytics", "cors", "delete", "inventory", "lifecycle", "location", "logging", "metrics",
        "notification", "object-lock", "partNumber", "policy", "replication", "requestPayment", "response-cache-control",
        "response-content-disposition", "response-content-encoding", "response-content-language", "response-content-type",
        "response-expires", "restore", "select", "select-type", "storageClass", "tagging", "torrent", "uploadId", "uploads",
        "versionId", "versioning", "versions", "website",
    ]

    /// Whether `claimed` signs the request. The canonical resource for a bucket is `/bucket/`;
    /// some clients sign `/bucket` as sent instead, so both are tried.
    static func matches(_ request: IncomingRequest, secret: String, dateOrExpires: String, claimed: String, presigned: Bool = false) -> Bool {
        var resources = [request.v2ResourcePath]
        // Only the bucket's own two spellings (`/bucket` and `/bucket/`): accepting the path as
        // sent in general would let a virtual-host request replay a signature made for another
        // bucket's `/key`.
        if request.rawPath + "/" == request.v2ResourcePath { resources.append(request.rawPath) }
        var matched = false
        for resource in resources {
            let toSign = stringToSign(request, resource: resource, dateOrExpires: dateOrExpires, presigned: presigned)
            if constantTimeEquals(signature(secret: secret, stringToSign: toSign), claimed) { matched = true }
        }
        return matched
    }

    /// - Parameter presigned: `x-amz-*` query parameters (a session's `x-amz-security-token`) are
    ///   signed as if they were headers, which is where the signer had them.
    static func stringToSign(_ request: IncomingRequest, resource: String, dateOrExpires: String, presigned: Bool = false) -> String {
        var amzHeaders: [String: [String]] = [:]
        for name in request.headerNames where name.hasPrefix("x-amz-") {
            amzHeaders[name, default: []] += request.headerValues(name).map { SigV4Signer.canonicalHeaderValue($0) }
        }
        if presigned {
            for item in request.query where item.name.lowercased().hasPrefix("x-amz-") {
                amzHeaders[item.name.lowercased(), default: []].append(SigV4Signer.canonicalHeaderValue(item.value))
            }
        }
        var out = request.method + "\n"
        out += (request.header("content-md5") ?? "") + "\n"
        out += (request.header("content-type") ?? "") + "\n"
        out += dateOrExpires + "\n"
        for name in amzHeaders.keys.sorted() { out += "\(name):\(amzHeaders[name]!.joined(separator: ","))\n" }
        out += canonicalResource(request, path: resource)
        return out
    }

    static func canonicalResource(_ request: IncomingRequest, path: String) -> String {
        var resource = path
        let included = request.query.filter { signedSubresources.contains($0.name) }.sorted { $0.name < $1.name }
        if !included.isEmpty {
            resource += "?" + included.map { $0.value.isEmpty ? $0.name : "\($0.name)=\($0.value)" }.joined(separator: "&")
        }
        return resource
    }

    /// Also how a browser form's V2 policy signature is made (POST Object).
    public static func signature(secret: String, stringToSign: String) -> String {
        let mac = HMAC<Insecure.SHA1>.authenticationCode(for: Array(stringToSign.utf8), using: SymmetricKey(data: Array(secret.utf8)))
        return Base64.encode(Array(mac))
    }
}

extension SigV4Verifier {
    /// `Authorization: AWS <key>:<signature>`
    func verifyV2Header(_ authorization: String, _ request: IncomingRequest, now: Int64, secretForAccessKey: (String) -> String?) throws(SigV4Error) -> VerifiedRequest {
        let credential = authorization.dropFirst("AWS ".count)
        guard let colon = credential.lastIndex(of: ":") else {
            throw SigV4Error(.authorizationHeaderMalformed, "The authorization header is malformed; expected AWS <AccessKeyId>:<Signature>.")
        }
        let accessKey = String(credential[..<colon])
        let claimed = String(credential[credential.index(after: colon)...])
        let amzDate = request.header("x-amz-date")
        guard let dateText = amzDate ?? request.header("date"),
            let signedAt = HTTPDate.parse(dateText) ?? AmzDate.parse(dateText)
        else {
            throw SigV4Error(.accessDenied, "AWS authentication requires a valid Date or x-amz-date header")
        }
        guard let secret = secretForAccessKey(accessKey) else {
            throw SigV4Error(.invalidAccessKeyId, "The AWS Access Key Id you provided does not exist in our records.")
        }
        // A date before 1970 is no request time at all: refused as S3 refuses it, not as skew.
        guard signedAt >= 0 else { throw SigV4Error(.accessDenied, "AWS authentication requires a valid Date or x-amz-date header") }
        guard abs(now - signedAt) <= Self.maxClockSkewSeconds else {
            throw SigV4Error(.requestTimeTooSkewed, "The difference between the request time and the current time is too large.")
        }
        // With x-amz-date present the Date line is empty (the header is signed among the x-amz-* ones).
        let dateLine = amzDate == nil ? (request.header("date") ?? "") : ""
        guard SigV2.matches(request, secret: secret, dateOrExpires: dateLine, claimed: claimed) else {
            throw SigV4Error(.signatureDoesNotMatch, "The request signature we calculated does not match the signature you provided. Check your key and signing method.")
        }
        return VerifiedRequest(accessKey: accessKey, scope: nil, payload: .unsigned, isPresigned: false, chunkChain: nil)
    }

    /// `?AWSAccessKeyId=…&Expires=<epoch seconds>&Signature=…`
    func verifyV2Presigned(_ request: IncomingRequest, now: Int64, secretForAccessKey: (String) -> String?) throws(SigV4Error) -> VerifiedRequest {
        guard let accessKey = request.queryValue("AWSAccessKeyId"), let claimed = request.queryValue("Signature"),
            let expiresText = request.queryValue("Expires")
        else {
            throw SigV4Error(.accessDenied, "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters")
        }
        guard let expires = Int64(expiresText) else {
            throw SigV4Error(.accessDenied, "Invalid date (should be seconds since epoch): \(expiresText)")
        }
        guard let secret = secretForAccessKey(accessKey) else {
            throw SigV4Error(.invalidAccessKeyId, "The AWS Access Key Id you provided does not exist in our records.")
        }
        if now > expires { throw SigV4Error(.requestExpired, "Request has expired") }
        // SigV2 URLs name an end time, not a lifetime: hold them to SigV4's longest one.
        guard expires - now <= Self.maxPresignedExpirySeconds else {
            throw SigV4Error(.accessDenied, "Query-string authentication requires an expiry no more than 604800 seconds (7 days) from now")
        }
        guard SigV2.matches(request, secret: secret, dateOrExpires: expiresText, claimed: claimed, presigned: true) else {
            throw SigV4Error(.signatureDoesNotMatch, "The request signature we calculated does not match the signature you provided. Check your key and signing method.")
        }
        return VerifiedRequest(accessKey: accessKey, scope: nil, payload: .unsigned, isPresigned: true, chunkChain: nil)
    }
}
