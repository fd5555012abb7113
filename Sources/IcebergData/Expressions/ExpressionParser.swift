/// Parses the SQL-like filter of `--where`:
///   `id > 5 AND (name = 'x' OR ts >= '2024-01-01T00:00:00') AND tag IS NOT NULL AND c IN (1, 2) AND s LIKE 'ab%'`
/// Columns are dotted paths of identifiers or "quoted identifiers"; literals are integers, decimals, floats
/// (with an exponent), 'strings' ('' escapes a quote), TRUE/FALSE. Precedence: NOT > AND > OR.
/// Errors name the character offset and what was expected.
public enum ExpressionParser {
    static let maxDepth = 200
    static let maxLength = 1 << 20

    public static func parse(_ text: String) throws(IcebergDataError) -> Expression {
        guard text.utf8.count <= maxLength else { throw .invalid("filter longer than \(maxLength) bytes") }
        var parser = Parser(tokens: try Lexer.tokens(text), end: text.unicodeScalars.count)
        return try DeepRecursion.run {
            Result { () throws(IcebergDataError) in
                let e = try parser.orExpression(depth: 0)
                guard parser.peek.kind == .end else { throw parser.error("AND, OR or the end of the filter") }
                return e
            }
        }.get()
    }
}

struct Token: Sendable {
    enum Kind: Equatable { case identifier, quotedIdentifier, number, string, symbol, end }
    var kind: Kind
    var text: String
    var offset: Int

    func isKeyword(_ k: String) -> Bool { kind == .identifier && text.uppercased() == k }
    var isSymbol: Bool { kind == .symbol }
    var display: String {
        switch kind {
        case .end: return "the end of the filter"
        case .string: return "'\(text)'"
        case .quotedIdentifier: return "\"\(text)\""
        default: return "\"\(text)\""
        }
    }
}

