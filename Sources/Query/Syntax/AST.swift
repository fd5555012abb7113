import IcebergData

public enum UnaryOp: Sendable, Hashable { case negate, not }

public enum BinaryOp: Sendable, Hashable {
    case add, subtract, multiply, divide, integerDivide, modulo, concat
    case equal, notEqual, less, lessOrEqual, greater, greaterOrEqual, and, or
}

public struct WhenBranch: Sendable, Hashable {
    public var condition: SQLExpression
    public var result: SQLExpression
    public init(condition: SQLExpression, result: SQLExpression) {
        self.condition = condition
        self.result = result
    }
}

public indirect enum SQLExpression: Sendable, Hashable {
    /// 42 → .long(42) (beyond Int64 → .decimal), 1.5 → .decimal, 1e3 → .double, 'x' → .string, TRUE/FALSE → .boolean,
    /// NULL → .null, DATE '…' → .date, TIMESTAMP '…' → .timestamp, TIMESTAMPTZ '…' → .timestamptz
    case literal(IcebergValue, SourceLocation)
    /// ["id"] or ["t", "id"]; identifiers lower-cased unless "quoted"
    case column([String], SourceLocation)
    case unary(UnaryOp, SQLExpression, SourceLocation)
    case binary(BinaryOp, SQLExpression, SQLExpression, SourceLocation)
    case isNull(SQLExpression, negated: Bool)
    case inList(SQLExpression, [SQLExpression], negated: Bool)
    case between(SQLExpression, low: SQLExpression, high: SQLExpression, negated: Bool)
    case like(SQLExpression, pattern: SQLExpression, negated: Bool, caseInsensitive: Bool)
    case caseWhen(operand: SQLExpression?, branches: [WhenBranch], otherwise: SQLExpression?)
    case cast(SQLExpression, IcebergType, SourceLocation)
    /// lower-cased name; count(*) has star = true
    case function(name: String, arguments: [SQLExpression], distinct: Bool, star: Bool, SourceLocation)
    /// EXTRACT(YEAR FROM ts): year, quarter, month, day, hour, minute, second, dow, doy, epoch
    case extract(field: String, SQLExpression, SourceLocation)
}

extension SQLExpression {
    /// Where the expression starts (or its operator, for the forms that carry a location), for error messages.
    public var location: SourceLocation {
        switch self {
        case .literal(_, let l), .column(_, let l), .unary(_, _, let l), .cast(_, _, let l),
             .function(_, _, _, _, let l), .extract(_, _, let l):
            return l
        case .binary(_, let lhs, _, _): return lhs.location
        case .isNull(let e, _), .inList(let e, _, _), .between(let e, _, _, _), .like(let e, _, _, _): return e.location
        case .caseWhen(let operand, let branches, let otherwise):
            return operand?.location ?? branches.first?.condition.location ?? otherwise?.location
                ?? SourceLocation(offset: 0, line: 1, column: 1)
        }
    }
}

/// `*`, `t.*`, `expr [AS] alias`
public struct SelectItem: Sendable, Hashable {
    public var expression: SQLExpression?
    public var starQualifier: [String]?
    public var isStar: Bool
    public var alias: String?

    public init(expression: SQLExpression?, starQualifier: [String]? = nil, isStar: Bool = false, alias: String? = nil) {
        self.expression = expression
        self.starQualifier = starQualifier
        self.isStar = isStar
        self.alias = alias
    }

    public static func expression(_ e: SQLExpression, alias: String? = nil) -> SelectItem {
        SelectItem(expression: e, alias: alias)
    }

    public static func star(qualifier: [String]? = nil) -> SelectItem {
        SelectItem(expression: nil, starQualifier: qualifier, isStar: true)
    }
}

/// FOR VERSION AS OF 123 | FOR TIMESTAMP AS OF '2026-11-30 12:00:00'
public enum TimeTravel: Sendable, Hashable { case version(Int64), timestamp(String) }

/// warehouse.namespace.table (any number of parts), or a quoted path 'file.parquet' / 'data/*.csv' (then name is [])
public struct TableReference: Sendable, Hashable {
    public var name: [String]
    public var path: String?
    public var alias: String?
    public var timeTravel: TimeTravel?
    public var location: SourceLocation

    public init(name: [String], path: String? = nil, alias: String? = nil, timeTravel: TimeTravel? = nil, location: SourceLocation) {
        self.name = name
        self.path = path
        self.alias = alias
        self.timeTravel = timeTravel
        self.location = location
    }
}

public enum JoinKind: Sendable, Hashable { case inner, left }

public struct Join: Sendable, Hashable {
    public var kind: JoinKind
    public var table: TableReference
    public var condition: SQLExpression
    public init(kind: JoinKind, table: TableReference, condition: SQLExpression) {
        self.kind = kind
        self.table = table
        self.condition = condition
    }
}

public struct OrderItem: Sendable, Hashable {
    public var expression: SQLExpression
    public var ascending: Bool
    public var nullsFirst: Bool?
    public init(expression: SQLExpression, ascending: Bool = true, nullsFirst: Bool? = nil) {
        self.expression = expression
        self.ascending = ascending
        self.nullsFirst = nullsFirst
    }
}

/// GROUP BY / ORDER BY also accept 1-based select-list positions (as .literal(.long(n))) and select aliases (as .column([alias])).
public struct SelectStatement: Sendable, Hashable {
    public var distinct: Bool
    public var items: [SelectItem]
    public var from: TableReference?
    public var joins: [Join]
    public var filter: SQLExpression?
    public var groupBy: [SQLExpression]
    public var having: SQLExpression?
    public var orderBy: [OrderItem]
    public var limit: Int?
    public var offset: Int?

    public init(
        distinct: Bool = false, items: [SelectItem], from: TableReference? = nil, joins: [Join] = [],
        filter: SQLExpression? = nil, groupBy: [SQLExpression] = [], having: SQLExpression? = nil,
        orderBy: [OrderItem] = [], limit: Int? = nil, offset: Int? = nil
    ) {
        self.distinct = distinct
        self.items = items
        self.from = from
        self.joins = joins
        self.filter = filter
        self.groupBy = groupBy
        self.having = having
        self.orderBy = orderBy
        self.limit = limit
        self.offset = offset
    }
}

public enum Statement: Sendable, Hashable {
    case select(SelectStatement)
    case explain(SelectStatement)
    /// CREATE TABLE a.b.c [PARTITIONED BY (day(ts), bucket(16, id))] AS SELECT … (partitionBy: the raw text inside the parentheses)
    case createTableAs(name: [String], partitionBy: String?, query: SelectStatement)
    /// INSERT INTO a.b.c SELECT … | INSERT OVERWRITE [TABLE] a.b.c SELECT …
    case insert(name: [String], overwrite: Bool, query: SelectStatement)
}
