import IcebergData

/// Type-checks an `SQLExpression` against a row schema and compiles it into closures.
public enum ExpressionCompiler {
    static let aggregateNames: Set<String> = ["count", "sum", "min", "max", "avg"]
    static let maxDepth = 256

    public static func isAggregate(_ name: String) -> Bool { aggregateNames.contains(name.lowercased()) }

    /// Aggregate functions here throw "aggregate not allowed here".
    public static func compile(_ expression: SQLExpression, schema: RowSchema) throws(QueryError) -> CompiledExpression {
        var compiler = Compiler(schema: schema)
        return try compiler.compile(expression)
    }
}

struct Compiler {
    let schema: RowSchema
    var depth = 0

    mutating func compile(_ e: SQLExpression) throws(QueryError) -> CompiledExpression {
        depth += 1
        defer { depth -= 1 }
        guard depth <= ExpressionCompiler.maxDepth else { throw QueryError("expression nested too deeply", at: e.location) }
        switch e {
        case .literal(let v, _): return CompiledExpression(constant: v, type: Self.literalType(v))
        case .column(let name, let loc):
            let index = try schema.resolve(name, at: loc)
            return CompiledExpression(type: schema.columns[index].type) { row throws(QueryError) in
                index < row.count ? row[index] : .null
            }
        case .unary(let op, let operand, let loc):
            return try unary(op, try compile(operand), at: loc)
        case .binary(let op, let l, let r, let loc):
            let lhs = try compile(l)
            let rhs = try compile(r)
            return try binary(op, lhs, rhs, at: loc)
        case .isNull(let operand, let negated):
            let c = try compile(operand)
            let run = c.run
            return fold(CompiledExpression(type: .boolean) { row throws(QueryError) in .boolean(try run(row).isNull != negated) }, [c])
        case .inList(let operand, let items, let negated):
            return try inList(operand, items, negated: negated)
        case .between(let operand, let low, let high, let negated):
            let x = try compile(operand)
            let lo = try compile(low)
            let hi = try compile(high)
            let ge = try comparison(.greaterOrEqual, x, lo, at: operand.location)
            let le = try comparison(.lessOrEqual, x, hi, at: operand.location)
            let both = Logic.and(ge, le)
            return negated ? Logic.not(both) : both
        case .like(let operand, let pattern, let negated, let caseInsensitive):
            return try like(operand, pattern, negated: negated, caseInsensitive: caseInsensitive)
        case .caseWhen(let operand, let branches, let otherwise):
            return try caseWhen(operand, branches, otherwise)
        case .cast(let operand, let type, let loc):
            let c = try compile(operand)
            guard ValueCast.canCast(c.type, to: type) else { throw QueryError("cannot cast \(c.type) to \(type)", at: loc) }
            return Self.convert(c, to: type, at: loc)
        case .function(let name, let args, let distinct, let star, let loc):
            if ExpressionCompiler.isAggregate(name) { throw QueryError("aggregate not allowed here: \(name)", at: loc) }
            guard !distinct, !star else { throw QueryError("DISTINCT or * is only allowed in aggregates", at: loc) }
            var compiled: [CompiledExpression] = []
            for a in args { compiled.append(try compile(a)) }
            return try ScalarFunctions.compile(name, compiled, arguments: args, at: loc)
        case .extract(let field, let operand, let loc):
            return try DateFunctions.extract(field.lowercased(), try compile(operand), at: loc)
        }
    }

    static func literalType(_ v: IcebergValue) -> IcebergType {
        switch v {
        case .null: return .unknown
        case .boolean: return .boolean
        case .int: return .int
        case .long: return .long
        case .float: return .float
        case .double: return .double
        case .decimal(let u, let s):
            let digits = String(u.magnitude).count
            return .decimal(precision: min(38, max(digits, s + 1, 1)), scale: s)
        case .date: return .date
        case .time: return .time
        case .timestamp: return .timestamp
        case .timestamptz: return .timestamptz
        case .timestampNs: return .timestampNs
        case .timestamptzNs: return .timestamptzNs
        case .string: return .string
        case .uuid: return .uuid
        case .fixed(let b): return .fixed(b.count)
        case .binary: return .binary
        case .structValue, .list, .map: return .unknown
        }
    }