enum Lexer {
    static func tokens(_ text: String) throws(IcebergDataError) -> [Token] {
        let scalars = Array(text.unicodeScalars)
        var out: [Token] = []
        var i = 0
        func isIdentStart(_ c: Unicode.Scalar) -> Bool { c == "_" || c.properties.isAlphabetic }
        func isIdentPart(_ c: Unicode.Scalar) -> Bool { isIdentStart(c) || ("0"..."9").contains(c) || c == "$" }
        func isDigit(_ c: Unicode.Scalar) -> Bool { ("0"..."9").contains(c) }
        while i < scalars.count {
            let c = scalars[i]
            let start = i
            if c == " " || c == "\t" || c == "\n" || c == "\r" { i += 1; continue }
            if isIdentStart(c) {
                while i < scalars.count, isIdentPart(scalars[i]) { i += 1 }
                out.append(Token(kind: .identifier, text: String(String.UnicodeScalarView(scalars[start..<i])), offset: start))
            } else if isDigit(c) || (c == "." && i + 1 < scalars.count && isDigit(scalars[i + 1])) {
                while i < scalars.count, isDigit(scalars[i]) { i += 1 }
                if i < scalars.count, scalars[i] == "." {
                    i += 1
                    while i < scalars.count, isDigit(scalars[i]) { i += 1 }
                }
                if i < scalars.count, scalars[i] == "e" || scalars[i] == "E" {
                    var j = i + 1
                    if j < scalars.count, scalars[j] == "+" || scalars[j] == "-" { j += 1 }
                    guard j < scalars.count, isDigit(scalars[j]) else { throw .invalid("at offset \(i): expected digits of an exponent") }
                    while j < scalars.count, isDigit(scalars[j]) { j += 1 }
                    i = j
                }
                if i < scalars.count, isIdentStart(scalars[i]) { throw .invalid("at offset \(i): unexpected character after a number") }
                out.append(Token(kind: .number, text: String(String.UnicodeScalarView(scalars[start..<i])), offset: start))
            } else if c == "'" || c == "\"" {
                var value = String.UnicodeScalarView()
                i += 1
                var closed = false
                while i < scalars.count {
                    if scalars[i] == c {
                        if i + 1 < scalars.count, scalars[i + 1] == c {
                            value.append(c)
                            i += 2
                            continue
                        }
                        i += 1
                        closed = true
                        break
                    }
                    value.append(scalars[i])
                    i += 1
                }
                guard closed else { throw .invalid("at offset \(start): unterminated \(c == "'" ? "string" : "quoted identifier")") }
                out.append(Token(kind: c == "'" ? .string : .quotedIdentifier, text: String(value), offset: start))
            } else {
                let two = i + 1 < scalars.count ? String(String.UnicodeScalarView([c, scalars[i + 1]])) : ""
                if ["<=", ">=", "!=", "<>", "=="].contains(two) {
                    out.append(Token(kind: .symbol, text: two == "==" ? "=" : two, offset: i))
                    i += 2
                } else if "=<>(),.-+".unicodeScalars.contains(c) {
                    out.append(Token(kind: .symbol, text: String(c), offset: i))
                    i += 1
                } else {
                    throw .invalid("at offset \(i): unexpected character '\(c)'")
                }
            }
        }
        out.append(Token(kind: .end, text: "", offset: scalars.count))
        return out
    }
}

struct Parser {
    let tokens: [Token]
    let end: Int
    var index = 0

    init(tokens: [Token], end: Int) {
        self.tokens = tokens
        self.end = end
    }

    var peek: Token { tokens[min(index, tokens.count - 1)] }
    var peekNext: Token { tokens[min(index + 1, tokens.count - 1)] }
    mutating func advance() -> Token {
        let t = peek
        if index < tokens.count - 1 { index += 1 }
        return t
    }

    func error(_ expected: String) -> IcebergDataError {
        .invalid("at offset \(peek.offset): expected \(expected), found \(peek.display)")
    }

    mutating func expectSymbol(_ s: String) throws(IcebergDataError) {
        guard peek.isSymbol, peek.text == s else { throw error("'\(s)'") }
        _ = advance()
    }

    mutating func orExpression(depth: Int) throws(IcebergDataError) -> Expression {
        guard depth <= ExpressionParser.maxDepth else { throw .invalid("at offset \(peek.offset): filter nested too deeply") }
        var left = try andExpression(depth: depth)
        while peek.isKeyword("OR") {
            _ = advance()
            left = .or(left, try andExpression(depth: depth))
        }
        return left
    }

    mutating func andExpression(depth: Int) throws(IcebergDataError) -> Expression {
        var left = try notExpression(depth: depth)
        while peek.isKeyword("AND") {
            _ = advance()
            left = .and(left, try notExpression(depth: depth))
        }
        return left
    }

    mutating func notExpression(depth: Int) throws(IcebergDataError) -> Expression {
        guard depth <= ExpressionParser.maxDepth else { throw .invalid("at offset \(peek.offset): filter nested too deeply") }
        if peek.isKeyword("NOT") {
            _ = advance()
            return .not(try notExpression(depth: depth + 1))
        }
        return try primary(depth: depth)
    }

    mutating func primary(depth: Int) throws(IcebergDataError) -> Expression {
        if peek.isSymbol, peek.text == "(" {
            _ = advance()
            let e = try orExpression(depth: depth + 1)
            try expectSymbol(")")
            return e
        }
        if (peek.isKeyword("TRUE") || peek.isKeyword("FALSE")) && !isComparison(peekNext) {
            return advance().isKeyword("TRUE") ? .alwaysTrue : .alwaysFalse
        }
        if startsLiteral(peek) {
            // `5 < id`: literal first, operator mirrored.
            let literal = try self.literal()
            guard let op = comparisonOp(peek) else { throw error("a comparison operator") }
            _ = advance()
            let column = try self.column()
            return .predicate(Predicate(op: mirrored(op), column: column, literals: [literal]))
        }
        let column = try self.column()
        return try predicate(on: column)
    }

    func startsLiteral(_ t: Token) -> Bool {
        switch t.kind {
        case .number, .string: return true
        case .symbol: return t.text == "-" || t.text == "+"
        default: return false
        }
    }

    func isComparison(_ t: Token) -> Bool { comparisonOp(t) != nil }

    func comparisonOp(_ t: Token) -> PredicateOp? {
        guard t.isSymbol else { return nil }
        switch t.text {
        case "=": return .equal
        case "!=", "<>": return .notEqual
        case "<": return .lessThan
        case "<=": return .lessThanOrEqual
        case ">": return .greaterThan
        case ">=": return .greaterThanOrEqual
        default: return nil
        }
    }

    func mirrored(_ op: PredicateOp) -> PredicateOp {
        switch op {
        case .lessThan: return .greaterThan
        case .lessThanOrEqual: return .greaterThanOrEqual
        case .greaterThan: return .lessThan
        case .greaterThanOrEqual: return .lessThanOrEqual
        default: return op
        }
    }

    static let reserved: Set<String> = ["AND", "OR", "NOT", "IN", "IS", "NULL", "NAN", "LIKE", "TRUE", "FALSE"]

    mutating func column() throws(IcebergDataError) -> String {
        var parts: [String] = []
        repeat {
            if !parts.isEmpty { _ = advance() }  // the "."
            let t = peek
            switch t.kind {
            case .identifier where !Self.reserved.contains(t.text.uppercased()): parts.append(t.text)
            case .quotedIdentifier: parts.append(t.text)
            default: throw error("a column name")
            }
            _ = advance()
        } while peek.isSymbol && peek.text == "."
        return parts.joined(separator: ".")
    }

    mutating func predicate(on column: String) throws(IcebergDataError) -> Expression {
        if let op = comparisonOp(peek) {
            _ = advance()
            return .predicate(Predicate(op: op, column: column, literals: [try literal()]))
        }
        if peek.isKeyword("IS") {
            _ = advance()
            var negate = false
            if peek.isKeyword("NOT") {
                _ = advance()
                negate = true
            }
            if peek.isKeyword("NULL") {
                _ = advance()
                return .predicate(Predicate(op: negate ? .notNull : .isNull, column: column))
            }
            if peek.isKeyword("NAN") {
                _ = advance()
                return .predicate(Predicate(op: negate ? .notNaN : .isNaN, column: column))
            }
            throw error("NULL or NAN")
        }
        var negate = false
        if peek.isKeyword("NOT") {
            _ = advance()
            negate = true
        }
        if peek.isKeyword("IN") {
            _ = advance()
            try expectSymbol("(")
            var values: [IcebergValue] = [try literal()]
            while peek.isSymbol && peek.text == "," {
                _ = advance()
                values.append(try literal())
            }
            try expectSymbol(")")
            return .predicate(Predicate(op: negate ? .notIn : .in, column: column, literals: values))
        }
        if peek.isKeyword("LIKE") {
            _ = advance()
            let patternToken = peek
            guard patternToken.kind == .string else { throw error("a 'pattern' string") }
            _ = advance()
            let pattern = patternToken.text
            if pattern.contains("_") || pattern.dropLast().contains("%") {
                throw .unsupported("at offset \(patternToken.offset): only LIKE 'prefix%' patterns are supported")
            }
            if pattern.hasSuffix("%") {
                return .predicate(Predicate(op: negate ? .notStartsWith : .startsWith, column: column, literals: [.string(String(pattern.dropLast()))]))
            }
            return .predicate(Predicate(op: negate ? .notEqual : .equal, column: column, literals: [.string(pattern)]))
        }
        throw error(negate ? "IN or LIKE" : "a comparison operator, IN, NOT IN, IS, or LIKE")
    }

    mutating func literal() throws(IcebergDataError) -> IcebergValue {
        var negative = false
        if peek.isSymbol && (peek.text == "-" || peek.text == "+") {
            negative = advance().text == "-"
            guard peek.kind == .number else { throw error("a number") }
        }
        let t = peek
        switch t.kind {
        case .string:
            _ = advance()
            return .string(t.text)
        case .number:
            _ = advance()
            let text = (negative ? "-" : "") + t.text
            if !text.contains("e") && !text.contains("E") {
                if !text.contains("."), let v = Int64(text) { return .long(v) }
                if let d = LiteralText.decimal(text) { return .decimal(unscaled: d.unscaled, scale: d.scale) }
            }
            guard let d = Double(text) else { throw .invalid("at offset \(t.offset): bad number \(t.text)") }
            return .double(d)
        case .identifier where t.isKeyword("TRUE") || t.isKeyword("FALSE"):
            _ = advance()
            return .boolean(t.isKeyword("TRUE"))
        case .identifier where t.isKeyword("NULL"):
            throw .invalid("at offset \(t.offset): compare with NULL using IS NULL / IS NOT NULL")
        default:
            throw error("a literal (number, 'string', TRUE or FALSE)")
        }
    }
}
