import IcebergData

extension SQLSyntaxParser {
    mutating func statement() throws(QueryError) -> Statement {
        let first = current
        let result: Statement
        if accept(keyword: "explain") {
            guard current.isKeyword("select") else { throw error(expected: "SELECT after EXPLAIN") }
            result = .explain(try select())
        } else if first.isKeyword("select") {
            result = .select(try select())
        } else if accept(keyword: "create") {
            result = try createTableAs()
        } else if accept(keyword: "insert") {
            result = try insert()
        } else {
            throw error(expected: "SELECT, EXPLAIN, CREATE TABLE or INSERT")
        }
        try expectEnd("end of statement")
        return result
    }

    private mutating func createTableAs() throws(QueryError) -> Statement {
        try expect(keyword: "table")
        let name = try qualifiedName("table name")
        var partitionBy: String?
        if accept(keyword: "partitioned") {
            try expect(keyword: "by")
            partitionBy = try parenthesizedText()
        }
        try expect(keyword: "as")
        guard current.isKeyword("select") else { throw error(expected: "SELECT") }
        return .createTableAs(name: name, partitionBy: partitionBy, query: try select())
    }

    /// The raw text inside balanced parentheses, trimmed.
    private mutating func parenthesizedText() throws(QueryError) -> String {
        let open = current
        try expect(symbol: "(")
        var level = 1
        while true {
            let t = current
            if t.kind == .end { throw QueryError("unclosed \"(\"", at: open.location) }
            position += 1
            if t.isSymbol("(") { level += 1 }
            if t.isSymbol(")") {
                level -= 1
                if level == 0 {
                    let text = source(open.endOffset..<t.location.offset)
                    let trimmed = text.trimmingSpaces
                    if trimmed.isEmpty { throw QueryError("expected partition fields", at: t.location) }
                    return trimmed
                }
            }
        }
    }

    private mutating func insert() throws(QueryError) -> Statement {
        let overwrite: Bool
        if accept(keyword: "into") {
            overwrite = false
        } else if accept(keyword: "overwrite") {
            overwrite = true
            _ = accept(keyword: "table")
        } else {
            throw error(expected: "INTO or OVERWRITE")
        }
        let name = try qualifiedName("table name")
        guard current.isKeyword("select") else { throw error(expected: "SELECT") }
        return .insert(name: name, overwrite: overwrite, query: try select())
    }

    // MARK: - SELECT

    mutating func select() throws(QueryError) -> SelectStatement {
        try expect(keyword: "select")
        var statement = SelectStatement(items: [])
        if accept(keyword: "distinct") {
            statement.distinct = true
        } else {
            _ = accept(keyword: "all")
        }
        repeat {
            statement.items.append(try selectItem())
        } while accept(symbol: ",")

        // What may follow, for the message when something else does.
        var next = "FROM"
        if accept(keyword: "from") {
            statement.from = try tableReference()
            while let kind = try joinKind() {
                let table = try tableReference()
                try expect(keyword: "on")
                statement.joins.append(Join(kind: kind, table: table, condition: try expression()))
            }
            next = "JOIN, WHERE, GROUP BY, ORDER BY, LIMIT"
        }
        if accept(keyword: "where") {
            statement.filter = try expression()
            next = "GROUP BY, ORDER BY, LIMIT"
        }
        if accept(keyword: "group") {
            try expect(keyword: "by")
            repeat {
                statement.groupBy.append(try expression())
            } while accept(symbol: ",")
            next = "HAVING, ORDER BY, LIMIT"
        }
        if accept(keyword: "having") {
            statement.having = try expression()
            next = "ORDER BY, LIMIT"
        }
        if accept(keyword: "order") {
            try expect(keyword: "by")
            repeat {
                statement.orderBy.append(try orderItem())
            } while accept(symbol: ",")
            next = "LIMIT"
        }
        if accept(keyword: "limit") {
            statement.limit = try count("LIMIT")
            next = "OFFSET"
            if accept(keyword: "offset") {
                statement.offset = try count("OFFSET")
                next = ""
            }
        } else if accept(keyword: "offset") {
            statement.offset = try count("OFFSET")
            next = "LIMIT"
            if accept(keyword: "limit") {
                statement.limit = try count("LIMIT")
                next = ""
            }
        }
        let t = current
        if !(t.kind == .end || t.isSymbol(";") || t.isSymbol(")")) {
            if t.isKeyword("union") || t.isKeyword("intersect") || t.isKeyword("except") {
                throw QueryError("\(t.value.uppercased()) is not supported", at: t.location)
            }
            throw error(expected: next.isEmpty ? "end of statement" : "\(next) or end of statement")
        }
        return statement
    }

