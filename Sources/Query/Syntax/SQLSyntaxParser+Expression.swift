import IcebergData

extension SQLSyntaxParser {
    /// Binding strength of the binary levels; higher binds tighter.
    private enum Level {
        static let or = 1, and = 2, not = 3, comparison = 4, concat = 5, additive = 6, multiplicative = 7, unary = 8
    }

    mutating func expression() throws(QueryError) -> SQLExpression {
        try binary(Level.or)
    }

    /// Precedence climbing: parses operators binding at least as tightly as `minLevel`.
    private mutating func binary(_ minLevel: Int) throws(QueryError) -> SQLExpression {
        depth += 1
        defer { depth -= 1 }
        guard depth <= SQLParser.maxDepth else { throw nestedTooDeeply() }
        var lhs = try prefix(minLevel)
        while true {
            let t = current
            if let (op, level) = binaryOperator(t), level >= minLevel {
                position += 1
                let rhs = try binary(level + 1)
                lhs = .binary(op, lhs, rhs, t.location)
                continue
            }
            if Level.comparison >= minLevel, let postfix = try comparisonPostfix(lhs) {
                lhs = postfix
                continue
            }
            return lhs
        }
    }

    private func binaryOperator(_ t: SQLToken) -> (BinaryOp, Int)? {
        switch t.kind {
        case .word:
            switch t.value {
            case "or": return (.or, Level.or)
            case "and": return (.and, Level.and)
            default: return nil
            }
        case .symbol:
            switch t.text {
            case "=", "==": return (.equal, Level.comparison)
            case "<>", "!=": return (.notEqual, Level.comparison)
            case "<": return (.less, Level.comparison)
            case "<=": return (.lessOrEqual, Level.comparison)
            case ">": return (.greater, Level.comparison)
            case ">=": return (.greaterOrEqual, Level.comparison)
            case "||": return (.concat, Level.concat)
            case "+": return (.add, Level.additive)
            case "-": return (.subtract, Level.additive)
            case "*": return (.multiply, Level.multiplicative)
            case "/": return (.divide, Level.multiplicative)
            case "//": return (.integerDivide, Level.multiplicative)
            case "%": return (.modulo, Level.multiplicative)
            default: return nil
            }
        default:
            return nil
        }
    }

    /// IS [NOT] NULL, [NOT] IN (…), [NOT] BETWEEN a AND b, [NOT] LIKE / ILIKE p.
    private mutating func comparisonPostfix(_ lhs: SQLExpression) throws(QueryError) -> SQLExpression? {
        if accept(keyword: "is") {
            let negated = accept(keyword: "not")
            guard accept(keyword: "null") else { throw error(expected: negated ? "NULL" : "NULL or NOT NULL") }
            return .isNull(lhs, negated: negated)
        }
        if accept(keyword: "isnull") { return .isNull(lhs, negated: false) }
        if accept(keyword: "notnull") { return .isNull(lhs, negated: true) }
        var negated = false
        if current.isKeyword("not") {
            let next = peek(1)
            guard next.isKeyword("in") || next.isKeyword("between") || next.isKeyword("like") || next.isKeyword("ilike") else {
                return nil
            }
            position += 1
            negated = true
        }
        if accept(keyword: "in") {
            let open = current
            try expect(symbol: "(")
            if current.isKeyword("select") { throw QueryError("subqueries are not supported", at: current.location) }
            if current.isSymbol(")") { throw error(expected: "expression") }
            var list: [SQLExpression] = []
            repeat {
                list.append(try expression())
            } while accept(symbol: ",")
            guard accept(symbol: ")") else {
                throw current.kind == .end ? QueryError("unclosed \"(\"", at: open.location) : error(expected: "\",\" or \")\"")
            }
            return .inList(lhs, list, negated: negated)
        }
        if accept(keyword: "between") {
            let low = try binary(Level.concat)
            try expect(keyword: "and")
            let high = try binary(Level.concat)
            return .between(lhs, low: low, high: high, negated: negated)
        }
        if current.isKeyword("like") || current.isKeyword("ilike") {
            let insensitive = advance().value == "ilike"
            let pattern = try binary(Level.concat)
            return .like(lhs, pattern: pattern, negated: negated, caseInsensitive: insensitive)
        }
        return nil
    }

