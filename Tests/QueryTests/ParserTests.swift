import IcebergData
import Testing
@testable import Query

// MARK: - Builders for expected ASTs (locations are zeroed before comparing)

private let z = SourceLocation(offset: 0, line: 0, column: 0)
private func col(_ parts: String...) -> SQLExpression { .column(parts, z) }
private func lit(_ v: IcebergValue) -> SQLExpression { .literal(v, z) }
private func long(_ v: Int64) -> SQLExpression { .literal(.long(v), z) }
private func str(_ v: String) -> SQLExpression { .literal(.string(v), z) }
private func bin(_ op: BinaryOp, _ l: SQLExpression, _ r: SQLExpression) -> SQLExpression { .binary(op, l, r, z) }
private func un(_ op: UnaryOp, _ e: SQLExpression) -> SQLExpression { .unary(op, e, z) }
private func fn(_ name: String, _ args: SQLExpression..., distinct: Bool = false) -> SQLExpression {
    .function(name: name, arguments: args, distinct: distinct, star: false, z)
}
private func cast(_ e: SQLExpression, _ t: IcebergType) -> SQLExpression { .cast(e, t, z) }
private func table(_ name: String..., alias: String? = nil, timeTravel: TimeTravel? = nil) -> TableReference {
    TableReference(name: name, alias: alias, timeTravel: timeTravel, location: z)
}
private func select(_ items: SelectItem..., from: TableReference? = nil) -> SelectStatement {
    SelectStatement(items: items, from: from)
}

// MARK: - Location stripping

private func strip(_ e: SQLExpression) -> SQLExpression {
    switch e {
    case .literal(let v, _): return .literal(v, z)
    case .column(let p, _): return .column(p, z)
    case .unary(let op, let x, _): return .unary(op, strip(x), z)
    case .binary(let op, let l, let r, _): return .binary(op, strip(l), strip(r), z)
    case .isNull(let x, let n): return .isNull(strip(x), negated: n)
    case .inList(let x, let list, let n): return .inList(strip(x), list.map(strip), negated: n)
    case .between(let x, let lo, let hi, let n): return .between(strip(x), low: strip(lo), high: strip(hi), negated: n)
    case .like(let x, let p, let n, let ci): return .like(strip(x), pattern: strip(p), negated: n, caseInsensitive: ci)
    case .caseWhen(let o, let b, let e):
        return .caseWhen(operand: o.map(strip), branches: b.map { WhenBranch(condition: strip($0.condition), result: strip($0.result)) }, otherwise: e.map(strip))
    case .cast(let x, let t, _): return .cast(strip(x), t, z)
    case .function(let name, let args, let d, let s, _): return .function(name: name, arguments: args.map(strip), distinct: d, star: s, z)
    case .extract(let f, let x, _): return .extract(field: f, strip(x), z)
    }
}

private func strip(_ t: TableReference) -> TableReference {
    var t = t
    t.location = z
    return t
}

private func strip(_ s: SelectStatement) -> SelectStatement {
    var s = s
    s.items = s.items.map { var i = $0; i.expression = i.expression.map(strip); return i }
    s.from = s.from.map(strip)
    s.joins = s.joins.map { Join(kind: $0.kind, table: strip($0.table), condition: strip($0.condition)) }
    s.filter = s.filter.map(strip)
    s.groupBy = s.groupBy.map(strip)
    s.having = s.having.map(strip)
    s.orderBy = s.orderBy.map { OrderItem(expression: strip($0.expression), ascending: $0.ascending, nullsFirst: $0.nullsFirst) }
    return s
}

private func strip(_ s: Statement) -> Statement {
    switch s {
    case .select(let q): return .select(strip(q))
    case .explain(let q): return .explain(strip(q))
    case .createTableAs(let n, let p, let q): return .createTableAs(name: n, partitionBy: p, query: strip(q))
    case .insert(let n, let o, let q): return .insert(name: n, overwrite: o, query: strip(q))
    }
}

private func parseExpr(_ sql: String) throws -> SQLExpression { strip(try SQLParser.parseExpression(sql)) }

// MARK: - Expressions

