/// The one error type of the Ingest target.
public enum IngestError: Error, Sendable, Equatable {
    /// Well-formed input that does not fit (a value of the wrong type, an unknown column, a bad spec).
    case invalid(String)
    /// Bytes that do not follow the format (an unterminated quote, broken JSON).
    case malformed(String)
    /// Valid input this implementation does not handle.
    case unsupported(String)
    /// A field, line or record larger than the configured bound.
    case limitExceeded(String)
}

extension IngestError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .invalid(let m), .malformed(let m), .unsupported(let m), .limitExceeded(let m): return m
        }
    }
}
