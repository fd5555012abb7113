import IcebergData

/// Tokens and terms of partition and sort clauses: `col`, `transform(arg, …)`, then trailing words
/// (AS name, ASC/DESC, NULLS FIRST/LAST). Names may be quoted with backticks or double quotes.
enum TermParser {
    enum Token: Equatable { case word(String, quoted: Bool), open, close, comma }

    struct Term {
        var text: String
        var function: String?
        var arguments: [String]  // column names and numbers, as written
        var argumentQuoted: [Bool]
        var trailing: [String]
    }

    static func tokens(_ text: String, clause: String) throws(IngestError) -> [Token] {
        var out: [Token] = []
        let b = Array(text.utf8)
        var i = 0
        while i < b.count {
            let c = b[i]
            switch c {
            case 0x20, 0x09, 0x0A, 0x0D: i += 1
            case UInt8(ascii: "("): out.append(.open); i += 1
            case UInt8(ascii: ")"): out.append(.close); i += 1
            case UInt8(ascii: ","): out.append(.comma); i += 1
            case UInt8(ascii: "`"), UInt8(ascii: "\""):
                var j = i + 1
                while j < b.count, b[j] != c { j += 1 }
                guard j < b.count else { throw .invalid("\(clause): unterminated quoted name in \"\(text)\"") }
                out.append(.word(String(decoding: b[(i + 1)..<j], as: UTF8.self), quoted: true))
                i = j + 1
            default:
                var j = i
                while j < b.count, ![0x20, 0x09, 0x0A, 0x0D, UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: ",")].contains(b[j]) { j += 1 }
                out.append(.word(String(decoding: b[i..<j], as: UTF8.self), quoted: false))
                i = j
            }
        }
        return out
    }

    /// Comma-separated terms; an empty text gives no terms.
    static func terms(_ text: String, clause: String) throws(IngestError) -> [Term] {
        let toks = try tokens(text, clause: clause)
        var terms: [Term] = []
        var i = 0
        while i < toks.count {
            let start = i
            guard case .word(let head, let headQuoted) = toks[i] else { throw .invalid("\(clause): expected a column or transform in \"\(text)\"") }
            i += 1
            var term = Term(text: "", function: nil, arguments: [head], argumentQuoted: [headQuoted], trailing: [])
            if i < toks.count, toks[i] == .open, !headQuoted {
                term.function = head
                term.arguments = []
                term.argumentQuoted = []
                i += 1
                while true {
                    guard i < toks.count, case .word(let arg, let q) = toks[i] else { throw .invalid("\(clause): expected an argument in \"\(text)\"") }
                    term.arguments.append(arg)
                    term.argumentQuoted.append(q)
                    i += 1
                    guard i < toks.count else { throw .invalid("\(clause): missing ')' in \"\(text)\"") }
                    if toks[i] == .comma { i += 1; continue }
                    if toks[i] == .close { i += 1; break }
                    throw .invalid("\(clause): expected ',' or ')' in \"\(text)\"")
                }
            }
            while i < toks.count, case .word(let w, _) = toks[i] {
                term.trailing.append(w)
                i += 1
            }
            term.text = describe(toks[start..<i])
            if i < toks.count {
                guard toks[i] == .comma else { throw .invalid("\(clause): unexpected \(toks[i] == .open ? "'('" : "')'") after \"\(term.text)\"") }
                i += 1
                guard i < toks.count else { throw .invalid("\(clause): a term is missing after the last ','") }
            }
            terms.append(term)
        }
        return terms
    }

    static func describe(_ toks: ArraySlice<Token>) -> String {
        var s = ""
        for t in toks {
            switch t {
            case .word(let w, _): s += (s.isEmpty || s.hasSuffix("(") ? "" : (s.hasSuffix(",") ? " " : " ")) + w
            case .open: s += "("
            case .close: s += ")"
            case .comma: s += ","
            }
        }
        return s
    }

    /// The transform and source column of a term: `col`, `identity(col)`, `bucket(16, col)` (or `bucket(col, 16)`),
    /// `truncate(4, col)`, `year|years(col)`, `month|months`, `day|days|date`, `hour|hours|date_hour`, `void(col)`.
    static func transform(_ term: Term, clause: String) throws(IngestError) -> (transform: Transform, column: String) {
        guard let function = term.function else { return (.identity, term.arguments[0]) }
        func oneColumn() throws(IngestError) -> String {
            guard term.arguments.count == 1 else { throw .invalid("\(clause): \(function) takes one column in \"\(term.text)\"") }
            return term.arguments[0]
        }
        func numberAndColumn() throws(IngestError) -> (Int, String) {
            guard term.arguments.count == 2 else { throw .invalid("\(clause): \(function) takes a number and a column in \"\(term.text)\"") }
            let (a, b) = (term.arguments[0], term.arguments[1])
            if !term.argumentQuoted[0], let n = Int(a) {
                guard n > 0 else { throw .invalid("\(clause): \(function) needs a positive number in \"\(term.text)\"") }
                return (n, b)
            }
            if !term.argumentQuoted[1], let n = Int(b) {
                guard n > 0 else { throw .invalid("\(clause): \(function) needs a positive number in \"\(term.text)\"") }
                return (n, a)
            }
            throw .invalid("\(clause): \(function) needs a number in \"\(term.text)\"")
        }
        switch function.lowercased() {
        case "identity": return (.identity, try oneColumn())
        case "year", "years": return (.year, try oneColumn())
        case "month", "months": return (.month, try oneColumn())
        case "day", "days", "date": return (.day, try oneColumn())
        case "hour", "hours", "date_hour": return (.hour, try oneColumn())
        case "void", "null", "alwaysnull": return (.void, try oneColumn())
        case "bucket":
            let (n, c) = try numberAndColumn()
            return (.bucket(n), c)
        case "truncate", "trunc":
            let (n, c) = try numberAndColumn()
            return (.truncate(n), c)
        default: throw .invalid("\(clause): unknown transform \(function) in \"\(term.text)\"")
        }
    }

    /// The schema field a term names (exact dotted path, else ignoring case), checked against the transform.
    static func source(_ column: String, _ transform: Transform, schema: IcebergSchema, term: Term, clause: String) throws(IngestError) -> (id: Int, name: String) {
        guard let field = schema.field(path: column, caseSensitive: true) ?? schema.field(path: column, caseSensitive: false) else {
            throw .invalid("\(clause): no column \(column) in \"\(term.text)\"")
        }
        guard transform.canTransform(field.type) else {
            throw .invalid("\(clause): \(transform) cannot apply to \(column) of type \(field.type) in \"\(term.text)\"")
        }
        return (field.id, schema.idToPath()[field.id] ?? column)
    }
}
