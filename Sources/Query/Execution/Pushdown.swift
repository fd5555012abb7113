import IcebergData

/// WHERE conjuncts turned into Iceberg expressions that prune files and row groups. Only forms
/// whose meaning is the same in both (a column against a literal of its own kind) are pushed;
/// the whole WHERE is still evaluated on every row, so what is pushed may only keep too much.
enum Pushdown {
    static func conjuncts(_ expression: SQLExpression) -> [SQLExpression] {
        if case .binary(.and, let a, let b, _) = expression { return conjuncts(a) + conjuncts(b) }
        return [expression]
    }

    static func and(_ parts: [SQLExpression]) -> SQLExpression {
        parts.dropFirst().reduce(parts[0]) { .binary(.and, $0, $1, $1.location) }
    }

    static func field(_ expression: SQLExpression, _ schema: IcebergSchema) -> IcebergField? {
        guard case .column(let parts, _) = expression, let name = parts.last else { return nil }
        return schema.fields.first { $0.name.lowercased() == name.lowercased() }
    }

    static func literal(_ expression: SQLExpression, for type: IcebergType) -> IcebergValue? {
        guard case .literal(let value, _) = expression else { return nil }
        switch (value, type) {
        // Not floats: Iceberg's bounds order NaN and -0.0 differently from SQL's comparisons.
        case (.long, .int), (.long, .long), (.decimal, .decimal), (.boolean, .boolean), (.date, .date),
            (.timestamp, .timestamp), (.timestamptz, .timestamptz), (.string, .string), (.string, .date), (.string, .timestamp),
            (.string, .timestamptz), (.string, .uuid):
            return value
        default:
            return nil
        }
    }

    static func icebergExpression(_ conjunct: SQLExpression, schema: IcebergSchema) -> IcebergData.Expression? {
        let expression: IcebergData.Expression?
        switch conjunct {
        case .binary(let op, let a, let b, _):
            if let f = field(a, schema), let v = literal(b, for: f.type) {
                expression = comparison(op, f.name, v)
            } else if let f = field(b, schema), let v = literal(a, for: f.type) {
                expression = comparison(flipped(op), f.name, v)
            } else {
                expression = nil
            }
        case .isNull(let e, let negated):
            expression = field(e, schema).map { .predicate(Predicate(op: negated ? .notNull : .isNull, column: $0.name, literals: [])) }
        case .inList(let e, let list, let negated):
            guard let f = field(e, schema) else { return nil }
            let values = list.compactMap { literal($0, for: f.type) }
            expression = values.count == list.count ? .predicate(Predicate(op: negated ? .notIn : .in, column: f.name, literals: values)) : nil
        case .between(let e, let low, let high, false):
            guard let f = field(e, schema), let l = literal(low, for: f.type), let h = literal(high, for: f.type) else { return nil }
            expression = .and(.predicate(Predicate(op: .greaterThanOrEqual, column: f.name, literals: [l])), .predicate(Predicate(op: .lessThanOrEqual, column: f.name, literals: [h])))
        case .like(let e, .literal(.string(let pattern), _), false, false):
            guard let f = field(e, schema), f.type == .string, pattern.hasSuffix("%") else { return nil }
            let prefix = String(pattern.dropLast())
            guard !prefix.contains("%"), !prefix.contains("_"), !prefix.contains("\\") else { return nil }
            expression = .predicate(Predicate(op: .startsWith, column: f.name, literals: [.string(prefix)]))
        default:
            expression = nil
        }
        // Only what binds as it stands: a literal Iceberg would convert differently is not pushed.
        guard let expression, (try? BoundExpression(expression, schema: schema, caseSensitive: true)) != nil else { return nil }
        return expression
    }

    static func comparison(_ op: BinaryOp, _ column: String, _ value: IcebergValue) -> IcebergData.Expression? {
        let mapped: PredicateOp
        switch op {
        case .equal: mapped = .equal
        case .notEqual: mapped = .notEqual
        case .less: mapped = .lessThan
        case .lessOrEqual: mapped = .lessThanOrEqual
        case .greater: mapped = .greaterThan
        case .greaterOrEqual: mapped = .greaterThanOrEqual
        default: return nil
        }
        return .predicate(Predicate(op: mapped, column: column, literals: [value]))
    }

    static func flipped(_ op: BinaryOp) -> BinaryOp {
        switch op {
        case .less: return .greater
        case .lessOrEqual: return .greaterOrEqual
        case .greater: return .less
        case .greaterOrEqual: return .lessOrEqual
        default: return op
        }
    }
}