struct ExpressionCase: Sendable, CustomTestStringConvertible {
    let sql: String
    let expected: SQLExpression
    var testDescription: String { sql }
}

private let dateDays2026 = Int32(20454)   // 2026-01-01

private let expressionCases: [ExpressionCase] = [
    // literals
    .init(sql: "42", expected: long(42)),
    .init(sql: "-42", expected: long(-42)),
    .init(sql: "-9223372036854775808", expected: long(Int64.min)),
    .init(sql: "9223372036854775808", expected: lit(.decimal(unscaled: 9_223_372_036_854_775_808, scale: 0))),
    .init(sql: "1.50", expected: lit(.decimal(unscaled: 150, scale: 2))),
    .init(sql: ".5", expected: lit(.decimal(unscaled: 5, scale: 1))),
    .init(sql: "1e3", expected: lit(.double(1000))),
    .init(sql: "2.5E-1", expected: lit(.double(0.25))),
    .init(sql: "'it''s'", expected: str("it's")),
    .init(sql: "TRUE", expected: lit(.boolean(true))),
    .init(sql: "false", expected: lit(.boolean(false))),
    .init(sql: "NULL", expected: lit(.null)),
    .init(sql: "DATE '2026-01-01'", expected: lit(.date(dateDays2026))),
    .init(sql: "date '1969-12-31'", expected: lit(.date(-1))),
    .init(sql: "TIMESTAMP '2026-01-01 00:00:01.5'", expected: lit(.timestamp(Int64(dateDays2026) * 86_400_000_000 + 1_500_000))),
    .init(sql: "TIMESTAMP '2026-01-01T10:00'", expected: lit(.timestamp(Int64(dateDays2026) * 86_400_000_000 + 36_000_000_000))),
    .init(sql: "TIMESTAMPTZ '2026-01-01 02:00:00+02:00'", expected: lit(.timestamptz(Int64(dateDays2026) * 86_400_000_000))),
    .init(sql: "TIMESTAMPTZ '1970-01-01 00:00:00Z'", expected: lit(.timestamptz(0))),
    // columns and identifiers
    .init(sql: "Id", expected: col("id")),
    .init(sql: "t.ID", expected: col("t", "id")),
    .init(sql: "\"MixedCase\"", expected: col("MixedCase")),
    .init(sql: "\"a\"\"b\".c", expected: col("a\"b", "c")),
    .init(sql: "date", expected: col("date")),
    // arithmetic precedence and associativity
    .init(sql: "1 + 2 * 3", expected: bin(.add, long(1), bin(.multiply, long(2), long(3)))),
    .init(sql: "(1 + 2) * 3", expected: bin(.multiply, bin(.add, long(1), long(2)), long(3))),
    .init(sql: "a - b - c", expected: bin(.subtract, bin(.subtract, col("a"), col("b")), col("c"))),
    .init(sql: "a / b // c % d", expected: bin(.modulo, bin(.integerDivide, bin(.divide, col("a"), col("b")), col("c")), col("d"))),
    .init(sql: "a || b || c", expected: bin(.concat, bin(.concat, col("a"), col("b")), col("c"))),
    .init(sql: "a || b + c", expected: bin(.concat, col("a"), bin(.add, col("b"), col("c")))),
    .init(sql: "-a * b", expected: bin(.multiply, un(.negate, col("a")), col("b"))),
    .init(sql: "- - a", expected: un(.negate, un(.negate, col("a")))),
    .init(sql: "a - -1", expected: bin(.subtract, col("a"), long(-1))),
    .init(sql: "-a::int", expected: un(.negate, cast(col("a"), .int))),
    .init(sql: "+a", expected: col("a")),
    // comparisons and logic
    .init(sql: "a = 1 AND b <> 2 OR c", expected: bin(.or, bin(.and, bin(.equal, col("a"), long(1)), bin(.notEqual, col("b"), long(2))), col("c"))),
    .init(sql: "a OR b AND c", expected: bin(.or, col("a"), bin(.and, col("b"), col("c")))),
    .init(sql: "NOT a = b", expected: un(.not, bin(.equal, col("a"), col("b")))),
    .init(sql: "NOT a AND b", expected: bin(.and, un(.not, col("a")), col("b"))),
    .init(sql: "a != b", expected: bin(.notEqual, col("a"), col("b"))),
    .init(sql: "a == b", expected: bin(.equal, col("a"), col("b"))),
    .init(sql: "a <= b", expected: bin(.lessOrEqual, col("a"), col("b"))),
    .init(sql: "a >= b", expected: bin(.greaterOrEqual, col("a"), col("b"))),
    .init(sql: "a < b", expected: bin(.less, col("a"), col("b"))),
    .init(sql: "a > b + 1", expected: bin(.greater, col("a"), bin(.add, col("b"), long(1)))),
    .init(sql: "a IS NULL", expected: .isNull(col("a"), negated: false)),
    .init(sql: "a + 1 IS NOT NULL", expected: .isNull(bin(.add, col("a"), long(1)), negated: true)),
    .init(sql: "a IN (1, 2)", expected: .inList(col("a"), [long(1), long(2)], negated: false)),
    .init(sql: "a NOT IN ('x')", expected: .inList(col("a"), [str("x")], negated: true)),
    .init(sql: "a BETWEEN 1 AND 2 AND b", expected: bin(.and, .between(col("a"), low: long(1), high: long(2), negated: false), col("b"))),
    .init(sql: "a NOT BETWEEN b + 1 AND c", expected: .between(col("a"), low: bin(.add, col("b"), long(1)), high: col("c"), negated: true)),
    .init(sql: "s LIKE 'a%'", expected: .like(col("s"), pattern: str("a%"), negated: false, caseInsensitive: false)),
    .init(sql: "s NOT ILIKE '_b'", expected: .like(col("s"), pattern: str("_b"), negated: true, caseInsensitive: true)),
    .init(sql: "NOT s LIKE 'x' OR t", expected: bin(.or, un(.not, .like(col("s"), pattern: str("x"), negated: false, caseInsensitive: false)), col("t"))),
    // CASE, CAST, functions, EXTRACT
    .init(sql: "CASE WHEN a THEN 1 ELSE 2 END", expected: .caseWhen(operand: nil, branches: [WhenBranch(condition: col("a"), result: long(1))], otherwise: long(2))),
    .init(sql: "case x when 1 then 'a' when 2 then 'b' end", expected: .caseWhen(operand: col("x"), branches: [WhenBranch(condition: long(1), result: str("a")), WhenBranch(condition: long(2), result: str("b"))], otherwise: nil)),
    .init(sql: "CAST(a AS BIGINT)", expected: cast(col("a"), .long)),
    .init(sql: "CAST(a AS decimal(10, 2))", expected: cast(col("a"), .decimal(precision: 10, scale: 2))),
    .init(sql: "cast(a as DECIMAL)", expected: cast(col("a"), .decimal(precision: 18, scale: 3))),
    .init(sql: "CAST(a AS varchar(10))", expected: cast(col("a"), .string)),
    .init(sql: "CAST(a AS TIMESTAMP WITH TIME ZONE)", expected: cast(col("a"), .timestamptz)),
    .init(sql: "a::double::text", expected: cast(cast(col("a"), .double), .string)),
    .init(sql: "'2026-01-01'::date", expected: cast(str("2026-01-01"), .date)),
    .init(sql: "a::REAL", expected: cast(col("a"), .float)),
    .init(sql: "a::integer + 1", expected: bin(.add, cast(col("a"), .int), long(1))),
    .init(sql: "count(*)", expected: .function(name: "count", arguments: [], distinct: false, star: true, z)),
    .init(sql: "COUNT(DISTINCT x)", expected: fn("count", col("x"), distinct: true)),
    .init(sql: "Lower(name)", expected: fn("lower", col("name"))),
    .init(sql: "left(s, 2)", expected: fn("left", col("s"), long(2))),
    .init(sql: "f()", expected: fn("f")),
    .init(sql: "coalesce(a, b, 0)", expected: fn("coalesce", col("a"), col("b"), long(0))),
    .init(sql: "date_trunc('month', ts)", expected: fn("date_trunc", str("month"), col("ts"))),
    .init(sql: "EXTRACT(YEAR FROM ts)", expected: .extract(field: "year", col("ts"), z)),
    .init(sql: "extract(dow from t.d) + 1", expected: bin(.add, .extract(field: "dow", col("t", "d"), z), long(1))),
    // comments
    .init(sql: "1 /* one */ + -- comment\n 2", expected: bin(.add, long(1), long(2))),
]

