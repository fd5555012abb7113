import IcebergData

/// Structural helpers over SQL expressions: children, column references, aggregate calls, and
/// comparison that ignores where in the text an expression was written.
extension SQLExpression {
    static let nowhere = SourceLocation(offset: 0, line: 0, column: 0)

    var children: [SQLExpression] {
        switch self {
        case .literal, .column: return []
        case .unary(_, let e, _), .isNull(let e, _), .cast(let e, _, _), .extract(_, let e, _): return [e]
        case .binary(_, let l, let r, _): return [l, r]
        case .inList(let e, let list, _): return [e] + list
        case .between(let e, let low, let high, _): return [e, low, high]
        case .like(let e, let pattern, _, _): return [e, pattern]
        case .caseWhen(let operand, let branches, let otherwise):
            return (operand.map { [$0] } ?? []) + branches.flatMap { [$0.condition, $0.result] } + (otherwise.map { [$0] } ?? [])
        case .function(_, let arguments, _, _, _): return arguments
        }
    }

    /// The same expression with every child replaced by `transform(child)`.
    func mapChildren(_ transform: (SQLExpression) throws(QueryError) -> SQLExpression) throws(QueryError) -> SQLExpression {
        switch self {
        case .literal, .column: return self
        case .unary(let op, let e, let l): return .unary(op, try transform(e), l)
        case .isNull(let e, let negated): return .isNull(try transform(e), negated: negated)
        case .cast(let e, let type, let l): return .cast(try transform(e), type, l)
        case .extract(let field, let e, let l): return .extract(field: field, try transform(e), l)
        case .binary(let op, let a, let b, let l): return .binary(op, try transform(a), try transform(b), l)
        case .inList(let e, let list, let negated):
            var mapped: [SQLExpression] = []
            for item in list { mapped.append(try transform(item)) }
            return .inList(try transform(e), mapped, negated: negated)
        case .between(let e, let low, let high, let negated): return .between(try transform(e), low: try transform(low), high: try transform(high), negated: negated)
        case .like(let e, let pattern, let negated, let ci): return .like(try transform(e), pattern: try transform(pattern), negated: negated, caseInsensitive: ci)
        case .caseWhen(let operand, let branches, let otherwise):
            var mapped: [WhenBranch] = []
            for branch in branches { mapped.append(WhenBranch(condition: try transform(branch.condition), result: try transform(branch.result))) }
            return .caseWhen(operand: try operand.map { e throws(QueryError) in try transform(e) }, branches: mapped, otherwise: try otherwise.map { e throws(QueryError) in try transform(e) })
        case .function(let name, let arguments, let distinct, let star, let l):
            var mapped: [SQLExpression] = []
            for argument in arguments { mapped.append(try transform(argument)) }
            return .function(name: name, arguments: mapped, distinct: distinct, star: star, l)
        }
    }

    /// Locations zeroed, names lower-cased: `sum(x)` written twice compares equal.
    var shape: SQLExpression {
        let inner = (try? mapChildren { $0.shape }) ?? self
        switch inner {
        case .literal(let v, _): return .literal(v, Self.nowhere)
        case .column(let parts, _): return .column(parts.map { $0.lowercased() }, Self.nowhere)
        case .unary(let op, let e, _): return .unary(op, e, Self.nowhere)
        case .binary(let op, let a, let b, _): return .binary(op, a, b, Self.nowhere)
        case .cast(let e, let t, _): return .cast(e, t, Self.nowhere)
        case .function(let n, let a, let d, let s, _): return .function(name: n, arguments: a, distinct: d, star: s, Self.nowhere)
        case .extract(let f, let e, _): return .extract(field: f, e, Self.nowhere)
        default: return inner
        }
    }

    var isAggregateCall: Bool {
        if case .function(let name, _, _, _, _) = self { return ExpressionCompiler.isAggregate(name) }
        return false
    }

    /// Aggregate calls, outermost first, not looking inside them.
    var aggregateCalls: [SQLExpression] {
        if isAggregateCall { return [self] }
        return children.flatMap(\.aggregateCalls)
    }

    /// Column references outside aggregate calls too (`inside` includes those in aggregate arguments).
    func columns(includingAggregateArguments inside: Bool = true) -> [([String], SourceLocation)] {
        if case .column(let parts, let location) = self { return [(parts, location)] }
        if isAggregateCall && !inside { return [] }
        return children.flatMap { $0.columns(includingAggregateArguments: inside) }
    }

    /// Replaces every sub-expression whose shape is a key (outermost first).
    func replacing(_ table: [SQLExpression: SQLExpression]) -> SQLExpression {
        if let found = table[shape] { return found }
        return (try? mapChildren { $0.replacing(table) }) ?? self
    }

    /// A name for a result column that has no alias, as DuckDB names simple ones.
    var displayName: String {
        switch self {
        case .column(let parts, _): return parts.last ?? "?"
        case .function(let name, let arguments, let distinct, let star, _):
            if star { return "\(name)_star()" }
            return "\(name)(" + (distinct ? "DISTINCT " : "") + arguments.map(\.displayName).joined(separator: ", ") + ")"
        case .literal(let v, _): return v.jsonText
        case .cast(let e, _, _): return e.displayName
        case .extract(let field, let e, _): return "\(field)(\(e.displayName))"
        default: return "expr"
        }
    }
}
