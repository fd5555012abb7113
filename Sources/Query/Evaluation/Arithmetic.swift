import IcebergData

/// + − * / // % with DuckDB's result types: integers stay integers (overflow is an error), decimals keep exact
/// scales (+ − max scale, * sum of scales), `/` is always double, `//` and `%` by zero give NULL.
enum Arithmetic {
    static func resultType(_ op: BinaryOp, _ a: IcebergType, _ b: IcebergType) -> IcebergType? {
        let a = a == .unknown ? (b == .unknown ? .long : b) : a
        let b = b == .unknown ? a : b
        guard let common = TypeRules.numericCommon(a, b) else { return nil }
        switch op {
        case .divide: return .double
        case .integerDivide:
            if case .decimal = common { return .double }
            return common
        case .multiply:
            if case .decimal = common, let da = TypeRules.asDecimal(a), let db = TypeRules.asDecimal(b) {
                let scale = da.scale + db.scale
                guard scale <= 38 else { return .double }
                return .decimal(precision: min(38, max(da.precision + db.precision, scale)), scale: scale)
            }
            return common
        case .add, .subtract:
            if case .decimal(let p, let s) = common { return .decimal(precision: min(38, p + 1), scale: s) }
            return common
        default:
            return common
        }
    }

    static func compile(_ op: BinaryOp, _ l: CompiledExpression, _ r: CompiledExpression, at loc: SourceLocation) throws(QueryError) -> CompiledExpression {
        guard let result = resultType(op, l.type, r.type) else {
            throw QueryError("cannot apply \(symbol(op)) to \(l.type) and \(r.type)", at: loc)
        }
        // Operands are converted to the type the operation computes in.
        let operandType: IcebergType
        switch result {
        case .decimal(_, let s):
            if op == .multiply {
                operandType = .decimal(precision: 38, scale: 0)  // scales kept per side below
            } else {
                operandType = .decimal(precision: 38, scale: s)
            }
        default: operandType = op == .divide || op == .integerDivide && result == .double ? .double : result
        }
        let a: CompiledExpression, b: CompiledExpression
        if case .decimal = result, op == .multiply {
            a = Compiler.convert(l, to: decimalOf(l.type), at: loc)
            b = Compiler.convert(r, to: decimalOf(r.type), at: loc)
        } else {
            a = Compiler.convert(l, to: operandType, at: loc)
            b = Compiler.convert(r, to: operandType, at: loc)
        }
        let ra = a.run, rb = b.run
        let name = symbol(op)
        let f: @Sendable (IcebergValue, IcebergValue) throws(QueryError) -> IcebergValue
        switch (op, result) {
        case (.add, _): f = { x, y throws(QueryError) in try add(x, y, negate: false, loc) }
        case (.subtract, _): f = { x, y throws(QueryError) in try add(x, y, negate: true, loc) }
        case (.multiply, .decimal(_, let s)):
            f = { x, y throws(QueryError) in
                guard case .decimal(let u, _) = x, case .decimal(let v, _) = y else { return .null }
                let (p, o) = u.multipliedReportingOverflow(by: v)
                guard !o, DecimalMath.fits(p, precision: 38) else { throw QueryError("overflow in multiplication of DECIMAL", at: loc) }
                return .decimal(unscaled: p, scale: s)
            }
        case (.multiply, _): f = { x, y throws(QueryError) in try multiply(x, y, loc) }
        case (.divide, _):
            f = { x, y throws(QueryError) in
                guard case .double(let p) = x, case .double(let q) = y else { return .null }
                return .double(p / q)
            }
        case (.integerDivide, _): f = { x, y throws(QueryError) in try integerDivide(x, y, loc) }
        default: f = { x, y throws(QueryError) in try modulo(x, y, loc) }
        }
        _ = name
        return CompiledExpression(type: result) { row throws(QueryError) in
            let x = try ra(row)
            if x.isNull { return .null }
            let y = try rb(row)
            if y.isNull { return .null }
            return try f(x, y)
        }
    }

    static func decimalOf(_ t: IcebergType) -> IcebergType {
        if let d = TypeRules.asDecimal(t) { return .decimal(precision: d.precision, scale: d.scale) }
        return t
    }

    static func symbol(_ op: BinaryOp) -> String {
        switch op {
        case .add: return "+"
        case .subtract: return "-"
        case .multiply: return "*"
        case .divide: return "/"
        case .integerDivide: return "//"
        case .modulo: return "%"
        default: return "\(op)"
        }
    }

