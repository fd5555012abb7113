import Testing

@testable import IcebergData

@Suite struct ExpressionTests {
    static let schema = IcebergSchema(schemaID: 0, fields: [
        IcebergField(id: 1, name: "id", required: true, type: .long),
        IcebergField(id: 2, name: "ts", required: false, type: .timestamp),
        IcebergField(id: 3, name: "name", required: false, type: .string),
        IcebergField(id: 4, name: "f", required: false, type: .double),
        IcebergField(id: 5, name: "s", required: false, type: .structType([IcebergField(id: 6, name: "x", required: false, type: .int)])),
        IcebergField(id: 7, name: "price", required: false, type: .decimal(precision: 9, scale: 2)),
        IcebergField(id: 8, name: "d", required: false, type: .date),
        IcebergField(id: 9, name: "tags", required: false, type: .list(elementID: 10, elementRequired: false, element: .string)),
        IcebergField(id: 11, name: "Odd Name", required: false, type: .int),
    ])

    static func bind(_ text: String) throws -> BoundExpression {
        try BoundExpression(try ExpressionParser.parse(text), schema: schema)
    }

    static func days(_ s: String) -> Int32 { Int32(LiteralText.date(s)!) }

    @Test func parsesPrecedenceAndForms() throws {
        let e = try ExpressionParser.parse("a = 1 OR b = 2 AND NOT c = 3")
        let a = Expression.predicate(Predicate(op: .equal, column: "a", literals: [.long(1)]))
        let b = Expression.predicate(Predicate(op: .equal, column: "b", literals: [.long(2)]))
        let c = Expression.predicate(Predicate(op: .equal, column: "c", literals: [.long(3)]))
        #expect(e == .or(a, .and(b, .not(c))))
        #expect(try ExpressionParser.parse("(a = 1 OR b = 2) AND c = 3") == .and(.or(a, b), c))
        #expect(try ExpressionParser.parse("s.x <> -2.50") == .predicate(Predicate(op: .notEqual, column: "s.x", literals: [.decimal(unscaled: -250, scale: 2)])))
        #expect(try ExpressionParser.parse("\"Odd Name\" >= 1e3") == .predicate(Predicate(op: .greaterThanOrEqual, column: "Odd Name", literals: [.double(1000)])))
        #expect(try ExpressionParser.parse("n = 'it''s'") == .predicate(Predicate(op: .equal, column: "n", literals: [.string("it's")])))
        #expect(try ExpressionParser.parse("n NOT IN (1, 'a', TRUE)") == .predicate(Predicate(op: .notIn, column: "n", literals: [.long(1), .string("a"), .boolean(true)])))
        #expect(try ExpressionParser.parse("n is not nan") == .predicate(Predicate(op: .notNaN, column: "n")))
        #expect(try ExpressionParser.parse("n IS NULL") == .predicate(Predicate(op: .isNull, column: "n")))
        #expect(try ExpressionParser.parse("n LIKE 'ab%'") == .predicate(Predicate(op: .startsWith, column: "n", literals: [.string("ab")])))
        #expect(try ExpressionParser.parse("n NOT LIKE 'ab%'") == .predicate(Predicate(op: .notStartsWith, column: "n", literals: [.string("ab")])))
        #expect(try ExpressionParser.parse("5 < n") == .predicate(Predicate(op: .greaterThan, column: "n", literals: [.long(5)])))
        #expect(try ExpressionParser.parse("TRUE") == .alwaysTrue)
    }

