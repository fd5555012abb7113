/// Inclusive projection of row predicates onto partition values (Iceberg's ProjectionUtil): a row that matches
/// the filter has a partition tuple that matches the projection. Predicates reference partition positions.
enum InclusiveProjection {
    static func project(_ node: BoundNode, spec: PartitionSpec, schema: IcebergSchema) -> BoundNode {
        switch node {
        case .alwaysTrue, .alwaysFalse: return node
        case .and(let a, let b): return .both(project(a, spec: spec, schema: schema), project(b, spec: spec, schema: schema))
        case .or(let a, let b): return .either(project(a, spec: spec, schema: schema), project(b, spec: spec, schema: schema))
        case .predicate(let p):
            var result: BoundNode = .alwaysTrue
            for (index, field) in spec.fields.enumerated() where field.sourceID == p.ref {
                result = .both(result, project(p, transform: field.transform, position: index))
            }
            return result
        }
    }

    static func project(_ p: BoundPredicate, transform: Transform, position: Int) -> BoundNode {
        let resultType = transform.resultType(source: p.type)
        func make(_ op: PredicateOp, _ literals: [IcebergValue]) -> BoundNode {
            .predicate(BoundPredicate(op: op, ref: position, type: resultType, literals: literals))
        }
        func applied(_ values: [IcebergValue]) -> [IcebergValue] {
            var out = values.map { transform.apply($0) }
            out.sort { (IcebergValue.compare($0, $1) ?? 0) < 0 }
            var unique: [IcebergValue] = []
            for v in out where unique.last.map({ IcebergValue.compare($0, v) != 0 }) ?? true { unique.append(v) }
            return unique
        }
        switch transform {
        case .void, .unknown: return .alwaysTrue
        case .identity: return make(p.op, p.literals)
        default: break
        }
        switch p.op {
        case .isNull, .notNull: return make(p.op, [])
        case .isNaN, .notNaN: return .alwaysTrue
        case .equal: return make(.equal, applied(p.literals))
        case .in: return make(.in, applied(p.literals))
        default: break
        }
        if case .bucket = transform { return .alwaysTrue }
        // truncate and the temporal transforms preserve order.
        let lit = p.literal
        switch p.op {
        case .lessThan:
            if case .truncate = transform, isStringLike(lit) { return make(.lessThanOrEqual, [transform.apply(lit)]) }
            guard let prev = adjacent(lit, by: -1) else { return .alwaysFalse }
            return make(.lessThanOrEqual, [transform.apply(prev)])
        case .lessThanOrEqual: return make(.lessThanOrEqual, [transform.apply(lit)])
        case .greaterThan:
            if case .truncate = transform, isStringLike(lit) { return make(.greaterThanOrEqual, [transform.apply(lit)]) }
            guard let next = adjacent(lit, by: 1) else { return .alwaysFalse }
            return make(.greaterThanOrEqual, [transform.apply(next)])
        case .greaterThanOrEqual: return make(.greaterThanOrEqual, [transform.apply(lit)])
        case .startsWith:
            guard case .truncate = transform else { return .alwaysTrue }
            return make(.startsWith, [transform.apply(lit)])
        case .notStartsWith:
            guard case .truncate(let width) = transform, case .string(let prefix) = lit else { return .alwaysTrue }
            let length = prefix.unicodeScalars.count
            if length < width { return make(.notStartsWith, [lit]) }
            if length == width { return make(.notEqual, [lit]) }
            return .alwaysTrue
        default: return .alwaysTrue  // notEqual, notIn
        }
    }

    static func isStringLike(_ v: IcebergValue) -> Bool {
        switch v {
        case .string, .binary, .fixed: return true
        default: return false
        }
    }

    /// The next/previous representable value of an ordered numeric or temporal value; nil at the type's edge.
    static func adjacent(_ v: IcebergValue, by step: Int64) -> IcebergValue? {
        func add(_ x: Int64) -> Int64? {
            let (r, o) = x.addingReportingOverflow(step)
            return o ? nil : r
        }
        switch v {
        case .int(let x):
            let (r, o) = x.addingReportingOverflow(Int32(step))
            return o ? nil : .int(r)
        case .date(let x):
            let (r, o) = x.addingReportingOverflow(Int32(step))
            return o ? nil : .date(r)
        case .long(let x): return add(x).map { .long($0) }
        case .time(let x): return add(x).map { .time($0) }
        case .timestamp(let x): return add(x).map { .timestamp($0) }
        case .timestamptz(let x): return add(x).map { .timestamptz($0) }
        case .timestampNs(let x): return add(x).map { .timestampNs($0) }
        case .timestamptzNs(let x): return add(x).map { .timestamptzNs($0) }
        case .decimal(let u, let s):
            let (r, o) = u.addingReportingOverflow(Int128(step))
            return o ? nil : .decimal(unscaled: r, scale: s)
        default: return nil
        }
    }
}

/// Prunes data files by partition tuple and manifests by partition summaries, through the inclusive projection.
public struct PartitionPruner: Sendable {
    let node: BoundNode

    public init(_ bound: BoundExpression, spec: PartitionSpec, schema: IcebergSchema) {
        node = InclusiveProjection.project(bound.node, spec: spec, schema: schema)
    }

    /// False only when no row of a file with this partition tuple can match.
    public func mightMatch(partition: [IcebergValue]) -> Bool {
        RowEvaluator.evaluate(node) { $0 >= 0 && $0 < partition.count ? partition[$0] : .null }
    }

    /// Manifest-list pruning: false only when no file summarized here can match (summaries in spec field order).
    public func mightMatch(summaries: [PartitionFieldSummary]) -> Bool { Self.summaryMatch(node, summaries) }

    static func summaryMatch(_ node: BoundNode, _ summaries: [PartitionFieldSummary]) -> Bool {
        switch node {
        case .alwaysTrue: return true
        case .alwaysFalse: return false
        case .and(let a, let b): return summaryMatch(a, summaries) && summaryMatch(b, summaries)
        case .or(let a, let b): return summaryMatch(a, summaries) || summaryMatch(b, summaries)
        case .predicate(let p):
            guard p.ref >= 0, p.ref < summaries.count else { return true }
            return summaryMatch(p, summaries[p.ref])
        }
    }

    static func summaryMatch(_ p: BoundPredicate, _ s: PartitionFieldSummary) -> Bool {
        let isFloat = p.type == .float || p.type == .double
        let allNull = s.containsNull && s.lowerBound == nil && (!isFloat || s.containsNaN == false)
        switch p.op {
        case .isNull: return s.containsNull
        case .notNull: return !allNull
        case .isNaN: return s.containsNaN != false
        case .notNaN: return !(s.containsNaN == true && !s.containsNull && s.lowerBound == nil)
        case .notEqual, .notIn, .notStartsWith: return true
        default: break
        }
        // The bounds exclude nulls and NaN; without a lower bound every value is null or NaN.
        guard let lowerBytes = s.lowerBound else { return false }
        return BoundsCheck.mightMatch(p, lower: lowerBytes, upper: s.upperBound)
    }
}
