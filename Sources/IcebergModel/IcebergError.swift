/// Why a catalog operation failed, in the terms of the Iceberg REST spec's ErrorModel: the
/// HTTP status and the Java exception name clients switch on.
public struct IcebergError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: Int
    public var type: String
    public var message: String

    public init(code: Int, type: String, message: String) {
        self.code = code
        self.type = type
        self.message = message
    }

    public var description: String { "\(type) (\(code)): \(message)" }

    public static func badRequest(_ message: String) -> IcebergError { IcebergError(code: 400, type: "BadRequestException", message: message) }
    public static func validation(_ message: String) -> IcebergError { IcebergError(code: 400, type: "ValidationException", message: message) }
    public static func commitFailed(_ message: String) -> IcebergError { IcebergError(code: 409, type: "CommitFailedException", message: message) }
    public static func noSuchNamespace(_ name: String) -> IcebergError {
        IcebergError(code: 404, type: "NoSuchNamespaceException", message: "Namespace does not exist: \(name)")
    }
    public static func noSuchTable(_ name: String) -> IcebergError {
        IcebergError(code: 404, type: "NoSuchTableException", message: "Table does not exist: \(name)")
    }
    public static func noSuchView(_ name: String) -> IcebergError {
        IcebergError(code: 404, type: "NoSuchViewException", message: "View does not exist: \(name)")
    }
    public static func alreadyExists(_ message: String) -> IcebergError { IcebergError(code: 409, type: "AlreadyExistsException", message: message) }
    public static func namespaceNotEmpty(_ name: String) -> IcebergError {
        IcebergError(code: 409, type: "NamespaceNotEmptyException", message: "Namespace is not empty: \(name)")
    }
    public static func notAuthorized(_ message: String = "Not authorized") -> IcebergError { IcebergError(code: 401, type: "NotAuthorizedException", message: message) }
    public static func forbidden(_ message: String) -> IcebergError { IcebergError(code: 403, type: "ForbiddenException", message: message) }
    public static func unsupported(_ message: String) -> IcebergError { IcebergError(code: 406, type: "UnsupportedOperationException", message: message) }
    public static func authenticationTimeout(_ message: String = "Credentials have timed out") -> IcebergError {
        IcebergError(code: 419, type: "AuthenticationTimeoutException", message: message)
    }
    public static func serviceUnavailable(_ message: String) -> IcebergError { IcebergError(code: 503, type: "ServiceUnavailableException", message: message) }
    public static func internalError(_ message: String) -> IcebergError { IcebergError(code: 500, type: "InternalServerError", message: message) }
}
