import IcebergData

/// Recursive-descent parser over the token list; binary operators by precedence climbing.
struct SQLSyntaxParser {
    let tokens: [SQLToken]
    let scalars: [Unicode.Scalar]
    var position = 0
    var depth = 0

    init(tokens: [SQLToken], scalars: [Unicode.Scalar]) {
        self.tokens = tokens
        self.scalars = scalars
    }

    // MARK: - SQLToken access

    var current: SQLToken { tokens[min(position, tokens.count - 1)] }

    func peek(_ ahead: Int) -> SQLToken { tokens[min(position + ahead, tokens.count - 1)] }

    mutating func advance() -> SQLToken {
        let t = current
        if position < tokens.count - 1 { position += 1 }
        return t
    }

    mutating func accept(keyword: String) -> Bool {
        guard current.isKeyword(keyword) else { return false }
        position += 1
        return true
    }

    mutating func accept(symbol: String) -> Bool {
        guard current.isSymbol(symbol) else { return false }
        position += 1
        return true
    }

    func error(expected: String, at token: SQLToken? = nil) -> QueryError {
        let t = token ?? current
        return QueryError("expected \(expected), found \(t.quoted)", at: t.location)
    }

    mutating func expect(keyword: String) throws(QueryError) {
        guard accept(keyword: keyword) else { throw error(expected: keyword.uppercased()) }
    }

    mutating func expect(symbol: String) throws(QueryError) {
        guard accept(symbol: symbol) else { throw error(expected: "\"\(symbol)\"") }
    }

    mutating func expectEnd(_ expected: String) throws(QueryError) {
        _ = accept(symbol: ";")
        guard current.kind == .end else { throw error(expected: expected) }
    }

    // MARK: - Identifiers

    /// Words that cannot be a column name, alias or table name without quotes.
    static let reserved: Set<String> = [
        "select", "from", "where", "group", "having", "order", "limit", "offset", "join", "inner", "left", "right",
        "full", "outer", "cross", "on", "using", "for", "union", "intersect", "except", "as", "and", "or", "not",
        "is", "in", "between", "like", "ilike", "case", "when", "then", "else", "end", "asc", "desc", "nulls",
        "distinct", "all", "null", "true", "false", "cast", "window", "qualify", "partitioned", "into", "with",
        "natural", "lateral", "by",
    ]

    func isIdentifier(_ t: SQLToken) -> Bool {
        t.kind == .quotedIdentifier || (t.kind == .word && !Self.reserved.contains(t.value))
    }

    /// An identifier: unquoted ones lower-cased, quoted ones as written.
    mutating func identifier(_ what: String) throws(QueryError) -> String {
        let t = current
        guard isIdentifier(t) else { throw error(expected: what) }
        position += 1
        return t.value
    }

    /// a.b.c
    mutating func qualifiedName(_ what: String) throws(QueryError) -> [String] {
        var parts = [try identifier(what)]
        while current.isSymbol(".") {
            position += 1
            parts.append(try identifier("identifier after \".\""))
        }
        return parts
    }

    /// The source text between two scalar offsets.
    func source(_ range: Range<Int>) -> String {
        var s = String.UnicodeScalarView()
        s.append(contentsOf: scalars[range])
        return String(s)
    }
}
