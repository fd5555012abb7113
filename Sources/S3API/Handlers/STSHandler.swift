import Authentication
import Crypto
import Foundation
import Hummingbird
import HTTPTypes
import Identity
import NIOCore
import S3Model
import SigV4

/// STS on the S3 port, as MinIO serves it: `POST /` with a form body `Action=AssumeRole`,
/// signed with the signing name `sts`. The caller gets temporary credentials acting as itself,
/// narrowed by an optional inline session policy. Errors use STS's own XML shape.
extension S3Responder {
    static let stsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"
    static let maxSessionPolicyBytes = 2048

    /// A form POST to the service root: STS rather than an S3 operation (S3 has no `POST /`).
    static func isSTS(_ request: S3Request) -> Bool {
        guard request.method == .post, let path = request.head.path, path == "/" || path.hasPrefix("/?") else { return false }
        return request.headers[.contentType]?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true
    }

    /// An AssumeRole form is a few hundred bytes; 64 KiB leaves room for a session policy.
    static let maxSTSBodyBytes = 64 * 1024
    static var stsBodyTooLarge: STSError { STSError(code: "ValidationError", status: 400, message: "The request body is larger than 64 KiB") }

    struct STSError: Error {
        var code: String
        var status: Int
        var message: String
    }

    func sts(_ request: S3Request, requestID: String, remoteAddress: String?, wantBody: () -> Void) async -> Response {
        do {
            return try await assumeRole(request, requestID: requestID, remoteAddress: remoteAddress, wantBody: wantBody)
        } catch let error as STSError {
            return Self.stsError(error, requestID: requestID)
        } catch {
            let s3 = ErrorMapping.s3Error(error)
            return Self.stsError(STSError(code: s3.code, status: s3.status, message: s3.message), requestID: requestID)
        }
    }

    func assumeRole(_ request: S3Request, requestID: String, remoteAddress: String?, wantBody: () -> Void) async throws -> Response {
        // SigV2 signs no body: a captured AssumeRole could be replayed with another Policy.
        if request.headers[.authorization]?.hasPrefix("AWS ") == true {
            throw STSError(code: "InvalidClientTokenId", status: 403, message: "STS requests must be signed with Signature Version 4.")
        }
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > Self.maxSTSBodyBytes {
            throw Self.stsBodyTooLarge
        }
        wantBody()
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: Self.maxSTSBodyBytes)
        } catch {
            throw Self.stsBodyTooLarge
        }
        let bodyHash = Hex.encode(Array(SHA256.hash(data: body.readableBytesView)))
        let form = FormEncoding.decode(String(buffer: body))
        let target = try RequestTarget.parse(requestTarget: request.head.path ?? "/", host: request.head.authority, domains: [])
        var incoming = signedRequest(request, target: target)
        incoming.bodySHA256 = bodyHash
        let principal: Principal
        do {
            switch try stsAuthenticator.identify(incoming, now: Self.nowSeconds()) {
            case .anonymous:
                throw STSError(code: "AccessDenied", status: 403, message: "AssumeRole needs a signed request")
            case .caller(let caller, _):
                principal = caller
            }
        } catch let failure as RequestAuthenticator.Failure {
            throw Self.s3Error(failure)
        }
        guard form["Action"] == "AssumeRole" else {
            throw STSError(code: "InvalidAction", status: 400, message: "Could not find operation \(form["Action"] ?? "") for version \(form["Version"] ?? "")")
        }
        guard form["Version"] == "2011-06-15" else {
            throw STSError(code: "InvalidParameterValue", status: 400, message: "Version must be 2011-06-15")
        }
        let seconds = try Self.sessionDuration(form["DurationSeconds"])
        let policy = form["Policy"].flatMap { $0.isEmpty ? nil : $0 }
        if let policy {
            guard policy.utf8.count <= Self.maxSessionPolicyBytes else {
                throw STSError(code: "PackedPolicyTooLarge", status: 400, message: "The session policy is larger than \(Self.maxSessionPolicyBytes) bytes")
            }
            do {
                _ = try PolicyDocument(json: policy)
            } catch {
                throw STSError(code: "MalformedPolicyDocument", status: 400, message: error.reason)
            }
        }
        let issued = try directory.issueSession(for: principal, policy: policy, seconds: seconds)
        audit.record(AuditEvent(
            requestID: requestID, api: "sts", principal: principal.name, accessKey: principal.accessKeyID, sourceIP: remoteAddress,
            action: "sts:AssumeRole", resource: "session:\(issued.claims.accessKeyID)", outcome: "allowed", status: 200))
        let sessionName = form["RoleSessionName"] ?? "floe"
        var xml = XMLWriter()
        xml.group("AssumeRoleResponse", namespace: Self.stsNamespace) { x in
            x.group("AssumeRoleResult") { x in
                x.group("AssumedRoleUser") { x in
                    x.element("Arn", "arn:aws:sts::floe:assumed-role/\(principal.name)/\(sessionName)")
                    x.element("AssumedRoleId", "\(issued.claims.accessKeyID):\(sessionName)")
                }
                x.group("Credentials") { x in
                    x.element("AccessKeyId", issued.claims.accessKeyID)
                    x.element("SecretAccessKey", issued.claims.secretKey)
                    x.element("SessionToken", issued.token)
                    x.element("Expiration", HTTPDate.iso8601(milliseconds: issued.claims.expires))
                }
                if let policy { x.element("PackedPolicySize", policy.utf8.count * 100 / Self.maxSessionPolicyBytes) }
            }
            x.group("ResponseMetadata") { x in x.element("RequestId", requestID) }
        }
        return Self.xmlResponse(xml)
    }

    static func sessionDuration(_ value: String?) throws -> Int {
        guard let value else { return 3600 }
        guard let seconds = Int(value), (SessionIssuer.minimumDuration...SessionIssuer.maximumDuration).contains(seconds) else {
            throw STSError(
                code: "ValidationError", status: 400,
                message: "1 validation error detected: Value '\(value)' at 'durationSeconds' failed to satisfy constraint: Member must have value between \(SessionIssuer.minimumDuration) and \(SessionIssuer.maximumDuration)")
        }
        return seconds
    }

    static func stsError(_ error: STSError, requestID: String) -> Response {
        var xml = XMLWriter()
        xml.group("ErrorResponse", namespace: stsNamespace) { x in
            x.group("Error") { x in
                x.element("Type", error.status >= 500 ? "Receiver" : "Sender")
                x.element("Code", error.code)
                x.element("Message", error.message)
            }
            x.element("RequestId", requestID)
        }
        return xmlResponse(xml, status: .init(code: error.status))
    }
}
