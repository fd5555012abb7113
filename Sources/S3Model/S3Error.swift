/// An S3 error as the wire shows it: the AWS code, the HTTP status and a message.
/// Every failure the S3 API reports is one of these; the API layer renders it as XML in one place.
public struct S3Error: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: String
    public var status: Int
    public var message: String
    /// The bucket or object the error is about, rendered as `<Resource>`.
    public var resource: String?
    /// Extra elements some errors carry (e.g. `BucketName`, `Key`, `RangeRequested`).
    public var details: [(String, String)]
    /// Extra response headers (e.g. `x-amz-delete-marker`, `Allow`).
    public var headers: [(String, String)]

    public init(code: String, status: Int, message: String, resource: String? = nil) {
        self.code = code
        self.status = status
        self.message = message
        self.resource = resource
        self.details = []
        self.headers = []
    }

    public var description: String { "\(code) (\(status)): \(message)" }

    public static func == (lhs: S3Error, rhs: S3Error) -> Bool {
        lhs.code == rhs.code && lhs.status == rhs.status && lhs.message == rhs.message && lhs.resource == rhs.resource
    }

    public func with(resource: String) -> S3Error {
        var copy = self
        copy.resource = resource
        return copy
    }

    public func with(detail name: String, _ value: String) -> S3Error {
        var copy = self
        copy.details.append((name, value))
        return copy
    }

    public func with(header name: String, _ value: String) -> S3Error {
        var copy = self
        copy.headers.append((name, value))
        return copy
    }
}

