/// Splits SQL text into tokens. Offsets count Unicode scalars; lines and columns are 1-based.
struct SQLLexer {
    private let scalars: [Unicode.Scalar]
    private var index = 0
    private var line = 1
    private var lineStart = 0

    init(_ scalars: [Unicode.Scalar]) { self.scalars = scalars }

    static func tokenize(_ scalars: [Unicode.Scalar]) throws(QueryError) -> [SQLToken] {
        var lexer = SQLLexer(scalars)
        var tokens: [SQLToken] = []
        while true {
            let token = try lexer.next()
            tokens.append(token)
            if token.kind == .end { return tokens }
        }
    }

    private var location: SourceLocation { SourceLocation(offset: index, line: line, column: index - lineStart + 1) }

    private func peek(_ ahead: Int = 0) -> Unicode.Scalar? {
        let i = index + ahead
        return i < scalars.count ? scalars[i] : nil
    }

    private mutating func advance() {
        if scalars[index] == "\n" {
            line += 1
            lineStart = index + 1
        }
        index += 1
    }

    private mutating func skipTrivia() throws(QueryError) {
        while let c = peek() {
            if c == " " || c == "\t" || c == "\n" || c == "\r" || c == "\u{0C}" || c == "\u{0B}" || c.properties.isWhitespace {
                advance()
            } else if c == "-" && peek(1) == "-" {
                while let d = peek(), d != "\n" { advance() }
            } else if c == "/" && peek(1) == "*" {
                let start = location
                advance(); advance()
                while true {
                    guard let d = peek() else { throw QueryError("unterminated /* comment", at: start) }
                    if d == "*" && peek(1) == "/" { advance(); advance(); break }
                    advance()
                }
            } else {
                return
            }
        }
    }

    private func text(from start: Int) -> String {
        var s = String.UnicodeScalarView()
        s.append(contentsOf: scalars[start..<index])
        return String(s)
    }

    private func token(_ kind: SQLToken.Kind, _ start: SourceLocation, value: String? = nil) -> SQLToken {
        let t = text(from: start.offset)
        return SQLToken(kind: kind, text: t, value: value ?? t, location: start, endOffset: index)
    }

    static func isIdentifierStart(_ c: Unicode.Scalar) -> Bool {
        (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c == "_" || (c.value >= 0x80 && c.properties.isAlphabetic)
    }

    static func isIdentifierPart(_ c: Unicode.Scalar) -> Bool {
        isIdentifierStart(c) || isDigit(c) || c == "$"
    }

    static func isDigit(_ c: Unicode.Scalar) -> Bool { c >= "0" && c <= "9" }

    mutating func next() throws(QueryError) -> SQLToken {
        try skipTrivia()
        let start = location
        guard let c = peek() else {
            return SQLToken(kind: .end, text: "", value: "", location: start, endOffset: index)
        }
        if Self.isIdentifierStart(c) {
            while let d = peek(), Self.isIdentifierPart(d) { advance() }
            let t = text(from: start.offset)
            return SQLToken(kind: .word, text: t, value: t.lowercased(), location: start, endOffset: index)
        }
        if Self.isDigit(c) || (c == "." && peek(1).map(Self.isDigit) == true) {
            return try number(start)
        }
        if c == "'" { return try quoted("'", kind: .string, start, what: "string literal") }
        if c == "\"" { return try quoted("\"", kind: .quotedIdentifier, start, what: "quoted identifier") }
        let two: [String] = ["//", "||", "::", "<>", "!=", "<=", ">=", "=="]
        if let d = peek(1) {
            var pair = String(Character(c))
            pair.unicodeScalars.append(d)
            if two.contains(pair) {
                advance(); advance()
                return token(.symbol, start)
            }
        }
        switch c {
        case "+", "-", "*", "/", "%", "=", "<", ">", "(", ")", ",", ".", ";":
            advance()
            return token(.symbol, start)
        default:
            throw QueryError("unexpected character \"\(Character(c))\"", at: start)
        }
    }

    private mutating func number(_ start: SourceLocation) throws(QueryError) -> SQLToken {
        while let d = peek(), Self.isDigit(d) { advance() }
        if peek() == ".", !(peek(1) == "." ) {
            advance()
            while let d = peek(), Self.isDigit(d) { advance() }
        }
        if let e = peek(), e == "e" || e == "E" {
            var ahead = 1
            if let s = peek(1), s == "+" || s == "-" { ahead = 2 }
            if let d = peek(ahead), Self.isDigit(d) {
                for _ in 0..<ahead { advance() }
                while let d = peek(), Self.isDigit(d) { advance() }
            }
        }
        if let d = peek(), Self.isIdentifierStart(d) {
            throw QueryError("invalid number \"\(text(from: start.offset))\(Character(d))\"", at: start)
        }
        return token(.number, start)
    }

    private mutating func quoted(_ quote: Unicode.Scalar, kind: SQLToken.Kind, _ start: SourceLocation, what: String) throws(QueryError) -> SQLToken {
        advance()
        var value = String.UnicodeScalarView()
        while true {
            guard let d = peek() else { throw QueryError("unterminated \(what)", at: start) }
            advance()
            if d == quote {
                if peek() == quote {
                    advance()
                    value.append(quote)
                } else {
                    break
                }
            } else {
                value.append(d)
            }
        }
        if kind == .quotedIdentifier && value.isEmpty { throw QueryError("empty quoted identifier", at: start) }
        return token(kind, start, value: String(value))
    }
}