@Test(arguments: expressionCases)
func parsesExpression(_ c: ExpressionCase) throws {
    #expect(try parseExpr(c.sql) == c.expected)
}

// MARK: - Statements

struct StatementCase: Sendable, CustomTestStringConvertible {
    let sql: String
    let expected: Statement
    var testDescription: String { sql }
}

private let statementCases: [StatementCase] = {
    var cases: [StatementCase] = []
    func add(_ sql: String, _ s: Statement) { cases.append(StatementCase(sql: sql, expected: s)) }

    add("SELECT 1", .select(select(.expression(long(1)))))
    add("select 1;", .select(select(.expression(long(1)))))
    add("SELECT * FROM t", .select(select(.star(), from: table("t"))))
    add("SELECT t.*, u.a FROM db.ns.t", .select(select(.star(qualifier: ["t"]), .expression(col("u", "a")), from: table("db", "ns", "t"))))
    add("SELECT ns.t.* FROM ns.t", .select(select(.star(qualifier: ["ns", "t"]), from: table("ns", "t"))))
    add("SELECT a AS x, b y, c \"Z\" FROM t", .select(select(.expression(col("a"), alias: "x"), .expression(col("b"), alias: "y"), .expression(col("c"), alias: "Z"), from: table("t"))))
    add("SELECT a FROM t AS u", .select(select(.expression(col("a")), from: table("t", alias: "u"))))
    add("SELECT a FROM t u", .select(select(.expression(col("a")), from: table("t", alias: "u"))))
    add("SELECT * FROM 'data/*.parquet' f", .select(select(.star(), from: TableReference(name: [], path: "data/*.parquet", alias: "f", location: z))))
    add("SELECT * FROM t FOR VERSION AS OF 123", .select(select(.star(), from: table("t", timeTravel: .version(123)))))
    add("SELECT * FROM t x FOR TIMESTAMP AS OF '2026-11-30 12:00:00'", .select(select(.star(), from: table("t", alias: "x", timeTravel: .timestamp("2026-11-30 12:00:00")))))
    add("SELECT * FROM t FOR VERSION AS OF 7 AS x", .select(select(.star(), from: table("t", alias: "x", timeTravel: .version(7)))))
    add("SELECT DISTINCT a FROM t", .select(SelectStatement(distinct: true, items: [.expression(col("a"))], from: table("t"))))
    add("SELECT ALL a FROM t", .select(select(.expression(col("a")), from: table("t"))))
    add(
        "SELECT a.x, b.y FROM a JOIN b ON a.id = b.id INNER JOIN c ON TRUE LEFT OUTER JOIN d ON d.k = a.k LEFT JOIN e ON e.k = 1",
        .select(SelectStatement(
            items: [.expression(col("a", "x")), .expression(col("b", "y"))], from: table("a"),
            joins: [
                Join(kind: .inner, table: table("b"), condition: bin(.equal, col("a", "id"), col("b", "id"))),
                Join(kind: .inner, table: table("c"), condition: lit(.boolean(true))),
                Join(kind: .left, table: table("d"), condition: bin(.equal, col("d", "k"), col("a", "k"))),
                Join(kind: .left, table: table("e"), condition: bin(.equal, col("e", "k"), long(1))),
            ])))
    add(
        "SELECT k, count(*) AS n FROM t WHERE v > 0 GROUP BY k, 2 HAVING count(*) > 1 ORDER BY n DESC NULLS LAST, 1 ASC, k NULLS FIRST LIMIT 10 OFFSET 5",
        .select(SelectStatement(
            items: [.expression(col("k")), .expression(.function(name: "count", arguments: [], distinct: false, star: true, z), alias: "n")],
            from: table("t"), filter: bin(.greater, col("v"), long(0)), groupBy: [col("k"), long(2)],
            having: bin(.greater, .function(name: "count", arguments: [], distinct: false, star: true, z), long(1)),
            orderBy: [OrderItem(expression: col("n"), ascending: false, nullsFirst: false), OrderItem(expression: long(1)), OrderItem(expression: col("k"), nullsFirst: true)],
            limit: 10, offset: 5)))
    add("SELECT a FROM t OFFSET 3", .select(SelectStatement(items: [.expression(col("a"))], from: table("t"), offset: 3)))
    add("SELECT a FROM t LIMIT 0", .select(SelectStatement(items: [.expression(col("a"))], from: table("t"), limit: 0)))
    add("EXPLAIN SELECT a FROM t", .explain(select(.expression(col("a")), from: table("t"))))
    add("SELECT \"select\" FROM \"from\"", .select(select(.expression(col("select")), from: table("from"))))
    add("  -- leading comment\n select /* c */ 1 -- trailing", .select(select(.expression(long(1)))))
    add(
        "CREATE TABLE w.ns.t PARTITIONED BY (day(ts), bucket(16, id)) AS SELECT * FROM src",
        .createTableAs(name: ["w", "ns", "t"], partitionBy: "day(ts), bucket(16, id)", query: select(.star(), from: table("src"))))
    add("create table t as select 1 as x", .createTableAs(name: ["t"], partitionBy: nil, query: select(.expression(long(1), alias: "x"))))
    add("INSERT INTO a.b SELECT * FROM c", .insert(name: ["a", "b"], overwrite: false, query: select(.star(), from: table("c"))))
    add("INSERT OVERWRITE TABLE a.b SELECT * FROM c", .insert(name: ["a", "b"], overwrite: true, query: select(.star(), from: table("c"))))
    add("insert overwrite a SELECT 1", .insert(name: ["a"], overwrite: true, query: select(.expression(long(1)))))
    return cases
}()

