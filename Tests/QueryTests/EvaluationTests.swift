import IcebergData
import Testing

@testable import Query

private let at = SourceLocation(offset: 0, line: 1, column: 1)
private func lit(_ v: IcebergValue) -> SQLExpression { .literal(v, at) }
private func col(_ n: String) -> SQLExpression { .column([n], at) }
private func bin(_ op: BinaryOp, _ a: SQLExpression, _ b: SQLExpression) -> SQLExpression { .binary(op, a, b, at) }
private func fn(_ n: String, _ a: SQLExpression...) -> SQLExpression { .function(name: n, arguments: a, distinct: false, star: false, at) }
private func dec(_ u: Int128, _ s: Int) -> IcebergValue { .decimal(unscaled: u, scale: s) }
private func ts(_ text: String) -> IcebergValue { try! ValueCast.cast(.string(text), to: .timestamp) }
private func date(_ text: String) -> IcebergValue { try! ValueCast.cast(.string(text), to: .date) }

private let schema = RowSchema([
    .init(qualifier: "t", name: "i", type: .int), .init(qualifier: "t", name: "l", type: .long),
    .init(qualifier: "t", name: "d", type: .double), .init(qualifier: "t", name: "m", type: .decimal(precision: 9, scale: 2)),
    .init(qualifier: "t", name: "s", type: .string), .init(qualifier: "t", name: "b", type: .boolean),
    .init(qualifier: "t", name: "dt", type: .date), .init(qualifier: "t", name: "ts", type: .timestamp),
    .init(qualifier: "t", name: "n", type: .long),
])
private let row: [IcebergValue] = [.int(7), .long(-7), .double(2.5), dec(1250, 2), .string("Hello"), .boolean(true), date("2024-05-19"), ts("2024-05-19 13:45:30.5"), .null]

private func eval(_ e: SQLExpression) throws -> (IcebergValue, IcebergType) {
    let c = try ExpressionCompiler.compile(e, schema: schema)
    return (try c.evaluate(row), c.type)
}

