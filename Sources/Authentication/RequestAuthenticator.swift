import Identity
import SigV4

/// Who signed a request: verifies SigV4/SigV2 against the directory's access keys, or against the
/// secret a session token carries. Shared by the S3 API, STS and the catalog's SigV4 signing.
public struct RequestAuthenticator: Sendable {
    public enum Outcome: Sendable {
        case anonymous
        case caller(Principal, VerifiedRequest)
    }

    public enum Failure: Error {
        case signature(SigV4Error)
        case session(SessionError)
        /// The signature is valid but the key no longer resolves to a principal.
        case unknownKey
    }

    let verifier: SigV4Verifier
    let directory: Directory

    public init(services: Set<String>, directory: Directory) {
        verifier = SigV4Verifier(services: services)
        self.directory = directory
    }

    public func identify(_ incoming: IncomingRequest, now: Int64) throws(Failure) -> Outcome {
        let token = incoming.securityToken
        var session: Result<(secret: String, principal: Principal), SessionError>?
        // The caller of a long-term key, found with its secret.
        var keyCaller: (secret: String, principal: Principal)?
        let result: AuthenticationResult
        do {
            result = try verifier.authenticate(incoming, now: now) { key in
                guard let token else {
                    keyCaller = directory.caller(accessKeyID: key)
                    return keyCaller?.secret
                }
                session = Result { () throws(SessionError) in try directory.session(token: token, accessKeyID: key) }
                return try? session?.get().secret
            }
        } catch {
            if case .failure(let failure) = session { throw .session(failure) }
            throw .signature(error)
        }
        switch result {
        case .anonymous:
            if token != nil { throw .session(.invalid) }
            return .anonymous
        case .verified(let verified):
            let resolved = token == nil ? keyCaller?.principal : try? session?.get().principal
            guard let principal = resolved else { throw .unknownKey }
            return .caller(principal, verified)
        }
    }
}
