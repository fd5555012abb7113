/// A `Range: bytes=…` request header. S3 serves one range; anything it cannot parse is ignored
/// (the whole object is returned), as AWS does.
public enum ByteRangeRequest: Sendable, Equatable {
    /// `bytes=first-last` or `bytes=first-`
    case from(first: Int64, last: Int64?)
    /// `bytes=-n`: the final n bytes.
    case suffix(length: Int64)

    /// nil when the header is not a single, syntactically valid byte range.
    public init?(header: String) {
        let trimmed = header.trimmingCharacters(in: " ")
        guard trimmed.hasPrefix("bytes=") else { return nil }
        let spec = trimmed.dropFirst("bytes=".count)
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return nil }
        let firstText = spec[..<dash].trimmingCharacters(in: " ")
        let lastText = spec[spec.index(after: dash)...].trimmingCharacters(in: " ")
        if firstText.isEmpty {
            guard let length = Int64(lastText), length >= 0 else { return nil }
            self = .suffix(length: length)
        } else {
            guard let first = Int64(firstText), first >= 0 else { return nil }
            if lastText.isEmpty {
                self = .from(first: first, last: nil)
            } else {
                guard let last = Int64(lastText), last >= first else { return nil }
                self = .from(first: first, last: last)
            }
        }
    }

    /// The byte offsets to send, or nil when the range is not satisfiable for an object of `size` bytes.
    public func resolve(size: Int64) -> ClosedRange<Int64>? {
        switch self {
        case .from(let first, let last):
            guard first < size else { return nil }
            return first...min(last ?? (size - 1), size - 1)
        case .suffix(let length):
            guard length > 0, size > 0 else { return nil }
            return max(0, size - length)...(size - 1)
        }
    }
}

extension StringProtocol {
    func trimmingCharacters(in character: Character) -> String {
        var s = Substring(self)
        while s.first == character { s = s.dropFirst() }
        while s.last == character { s = s.dropLast() }
        return String(s)
    }
}