    private mutating func selectItem() throws(QueryError) -> SelectItem {
        if accept(symbol: "*") { return .star() }
        // qualifier.*
        var ahead = 0
        while isIdentifier(peek(ahead)) && peek(ahead + 1).isSymbol(".") {
            if peek(ahead + 2).isSymbol("*") {
                var qualifier: [String] = []
                for _ in 0...ahead / 2 {
                    qualifier.append(advance().value)
                    position += 1   // "."
                }
                position += 1       // "*"
                return .star(qualifier: qualifier)
            }
            ahead += 2
        }
        let e = try expression()
        return .expression(e, alias: try alias())
    }

    /// [AS] alias
    private mutating func alias() throws(QueryError) -> String? {
        if accept(keyword: "as") { return try identifier("alias after AS") }
        if isIdentifier(current) { return advance().value }
        return nil
    }

    private mutating func joinKind() throws(QueryError) -> JoinKind? {
        if accept(keyword: "join") { return .inner }
        if current.isKeyword("inner") && peek(1).isKeyword("join") {
            position += 2
            return .inner
        }
        if accept(keyword: "left") {
            _ = accept(keyword: "outer")
            try expect(keyword: "join")
            return .left
        }
        for unsupported in ["right", "full", "cross", "natural"] where current.isKeyword(unsupported) {
            throw QueryError("\(unsupported.uppercased()) JOIN is not supported", at: current.location)
        }
        if current.isSymbol(",") {
            throw QueryError("comma joins are not supported; use JOIN … ON", at: current.location)
        }
        return nil
    }

    private mutating func tableReference() throws(QueryError) -> TableReference {
        let start = current
        var table: TableReference
        if start.kind == .string {
            position += 1
            table = TableReference(name: [], path: start.value, location: start.location)
        } else if start.isSymbol("(") {
            throw QueryError("subqueries in FROM are not supported", at: start.location)
        } else {
            table = TableReference(name: try qualifiedName("table name"), location: start.location)
        }
        table.timeTravel = try timeTravel()
        table.alias = try alias()
        if table.timeTravel == nil { table.timeTravel = try timeTravel() }
        return table
    }

    /// FOR VERSION AS OF n | FOR TIMESTAMP AS OF 'text'
    private mutating func timeTravel() throws(QueryError) -> TimeTravel? {
        guard accept(keyword: "for") else { return nil }
        if accept(keyword: "version") {
            try expect(keyword: "as")
            try expect(keyword: "of")
            let t = current
            guard t.kind == .number, let v = Int64(t.text) else { throw error(expected: "a snapshot id") }
            position += 1
            return .version(v)
        }
        if accept(keyword: "system_time") || accept(keyword: "timestamp") {
            try expect(keyword: "as")
            try expect(keyword: "of")
            let t = current
            guard t.kind == .string else { throw error(expected: "a timestamp string") }
            guard TemporalLiteral.timestamp(t.value) != nil else {
                throw QueryError("invalid timestamp \"\(t.value)\"", at: t.location)
            }
            position += 1
            return .timestamp(t.value)
        }
        throw error(expected: "VERSION or TIMESTAMP")
    }

    private mutating func orderItem() throws(QueryError) -> OrderItem {
        var item = OrderItem(expression: try expression())
        if accept(keyword: "desc") {
            item.ascending = false
        } else {
            _ = accept(keyword: "asc")
        }
        if accept(keyword: "nulls") {
            if accept(keyword: "first") {
                item.nullsFirst = true
            } else if accept(keyword: "last") {
                item.nullsFirst = false
            } else {
                throw error(expected: "FIRST or LAST")
            }
        }
        return item
    }

    /// A non-negative integer for LIMIT / OFFSET.
    private mutating func count(_ clause: String) throws(QueryError) -> Int {
        let t = current
        guard t.kind == .number, let v = Int(t.text), v >= 0 else {
            throw error(expected: "a non-negative integer after \(clause)")
        }
        position += 1
        return v
    }
}

fileprivate extension String {
    var trimmingSpaces: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
