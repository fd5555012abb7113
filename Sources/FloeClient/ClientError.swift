/// A failure the server reported (S3 XML error, admin error, Iceberg ErrorModel) or a transport failure.
public struct ClientError: Error, Sendable, CustomStringConvertible {
    public var status: Int
    /// `NoSuchKey`, `AccessDenied`, `NoSuchTableException`, …; `Transport` when nothing was answered.
    public var code: String
    public var message: String

    public init(status: Int, code: String, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public var description: String { status == 0 ? message : "\(code): \(message)" }

    public static func transport(_ message: String) -> ClientError { ClientError(status: 0, code: "Transport", message: message) }
}