    /// NOT and unary minus/plus, then a cast-postfixed primary.
    private mutating func prefix(_ minLevel: Int) throws(QueryError) -> SQLExpression {
        let t = current
        if t.isKeyword("not") {
            position += 1
            return .unary(.not, try binary(Level.not), t.location)
        }
        if t.isSymbol("-") {
            position += 1
            // A negative numeric literal is folded (so that -9223372036854775808 is a long), unless cast.
            if current.kind == .number && !peek(1).isSymbol("::") { return try negativeLiteral(at: t.location) }
            return .unary(.negate, try binary(Level.unary), t.location)
        }
        if t.isSymbol("+") {
            position += 1
            return try binary(Level.unary)
        }
        return try postfix()
    }

    /// primary (:: type)*
    private mutating func postfix() throws(QueryError) -> SQLExpression {
        var e = try primary()
        while current.isSymbol("::") {
            let t = advance()
            e = .cast(e, try typeName(), t.location)
        }
        return e
    }

    /// A parenthesized expression, or `leaf`. This frame is on the stack once per level of
    /// parentheses, so the keyword cases live in a function of their own: in a debug build their
    /// temporaries had made this frame 6.7 KB and the deepest accepted nesting need 2.2 MB of stack.
    private mutating func primary() throws(QueryError) -> SQLExpression {
        let open = current
        guard open.isSymbol("(") else { return try leaf(open) }
        position += 1
        if current.isKeyword("select") { throw subqueryRefused() }
        let e = try expression()
        guard accept(symbol: ")") else { throw unclosed(open) }
        return e
    }

    // The errors of the recursive path, built apart so that their temporaries are not in its frames.

    @inline(never)
    private func nestedTooDeeply() -> QueryError {
        QueryError("expression nested too deeply (more than \(SQLParser.maxDepth) levels)", at: current.location)
    }

    @inline(never)
    private func subqueryRefused() -> QueryError {
        QueryError("subqueries are not supported", at: current.location)
    }

    @inline(never)
    private func unclosed(_ open: SQLToken) -> QueryError {
        current.kind == .end ? QueryError("unclosed \"(\"", at: open.location) : error(expected: "\")\"")
    }

    /// After a unary minus at `location`: the number that follows, negated.
    @inline(never)
    private mutating func negativeLiteral(at location: SourceLocation) throws(QueryError) -> SQLExpression {
        let number = advance()
        return .literal(try numericLiteral(number.text, negative: true, at: location), location)
    }

    /// A literal, column, function call, CASE, CAST or EXTRACT starting at `t` (the current token).
    @inline(never)
    private mutating func leaf(_ t: SQLToken) throws(QueryError) -> SQLExpression {
        switch t.kind {
        case .number:
            position += 1
            return .literal(try numericLiteral(t.text, negative: false, at: t.location), t.location)
        case .string:
            position += 1
            return .literal(.string(t.value), t.location)
        case .quotedIdentifier:
            return try columnOrFunction()
        case .symbol, .end:
            throw error(expected: "expression")
        case .word:
            break
        }
        switch t.value {
        case "null":
            position += 1
            return .literal(.null, t.location)
        case "true", "false":
            position += 1
            return .literal(.boolean(t.value == "true"), t.location)
        case "case":
            position += 1
            return try caseWhen()
        case "cast", "try_cast":
            guard peek(1).isSymbol("(") else { break }
            position += 2
            let e = try expression()
            try expect(keyword: "as")
            let type = try typeName()
            try expect(symbol: ")")
            return .cast(e, type, t.location)
        case "extract":
            guard peek(1).isSymbol("(") else { break }
            position += 2
            return try extract(at: t.location)
        case "date", "timestamp", "timestamptz":
            if peek(1).kind == .string {
                position += 1
                return try typedLiteral(t.value, at: t.location)
            }
        case "exists":
            if peek(1).isSymbol("(") { throw QueryError("subqueries are not supported", at: t.location) }
        default:
            break
        }
        // Function names may be keywords (left(…), replace(…)); columns may not.
        if peek(1).isSymbol("(") && !["and", "or", "not", "in", "is", "between", "like", "ilike", "when", "then", "else", "end"].contains(t.value) {
            return try columnOrFunction()
        }
        guard isIdentifier(t) else { throw error(expected: "expression") }
        return try columnOrFunction()
    }

