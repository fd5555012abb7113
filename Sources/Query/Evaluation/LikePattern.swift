/// A LIKE/ILIKE pattern: `%` any run of characters, `_` one character; no escape character (DuckDB's default).
struct LikePattern: Sendable {
    private enum Shape: Sendable { case exact([UInt8]), prefix([UInt8]), suffix([UInt8]), contains([UInt8]), general([Unicode.Scalar]) }
    private let shape: Shape
    private let caseInsensitive: Bool

    init(_ pattern: String, caseInsensitive: Bool) {
        self.caseInsensitive = caseInsensitive
        let p = caseInsensitive ? pattern.lowercased() : pattern
        let bytes = Array(p.utf8)
        let percent = UInt8(ascii: "%")
        let inner = bytes.filter { $0 != percent }
        if bytes.contains(UInt8(ascii: "_")) {
            shape = .general(Array(p.unicodeScalars))
        } else if !bytes.contains(percent) {
            shape = .exact(bytes)
        } else if bytes.count >= 2, bytes.first == percent, bytes.last == percent, !bytes[1..<(bytes.count - 1)].contains(percent) {
            shape = .contains(inner)
        } else if bytes.last == percent, !bytes.dropLast().contains(percent) {
            shape = .prefix(inner)
        } else if bytes.first == percent, !bytes.dropFirst().contains(percent) {
            shape = .suffix(inner)
        } else {
            shape = .general(Array(p.unicodeScalars))
        }
    }

    func matches(_ value: String) -> Bool {
        let v = caseInsensitive ? value.lowercased() : value
        switch shape {
        case .exact(let b): return v.utf8.elementsEqual(b)
        case .prefix(let b): return v.utf8.starts(with: b)
        case .suffix(let b): return v.utf8.count >= b.count && v.utf8.suffix(b.count).elementsEqual(b)
        case .contains(let b): return b.isEmpty || Self.contains(Array(v.utf8), b)
        case .general(let p): return Self.match(Array(v.unicodeScalars), p)
        }
    }

    static func contains(_ hay: [UInt8], _ needle: [UInt8]) -> Bool {
        guard needle.count <= hay.count else { return false }
        var i = 0
        while i + needle.count <= hay.count {
            if hay[i] == needle[0] {
                var j = 1
                while j < needle.count && hay[i + j] == needle[j] { j += 1 }
                if j == needle.count { return true }
            }
            i += 1
        }
        return false
    }

    /// Iterative wildcard matching with one backtrack point: O(n·m) worst case, no recursion.
    static func match(_ s: [Unicode.Scalar], _ p: [Unicode.Scalar]) -> Bool {
        var i = 0, j = 0
        var star = -1, mark = 0
        while i < s.count {
            if j < p.count && (p[j] == "_" || (p[j] != "%" && p[j] == s[i])) {
                i += 1
                j += 1
            } else if j < p.count && p[j] == "%" {
                star = j
                mark = i
                j += 1
            } else if star >= 0 {
                j = star + 1
                mark += 1
                i = mark
            } else {
                return false
            }
        }
        while j < p.count && p[j] == "%" { j += 1 }
        return j == p.count
    }

    /// Whether `s` starts with `prefix` (starts_with()).
    static func startsWith(_ s: String, _ prefix: String) -> Bool { s.utf8.starts(with: prefix.utf8) }
}
