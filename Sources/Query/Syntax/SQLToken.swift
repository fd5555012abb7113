/// One lexical token of the SQL text.
struct SQLToken: Sendable {
    enum Kind: Sendable, Equatable {
        /// An unquoted identifier or keyword; `text` keeps the original spelling.
        case word
        /// A "quoted identifier", with `""` unescaped into `value`.
        case quotedIdentifier
        /// A 'string literal', with `''` unescaped into `value`.
        case string
        /// An unsigned numeric literal, as written.
        case number
        /// An operator or punctuation: + - * / // % || :: = == <> != < <= > >= ( ) , . ;
        case symbol
        case end
    }

    var kind: Kind
    /// The source text of the token (for `.end`, empty).
    var text: String
    /// The unescaped value of quoted identifiers and strings; the lower-cased spelling of words.
    var value: String
    var location: SourceLocation
    /// Offset (in Unicode scalars) just past the token.
    var endOffset: Int

    func isKeyword(_ keyword: String) -> Bool { kind == .word && value == keyword }
    func isSymbol(_ symbol: String) -> Bool { kind == .symbol && text == symbol }

    /// How the token is quoted in error messages.
    var quoted: String {
        switch kind {
        case .end: return "end of input"
        default: return "\"" + text + "\""
        }
    }
}
