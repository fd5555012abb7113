/// A predicate on one field id (or, after partition projection, one partition position) with literals of that field's type.
struct BoundPredicate: Sendable, Hashable {
    var op: PredicateOp
    var ref: Int
    var type: IcebergType
    /// Converted to `type`; sorted and deduplicated for in/notIn.
    var literals: [IcebergValue]

    var literal: IcebergValue { literals.first ?? .null }
}

/// A bound filter with NOT already pushed down to the predicates.
indirect enum BoundNode: Sendable, Hashable {
    case alwaysTrue, alwaysFalse
    case and(BoundNode, BoundNode), or(BoundNode, BoundNode)
    case predicate(BoundPredicate)

    static func both(_ a: BoundNode, _ b: BoundNode) -> BoundNode {
        switch (a, b) {
        case (.alwaysFalse, _), (_, .alwaysFalse): return .alwaysFalse
        case (.alwaysTrue, _): return b
        case (_, .alwaysTrue): return a
        default: return .and(a, b)
        }
    }

    static func either(_ a: BoundNode, _ b: BoundNode) -> BoundNode {
        switch (a, b) {
        case (.alwaysTrue, _), (_, .alwaysTrue): return .alwaysTrue
        case (.alwaysFalse, _): return b
        case (_, .alwaysFalse): return a
        default: return .or(a, b)
        }
    }

    func forEachPredicate(_ body: (BoundPredicate) -> Void) {
        switch self {
        case .alwaysTrue, .alwaysFalse: return
        case .and(let a, let b), .or(let a, let b):
            a.forEachPredicate(body)
            b.forEachPredicate(body)
        case .predicate(let p): body(p)
        }
    }
}

/// A filter bound to a schema: columns resolved to field ids, literals converted to the column types,
/// NOT pushed down, and predicates that are decided by the types alone folded to true/false.
public struct BoundExpression: Sendable {
    let node: BoundNode
    public let referencedFieldIDs: Set<Int>

    public init(_ expression: Expression, schema: IcebergSchema, caseSensitive: Bool = true) throws(IcebergDataError) {
        var binder = Binder(schema: schema, caseSensitive: caseSensitive)
        node = try binder.bind(expression.rewriteNot(), depth: 0)
        var ids: Set<Int> = []
        node.forEachPredicate { ids.insert($0.ref) }
        referencedFieldIDs = ids
    }

    init(node: BoundNode) {
        self.node = node
        var ids: Set<Int> = []
        node.forEachPredicate { ids.insert($0.ref) }
        referencedFieldIDs = ids
    }

    public var isAlwaysTrue: Bool { node == .alwaysTrue }
    public var isAlwaysFalse: Bool { node == .alwaysFalse }
}

struct Binder {
    let schema: IcebergSchema
    let caseSensitive: Bool

    mutating func bind(_ e: Expression, depth: Int) throws(IcebergDataError) -> BoundNode {
        guard depth <= ExpressionParser.maxDepth else { throw .invalid("expression nested too deeply") }
        switch e {
        case .alwaysTrue: return .alwaysTrue
        case .alwaysFalse: return .alwaysFalse
        case .and(let a, let b): return .both(try bind(a, depth: depth + 1), try bind(b, depth: depth + 1))
        case .or(let a, let b): return .either(try bind(a, depth: depth + 1), try bind(b, depth: depth + 1))
        case .not(let inner):
            // Only reached if the caller did not rewrite; rewrite here.
            return try bind(Expression.not(inner).rewriteNot(), depth: depth + 1)
        case .predicate(let p): return try bind(p)
        }
    }

    /// The field named by a dotted path through structs, and whether it can never be null.
    func resolve(_ column: String) throws(IcebergDataError) -> (field: IcebergField, neverNull: Bool) {
        let parts = column.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        var fields = schema.fields
        var neverNull = true
        var index = 0
        while index < parts.count {
            var matched: IcebergField?
            var end = parts.count
            while end > index {
                if let f = IcebergSchema.match(fields, parts[index..<end].joined(separator: "."), caseSensitive) { matched = f; break }
                end -= 1
            }
            guard let field = matched else { throw .invalid("unknown column \"\(column)\"") }
            neverNull = neverNull && field.required
            index = end
            if index == parts.count { return (field, neverNull) }
            switch field.type {
            case .structType(let children): fields = children
            case .list, .map: throw .invalid("cannot filter on \"\(column)\": it is inside a list or map")
            default: throw .invalid("unknown column \"\(column)\": \"\(field.name)\" is not a struct")
            }
        }
        throw .invalid("unknown column \"\(column)\"")
    }