    /// name | a.b.c | name(args)
    private mutating func columnOrFunction() throws(QueryError) -> SQLExpression {
        let start = current
        if peek(1).isSymbol("(") {
            position += 2
            return try functionCall(name: start.value.lowercased(), at: start.location)
        }
        return .column(try qualifiedName("column name"), start.location)
    }

    private mutating func functionCall(name: String, at location: SourceLocation) throws(QueryError) -> SQLExpression {
        if accept(symbol: "*") {
            try expect(symbol: ")")
            return .function(name: name, arguments: [], distinct: false, star: true, location)
        }
        let distinct = accept(keyword: "distinct")
        if !distinct { _ = accept(keyword: "all") }
        var arguments: [SQLExpression] = []
        if !current.isSymbol(")") || distinct {
            repeat {
                arguments.append(try expression())
            } while accept(symbol: ",")
        }
        guard accept(symbol: ")") else { throw error(expected: "\",\" or \")\"") }
        return .function(name: name, arguments: arguments, distinct: distinct, star: false, location)
    }

    private mutating func caseWhen() throws(QueryError) -> SQLExpression {
        var operand: SQLExpression?
        if !current.isKeyword("when") { operand = try expression() }
        var branches: [WhenBranch] = []
        while accept(keyword: "when") {
            let condition = try expression()
            try expect(keyword: "then")
            branches.append(WhenBranch(condition: condition, result: try expression()))
        }
        if branches.isEmpty { throw error(expected: "WHEN") }
        var otherwise: SQLExpression?
        if accept(keyword: "else") { otherwise = try expression() }
        guard accept(keyword: "end") else { throw error(expected: otherwise == nil ? "WHEN, ELSE or END" : "END") }
        return .caseWhen(operand: operand, branches: branches, otherwise: otherwise)
    }

    static let extractFields: Set<String> = ["year", "quarter", "month", "day", "hour", "minute", "second", "dow", "doy", "epoch"]

    /// After "EXTRACT(": field FROM expr )
    private mutating func extract(at location: SourceLocation) throws(QueryError) -> SQLExpression {
        let t = current
        guard t.kind == .word || t.kind == .string || t.kind == .quotedIdentifier else { throw error(expected: "a date part") }
        let field = t.value.lowercased()
        guard Self.extractFields.contains(field) else {
            throw QueryError("unknown date part \"\(t.value)\" (expected one of year, quarter, month, day, hour, minute, second, dow, doy, epoch)", at: t.location)
        }
        position += 1
        try expect(keyword: "from")
        let e = try expression()
        try expect(symbol: ")")
        return .extract(field: field, e, location)
    }

    /// DATE '…' | TIMESTAMP '…' | TIMESTAMPTZ '…' (the keyword already consumed; the string is current).
    private mutating func typedLiteral(_ keyword: String, at location: SourceLocation) throws(QueryError) -> SQLExpression {
        let t = advance()
        switch keyword {
        case "date":
            guard let days = TemporalLiteral.date(t.value) else {
                throw QueryError("invalid date \"\(t.value)\" (expected YYYY-MM-DD)", at: t.location)
            }
            return .literal(.date(days), location)
        default:
            guard let (micros, _) = TemporalLiteral.timestamp(t.value) else {
                throw QueryError("invalid timestamp \"\(t.value)\" (expected YYYY-MM-DD HH:MM:SS[.ffffff][±HH:MM])", at: t.location)
            }
            return .literal(keyword == "timestamp" ? .timestamp(micros) : .timestamptz(micros), location)
        }
    }