    /// Evaluates a node once at compile time when all its inputs are constants (errors are left for run time).
    func fold(_ c: CompiledExpression, _ inputs: [CompiledExpression]) -> CompiledExpression {
        guard inputs.allSatisfy({ $0.constant != nil }) else { return c }
        guard let v = try? c.run([]) else { return c }
        return CompiledExpression(constant: v, type: c.type)
    }

    /// Conversion to `type` (an implicit coercion or a CAST); failures throw at `location`.
    static func convert(_ c: CompiledExpression, to type: IcebergType, at location: SourceLocation) -> CompiledExpression {
        if c.type == type { return c }
        if let k = c.constant {
            if k.isNull { return CompiledExpression(constant: .null, type: type) }
            if let v = try? ValueCast.cast(k, to: type) { return CompiledExpression(constant: v, type: type) }
        }
        let run = c.run
        return CompiledExpression(type: type) { row throws(QueryError) in
            let v = try run(row)
            do throws(CastFailure) { return try ValueCast.cast(v, to: type) } catch { throw QueryError(error.message, at: location) }
        }
    }

    mutating func unary(_ op: UnaryOp, _ c: CompiledExpression, at loc: SourceLocation) throws(QueryError) -> CompiledExpression {
        switch op {
        case .not:
            guard c.type == .boolean || c.type == .unknown else { throw QueryError("NOT needs a boolean, not \(c.type)", at: loc) }
            return Logic.not(Self.convert(c, to: .boolean, at: loc))
        case .negate:
            guard TypeRules.isNumeric(c.type) || c.type == .unknown else { throw QueryError("cannot negate \(c.type)", at: loc) }
            let run = c.run
            let node = CompiledExpression(type: c.type == .unknown ? .long : c.type) { row throws(QueryError) in
                switch try run(row) {
                case .int(let x):
                    guard x != .min else { throw QueryError("overflow in negation of INT32", at: loc) }
                    return .int(-x)
                case .long(let x):
                    guard x != .min else { throw QueryError("overflow in negation of INT64", at: loc) }
                    return .long(-x)
                case .decimal(let u, let s): return .decimal(unscaled: -u, scale: s)
                case .float(let f): return .float(-f)
                case .double(let d): return .double(-d)
                default: return .null
                }
            }
            return fold(node, [c])
        }
    }

    mutating func binary(_ op: BinaryOp, _ l: CompiledExpression, _ r: CompiledExpression, at loc: SourceLocation) throws(QueryError) -> CompiledExpression {
        switch op {
        case .and, .or:
            for side in [l, r] where side.type != .boolean && side.type != .unknown {
                throw QueryError("\(op == .and ? "AND" : "OR") needs booleans, not \(side.type)", at: loc)
            }
            let a = Self.convert(l, to: .boolean, at: loc), b = Self.convert(r, to: .boolean, at: loc)
            return op == .and ? Logic.and(a, b) : Logic.or(a, b)
        case .equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual:
            return try comparison(op, l, r, at: loc)
        case .concat:
            let a = Self.convert(l, to: .string, at: loc), b = Self.convert(r, to: .string, at: loc)
            let ra = a.run, rb = b.run
            return fold(CompiledExpression(type: .string) { row throws(QueryError) in
                guard case .string(let x) = try ra(row), case .string(let y) = try rb(row) else { return .null }
                return .string(x + y)
            }, [a, b])
        case .add, .subtract, .multiply, .divide, .integerDivide, .modulo:
            return fold(try Arithmetic.compile(op, l, r, at: loc), [l, r])
        }
    }