    func bind(_ p: Predicate) throws(IcebergDataError) -> BoundNode {
        let (field, neverNull) = try resolve(p.column)
        let type = field.type
        let notNull: BoundNode = neverNull ? .alwaysTrue : .predicate(BoundPredicate(op: .notNull, ref: field.id, type: type, literals: []))
        func make(_ op: PredicateOp, _ literals: [IcebergValue] = []) -> BoundNode {
            .predicate(BoundPredicate(op: op, ref: field.id, type: type, literals: literals))
        }
        switch p.op {
        case .isNull: return neverNull ? .alwaysFalse : make(.isNull)
        case .notNull: return notNull
        case .isNaN, .notNaN:
            guard type == .float || type == .double else { throw .invalid("\(p.column) is \(type.primitiveName ?? "nested"): IS NAN needs a float or double column") }
            return make(p.op)
        default: break
        }
        guard type.isPrimitive else { throw .invalid("cannot compare \(p.column): it is a struct, list or map") }
        if type == .unknown { return .alwaysFalse }  // every value of an unknown column is null
        if p.op == .in || p.op == .notIn {
            guard !p.literals.isEmpty else { throw .invalid("\(p.column): IN needs at least one value") }
        } else {
            guard p.literals.count == 1 else { throw .invalid("\(p.column): expected one literal, got \(p.literals.count)") }
        }
        if p.op == .startsWith || p.op == .notStartsWith {
            guard type == .string else { throw .invalid("\(p.column) is \(type.primitiveName ?? "?"): LIKE needs a string column") }
            guard case .string = p.literals[0] else { throw .invalid("\(p.column): LIKE needs a string pattern") }
            return make(p.op, p.literals)
        }
        var values: [IcebergValue] = []
        var sawAbove = false, sawBelow = false
        for literal in p.literals {
            switch try LiteralConversion.convert(literal, to: type, column: p.column) {
            case .value(let v):
                if v.isNaN { throw .invalid("\(p.column): NaN cannot be compared; use IS NAN") }
                values.append(v)
            case .aboveMax: sawAbove = true
            case .belowMin: sawBelow = true
            }
        }
        switch p.op {
        case .lessThan, .lessThanOrEqual:
            if sawAbove { return notNull }
            if sawBelow { return .alwaysFalse }
        case .greaterThan, .greaterThanOrEqual:
            if sawAbove { return .alwaysFalse }
            if sawBelow { return notNull }
        case .equal: if sawAbove || sawBelow { return .alwaysFalse }
        case .notEqual: if sawAbove || sawBelow { return notNull }
        case .in, .notIn:
            values.sort { (IcebergValue.compare($0, $1) ?? 0) < 0 }
            var unique: [IcebergValue] = []
            unique.reserveCapacity(values.count)
            for v in values where unique.last.map({ IcebergValue.compare($0, v) != 0 }) ?? true { unique.append(v) }
            if unique.isEmpty { return p.op == .in ? .alwaysFalse : notNull }
            if unique.count == 1 { return make(p.op == .in ? .equal : .notEqual, unique) }
            return make(p.op, unique)
        default: break
        }
        return make(p.op, values)
    }
}

/// Converting a parsed literal to a column's type, as Iceberg's Literal.to(type) does.
enum LiteralConversion {
    enum Result { case value(IcebergValue), aboveMax, belowMin }