    /// Integer → .long (beyond Int64 → .decimal scale 0); with a point → .decimal; with an exponent → .double.
    func numericLiteral(_ text: String, negative: Bool, at location: SourceLocation) throws(QueryError) -> IcebergValue {
        let signed = negative ? "-" + text : text
        if text.contains(where: { $0 == "e" || $0 == "E" }) {
            guard let d = Double(signed) else { throw QueryError("invalid number \"\(text)\"", at: location) }
            return .double(d)
        }
        if !text.contains(".") {
            if let v = Int64(signed) { return .long(v) }
            if text.count <= 38, let v = Int128(signed) { return .decimal(unscaled: v, scale: 0) }
            guard let d = Double(signed) else { throw QueryError("invalid number \"\(text)\"", at: location) }
            return .double(d)
        }
        // d.ddd: unscaled digits and scale; more than 38 digits becomes a double.
        var digits = ""
        var scale = 0
        var seenPoint = false
        for ch in text {
            if ch == "." { seenPoint = true; continue }
            digits.append(ch)
            if seenPoint { scale += 1 }
        }
        let significant = digits.drop(while: { $0 == "0" })
        if significant.count <= 38, let v = Int128(digits.isEmpty ? "0" : (negative ? "-" + digits : digits)) {
            return .decimal(unscaled: v, scale: scale)
        }
        guard let d = Double(signed) else { throw QueryError("invalid number \"\(text)\"", at: location) }
        return .double(d)
    }

    /// A SQL type name, for CAST and ::.
    mutating func typeName() throws(QueryError) -> IcebergType {
        let t = current
        guard t.kind == .word || t.kind == .quotedIdentifier else { throw error(expected: "type name") }
        position += 1
        switch t.value.lowercased() {
        case "bigint", "int8", "long", "int64": return .long
        case "int", "integer", "int4", "int32", "smallint", "int2", "tinyint", "int1": return .int
        case "double", "float8", "float64":
            _ = accept(keyword: "precision")
            return .double
        case "float", "real", "float4", "float32": return .float
        case "decimal", "numeric":
            guard accept(symbol: "(") else { return .decimal(precision: 18, scale: 3) }
            let precision = try typeParameter(min: 1, max: 38)
            var scale = 0
            if accept(symbol: ",") { scale = try typeParameter(min: 0, max: precision) }
            try expect(symbol: ")")
            return .decimal(precision: precision, scale: scale)
        case "varchar", "string", "text", "char", "bpchar":
            if accept(symbol: "(") {
                _ = try typeParameter(min: 1, max: Int.max)
                try expect(symbol: ")")
            }
            return .string
        case "date": return .date
        case "time": return .time
        case "timestamp", "datetime":
            if accept(keyword: "with") {
                try expect(keyword: "time")
                try expect(keyword: "zone")
                return .timestamptz
            }
            if current.isKeyword("without") {
                position += 1
                try expect(keyword: "time")
                try expect(keyword: "zone")
            }
            return .timestamp
        case "timestamptz": return .timestamptz
        case "timestamp_ns": return .timestampNs
        case "boolean", "bool": return .boolean
        case "uuid": return .uuid
        case "blob", "bytea", "binary", "varbinary": return .binary
        default:
            throw QueryError("unknown type \"\(t.text)\"", at: t.location)
        }
    }

    private mutating func typeParameter(min: Int, max: Int) throws(QueryError) -> Int {
        let t = current
        guard t.kind == .number, let v = Int(t.text) else { throw error(expected: "an integer") }
        guard v >= min && v <= max else { throw QueryError("type parameter \(v) out of range \(min)...\(max)", at: t.location) }
        position += 1
        return v
    }
}
