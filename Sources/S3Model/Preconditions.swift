import SigV4

/// Evaluation of If-Match, If-None-Match, If-Modified-Since and If-Unmodified-Since for GET
/// and HEAD, in the order RFC 9110 §13.2.2 and S3 apply them: If-Match (else
/// If-Unmodified-Since) can fail with 412 first; then If-None-Match (else If-Modified-Since)
/// can answer 304.
public enum PreconditionOutcome: Sendable, Equatable {
    case proceed
    case notModified
    case failed(String)
}

public struct Preconditions: Sendable {
    public var ifMatch: String?
    public var ifNoneMatch: String?
    public var ifModifiedSince: String?
    public var ifUnmodifiedSince: String?

    public init(ifMatch: String? = nil, ifNoneMatch: String? = nil, ifModifiedSince: String? = nil, ifUnmodifiedSince: String? = nil) {
        self.ifMatch = ifMatch
        self.ifNoneMatch = ifNoneMatch
        self.ifModifiedSince = ifModifiedSince
        self.ifUnmodifiedSince = ifUnmodifiedSince
    }

    /// - Parameters:
    ///   - etag: the object's quoted ETag.
    ///   - lastModified: seconds since 1970 (HTTP dates have second resolution).
    public func evaluate(etag: String, lastModified: Int64) -> PreconditionOutcome {
        if let ifMatch {
            if !Self.matches(ifMatch, etag: etag) { return .failed("If-Match") }
        } else if let text = ifUnmodifiedSince, let date = HTTPDate.parse(text), lastModified > date {
            return .failed("If-Unmodified-Since")
        }
        if let ifNoneMatch {
            if Self.matches(ifNoneMatch, etag: etag) { return .notModified }
        } else if let text = ifModifiedSince, let date = HTTPDate.parse(text), lastModified <= date {
            return .notModified
        }
        return .proceed
    }

    /// True when the header's list (or `*`) names the ETag; quotes and weak prefixes are ignored.
    public static func matches(_ header: String, etag: String) -> Bool {
        let bare = unquote(etag)
        for candidate in header.split(separator: ",") {
            var value = Substring(candidate)
            while value.first == " " { value = value.dropFirst() }
            while value.last == " " { value = value.dropLast() }
            if value == "*" { return true }
            if value.hasPrefix("W/") { value = value.dropFirst(2) }
            if unquote(String(value)) == bare { return true }
        }
        return false
    }

    static func unquote(_ text: String) -> String {
        if text.count >= 2 && text.hasPrefix("\"") && text.hasSuffix("\"") { return String(text.dropFirst().dropLast()) }
        return text
    }
}