    static func convert(_ literal: IcebergValue, to type: IcebergType, column: String) throws(IcebergDataError) -> Result {
        func bad() -> IcebergDataError {
            .invalid("\(column): cannot use \(literal.jsonText) as a \(type.primitiveName ?? "nested") value")
        }
        if literal.isNull { throw .invalid("\(column): compare with NULL using IS NULL") }
        // An integral literal as Int128 when it is one.
        var integral: Int128? {
            switch literal {
            case .int(let v): return Int128(v)
            case .long(let v): return Int128(v)
            case .decimal(let u, let s):
                guard let f = Decimal128.pow10(s), u % f == 0 else { return nil }
                return u / f
            case .double(let d) where d.rounded() == d && abs(d) < 1e18: return Int128(Int64(d))
            default: return nil
            }
        }
        var asDouble: Double? {
            switch literal {
            case .int(let v): return Double(v)
            case .long(let v): return Double(v)
            case .float(let v): return Double(v)
            case .double(let v): return v
            case .decimal(let u, let s): return Double(Decimal128.text(u, scale: s))
            default: return nil
            }
        }
        func timestampValue(_ nanosPerUnit: Int64, _ allowOffset: Bool) throws(IcebergDataError) -> Int64 {
            switch literal {
            case .long(let v): return v
            case .int(let v): return Int64(v)
            case .string(let s):
                guard let (nanos, hasOffset) = LiteralText.timestamp(s) else { throw bad() }
                if hasOffset && !allowOffset {
                    throw .invalid("\(column): '\(s)' has a zone offset but the column is a timestamp without zone")
                }
                return CivilTime.floorDiv(nanos, nanosPerUnit)
            case .timestamp(let v), .timestamptz(let v): return nanosPerUnit == 1 ? v &* 1000 : v
            case .timestampNs(let v), .timestamptzNs(let v): return nanosPerUnit == 1 ? v : CivilTime.floorDiv(v, 1000)
            case .date(let d): return Int64(d) * (86_400_000_000_000 / nanosPerUnit)
            default: throw bad()
            }
        }
        switch type {
        case .boolean:
            switch literal {
            case .boolean: return .value(literal)
            case .string(let s) where s.lowercased() == "true": return .value(.boolean(true))
            case .string(let s) where s.lowercased() == "false": return .value(.boolean(false))
            default: throw bad()
            }
        case .int, .long:
            guard let v = integral else { throw bad() }
            let (lo, hi): (Int128, Int128) = type == .int ? (Int128(Int32.min), Int128(Int32.max)) : (Int128(Int64.min), Int128(Int64.max))
            if v > hi { return .aboveMax }
            if v < lo { return .belowMin }
            return .value(type == .int ? .int(Int32(v)) : .long(Int64(v)))
        case .float:
            guard let d = asDouble else { throw bad() }
            if d.isFinite && d > Double(Float.greatestFiniteMagnitude) { return .aboveMax }
            if d.isFinite && d < -Double(Float.greatestFiniteMagnitude) { return .belowMin }
            return .value(.float(Float(d)))
        case .double:
            guard let d = asDouble else { throw bad() }
            return .value(.double(d))
        case .decimal(let precision, let scale):
            var parsed: (Int128, Int)?
            switch literal {
            case .int(let v): parsed = (Int128(v), 0)
            case .long(let v): parsed = (Int128(v), 0)
            case .decimal(let u, let s): parsed = (u, s)
            case .string(let s): parsed = LiteralText.decimal(s)
            case .double(let d) where d.isFinite: parsed = LiteralText.decimal(String(d))
            default: break
            }
            guard let (u, s) = parsed else { throw bad() }
            var unscaled: Int128
            if s <= scale {
                guard let r = Decimal128.rescale(u, from: s, to: scale) else { return u < 0 ? .belowMin : .aboveMax }
                unscaled = r
            } else {
                guard let f = Decimal128.pow10(s - scale) else { throw bad() }
                guard u % f == 0 else { throw .invalid("\(column): \(literal.jsonText) has more than \(scale) decimal places") }
                unscaled = u / f
            }
            if Decimal128.digits(unscaled) > precision { return unscaled < 0 ? .belowMin : .aboveMax }
            return .value(.decimal(unscaled: unscaled, scale: scale))
        case .date:
            switch literal {
            case .date: return .value(literal)
            case .string(let s):
                guard let d = LiteralText.date(s) else { throw bad() }
                guard let v = Int32(exactly: d) else { return d < 0 ? .belowMin : .aboveMax }
                return .value(.date(v))
            default:
                guard let v = integral else { throw bad() }
                guard let d = Int32(exactly: v) else { return v < 0 ? .belowMin : .aboveMax }
                return .value(.date(d))
            }
        case .time:
            switch literal {
            case .time: return .value(literal)
            case .string(let s):
                guard let t = LiteralText.time(s) else { throw bad() }
                return .value(.time(t / 1000))
            case .long(let v): return .value(.time(v))
            default: throw bad()
            }
        case .timestamp: return .value(.timestamp(try timestampValue(1000, false)))
        case .timestamptz: return .value(.timestamptz(try timestampValue(1000, true)))
        case .timestampNs: return .value(.timestampNs(try timestampValue(1, false)))
        case .timestamptzNs: return .value(.timestamptzNs(try timestampValue(1, true)))
        case .string:
            guard case .string = literal else { throw bad() }
            return .value(literal)
        case .uuid:
            switch literal {
            case .uuid: return .value(literal)
            case .string(let s):
                guard let b = LiteralText.uuid(s) else { throw bad() }
                return .value(.uuid(b))
            default: throw bad()
            }
        case .fixed(let n):
            switch literal {
            case .fixed(let b), .binary(let b):
                guard b.count == n else { throw bad() }
                return .value(.fixed(b))
            default: throw bad()
            }
        case .binary:
            switch literal {
            case .fixed(let b), .binary(let b): return .value(.binary(b))
            default: throw bad()
            }
        case .unknown, .structType, .list, .map: throw bad()
        }
    }
}
