/// Evaluates a bound filter on one row. SQL semantics: a comparison with NULL is false (also != and NOT IN),
/// a comparison with NaN is false except != / NOT IN, IS NOT NAN holds for NULL.
public struct RowEvaluator: Sendable {
    let node: BoundNode

    public init(_ bound: BoundExpression) { node = bound.node }

    /// `lookup` gives the value of a field id in the row (nested struct field ids too).
    public func matches(_ lookup: (Int) -> IcebergValue) -> Bool { Self.evaluate(node, lookup) }

    static func evaluate(_ node: BoundNode, _ lookup: (Int) -> IcebergValue) -> Bool {
        switch node {
        case .alwaysTrue: return true
        case .alwaysFalse: return false
        case .and(let a, let b): return evaluate(a, lookup) && evaluate(b, lookup)
        case .or(let a, let b): return evaluate(a, lookup) || evaluate(b, lookup)
        case .predicate(let p): return test(p, lookup(p.ref))
        }
    }

    static func test(_ p: BoundPredicate, _ value: IcebergValue) -> Bool {
        switch p.op {
        case .isNull: return value.isNull
        case .notNull: return !value.isNull
        case .isNaN: return value.isNaN
        case .notNaN: return !value.isNaN
        default: break
        }
        if value.isNull { return false }
        switch p.op {
        case .lessThan: return cmp(value, p.literal).map { $0 < 0 } ?? false
        case .lessThanOrEqual: return cmp(value, p.literal).map { $0 <= 0 } ?? false
        case .greaterThan: return cmp(value, p.literal).map { $0 > 0 } ?? false
        case .greaterThanOrEqual: return cmp(value, p.literal).map { $0 >= 0 } ?? false
        case .equal: return cmp(value, p.literal) == 0
        case .notEqual: return value.isNaN || cmp(value, p.literal).map { $0 != 0 } ?? false
        case .in: return contains(p.literals, value)
        case .notIn: return value.isNaN || !contains(p.literals, value)
        case .startsWith, .notStartsWith:
            guard case .string(let s) = value, case .string(let prefix) = p.literal else { return false }
            return hasPrefix(s.utf8, prefix.utf8) == (p.op == .startsWith)
        case .isNull, .notNull, .isNaN, .notNaN: return false
        }
    }

    /// nil when either side is NaN (so the comparison is false).
    @inline(__always) static func cmp(_ a: IcebergValue, _ b: IcebergValue) -> Int? {
        if a.isNaN || b.isNaN { return nil }
        return IcebergValue.compare(a, b)
    }

    /// `sorted` is ascending in `IcebergValue.compare` order.
    static func contains(_ sorted: [IcebergValue], _ value: IcebergValue) -> Bool {
        if value.isNaN { return false }
        var lo = 0, hi = sorted.count
        while lo < hi {
            let mid = (lo + hi) / 2
            guard let c = IcebergValue.compare(sorted[mid], value) else { return sorted.contains { IcebergValue.compare($0, value) == 0 } }
            if c == 0 { return true }
            if c < 0 { lo = mid + 1 } else { hi = mid }
        }
        return false
    }

    static func hasPrefix<A: Collection, B: Collection>(_ s: A, _ prefix: B) -> Bool where A.Element == UInt8, B.Element == UInt8 {
        var it = s.makeIterator()
        for b in prefix {
            guard let x = it.next(), x == b else { return false }
        }
        return true
    }
}