    @Test(arguments: [
        ("id >", 4), ("id = = 3", 5), ("(id = 1", 7), ("id IN ()", 7), ("id = 1 AND", 10), ("x IS NOTNULL", 5), ("'abc", 0), ("id = 1 id", 7),
        ("id # 3", 3),
    ])
    func rejectsWithOffset(text: String, offset: Int) {
        #expect {
            try ExpressionParser.parse(text)
        } throws: { error in
            guard case .invalid(let message) = error as? IcebergDataError else { return false }
            return message.hasPrefix("at offset \(offset):")
        }
    }

    @Test func unsupportedLike() {
        #expect(throws: IcebergDataError.self) { try ExpressionParser.parse("n LIKE 'a%b'") }
        #expect(throws: IcebergDataError.self) { try ExpressionParser.parse("n LIKE 'a_'") }
        #expect(throws: IcebergDataError.self) { try ExpressionParser.parse(String(repeating: "(", count: 5000) + "a = 1" + String(repeating: ")", count: 5000)) }
    }

    @Test func deepestNestingDoesNotDependOnTheCallersStack() {
        func r(_ s: String, _ n: Int) -> String { String(repeating: s, count: n) }
        // A caller with 512 KiB of stack, as in ParserTests of Query.
        DeepRecursion.run(stackBytes: 512 << 10) {
            #expect(throws: Never.self) { _ = try ExpressionParser.parse(r("(", ExpressionParser.maxDepth) + "a = 1" + r(")", ExpressionParser.maxDepth)) }
            #expect(throws: Never.self) { _ = try ExpressionParser.parse(r("NOT ", ExpressionParser.maxDepth) + "a = 1") }
            #expect(throws: IcebergDataError.self) { _ = try ExpressionParser.parse(r("NOT ", 5000) + "a = 1") }
        }
    }

    @Test func bindingErrors() {
        for text in ["nope = 1", "ts > 'garbage'", "id IS NAN", "name = 5", "s.nope = 1", "tags.element = 'a'", "price = 1.234", "id = 1.5", "d = '2024-02-30'"] {
            #expect(throws: IcebergDataError.self, "\(text)") { try Self.bind(text) }
        }
    }

    @Test func bindingConversions() throws {
        #expect(try Self.bind("s.x = 3000000000").isAlwaysFalse)
        #expect(try Self.bind("id IS NULL").isAlwaysFalse)
        #expect(try Self.bind("id IS NOT NULL").isAlwaysTrue)
        let ci = try BoundExpression(ExpressionParser.parse("NAME = 'a'"), schema: Self.schema, caseSensitive: false)
        #expect(ci.referencedFieldIDs == [3])
        let row: [Int: IcebergValue] = [
            2: .timestamp(LiteralText.timestamp("2024-01-01T12:00:00")!.nanos / 1000), 7: .decimal(unscaled: 1420, scale: 2), 8: .date(Self.days("2024-01-02")),
            6: .int(3),
        ]
        for text in [
            "ts >= '2024-01-01'", "ts < '2024-01-01 12:00:00.000001'", "price = 14.2", "price = '14.20'", "price > 14", "d = '2024-01-02'", "s.x < 3000000000",
            "s.x IN (3, 4000000000)",
        ] {
            #expect(RowEvaluator(try Self.bind(text)).matches { row[$0] ?? .null }, "\(text)")
        }
    }

    @Test func nullAndNaNSemantics() throws {
        let rows: [[Int: IcebergValue]] = [[4: .double(.nan)], [4: .double(3)], [:]]
        func eval(_ text: String) throws -> [Bool] {
            let evaluator = RowEvaluator(try Self.bind(text))
            return rows.map { row in evaluator.matches { row[$0] ?? .null } }
        }
        #expect(try eval("f > 1") == [false, true, false])
        #expect(try eval("f <= 1") == [false, false, false])
        #expect(try eval("f != 1") == [true, true, false])
        #expect(try eval("NOT (f = 1)") == [true, true, false])
        #expect(try eval("f NOT IN (1, 2)") == [true, true, false])
        #expect(try eval("f IS NAN") == [true, false, false])
        #expect(try eval("f IS NOT NAN") == [false, true, true])
        #expect(try eval("f IS NULL") == [false, false, true])
        #expect(try eval("NOT f IS NULL") == [true, true, false])
        let names: [[Int: IcebergValue]] = [[3: .string("abc")], [3: .string("xbc")], [:]]
        let like = RowEvaluator(try Self.bind("name NOT LIKE 'ab%'"))
        #expect(names.map { r in like.matches { r[$0] ?? .null } } == [false, true, false])
    }

    // MARK: partition projection

    static func pruner(_ text: String, _ transform: Transform, source: Int) throws -> PartitionPruner {
        let spec = PartitionSpec(specID: 1, fields: [PartitionField(sourceID: source, fieldID: 1000, name: "p", transform: transform)])
        return PartitionPruner(try bind(text), spec: spec, schema: schema)
    }

    @Test func dayProjectionEdges() throws {
        let jan1 = IcebergValue.date(Self.days("2024-01-01")), jan2 = IcebergValue.date(Self.days("2024-01-02")), jan3 = IcebergValue.date(Self.days("2024-01-03"))
        let lt = try Self.pruner("ts < '2024-01-02T00:00:00'", .day, source: 2)
        #expect(lt.mightMatch(partition: [jan1]))
        #expect(!lt.mightMatch(partition: [jan2]))
        let gt = try Self.pruner("ts > '2024-01-02T23:59:59.999999'", .day, source: 2)
        #expect(!gt.mightMatch(partition: [jan2]))
        #expect(gt.mightMatch(partition: [jan3]))
        let ge = try Self.pruner("ts >= '2024-01-02T12:00:00'", .day, source: 2)
        #expect(ge.mightMatch(partition: [jan2]) && !ge.mightMatch(partition: [jan1]))
        let eq = try Self.pruner("ts = '2024-01-02T12:00:00'", .day, source: 2)
        #expect(eq.mightMatch(partition: [jan2]) && !eq.mightMatch(partition: [jan3]))
        #expect(try Self.pruner("ts != '2024-01-02T12:00:00'", .day, source: 2).mightMatch(partition: [jan2]))
        #expect(!(try Self.pruner("ts IS NULL", .day, source: 2).mightMatch(partition: [jan2])))
        #expect(try Self.pruner("ts IS NULL", .day, source: 2).mightMatch(partition: [.null]))
        let month = try Self.pruner("ts < '2024-02-01T00:00:00'", .month, source: 2)
        #expect(month.mightMatch(partition: [.int(54 * 12)]) && !month.mightMatch(partition: [.int(54 * 12 + 1)]))
        let year = try Self.pruner("d >= '2024-01-01'", .year, source: 8)
        #expect(year.mightMatch(partition: [.int(54)]) && !year.mightMatch(partition: [.int(53)]))
    }

    @Test func bucketTruncateIdentityVoidProjection() throws {
        let b = Transform.bucket(16)
        let eq = try Self.pruner("id = 34", b, source: 1)
        #expect(eq.mightMatch(partition: [b.apply(.long(34))]))
        #expect(!eq.mightMatch(partition: [.int((b.apply(.long(34)).intValue + 1) % 16)]))
        #expect(try Self.pruner("id > 34", b, source: 1).mightMatch(partition: [.int(0)]))
        let inSet = try Self.pruner("id IN (1, 2)", b, source: 1)
        #expect(inSet.mightMatch(partition: [b.apply(.long(2))]))

        let t = Transform.truncate(10)
        let lt = try Self.pruner("id < 20", t, source: 1)
        #expect(lt.mightMatch(partition: [.long(10)]) && !lt.mightMatch(partition: [.long(20)]))
        let gt = try Self.pruner("id > 19", t, source: 1)
        #expect(!gt.mightMatch(partition: [.long(10)]) && gt.mightMatch(partition: [.long(20)]))

        let ts = Transform.truncate(3)
        let sw = try Self.pruner("name LIKE 'abcd%'", ts, source: 3)
        #expect(sw.mightMatch(partition: [.string("abc")]) && !sw.mightMatch(partition: [.string("abd")]))
        let short = try Self.pruner("name LIKE 'ab%'", ts, source: 3)
        #expect(short.mightMatch(partition: [.string("abz")]) && !short.mightMatch(partition: [.string("acz")]))
        let nsw = try Self.pruner("name NOT LIKE 'abc%'", ts, source: 3)
        #expect(!nsw.mightMatch(partition: [.string("abc")]) && nsw.mightMatch(partition: [.string("abd")]))
        let slt = try Self.pruner("name < 'abcd'", ts, source: 3)
        #expect(slt.mightMatch(partition: [.string("abc")]) && !slt.mightMatch(partition: [.string("abd")]))

        let id = try Self.pruner("name != 'x'", .identity, source: 3)
        #expect(!id.mightMatch(partition: [.string("x")]) && id.mightMatch(partition: [.string("y")]))
        #expect(try Self.pruner("name = 'x'", .void, source: 3).mightMatch(partition: [.null]))
    }

    @Test func summaryPruning() throws {
        let jan1 = IcebergValue.date(Self.days("2024-01-01")).toBound(), jan5 = IcebergValue.date(Self.days("2024-01-05")).toBound()
        let summary = PartitionFieldSummary(containsNull: false, containsNaN: nil, lowerBound: jan1, upperBound: jan5)
        #expect(try Self.pruner("ts < '2024-01-02T00:00:00'", .day, source: 2).mightMatch(summaries: [summary]))
        #expect(!(try Self.pruner("ts < '2024-01-01T00:00:00'", .day, source: 2).mightMatch(summaries: [summary])))
        #expect(!(try Self.pruner("ts >= '2024-01-06T00:00:00'", .day, source: 2).mightMatch(summaries: [summary])))
        #expect(!(try Self.pruner("ts IS NULL", .day, source: 2).mightMatch(summaries: [summary])))
        let allNull = PartitionFieldSummary(containsNull: true)
        #expect(!(try Self.pruner("ts IS NOT NULL", .day, source: 2).mightMatch(summaries: [allNull])))
        #expect(!(try Self.pruner("ts = '2024-01-03T00:00:00'", .day, source: 2).mightMatch(summaries: [allNull])))
        #expect(try Self.pruner("ts = '2024-01-03T00:00:00' OR id = 1", .day, source: 2).mightMatch(summaries: [allNull]))
    }

    // MARK: metrics

    @Test func metricsPruning() throws {
        func might(_ text: String, _ m: FileMetrics) throws -> Bool { MetricsPruner(try Self.bind(text), schema: Self.schema).mightMatch(m) }
        let ids = FileMetrics(
            recordCount: 10, valueCounts: [1: 10], nullValueCounts: [1: 0], lowerBounds: [1: IcebergValue.long(5).toBound()],
            upperBounds: [1: IcebergValue.long(9).toBound()])
        #expect(try !might("id < 5", ids))
        #expect(try might("id <= 5", ids))
        #expect(try !might("id > 9", ids))
        #expect(try might("id = 7", ids))
        #expect(try !might("id IN (1, 10)", ids))
        #expect(try might("id IN (1, 9)", ids))
        #expect(try might("id != 7", ids))
        #expect(try !might("id = 7", FileMetrics(recordCount: 0)))
        #expect(try might("id = 7", FileMetrics(recordCount: 3)))  // no stats: might match

        // Truncated string bounds: lower "ab" ≤ min, upper "abd" ≥ max.
        let names = FileMetrics(
            recordCount: 10, valueCounts: [3: 10], nullValueCounts: [3: 0], lowerBounds: [3: Array("ab".utf8)], upperBounds: [3: Array("abd".utf8)])
        #expect(try might("name LIKE 'abc%'", names))
        #expect(try might("name = 'abcz'", names))
        #expect(try might("name LIKE 'ab%'", names))
        #expect(try !might("name LIKE 'abe%'", names))
        #expect(try !might("name LIKE 'aa%'", names))
        #expect(try !might("name = 'abe'", names))
        #expect(try !might("name NOT LIKE 'ab%'", names))
        #expect(try might("name NOT LIKE 'abc%'", names))
        #expect(try !might("name IS NULL", names))

        let floats = FileMetrics(recordCount: 4, valueCounts: [4: 4], nullValueCounts: [4: 1], nanValueCounts: [4: 3])
        #expect(try !might("f > 0", floats))
        #expect(try might("f IS NAN", floats))
        #expect(try !might("f IS NAN", FileMetrics(recordCount: 4, valueCounts: [4: 4], nullValueCounts: [4: 0], nanValueCounts: [4: 0])))
        #expect(try !might("f IS NOT NULL", FileMetrics(recordCount: 4, valueCounts: [4: 4], nullValueCounts: [4: 4])))

        // Nested struct field bounds are used; a bad bound means "might".
        let nested = FileMetrics(recordCount: 2, lowerBounds: [6: IcebergValue.int(10).toBound()], upperBounds: [6: [1, 2]])
        #expect(try !might("s.x < 10", nested))
        #expect(try might("s.x > 100", nested))
    }
}

extension IcebergValue {
    fileprivate var intValue: Int32 {
        if case .int(let v) = self { return v }
        return -1
    }
}
