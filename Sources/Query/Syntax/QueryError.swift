/// A position in the SQL text: `offset` counts Unicode scalars from the start; `line` and `column` are 1-based.
public struct SourceLocation: Sendable, Hashable {
    public var offset: Int
    public var line: Int
    public var column: Int

    public init(offset: Int, line: Int, column: Int) {
        self.offset = offset
        self.line = line
        self.column = column
    }
}

/// An error that points at the offending part of the SQL.
/// `description` is "line 1, column 15: message" followed by the SQL line and a caret under the column.
public struct QueryError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var location: SourceLocation?
    public var sql: String?

    public init(_ message: String, at location: SourceLocation? = nil, sql: String? = nil) {
        self.message = message
        self.location = location
        self.sql = sql
    }

    /// The same error with the SQL text attached (kept if already set).
    public func withSQL(_ sql: String) -> QueryError {
        var copy = self
        if copy.sql == nil { copy.sql = sql }
        return copy
    }

    public var description: String {
        guard let location else { return message }
        var text = "line \(location.line), column \(location.column): \(message)"
        if let sql, let line = Self.line(location.line, of: sql) {
            text += "\n" + line + "\n"
            // Tabs are kept so the caret lines up under a tab-indented line.
            var pad = ""
            for (i, ch) in line.enumerated() where i < location.column - 1 { pad.append(ch == "\t" ? "\t" : " ") }
            text += pad + "^"
        }
        return text
    }

    private static func line(_ number: Int, of sql: String) -> String? {
        var current = 1
        for line in sql.split(separator: "\n", omittingEmptySubsequences: false) {
            if current == number { return String(line.hasSuffix("\r") ? line.dropLast() : line) }
            current += 1
        }
        return nil
    }
}