@Test(arguments: statementCases)
func parsesStatement(_ c: StatementCase) throws {
    #expect(strip(try SQLParser.parse(c.sql)) == c.expected)
}

// MARK: - Locations

@Test func locationsPointAtTokens() throws {
    let statement = try SQLParser.parse("SELECT a,\n  b + 1 FROM t")
    guard case .select(let s) = statement,
          case .binary(.add, .column(_, let b), .literal(_, let one), let plus)? = s.items[1].expression else {
        Issue.record("unexpected AST \(statement)")
        return
    }
    #expect(b == SourceLocation(offset: 12, line: 2, column: 3))
    #expect(plus == SourceLocation(offset: 14, line: 2, column: 5))
    #expect(one == SourceLocation(offset: 16, line: 2, column: 7))
    #expect(s.from?.location == SourceLocation(offset: 23, line: 2, column: 14))
}

// MARK: - Errors

struct ErrorCase: Sendable, CustomTestStringConvertible {
    let sql: String
    let line: Int
    let column: Int
    let message: String
    var testDescription: String { sql }
}

private let errorCases: [ErrorCase] = [
    .init(sql: "SELECT * FORM t", line: 1, column: 10, message: "expected FROM or end of statement, found \"FORM\""),
    .init(sql: "SELECT a FROM t WHERE", line: 1, column: 22, message: "expected expression, found end of input"),
    .init(sql: "SELECT a FROM t WHERE x = 1 LIMT 5", line: 1, column: 29, message: "expected GROUP BY, ORDER BY, LIMIT or end of statement, found \"LIMT\""),
    .init(sql: "SELECT FROM t", line: 1, column: 8, message: "expected expression, found \"FROM\""),
    .init(sql: "SELEC 1", line: 1, column: 1, message: "expected SELECT, EXPLAIN, CREATE TABLE or INSERT, found \"SELEC\""),
    .init(sql: "", line: 1, column: 1, message: "expected SELECT, EXPLAIN, CREATE TABLE or INSERT, found end of input"),
    .init(sql: "SELECT (1 + 2", line: 1, column: 8, message: "unclosed \"(\""),
    .init(sql: "SELECT 'abc", line: 1, column: 8, message: "unterminated string literal"),
    .init(sql: "SELECT \"abc", line: 1, column: 8, message: "unterminated quoted identifier"),
    .init(sql: "SELECT 1 /* x", line: 1, column: 10, message: "unterminated /* comment"),
    .init(sql: "SELECT 1 ? 2", line: 1, column: 10, message: "unexpected character \"?\""),
    .init(sql: "SELECT 12abc", line: 1, column: 8, message: "invalid number \"12a\""),
    .init(sql: "SELECT a\nFROM t\nWHERE a IS 3", line: 3, column: 12, message: "expected NULL or NOT NULL, found \"3\""),
    .init(sql: "SELECT CAST(a AS blobby)", line: 1, column: 18, message: "unknown type \"blobby\""),
    .init(sql: "SELECT DATE '2026-02-30'", line: 1, column: 13, message: "invalid date \"2026-02-30\" (expected YYYY-MM-DD)"),
    .init(sql: "SELECT TIMESTAMP 'noon'", line: 1, column: 18, message: "invalid timestamp \"noon\" (expected YYYY-MM-DD HH:MM:SS[.ffffff][±HH:MM])"),
    .init(sql: "SELECT CASE WHEN a THEN 1", line: 1, column: 26, message: "expected WHEN, ELSE or END, found end of input"),
    .init(sql: "SELECT CASE END", line: 1, column: 13, message: "expected expression, found \"END\""),
    .init(sql: "SELECT a FROM t LIMIT -1", line: 1, column: 23, message: "expected a non-negative integer after LIMIT, found \"-\""),
    .init(sql: "SELECT a FROM t LIMIT 1 OFFSET 2 LIMIT 3", line: 1, column: 34, message: "expected end of statement, found \"LIMIT\""),
    .init(sql: "SELECT a FROM t JOIN u", line: 1, column: 23, message: "expected ON, found end of input"),
    .init(sql: "SELECT a FROM t RIGHT JOIN u ON true", line: 1, column: 17, message: "RIGHT JOIN is not supported"),
    .init(sql: "SELECT a FROM t, u", line: 1, column: 16, message: "comma joins are not supported; use JOIN … ON"),
    .init(sql: "SELECT a FROM t FOR VERSION AS OF 'x'", line: 1, column: 35, message: "expected a snapshot id, found \"'x'\""),
    .init(sql: "SELECT a FROM t FOR SNAPSHOT", line: 1, column: 21, message: "expected VERSION or TIMESTAMP, found \"SNAPSHOT\""),
    .init(sql: "SELECT a FROM (SELECT 1)", line: 1, column: 15, message: "subqueries in FROM are not supported"),
    .init(sql: "SELECT a IN (SELECT 1)", line: 1, column: 14, message: "subqueries are not supported"),
    .init(sql: "SELECT 1 UNION SELECT 2", line: 1, column: 10, message: "UNION is not supported"),
    .init(sql: "SELECT EXTRACT(century FROM d)", line: 1, column: 16, message: "unknown date part \"century\" (expected one of year, quarter, month, day, hour, minute, second, dow, doy, epoch)"),
    .init(sql: "SELECT 1; SELECT 2", line: 1, column: 11, message: "expected end of statement, found \"SELECT\""),
    .init(sql: "SELECT f(a b)", line: 1, column: 12, message: "expected \",\" or \")\", found \"b\""),
    .init(sql: "SELECT a AS FROM t", line: 1, column: 13, message: "expected alias after AS, found \"FROM\""),
    .init(sql: "CREATE TABLE t PARTITIONED BY (day(ts) AS SELECT 1", line: 1, column: 31, message: "unclosed \"(\""),
    .init(sql: "INSERT t SELECT 1", line: 1, column: 8, message: "expected INTO or OVERWRITE, found \"t\""),
    .init(sql: "EXPLAIN DELETE FROM t", line: 1, column: 9, message: "expected SELECT after EXPLAIN, found \"DELETE\""),
    .init(sql: "SELECT a.", line: 1, column: 10, message: "expected identifier after \".\", found end of input"),
    .init(sql: "SELECT 1 +\n\t\t* 2", line: 2, column: 3, message: "expected expression, found \"*\""),
]

