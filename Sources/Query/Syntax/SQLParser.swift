import IcebergData

/// Parses one SQL statement (optional trailing ';'). Keywords are case-insensitive; -- and /* */ comments.
/// Precedence: OR < AND < NOT < comparison/IS/IN/BETWEEN/LIKE < || < + - < * / // % < unary - < :: cast.
public enum SQLParser {
    /// Longest accepted SQL text, in UTF-8 bytes.
    public static let maxInputBytes = 1 << 20
    /// Deepest accepted nesting of expressions (parentheses, NOT, unary minus, function arguments, CASE); the parse runs
    /// on a stack of `DeepRecursion.stackBytes`, whatever thread calls it.
    public static let maxDepth = 200

    public static func parse(_ sql: String) throws(QueryError) -> Statement {
        guard sql.utf8.count <= maxInputBytes else {
            throw QueryError("SQL text is longer than \(maxInputBytes) bytes", sql: nil)
        }
        do {
            let scalars = Array(sql.unicodeScalars)
            var parser = SQLSyntaxParser(tokens: try SQLLexer.tokenize(scalars), scalars: scalars)
            return try DeepRecursion.run { Result { () throws(QueryError) in try parser.statement() } }.get()
        } catch {
            throw error.withSQL(sql)
        }
    }

    /// Parses a lone expression (for tests and tools).
    public static func parseExpression(_ sql: String) throws(QueryError) -> SQLExpression {
        guard sql.utf8.count <= maxInputBytes else {
            throw QueryError("SQL text is longer than \(maxInputBytes) bytes", sql: nil)
        }
        do {
            let scalars = Array(sql.unicodeScalars)
            var parser = SQLSyntaxParser(tokens: try SQLLexer.tokenize(scalars), scalars: scalars)
            return try DeepRecursion.run {
                Result { () throws(QueryError) in
                    let e = try parser.expression()
                    try parser.expectEnd("end of expression")
                    return e
                }
            }.get()
        } catch {
            throw error.withSQL(sql)
        }
    }
}