// The codes and statuses below are the ones AWS documents in "Error responses" of the S3 API reference.
extension S3Error {
    public static func accessDenied(_ message: String = "Access Denied") -> S3Error {
        S3Error(code: "AccessDenied", status: 403, message: message)
    }
    public static func authorizationHeaderMalformed(_ message: String) -> S3Error {
        S3Error(code: "AuthorizationHeaderMalformed", status: 400, message: message)
    }
    public static func authorizationQueryParametersError(_ message: String) -> S3Error {
        S3Error(code: "AuthorizationQueryParametersError", status: 400, message: message)
    }
    public static func badDigest(_ message: String = "The Content-MD5 you specified did not match what we received.") -> S3Error {
        S3Error(code: "BadDigest", status: 400, message: message)
    }
    public static func bucketAlreadyExists(_ bucket: String) -> S3Error {
        S3Error(code: "BucketAlreadyExists", status: 409, message: "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.", resource: bucket).with(detail: "BucketName", bucket)
    }
    public static func bucketAlreadyOwnedByYou(_ bucket: String) -> S3Error {
        S3Error(code: "BucketAlreadyOwnedByYou", status: 409, message: "Your previous request to create the named bucket succeeded and you already own it.", resource: bucket).with(detail: "BucketName", bucket)
    }
    public static func bucketNotEmpty(_ bucket: String) -> S3Error {
        S3Error(code: "BucketNotEmpty", status: 409, message: "The bucket you tried to delete is not empty", resource: bucket).with(detail: "BucketName", bucket)
    }
    public static func entityTooLarge(_ message: String = "Your proposed upload exceeds the maximum allowed size") -> S3Error {
        S3Error(code: "EntityTooLarge", status: 400, message: message)
    }
    public static func illegalLocationConstraint(_ message: String) -> S3Error {
        S3Error(code: "IllegalLocationConstraintException", status: 400, message: message)
    }
    public static func incompleteBody(_ message: String = "You did not provide the number of bytes specified by the Content-Length HTTP header.") -> S3Error {
        S3Error(code: "IncompleteBody", status: 400, message: message)
    }
    public static let internalError = S3Error(code: "InternalError", status: 500, message: "We encountered an internal error. Please try again.")
    public static func invalidAccessKeyId(_ message: String = "The AWS Access Key Id you provided does not exist in our records.") -> S3Error {
        S3Error(code: "InvalidAccessKeyId", status: 403, message: message)
    }
    // AWS's reference lists these two with 400; MinIO answers 403, and clients act on the code
    // alone. Floe answers 403 like the other authentication failures.
    public static func expiredToken() -> S3Error {
        S3Error(code: "ExpiredToken", status: 403, message: "The provided token has expired.")
    }
    public static func invalidToken() -> S3Error {
        S3Error(code: "InvalidToken", status: 403, message: "The provided token is malformed or otherwise invalid.")
    }
    public static func invalidArgument(_ message: String, name: String? = nil, value: String? = nil) -> S3Error {
        var error = S3Error(code: "InvalidArgument", status: 400, message: message)
        if let name { error = error.with(detail: "ArgumentName", name) }
        if let value { error = error.with(detail: "ArgumentValue", value) }
        return error
    }
    public static func invalidBucketName(_ bucket: String) -> S3Error {
        S3Error(code: "InvalidBucketName", status: 400, message: "The specified bucket is not valid.", resource: bucket).with(detail: "BucketName", bucket)
    }
    public static func invalidDigest(_ message: String = "The Content-MD5 you specified is not valid.") -> S3Error {
        S3Error(code: "InvalidDigest", status: 400, message: message)
    }
    public static func invalidLocationConstraint(_ message: String = "The specified location-constraint is not valid") -> S3Error {
        S3Error(code: "InvalidLocationConstraint", status: 400, message: message)
    }
    public static func invalidRange(size: Int64, requested: String) -> S3Error {
        S3Error(code: "InvalidRange", status: 416, message: "The requested range is not satisfiable")
            .with(detail: "RangeRequested", requested)
            .with(detail: "ActualObjectSize", String(size))
            .with(header: "Content-Range", "bytes */\(size)")
    }
    public static func invalidRequest(_ message: String) -> S3Error {
        S3Error(code: "InvalidRequest", status: 400, message: message)
    }
    public static func invalidStorageClass(_ message: String = "The storage class you specified is not valid") -> S3Error {
        S3Error(code: "InvalidStorageClass", status: 400, message: message)
    }
    public static func invalidTag(_ message: String) -> S3Error {
        S3Error(code: "InvalidTag", status: 400, message: message)
    }
    public static func keyTooLong() -> S3Error {
        S3Error(code: "KeyTooLongError", status: 400, message: "Your key is too long")
    }
    public static func malformedXML() -> S3Error {
        S3Error(code: "MalformedXML", status: 400, message: "The XML you provided was not well-formed or did not validate against our published schema.")
    }
    public static func metadataTooLarge() -> S3Error {
        S3Error(code: "MetadataTooLarge", status: 400, message: "Your metadata headers exceed the maximum allowed metadata size.")
    }
    public static func methodNotAllowed(_ message: String = "The specified method is not allowed against this resource.") -> S3Error {
        S3Error(code: "MethodNotAllowed", status: 405, message: message)
    }
    public static func missingContentLength() -> S3Error {
        S3Error(code: "MissingContentLength", status: 411, message: "You must provide the Content-Length HTTP header.")
    }
    public static func missingSecurityHeader(_ message: String) -> S3Error {
        S3Error(code: "MissingSecurityHeader", status: 400, message: message)
    }
    public static func noSuchBucket(_ bucket: String) -> S3Error {
        S3Error(code: "NoSuchBucket", status: 404, message: "The specified bucket does not exist", resource: bucket).with(detail: "BucketName", bucket)
    }
    public static func noSuchKey(_ key: String) -> S3Error {
        S3Error(code: "NoSuchKey", status: 404, message: "The specified key does not exist.", resource: key).with(detail: "Key", key)
    }
    public static func notImplemented(_ message: String = "A header or query you provided implies functionality that is not implemented.") -> S3Error {
        S3Error(code: "NotImplemented", status: 501, message: message)
    }
    public static func preconditionFailed(_ condition: String) -> S3Error {
        S3Error(code: "PreconditionFailed", status: 412, message: "At least one of the pre-conditions you specified did not hold").with(detail: "Condition", condition)
    }
    public static func requestHeaderSectionTooLarge() -> S3Error {
        S3Error(code: "RequestHeaderSectionTooLarge", status: 400, message: "Your request header section exceeds the maximum allowed size.")
    }
    public static func requestTimeTooSkewed(_ message: String) -> S3Error {
        S3Error(code: "RequestTimeTooSkewed", status: 403, message: message)
    }
    public static func signatureDoesNotMatch(_ message: String) -> S3Error {
        S3Error(code: "SignatureDoesNotMatch", status: 403, message: message)
    }
    public static func xAmzContentSHA256Mismatch() -> S3Error {
        S3Error(code: "XAmzContentSHA256Mismatch", status: 400, message: "The provided 'x-amz-content-sha256' header does not match what was computed.")
    }
    public static let serviceUnavailable = S3Error(code: "ServiceUnavailable", status: 503, message: "Please reduce your request rate.")
}