    mutating func comparison(_ op: BinaryOp, _ l: CompiledExpression, _ r: CompiledExpression, at loc: SourceLocation) throws(QueryError) -> CompiledExpression {
        guard let t = TypeRules.common(l.type, r.type), t.isPrimitive || l.type == r.type else {
            throw QueryError("cannot compare \(l.type) and \(r.type)", at: loc)
        }
        let a = Self.convert(l, to: t, at: loc), b = Self.convert(r, to: t, at: loc)
        let ra = a.run, rb = b.run
        let test: @Sendable (Int) -> Bool
        switch op {
        case .equal: test = { $0 == 0 }
        case .notEqual: test = { $0 != 0 }
        case .less: test = { $0 < 0 }
        case .lessOrEqual: test = { $0 <= 0 }
        case .greater: test = { $0 > 0 }
        default: test = { $0 >= 0 }
        }
        return fold(CompiledExpression(type: .boolean) { row throws(QueryError) in
            let x = try ra(row)
            if x.isNull { return .null }
            let y = try rb(row)
            if y.isNull { return .null }
            guard let c = ValueOrder.compare(x, y) else { return .null }
            return .boolean(test(c))
        }, [a, b])
    }

    mutating func inList(_ operand: SQLExpression, _ items: [SQLExpression], negated: Bool) throws(QueryError) -> CompiledExpression {
        let x = try compile(operand)
        var t = x.type
        var compiled: [CompiledExpression] = []
        for item in items {
            let c = try compile(item)
            guard let u = TypeRules.common(t, c.type) else { throw QueryError("cannot compare \(x.type) and \(c.type) in IN list", at: item.location) }
            t = u
            compiled.append(c)
        }
        let loc = operand.location
        let target = Self.convert(x, to: t, at: loc)
        let converted = compiled.map { Self.convert($0, to: t, at: loc) }
        let rx = target.run
        // Constant lists (the common case) compare against a hash set.
        if converted.allSatisfy({ $0.constant != nil }) {
            let values = converted.compactMap(\.constant)
            let hasNull = values.contains { $0.isNull }
            let nonNull = values.filter { !$0.isNull }
            let useSet = t != .float && t != .double  // decimals share one scale after conversion
            let set = Set(nonNull)
            return fold(CompiledExpression(type: .boolean) { row throws(QueryError) in
                let v = try rx(row)
                if v.isNull { return .null }
                let found = useSet ? set.contains(v) : nonNull.contains { ValueOrder.compare(v, $0) == 0 }
                if found { return .boolean(!negated) }
                return hasNull ? .null : .boolean(negated)
            }, [target])
        }
        let runs = converted.map(\.run)
        return CompiledExpression(type: .boolean) { row throws(QueryError) in
            let v = try rx(row)
            if v.isNull { return .null }
            var sawNull = false
            for r in runs {
                let w = try r(row)
                if w.isNull { sawNull = true; continue }
                if ValueOrder.compare(v, w) == 0 { return .boolean(!negated) }
            }
            return sawNull ? .null : .boolean(negated)
        }
    }

    mutating func like(_ operand: SQLExpression, _ pattern: SQLExpression, negated: Bool, caseInsensitive: Bool) throws(QueryError) -> CompiledExpression {
        let loc = operand.location
        let s = try compile(operand)
        let p = try compile(pattern)
        for c in [s, p] where c.type != .string && c.type != .unknown {
            throw QueryError("LIKE needs strings, not \(c.type)", at: loc)
        }
        let rs = s.run
        if let k = p.constant {
            guard case .string(let text) = k else { return CompiledExpression(constant: .null, type: .boolean) }
            let matcher = LikePattern(text, caseInsensitive: caseInsensitive)
            return fold(CompiledExpression(type: .boolean) { row throws(QueryError) in
                guard case .string(let v) = try rs(row) else { return .null }
                return .boolean(matcher.matches(v) != negated)
            }, [s])
        }
        let rp = p.run
        return CompiledExpression(type: .boolean) { row throws(QueryError) in
            guard case .string(let v) = try rs(row), case .string(let pat) = try rp(row) else { return .null }
            return .boolean(LikePattern(pat, caseInsensitive: caseInsensitive).matches(v) != negated)
        }
    }