struct EvaluationTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String; var expression: SQLExpression; var value: IcebergValue; var type: IcebergType?
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        // arithmetic and types
        Case(name: "int + long", expression: bin(.add, col("i"), col("l")), value: .long(0), type: .long),
        Case(name: "int / int is double", expression: bin(.divide, lit(.long(7)), lit(.long(2))), value: .double(3.5), type: .double),
        Case(name: "1/0 is inf", expression: bin(.divide, lit(.long(1)), lit(.long(0))), value: .double(.infinity), type: .double),
        Case(name: "-7 // 2", expression: bin(.integerDivide, col("l"), lit(.long(2))), value: .long(-3), type: .long),
        Case(name: "// 0 is NULL", expression: bin(.integerDivide, col("l"), lit(.long(0))), value: .null, type: .long),
        Case(name: "-7 % 2", expression: bin(.modulo, col("l"), lit(.long(2))), value: .long(-1), type: .long),
        Case(name: "7 % -2", expression: bin(.modulo, col("i"), lit(.long(-2))), value: .long(1), type: .long),
        Case(name: "% 0 is NULL", expression: bin(.modulo, col("i"), lit(.long(0))), value: .null, type: .long),
        Case(name: "decimal add", expression: bin(.add, lit(dec(15, 1)), lit(dec(225, 2))), value: dec(375, 2), type: .decimal(precision: 4, scale: 2)),
        Case(name: "decimal mul", expression: bin(.multiply, lit(dec(150, 2)), lit(dec(25, 1))), value: dec(3750, 3), type: .decimal(precision: 5, scale: 3)),
        Case(name: "decimal - int", expression: bin(.subtract, col("m"), col("i")), value: dec(550, 2), type: nil),
        Case(name: "decimal / is double", expression: bin(.divide, col("m"), lit(.long(2))), value: .double(6.25), type: .double),
        Case(name: "decimal % ", expression: bin(.modulo, lit(dec(-75, 1)), lit(.long(2))), value: dec(-15, 1), type: nil),
        Case(name: "double * int", expression: bin(.multiply, col("d"), col("i")), value: .double(17.5), type: .double),
        Case(name: "negate", expression: .unary(.negate, col("m"), at), value: dec(-1250, 2), type: .decimal(precision: 9, scale: 2)),
        Case(name: "NULL + 1", expression: bin(.add, col("n"), lit(.long(1))), value: .null, type: .long),
        Case(name: "concat ||", expression: bin(.concat, col("s"), lit(.long(1))), value: .string("Hello1"), type: .string),
        Case(name: "|| NULL", expression: bin(.concat, col("s"), lit(.null)), value: .null, type: .string),
        // comparisons
        Case(name: "1 = 1.0", expression: bin(.equal, lit(.long(1)), lit(dec(10, 1))), value: .boolean(true), type: .boolean),
        Case(name: "int < double", expression: bin(.less, col("i"), col("d")), value: .boolean(false), type: .boolean),
        Case(name: "'1' = 1", expression: bin(.equal, lit(.string("1")), lit(.long(1))), value: .boolean(true), type: .boolean),
        Case(name: "date vs string", expression: bin(.less, col("dt"), lit(.string("2024-06-01"))), value: .boolean(true), type: .boolean),
        Case(name: "date vs timestamp", expression: bin(.less, col("dt"), col("ts")), value: .boolean(true), type: .boolean),
        Case(name: "NULL = NULL", expression: bin(.equal, col("n"), lit(.null)), value: .null, type: .boolean),
        Case(name: "strings by bytes", expression: bin(.less, lit(.string("Z")), lit(.string("a"))), value: .boolean(true), type: .boolean),
        // three-valued logic
        Case(name: "NULL AND false", expression: bin(.and, lit(.null), lit(.boolean(false))), value: .boolean(false), type: .boolean),
        Case(name: "NULL AND true", expression: bin(.and, lit(.null), lit(.boolean(true))), value: .null, type: .boolean),
        Case(name: "NULL OR true", expression: bin(.or, lit(.null), lit(.boolean(true))), value: .boolean(true), type: .boolean),
        Case(name: "NULL OR false", expression: bin(.or, lit(.null), col("b")), value: .boolean(true), type: .boolean),
        Case(name: "NOT NULL", expression: .unary(.not, lit(.null), at), value: .null, type: .boolean),
        Case(name: "IS NULL", expression: .isNull(col("n"), negated: false), value: .boolean(true), type: .boolean),
        Case(name: "IS NOT NULL", expression: .isNull(col("s"), negated: true), value: .boolean(true), type: .boolean),
        Case(name: "IN hit", expression: .inList(col("i"), [lit(.long(1)), lit(.long(7))], negated: false), value: .boolean(true), type: .boolean),
        Case(name: "IN miss with NULL", expression: .inList(col("i"), [lit(.long(1)), lit(.null)], negated: false), value: .null, type: .boolean),
        Case(name: "NOT IN miss", expression: .inList(col("i"), [lit(.long(1))], negated: true), value: .boolean(true), type: .boolean),
        Case(name: "BETWEEN", expression: .between(col("d"), low: lit(.long(2)), high: lit(.long(3)), negated: false), value: .boolean(true), type: .boolean),
        Case(name: "NOT BETWEEN", expression: .between(col("d"), low: lit(.long(2)), high: lit(.long(3)), negated: true), value: .boolean(false), type: .boolean),
        // LIKE
        Case(name: "like prefix", expression: .like(col("s"), pattern: lit(.string("He%")), negated: false, caseInsensitive: false), value: .boolean(true), type: .boolean),
        Case(name: "like case", expression: .like(col("s"), pattern: lit(.string("he%")), negated: false, caseInsensitive: false), value: .boolean(false), type: .boolean),
        Case(name: "ilike", expression: .like(col("s"), pattern: lit(.string("h_L%o")), negated: false, caseInsensitive: true), value: .boolean(true), type: .boolean),
        Case(name: "like general", expression: .like(col("s"), pattern: lit(.string("%l_o")), negated: false, caseInsensitive: false), value: .boolean(true), type: .boolean),
        Case(name: "not like", expression: .like(col("s"), pattern: lit(.string("%x%")), negated: true, caseInsensitive: false), value: .boolean(true), type: .boolean),
        Case(name: "like NULL", expression: .like(.cast(col("n"), .string, SourceLocation(offset: 0, line: 1, column: 1)), pattern: lit(.string("%")), negated: false, caseInsensitive: false), value: .null, type: .boolean),
        // CASE
        Case(name: "case searched", expression: .caseWhen(operand: nil, branches: [WhenBranch(condition: lit(.null), result: lit(.long(1)))], otherwise: lit(dec(15, 1))), value: dec(15, 1), type: nil),
        Case(name: "case simple", expression: .caseWhen(operand: col("i"), branches: [WhenBranch(condition: lit(.long(7)), result: lit(.string("seven")))], otherwise: nil), value: .string("seven"), type: .string),
        Case(name: "case no match", expression: .caseWhen(operand: col("i"), branches: [WhenBranch(condition: lit(.long(1)), result: lit(.string("one")))], otherwise: nil), value: .null, type: .string),
        // CAST
        Case(name: "cast ' 12 ' int", expression: .cast(lit(.string(" 12 ")), .int, at), value: .int(12), type: .int),
        Case(name: "cast '1.7' int", expression: .cast(lit(.string("1.7")), .int, at), value: .int(2), type: .int),
        Case(name: "cast -1.5 int (half away)", expression: .cast(lit(dec(-15, 1)), .int, at), value: .int(-2), type: .int),
        Case(name: "cast 2.5 double int (half even)", expression: .cast(col("d"), .long, at), value: .long(2), type: .long),
        Case(name: "cast to decimal rounds", expression: .cast(lit(dec(1999, 3)), .decimal(precision: 5, scale: 2), at), value: dec(200, 2), type: .decimal(precision: 5, scale: 2)),
        Case(name: "cast timestamp varchar", expression: .cast(col("ts"), .string, at), value: .string("2024-05-19 13:45:30.5"), type: .string),
        Case(name: "cast double varchar", expression: .cast(col("d"), .string, at), value: .string("2.5"), type: .string),
        Case(name: "cast decimal varchar", expression: .cast(col("m"), .string, at), value: .string("12.50"), type: .string),
        Case(name: "cast timestamp date", expression: .cast(col("ts"), .date, at), value: date("2024-05-19"), type: .date),
        Case(name: "cast bool", expression: .cast(lit(.string("t")), .boolean, at), value: .boolean(true), type: .boolean),
        Case(name: "cast NULL", expression: .cast(lit(.null), .int, at), value: .null, type: .int),
        // functions
        Case(name: "lower", expression: fn("lower", col("s")), value: .string("hello"), type: .string),
        Case(name: "upper", expression: fn("upper", col("s")), value: .string("HELLO"), type: .string),
        Case(name: "length", expression: fn("length", lit(.string("héllo"))), value: .long(5), type: .long),
        Case(name: "trim", expression: fn("trim", lit(.string("  a  "))), value: .string("a"), type: .string),
        Case(name: "ltrim", expression: fn("ltrim", lit(.string("  a "))), value: .string("a "), type: .string),
        Case(name: "rtrim chars", expression: fn("rtrim", lit(.string("axx")), lit(.string("x"))), value: .string("a"), type: .string),
        Case(name: "substr", expression: fn("substr", col("s"), lit(.long(2)), lit(.long(3))), value: .string("ell"), type: .string),
        Case(name: "substr 0", expression: fn("substr", col("s"), lit(.long(0)), lit(.long(2))), value: .string("H"), type: .string),
        Case(name: "substr negative", expression: fn("substring", col("s"), lit(.long(-3))), value: .string("llo"), type: .string),
        Case(name: "substr negative length", expression: fn("substr", col("s"), lit(.long(2)), lit(.long(-1))), value: .string("H"), type: .string),
        Case(name: "replace", expression: fn("replace", lit(.string("aaa")), lit(.string("a")), lit(.string("bb"))), value: .string("bbbbbb"), type: .string),
        Case(name: "concat skips NULL", expression: fn("concat", lit(.string("a")), lit(.null), col("i")), value: .string("a7"), type: .string),
        Case(name: "coalesce", expression: fn("coalesce", col("n"), col("i")), value: .long(7), type: .long),
        Case(name: "nullif equal", expression: fn("nullif", col("i"), lit(.long(7))), value: .null, type: .int),
        Case(name: "nullif different", expression: fn("nullif", col("i"), lit(.long(8))), value: .int(7), type: .int),
        Case(name: "abs", expression: fn("abs", col("l")), value: .long(7), type: .long),
        Case(name: "round decimal", expression: fn("round", lit(dec(12345, 4)), lit(.long(2))), value: dec(123, 2), type: .decimal(precision: 5, scale: 2)),
        Case(name: "round half away", expression: fn("round", lit(dec(-25, 1))), value: dec(-3, 0), type: .decimal(precision: 2, scale: 0)),
        Case(name: "round double", expression: fn("round", col("d")), value: .double(3), type: .double),
        Case(name: "round double -1", expression: fn("round", lit(.double(123.4)), lit(.long(-1))), value: .double(120), type: .double),
        Case(name: "round long -1", expression: fn("round", lit(.long(7)), lit(.long(-1))), value: .long(10), type: .long),
        Case(name: "floor decimal", expression: fn("floor", lit(dec(-15, 1))), value: dec(-2, 0), type: .decimal(precision: 2, scale: 0)),
        Case(name: "ceil double", expression: fn("ceil", lit(.double(-1.5))), value: .double(-1), type: .double),
        Case(name: "greatest skips NULL", expression: fn("greatest", lit(.long(1)), lit(dec(25, 1)), lit(.null)), value: dec(25, 1), type: nil),
        Case(name: "least", expression: fn("least", lit(.long(3)), col("i")), value: .long(3), type: .long),
        Case(name: "starts_with", expression: fn("starts_with", col("s"), lit(.string("He"))), value: .boolean(true), type: .boolean),
        Case(name: "contains", expression: fn("contains", col("s"), lit(.string("ll"))), value: .boolean(true), type: .boolean),
        // dates
        Case(name: "date_trunc month of date", expression: fn("date_trunc", lit(.string("month")), col("dt")), value: ts("2024-05-01"), type: .timestamp),
        Case(name: "date_trunc week", expression: fn("date_trunc", lit(.string("week")), col("dt")), value: ts("2024-05-13"), type: .timestamp),
        Case(name: "date_trunc hour", expression: fn("date_trunc", lit(.string("hour")), col("ts")), value: ts("2024-05-19 13:00:00"), type: .timestamp),
        Case(name: "date_trunc quarter", expression: fn("date_trunc", lit(.string("quarter")), col("ts")), value: ts("2024-04-01"), type: .timestamp),
        Case(name: "extract dow sunday", expression: .extract(field: "dow", col("dt"), at), value: .long(0), type: .long),
        Case(name: "extract doy", expression: .extract(field: "doy", col("dt"), at), value: .long(140), type: .long),
        Case(name: "extract second", expression: .extract(field: "second", col("ts"), at), value: .long(30), type: .long),
        Case(name: "extract epoch", expression: .extract(field: "epoch", lit(ts("2024-05-19 01:00:00.5")), at), value: .double(1716080400.5), type: .double),
        Case(name: "extract quarter", expression: .extract(field: "quarter", col("dt"), at), value: .long(2), type: .long),
        Case(name: "year()", expression: fn("year", col("ts")), value: .long(2024), type: .long),
        Case(name: "hour()", expression: fn("hour", col("ts")), value: .long(13), type: .long),
    ]

    @Test(arguments: cases)
    func evaluates(_ c: Case) throws {
        let (value, type) = try eval(c.expression)
        #expect(value == c.value)
        if let t = c.type { #expect(type == t) }
    }

    @Test(arguments: [
        ("unknown column", col("zzz")),
        ("type mismatch", bin(.add, col("s"), col("i"))),
        ("bad cast type", .cast(col("dt"), .int, SourceLocation(offset: 4, line: 1, column: 5))),
        ("aggregate", .function(name: "sum", arguments: [col("i")], distinct: false, star: false, at)),
        ("unknown function", fn("nope", col("i"))),
        ("NOT of int", .unary(.not, col("i"), at)),
        ("compare bool and int", bin(.equal, col("b"), col("i"))),
    ] as [(String, SQLExpression)])
    func compileErrors(_ name: String, _ e: SQLExpression) {
        #expect(throws: QueryError.self, "\(name)") { _ = try ExpressionCompiler.compile(e, schema: schema) }
    }

    @Test func errorCarriesLocation() {
        let loc = SourceLocation(offset: 14, line: 1, column: 15)
        do {
            _ = try ExpressionCompiler.compile(.column(["x"], loc), schema: schema)
            Issue.record("expected an error")
        } catch {
            #expect(error.location == loc)
            #expect(error.message.contains("unknown column"))
        }
    }

    @Test func runtimeErrors() throws {
        let loc = SourceLocation(offset: 7, line: 1, column: 8)
        let badCast = try ExpressionCompiler.compile(.cast(col("s"), .int, loc), schema: schema)
        do {
            _ = try badCast.evaluate(row)
            Issue.record("expected a conversion error")
        } catch { #expect(error.location == loc) }
        let overflow = try ExpressionCompiler.compile(bin(.add, lit(.long(.max)), col("i")), schema: schema)
        #expect(throws: QueryError.self) { _ = try overflow.evaluate(row) }
        let range = try ExpressionCompiler.compile(.cast(lit(.long(3_000_000_000)), .int, at), schema: schema)
        #expect(throws: QueryError.self) { _ = try range.evaluate(row) }
        let decimalRange = try ExpressionCompiler.compile(.cast(lit(dec(1234567, 1)), .decimal(precision: 5, scale: 2), at), schema: schema)
        #expect(throws: QueryError.self) { _ = try decimalRange.evaluate(row) }
    }

    @Test func ambiguousAndQualifiedColumns() throws {
        let joined = RowSchema([.init(qualifier: "a", name: "id", type: .long), .init(qualifier: "b", name: "ID", type: .long)])
        #expect(throws: QueryError.self) { _ = try joined.resolve(["id"], at: at) }
        #expect(try joined.resolve(["b", "id"], at: at) == 1)
        #expect(try joined.resolve(["A", "Id"], at: at) == 0)
    }

    // MARK: aggregates

    private func aggregate(_ name: String, distinct: Bool = false, star: Bool = false, _ type: IcebergType?, _ values: [IcebergValue]) throws -> (IcebergValue, IcebergType) {
        let f = try AggregateFunction.make(name: name, distinct: distinct, star: star, argumentType: type, at: at)
        var state = f.makeState()
        for v in values { try state.add(star ? .boolean(true) : v) }
        return (state.result(), f.resultType)
    }

    @Test func aggregatesSkipNulls() throws {
        let xs: [IcebergValue] = [.long(3), .null, .long(1), .long(3)]
        #expect(try aggregate("count", star: true, nil, xs) == (.long(4), .long))
        #expect(try aggregate("count", .long, xs) == (.long(3), .long))
        #expect(try aggregate("count", distinct: true, .long, xs) == (.long(2), .long))
        #expect(try aggregate("sum", .long, xs) == (.long(7), .long))
        #expect(try aggregate("sum", distinct: true, .long, xs) == (.long(4), .long))
        #expect(try aggregate("min", .long, xs) == (.long(1), .long))
        #expect(try aggregate("max", .long, xs) == (.long(3), .long))
        #expect(try aggregate("avg", .long, xs).0 == .double(7.0 / 3.0))
        #expect(try aggregate("max", .string, [.string("b"), .null, .string("a")]).0 == .string("b"))
    }

    @Test func aggregatesOfEmptyInput() throws {
        for name in ["sum", "min", "max", "avg"] {
            #expect(try aggregate(name, .long, []).0 == .null)
            #expect(try aggregate(name, .long, [.null]).0 == .null)
        }
        #expect(try aggregate("count", .long, [.null]).0 == .long(0))
        #expect(try aggregate("count", star: true, nil, []).0 == .long(0))
    }

    @Test func decimalAndDoubleAggregates() throws {
        let m = IcebergType.decimal(precision: 9, scale: 2)
        #expect(try aggregate("sum", m, [dec(125, 2), dec(250, 2), .null]) == (dec(375, 2), .decimal(precision: 38, scale: 2)))
        #expect(try aggregate("avg", m, [dec(125, 2), dec(250, 2)]) == (.double(1.875), .double))
        #expect(try aggregate("sum", .double, [.double(1.5), .double(1.5)]) == (.double(3), .double))
        #expect(throws: QueryError.self) { _ = try aggregate("sum", .long, [.long(.max), .long(1)]) }
        #expect(throws: QueryError.self) { _ = try aggregate("sum", .string, []) }
        #expect(throws: QueryError.self) { _ = try aggregate("median", .long, []) }
    }

    @Test func decimalExactness() throws {
        // 0.1 + 0.2 is exactly 0.3 in decimal arithmetic.
        let (v, _) = try eval(bin(.add, lit(dec(1, 1)), lit(dec(2, 1))))
        #expect(v == dec(3, 1))
        let (p, t) = try eval(bin(.multiply, lit(dec(1, 1)), lit(dec(3, 1))))
        #expect(p == dec(3, 2))
        #expect(t == .decimal(precision: 4, scale: 2))
    }
}
