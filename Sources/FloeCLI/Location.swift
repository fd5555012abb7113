/// A command-line path: `ALIAS[/BUCKET[/KEY]]` when its first segment names an alias, else a local path.
public enum Location: Equatable, CustomStringConvertible {
    case local(String)
    case remote(alias: String, bucket: String?, key: String)

    /// - Parameter isAlias: whether a name is a known alias.
    public static func parse(_ text: String, isAlias: (String) -> Bool) -> Location {
        if text.hasPrefix("/") || text.hasPrefix("./") || text.hasPrefix("../") || text == "." || text == ".." || text.hasPrefix("~") {
            return .local(text)
        }
        let parts = text.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        guard let first = parts.first, isAlias(first) else { return .local(text) }
        let bucket = parts.count > 1 && !parts[1].isEmpty ? parts[1] : nil
        let key = parts.count > 2 ? parts[2] : ""
        return .remote(alias: first, bucket: bucket, key: key)
    }

    public var description: String {
        switch self {
        case .local(let path): return path
        case .remote(let alias, let bucket, let key):
            guard let bucket else { return alias }
            return key.isEmpty ? "\(alias)/\(bucket)" : "\(alias)/\(bucket)/\(key)"
        }
    }

    /// The last path element (file or key name), for copying "into" a directory or prefix.
    public static func baseName(_ path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        return trimmed.split(separator: "/").last.map(String.init) ?? String(trimmed)
    }
}