    static func add(_ x: IcebergValue, _ y: IcebergValue, negate: Bool, _ loc: SourceLocation) throws(QueryError) -> IcebergValue {
        let what = negate ? "subtraction" : "addition"
        switch (x, y) {
        case (.long(let a), .long(let b)):
            let (r, o) = negate ? a.subtractingReportingOverflow(b) : a.addingReportingOverflow(b)
            guard !o else { throw QueryError("overflow in \(what) of INT64 (\(a) \(negate ? "-" : "+") \(b))", at: loc) }
            return .long(r)
        case (.int(let a), .int(let b)):
            let (r, o) = negate ? a.subtractingReportingOverflow(b) : a.addingReportingOverflow(b)
            guard !o else { throw QueryError("overflow in \(what) of INT32 (\(a) \(negate ? "-" : "+") \(b))", at: loc) }
            return .int(r)
        case (.decimal(let a, let s), .decimal(let b, _)):
            let (r, o) = negate ? a.subtractingReportingOverflow(b) : a.addingReportingOverflow(b)
            guard !o, DecimalMath.fits(r, precision: 38) else { throw QueryError("overflow in \(what) of DECIMAL", at: loc) }
            return .decimal(unscaled: r, scale: s)
        case (.double(let a), .double(let b)): return .double(negate ? a - b : a + b)
        case (.float(let a), .float(let b)): return .float(negate ? a - b : a + b)
        default: return .null
        }
    }

    static func multiply(_ x: IcebergValue, _ y: IcebergValue, _ loc: SourceLocation) throws(QueryError) -> IcebergValue {
        switch (x, y) {
        case (.long(let a), .long(let b)):
            let (r, o) = a.multipliedReportingOverflow(by: b)
            guard !o else { throw QueryError("overflow in multiplication of INT64 (\(a) * \(b))", at: loc) }
            return .long(r)
        case (.int(let a), .int(let b)):
            let (r, o) = a.multipliedReportingOverflow(by: b)
            guard !o else { throw QueryError("overflow in multiplication of INT32 (\(a) * \(b))", at: loc) }
            return .int(r)
        case (.double(let a), .double(let b)): return .double(a * b)
        case (.float(let a), .float(let b)): return .float(a * b)
        default: return .null
        }
    }

    /// Truncating integer division; by zero → NULL (DuckDB). On doubles: the floor of the quotient.
    static func integerDivide(_ x: IcebergValue, _ y: IcebergValue, _ loc: SourceLocation) throws(QueryError) -> IcebergValue {
        switch (x, y) {
        case (.long(let a), .long(let b)):
            if b == 0 { return .null }
            let (r, o) = a.dividedReportingOverflow(by: b)
            guard !o else { throw QueryError("overflow in division of INT64 (\(a) // \(b))", at: loc) }
            return .long(r)
        case (.int(let a), .int(let b)):
            if b == 0 { return .null }
            let (r, o) = a.dividedReportingOverflow(by: b)
            guard !o else { throw QueryError("overflow in division of INT32 (\(a) // \(b))", at: loc) }
            return .int(r)
        case (.double(let a), .double(let b)):
            if b == 0 { return .null }
            return .double((a / b).rounded(.down))
        case (.float(let a), .float(let b)):
            if b == 0 { return .null }
            return .float((a / b).rounded(.down))
        default: return .null
        }
    }

    /// Remainder with the sign of the dividend; integer or decimal by zero → NULL, float by zero → NaN (DuckDB).
    static func modulo(_ x: IcebergValue, _ y: IcebergValue, _ loc: SourceLocation) throws(QueryError) -> IcebergValue {
        switch (x, y) {
        case (.long(let a), .long(let b)):
            if b == 0 { return .null }
            return .long(b == -1 ? 0 : a % b)
        case (.int(let a), .int(let b)):
            if b == 0 { return .null }
            return .int(b == -1 ? 0 : a % b)
        case (.decimal(let a, let s), .decimal(let b, _)):
            if b == 0 { return .null }
            return .decimal(unscaled: a % b, scale: s)
        case (.double(let a), .double(let b)): return .double(a.truncatingRemainder(dividingBy: b))
        case (.float(let a), .float(let b)): return .float(a.truncatingRemainder(dividingBy: b))
        default: return .null
        }
    }
}
