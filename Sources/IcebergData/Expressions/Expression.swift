/// An unbound row filter: predicates refer to columns by name.
public indirect enum Expression: Sendable, Hashable {
    case alwaysTrue, alwaysFalse
    case and(Expression, Expression), or(Expression, Expression), not(Expression)
    case predicate(Predicate)

    public static func and(_ list: [Expression]) -> Expression {
        list.dropFirst().reduce(list.first ?? .alwaysTrue) { .and($0, $1) }
    }

    /// The same filter with every NOT pushed down to the predicates (which are negated).
    public func rewriteNot() -> Expression { Self.rewrite(self, negate: false, depth: 0) }

    private static func rewrite(_ e: Expression, negate: Bool, depth: Int) -> Expression {
        // Expressions come from the parser, which bounds nesting; this guard is a backstop.
        guard depth < 10_000 else { return .alwaysTrue }
        switch e {
        case .alwaysTrue: return negate ? .alwaysFalse : .alwaysTrue
        case .alwaysFalse: return negate ? .alwaysTrue : .alwaysFalse
        case .not(let inner): return rewrite(inner, negate: !negate, depth: depth + 1)
        case .and(let l, let r):
            let a = rewrite(l, negate: negate, depth: depth + 1), b = rewrite(r, negate: negate, depth: depth + 1)
            return negate ? .or(a, b) : .and(a, b)
        case .or(let l, let r):
            let a = rewrite(l, negate: negate, depth: depth + 1), b = rewrite(r, negate: negate, depth: depth + 1)
            return negate ? .and(a, b) : .or(a, b)
        case .predicate(let p): return .predicate(negate ? p.negated : p)
        }
    }
}

/// `column op literals` with the literals as parsed (.long/.double/.string/.boolean/.decimal);
/// binding converts them to the column's type.
public struct Predicate: Sendable, Hashable {
    public var op: PredicateOp
    public var column: String
    public var literals: [IcebergValue]

    public init(op: PredicateOp, column: String, literals: [IcebergValue] = []) {
        self.op = op
        self.column = column
        self.literals = literals
    }

    public var negated: Predicate { Predicate(op: op.negated, column: column, literals: literals) }
}

public enum PredicateOp: Sendable, Hashable {
    case isNull, notNull, isNaN, notNaN, lessThan, lessThanOrEqual, greaterThan, greaterThanOrEqual, equal, notEqual, `in`, notIn, startsWith, notStartsWith

    public var negated: PredicateOp {
        switch self {
        case .isNull: return .notNull
        case .notNull: return .isNull
        case .isNaN: return .notNaN
        case .notNaN: return .isNaN
        case .lessThan: return .greaterThanOrEqual
        case .lessThanOrEqual: return .greaterThan
        case .greaterThan: return .lessThanOrEqual
        case .greaterThanOrEqual: return .lessThan
        case .equal: return .notEqual
        case .notEqual: return .equal
        case .in: return .notIn
        case .notIn: return .in
        case .startsWith: return .notStartsWith
        case .notStartsWith: return .startsWith
        }
    }

    var isUnary: Bool {
        switch self {
        case .isNull, .notNull, .isNaN, .notNaN: return true
        default: return false
        }
    }

    var isSet: Bool { self == .in || self == .notIn }
}
