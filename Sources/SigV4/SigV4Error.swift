/// Why a request's signature was refused. Each code maps to one S3 error in the API layer.
public struct SigV4Error: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case signatureDoesNotMatch
        case invalidAccessKeyId
        case authorizationHeaderMalformed
        case authorizationQueryParametersError
        case accessDenied
        case requestExpired
        case requestNotYetValid
        case requestTimeTooSkewed
        case missingSecurityHeader
        case contentSHA256Mismatch
        case invalidContentSHA256
        case incompleteBody
        case malformedChunkedEncoding
        case unsupportedAlgorithm
        case invalidTrailer
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