@Test(arguments: errorCases)
func rejects(_ c: ErrorCase) {
    do {
        let s = try SQLParser.parse(c.sql)
        Issue.record("parsed \(c.sql) as \(s)")
    } catch {
        #expect(error.message == c.message)
        #expect(error.location?.line == c.line)
        #expect(error.location?.column == c.column)
        #expect(error.sql == c.sql)
    }
}

@Test func errorDescriptionShowsCaret() {
    do {
        _ = try SQLParser.parse("SELECT a\nFROM t WHERE a ==")
        Issue.record("expected an error")
    } catch {
        #expect(error.description == "line 2, column 18: expected expression, found end of input\nFROM t WHERE a ==\n                 ^")
    }
}

// MARK: - Limits

@Test func deepNestingIsRejectedNotCrashing() {
    let deep = "SELECT " + String(repeating: "(", count: 100_000) + "1" + String(repeating: ")", count: 100_000)
    #expect(throws: QueryError.self) { try SQLParser.parse(deep) }
    let nots = "SELECT " + String(repeating: "NOT ", count: 10_000) + "a"
    #expect(throws: QueryError.self) { try SQLParser.parse(nots) }
    let minus = "SELECT " + String(repeating: "- ", count: 10_000) + "a"
    #expect(throws: QueryError.self) { try SQLParser.parse(minus) }
}

