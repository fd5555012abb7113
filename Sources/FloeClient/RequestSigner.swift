import Crypto
import Foundation
import SigV4

/// Signs requests with SigV4 as AWS SDKs do: header signatures and presigned URLs.
struct RequestSigner: Sendable {
    let endpoint: Endpoint
    let service: String

    /// The headers to add (host, x-amz-date, x-amz-content-sha256, token, Authorization).
    func sign(
        method: String, path: String, query: [(name: String, value: String)], headers: [(name: String, value: String)], payloadHash: String,
        now: Date = Date()
    ) -> [(name: String, value: String)] {
        let amzDate = AmzDate.format(Int64(now.timeIntervalSince1970))
        var signed = headers.map { (name: $0.name.lowercased(), value: $0.value) }
        signed.append(("host", endpoint.authority))
        signed.append(("x-amz-date", amzDate))
        signed.append(("x-amz-content-sha256", payloadHash))
        if let token = endpoint.sessionToken { signed.append(("x-amz-security-token", token)) }
        let scope = CredentialScope(date: String(amzDate.prefix(8)), region: endpoint.region, service: service)
        let authorization = SigV4Signer.authorization(
            method: method, decodedPath: path, query: query, headers: signed, payloadHash: payloadHash,
            credentials: SigV4Credentials(accessKey: endpoint.accessKey, secretKey: endpoint.secretKey, sessionToken: endpoint.sessionToken),
            scope: scope, amzDate: amzDate)
        signed.append(("authorization", authorization))
        return signed.filter { $0.name != "host" }
    }

    /// A presigned URL (query-string SigV4) valid for `expires` seconds.
    func presign(method: String, path: String, query: [(name: String, value: String)] = [], expires: Int, now: Date = Date()) -> String {
        let amzDate = AmzDate.format(Int64(now.timeIntervalSince1970))
        let scope = CredentialScope(date: String(amzDate.prefix(8)), region: endpoint.region, service: service)
        var items = query
        items.append(("X-Amz-Algorithm", SigV4Signer.algorithm))
        items.append(("X-Amz-Credential", "\(endpoint.accessKey)/\(scope.string)"))
        items.append(("X-Amz-Date", amzDate))
        items.append(("X-Amz-Expires", String(expires)))
        if let token = endpoint.sessionToken { items.append(("X-Amz-Security-Token", token)) }
        items.append(("X-Amz-SignedHeaders", "host"))
        let canonical = SigV4Signer.canonicalRequest(
            method: method, canonicalURI: SigV4Signer.canonicalURI(decodedPath: path), canonicalQuery: SigV4Signer.canonicalQuery(items),
            canonicalHeaders: "host:\(endpoint.authority)\n", signedHeaders: ["host"], payloadHash: "UNSIGNED-PAYLOAD")
        let key = SigV4Signer.signingKey(secret: endpoint.secretKey, scope: scope)
        let signature = SigV4Signer.signature(signingKey: key, stringToSign: SigV4Signer.stringToSign(amzDate: amzDate, scope: scope, canonicalRequest: canonical))
        items.append(("X-Amz-Signature", signature))
        return endpoint.url + SigV4Signer.canonicalURI(decodedPath: path) + "?" + SigV4Signer.canonicalQuery(items)
    }

    static func sha256Hex(_ bytes: [UInt8]) -> String { Hex.encode(Array(SHA256.hash(data: bytes))) }
}
