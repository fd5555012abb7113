import Authentication
import HTTPTypes
import SigV4
import Testing

@testable import Identity

/// Signatures checked as the S3 API and the catalog check them: over a request's HTTP fields,
/// `host` taken from its authority, the caller named from the key that signed.
@Suite struct RequestAuthenticatorTests {
    static let amzDate = "20261122T120000Z"
    static let authority = "127.0.0.1:9000"
    let authenticator: RequestAuthenticator

    init() {
        var snapshot = Directory.Snapshot()
        snapshot.users["alice"] = UserRecord(name: "alice", policies: ["readonly"])
        snapshot.keys["AK1"] = UserKey(accessKeyID: "AK1", secretKey: "alice-secret", user: "alice")
        let directory = Directory(root: AccessKey(accessKeyID: "ROOT", secretKey: "root-secret", owner: "root"), snapshot: snapshot)
        authenticator = RequestAuthenticator(services: ["s3"], directory: directory)
    }

    /// The fields a client sends for a GET signed over `signed` (host included in the signature,
    /// sent as the authority), with its `Authorization`.
    func fields(key: String = "AK1", secret: String = "alice-secret", signed: [(String, String)]) -> HTTPFields {
        let headers = [("host", Self.authority), ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"), ("x-amz-date", Self.amzDate)] + signed
        let authorization = SigV4Signer.authorization(
            method: "GET", decodedPath: "/b/k", query: [], headers: headers.map { (name: $0.0, value: $0.1) }, payloadHash: "UNSIGNED-PAYLOAD",
            credentials: SigV4Credentials(accessKey: key, secretKey: secret),
            scope: CredentialScope(date: String(Self.amzDate.prefix(8)), region: "us-east-1", service: "s3"), amzDate: Self.amzDate)
        var fields = HTTPFields()
        for (name, value) in headers.dropFirst() { fields.append(HTTPField(name: HTTPField.Name(name)!, value: value)) }
        fields.append(HTTPField(name: .authorization, value: authorization))
        return fields
    }

    func identify(_ fields: HTTPFields) throws(RequestAuthenticator.Failure) -> RequestAuthenticator.Outcome {
        let incoming = IncomingRequest(method: .get, rawPath: "/b/k", query: [], fields: fields, authority: Self.authority)
        return try authenticator.identify(incoming, now: AmzDate.parse(Self.amzDate)!)
    }

    /// A header sent twice is signed as its values joined in the order sent; the key's user is the caller.
    @Test func repeatedHeadersAreSignedInTheirOrder() throws {
        let signed = fields(signed: [("x-amz-meta-a", "1"), ("x-amz-meta-a", "2")])
        guard case .caller(let principal, let verified) = try identify(signed) else {
            Issue.record("not a caller")
            return
        }
        #expect(principal.name == "alice" && principal.accessKeyID == "AK1" && !principal.isRoot)
        #expect(verified.accessKey == "AK1")
        var swapped = HTTPFields()
        for field in signed {
            switch field.value {
            case "1": swapped.append(HTTPField(name: field.name, value: "2"))
            case "2": swapped.append(HTTPField(name: field.name, value: "1"))
            default: swapped.append(field)
            }
        }
        #expect(throws: RequestAuthenticator.Failure.self) { try identify(swapped) }
    }

    /// An `x-amz-*` field added to a signed request is refused; other fields may go unsigned.
    @Test func unsignedAmzFieldsAreRefused() throws {
        var added = fields(signed: [])
        added.append(HTTPField(name: .userAgent, value: "test"))
        _ = try identify(added)
        added.append(HTTPField(name: HTTPField.Name("x-amz-copy-source")!, value: "other/secret"))
        do {
            _ = try identify(added)
            Issue.record("accepted an unsigned x-amz-copy-source")
        } catch {
            guard case .signature(let failure) = error else { Issue.record("\(error)"); return }
            #expect(failure.code == .accessDenied)
        }
    }

    /// Root's key names root; a key the directory does not know, or a wrong secret, names no one.
    @Test func theSigningKeyNamesTheCaller() throws {
        guard case .caller(let root, _) = try identify(fields(key: "ROOT", secret: "root-secret", signed: [])) else {
            Issue.record("not a caller")
            return
        }
        #expect(root.isRoot && root.name == "root")
        #expect(throws: RequestAuthenticator.Failure.self) { try identify(fields(key: "NOPE", secret: "x", signed: [])) }
        #expect(throws: RequestAuthenticator.Failure.self) { try identify(fields(secret: "wrong", signed: [])) }
    }
}