    mutating func caseWhen(_ operand: SQLExpression?, _ branches: [WhenBranch], _ otherwise: SQLExpression?) throws(QueryError) -> CompiledExpression {
        var conditions: [CompiledExpression] = []
        var results: [CompiledExpression] = []
        let subject = try operand.map { e throws(QueryError) in try compile(e) }
        for b in branches {
            let c = try compile(b.condition)
            if let subject {
                conditions.append(try comparison(.equal, subject, c, at: b.condition.location))
            } else {
                guard c.type == .boolean || c.type == .unknown else {
                    throw QueryError("CASE WHEN needs a boolean condition, not \(c.type)", at: b.condition.location)
                }
                conditions.append(Self.convert(c, to: .boolean, at: b.condition.location))
            }
            results.append(try compile(b.result))
        }
        let elseBranch = try otherwise.map { e throws(QueryError) in try compile(e) }
        var t: IcebergType = .unknown
        for (i, r) in (results + (elseBranch.map { [$0] } ?? [])).enumerated() {
            guard let u = TypeRules.resultUnion(t, r.type) else {
                let where_ = i < branches.count ? branches[i].result.location : (otherwise?.location ?? branches[0].result.location)
                throw QueryError("CASE branches have incompatible types \(t) and \(r.type)", at: where_)
            }
            t = u
        }
        let loc = branches.first?.result.location ?? SourceLocation(offset: 0, line: 1, column: 1)
        let conds = conditions.map(\.run)
        let outs = results.map { Self.convert($0, to: t, at: loc).run }
        let other = elseBranch.map { Self.convert($0, to: t, at: loc).run }
        return CompiledExpression(type: t) { row throws(QueryError) in
            for i in 0..<conds.count {
                if case .boolean(true) = try conds[i](row) { return try outs[i](row) }
            }
            return try other?(row) ?? .null
        }
    }
}

/// Three-valued AND/OR/NOT with short-circuiting.
enum Logic {
    static func not(_ c: CompiledExpression) -> CompiledExpression {
        if let k = c.constant {
            if case .boolean(let b) = k { return CompiledExpression(constant: .boolean(!b), type: .boolean) }
            return CompiledExpression(constant: .null, type: .boolean)
        }
        let run = c.run
        return CompiledExpression(type: .boolean) { row throws(QueryError) in
            if case .boolean(let b) = try run(row) { return .boolean(!b) }
            return .null
        }
    }

    static func and(_ a: CompiledExpression, _ b: CompiledExpression) -> CompiledExpression {
        let ra = a.run, rb = b.run
        return CompiledExpression(type: .boolean) { row throws(QueryError) in
            let x = try ra(row)
            if case .boolean(false) = x { return x }
            let y = try rb(row)
            if case .boolean(false) = y { return y }
            return x.isNull || y.isNull ? .null : .boolean(true)
        }
    }

    static func or(_ a: CompiledExpression, _ b: CompiledExpression) -> CompiledExpression {
        let ra = a.run, rb = b.run
        return CompiledExpression(type: .boolean) { row throws(QueryError) in
            let x = try ra(row)
            if case .boolean(true) = x { return x }
            let y = try rb(row)
            if case .boolean(true) = y { return y }
            return x.isNull || y.isNull ? .null : .boolean(false)
        }
    }
}

/// Ordering of two values converted to one type, as DuckDB compares: NaN equals NaN and sorts above all numbers, -0 = 0.
enum ValueOrder {
    static func compare(_ a: IcebergValue, _ b: IcebergValue) -> Int? {
        switch (a, b) {
        case (.long(let x), .long(let y)): return x < y ? -1 : (x == y ? 0 : 1)
        case (.int(let x), .int(let y)): return x < y ? -1 : (x == y ? 0 : 1)
        case (.double(let x), .double(let y)): return doubles(x, y)
        case (.float(let x), .float(let y)): return doubles(Double(x), Double(y))
        default: return IcebergValue.compare(a, b)
        }
    }

    static func doubles(_ x: Double, _ y: Double) -> Int {
        if x.isNaN || y.isNaN { return x.isNaN ? (y.isNaN ? 0 : 1) : -1 }
        return x < y ? -1 : (x == y ? 0 : 1)
    }
}