/// Each construct nested `levels` deep around the column `a`.
private func nested(_ construct: String, _ levels: Int) -> String {
    func r(_ s: String, _ n: Int) -> String { String(repeating: s, count: n) }
    switch construct {
    case "parentheses": return r("(", levels) + "a" + r(")", levels)
    case "function": return r("abs(", levels) + "a" + r(")", levels)
    case "not": return r("NOT ", levels) + "a"
    case "minus": return r("- ", levels) + "a"
    case "cast": return r("CAST(", levels) + "a" + r(" AS bigint)", levels)
    default: return r("CASE WHEN a THEN 1 ELSE ", levels) + "a" + r(" END", levels)
    }
}

@Test(arguments: ["parentheses", "function", "not", "minus", "cast", "case"])
func deepestNestingDoesNotDependOnTheCallersStack(construct: String) {
    // A caller with 512 KiB of stack (a Swift concurrency thread on macOS): the deepest accepted nesting
    // needed 2.2 MB of it in a debug build before the parse got a thread of its own.
    DeepRecursion.run(stackBytes: 512 << 10) {
        #expect(throws: Never.self, "\(construct)") { _ = try SQLParser.parse("SELECT " + nested(construct, SQLParser.maxDepth - 1)) }
        #expect(throws: QueryError.self, "\(construct)") { _ = try SQLParser.parse("SELECT " + nested(construct, 5 * SQLParser.maxDepth)) }
        #expect(throws: Never.self, "\(construct)") { _ = try SQLParser.parseExpression(nested(construct, SQLParser.maxDepth - 1)) }
    }
}

