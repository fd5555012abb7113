/// Inclusive evaluation of a filter against a file's column metrics: false only when no row can match.
/// A missing statistic means "might match". String bounds may be truncated prefixes (lower ≤ min, upper ≥ max).
public struct MetricsPruner: Sendable {
    let node: BoundNode
    /// Fields that may carry bounds: reached from the root through structs only.
    let boundedFields: Set<Int>
    /// Above this many IN values, bounds are not checked (as Iceberg's Java evaluator).
    static let inLimit = 200

    public init(_ bound: BoundExpression, schema: IcebergSchema) {
        node = bound.node
        boundedFields = schema.structOnlyFieldIDs()
    }

    public func mightMatch(_ metrics: FileMetrics) -> Bool {
        if metrics.recordCount == 0 { return false }
        return evaluate(node, metrics)
    }

    func evaluate(_ node: BoundNode, _ m: FileMetrics) -> Bool {
        switch node {
        case .alwaysTrue: return true
        case .alwaysFalse: return false
        case .and(let a, let b): return evaluate(a, m) && evaluate(b, m)
        case .or(let a, let b): return evaluate(a, m) || evaluate(b, m)
        case .predicate(let p): return test(p, m)
        }
    }

    func test(_ p: BoundPredicate, _ m: FileMetrics) -> Bool {
        let id = p.ref
        let values = m.valueCounts[id]
        let nulls = m.nullValueCounts[id]
        let nans = m.nanValueCounts[id]
        let nullsOnly = values != nil && nulls != nil && values == nulls
        let nansOnly = values != nil && nans != nil && values == nans
        let nullsOrNaNsOnly = values != nil && nulls != nil && values! == nulls! &+ (nans ?? 0)
        switch p.op {
        case .isNull: return nulls.map { $0 > 0 } ?? true
        case .notNull: return !nullsOnly
        case .isNaN:
            if let nans, nans == 0 { return false }
            return !nullsOnly
        case .notNaN: return !nansOnly
        case .notEqual, .notIn: return true
        case .notStartsWith:
            if nulls.map({ $0 > 0 }) ?? true { return true }
            guard boundedFields.contains(id), let lower = m.lowerBounds[id], let upper = m.upperBounds[id],
                case .string(let prefix) = p.literal
            else { return true }
            let pre = Array(prefix.utf8)
            return !(RowEvaluator.hasPrefix(lower, pre) && RowEvaluator.hasPrefix(upper, pre))
        default: break
        }
        if nullsOrNaNsOnly || nullsOnly { return false }
        guard boundedFields.contains(id) else { return true }
        if p.op == .in && p.literals.count > Self.inLimit { return true }
        guard let lower = m.lowerBounds[id] else {
            // Without a lower bound only the upper side can be checked.
            guard let upper = m.upperBounds[id] else { return true }
            return BoundsCheck.mightMatch(p, lower: nil, upper: upper)
        }
        return BoundsCheck.mightMatch(p, lower: lower, upper: m.upperBounds[id])
    }
}

/// Range checks of a bound predicate against serialized lower/upper bounds (either may be absent).
enum BoundsCheck {
    static func mightMatch(_ p: BoundPredicate, lower: [UInt8]?, upper: [UInt8]?) -> Bool {
        // Strings compare as UTF-8 bytes, which also works for truncated bounds that are not valid UTF-8 prefixes.
        func decode(_ bytes: [UInt8]?) -> IcebergValue? {
            guard let bytes else { return nil }
            if p.type == .string { return .binary(bytes) }
            guard let v = try? IcebergValue(bound: bytes, as: p.type) else { return nil }
            return v
        }
        func key(_ v: IcebergValue) -> IcebergValue {
            if case .string(let s) = v { return .binary(Array(s.utf8)) }
            return v
        }
        let lo = decode(lower), hi = decode(upper)
        // Float bounds of NaN are unreliable (older writers).
        if lo?.isNaN == true || hi?.isNaN == true { return true }
        func c(_ a: IcebergValue?, _ b: IcebergValue) -> Int? {
            guard let a else { return nil }
            return IcebergValue.compare(a, key(b))
        }
        switch p.op {
        case .lessThan: return c(lo, p.literal).map { $0 < 0 } ?? true
        case .lessThanOrEqual: return c(lo, p.literal).map { $0 <= 0 } ?? true
        case .greaterThan: return c(hi, p.literal).map { $0 > 0 } ?? true
        case .greaterThanOrEqual: return c(hi, p.literal).map { $0 >= 0 } ?? true
        case .equal:
            if let r = c(lo, p.literal), r > 0 { return false }
            if let r = c(hi, p.literal), r < 0 { return false }
            return true
        case .in:
            return p.literals.contains { v in
                if let r = c(lo, v), r > 0 { return false }
                if let r = c(hi, v), r < 0 { return false }
                return true
            }
        case .startsWith:
            guard case .string(let prefix) = p.literal else { return true }
            let pre = Array(prefix.utf8)
            if let lower, IcebergValue.compareBytes(lower.prefix(pre.count), pre) > 0 { return false }
            if let upper, IcebergValue.compareBytes(upper.prefix(pre.count), pre) < 0 { return false }
            return true
        default: return true
        }
    }
}
