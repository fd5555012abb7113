import SigV4

/// `application/x-www-form-urlencoded` fields (a form body or a query string), decoded as SigV4
/// decodes them with `+` as a space. Repeated names keep every value, in order.
struct FormFields: Sendable, Equatable {
    private(set) var pairs: [(name: String, value: String)]

    init(_ text: Substring) {
        pairs = text.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (Self.decode(parts[0]), parts.count > 1 ? Self.decode(parts[1]) : "")
        }
    }

    init(_ text: String) { self.init(Substring(text)) }

    init(pairs: [(String, String)]) { self.pairs = pairs.map { (name: $0.0, value: $0.1) } }

    static func == (a: FormFields, b: FormFields) -> Bool {
        a.pairs.count == b.pairs.count && zip(a.pairs, b.pairs).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }

    subscript(name: String) -> String? { pairs.first { $0.name == name }?.value }

    func all(_ name: String) -> [String] { pairs.filter { $0.name == name }.map(\.value) }

    /// The value trimmed, or nil when missing or blank.
    func nonEmpty(_ name: String) -> String? {
        guard let value = self[name]?.trimmingWhitespace, !value.isEmpty else { return nil }
        return value
    }

    /// SigV4's decoder, `+` as a space; a malformed escape or invalid UTF-8 leaves the text as sent.
    static func decode(_ text: Substring) -> String {
        URIEncoding.decode(text, plusAsSpace: true) ?? String(text)
    }

    /// Percent-encodes everything but the unreserved characters (for links and redirects).
    static func encode(_ text: String) -> String { URIEncoding.encode(text) }

    /// A query string of `pairs` in order, nil values left out.
    static func query(_ pairs: [(String, String?)]) -> String {
        let present = pairs.compactMap { pair in pair.1.map { encode(pair.0) + "=" + encode($0) } }
        return present.isEmpty ? "" : "?" + present.joined(separator: "&")
    }
}

extension String {
    var trimmingWhitespace: String {
        var s = Substring(self)
        while let first = s.first, first.isWhitespace { s.removeFirst() }
        while let last = s.last, last.isWhitespace { s.removeLast() }
        return String(s)
    }
}