@Test func moderateNestingIsAccepted() throws {
    let sql = "SELECT " + String(repeating: "(", count: 50) + "1" + String(repeating: ")", count: 50)
    #expect(strip(try SQLParser.parse(sql)) == .select(select(.expression(long(1)))))
}

@Test func longChainsDoNotRecurse() throws {
    // Left-associative chains are built iteratively, so a long one is fine.
    let sql = "SELECT " + Array(repeating: "1", count: 5_000).joined(separator: " + ")
    _ = try SQLParser.parse(sql)
}

@Test func oversizedInputIsRejected() {
    let sql = "SELECT '" + String(repeating: "x", count: SQLParser.maxInputBytes) + "'"
    #expect(throws: QueryError.self) { try SQLParser.parse(sql) }
}

@Test func garbageNeverCrashes() {
    let pieces = ["SELECT", "(", ")", "'", "\"", "a", "1.5e", "::", "--", "/*", "*/", ",", "CASE", "WHEN", "END", "-", "NOT", "IN", "FROM", "JOIN", "ON", "FOR", ";", "..", "é", "\n"]
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    for _ in 0..<2_000 {
        var sql = ""
        for _ in 0..<12 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            sql += pieces[Int(state >> 33) % pieces.count] + " "
        }
        _ = try? SQLParser.parse(sql)
    }
}
