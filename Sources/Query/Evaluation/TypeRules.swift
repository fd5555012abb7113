import IcebergData

/// Implicit conversions between types, as DuckDB resolves them.
enum TypeRules {
    static func isNumeric(_ t: IcebergType) -> Bool {
        switch t {
        case .int, .long, .float, .double, .decimal: return true
        default: return false
        }
    }

    static func isInteger(_ t: IcebergType) -> Bool { t == .int || t == .long }

    static func isTemporal(_ t: IcebergType) -> Bool {
        switch t {
        case .date, .timestamp, .timestamptz, .timestampNs, .timestamptzNs: return true
        default: return false
        }
    }

    /// An integer type seen as a decimal (DuckDB: INTEGER → DECIMAL(10,0), BIGINT → DECIMAL(19,0)).
    static func asDecimal(_ t: IcebergType) -> (precision: Int, scale: Int)? {
        switch t {
        case .int: return (10, 0)
        case .long: return (19, 0)
        case .decimal(let p, let s): return (p, s)
        default: return nil
        }
    }

    /// The decimal that holds both: integer digits and scale of the larger, capped at 38.
    static func decimalUnion(_ a: (precision: Int, scale: Int), _ b: (precision: Int, scale: Int)) -> IcebergType {
        let scale = max(a.scale, b.scale)
        let whole = max(a.precision - a.scale, b.precision - b.scale)
        return .decimal(precision: min(38, whole + scale), scale: scale)
    }

    /// Common type of two numeric types: int < long < decimal < float < double.
    static func numericCommon(_ a: IcebergType, _ b: IcebergType) -> IcebergType? {
        guard isNumeric(a), isNumeric(b) else { return nil }
        if a == b { return a }
        switch (a, b) {
        case (.double, _), (_, .double), (.float, _), (_, .float): return .double
        case (.int, .long), (.long, .int): return .long
        default:
            guard let da = asDecimal(a), let db = asDecimal(b) else { return nil }
            return decimalUnion(da, db)
        }
    }

    /// The type both sides are converted to for comparison, CASE results, IN lists, coalesce, greatest/least.
    /// A string meeting a typed value converts to that type (as DuckDB does for literals: date_col = '2024-01-01').
    static func common(_ a: IcebergType, _ b: IcebergType) -> IcebergType? {
        if a == b { return a }
        if a == .unknown { return b }
        if b == .unknown { return a }
        if let n = numericCommon(a, b) { return n }
        switch (a, b) {
        case (.string, let other), (let other, .string):
            return other.isPrimitive ? other : nil
        case (.date, .timestamp), (.timestamp, .date): return .timestamp
        case (.date, .timestamptz), (.timestamptz, .date), (.timestamp, .timestamptz), (.timestamptz, .timestamp): return .timestamptz
        case (.date, .timestampNs), (.timestampNs, .date), (.timestamp, .timestampNs), (.timestampNs, .timestamp): return .timestampNs
        case (.timestamptzNs, let t), (let t, .timestamptzNs):
            return isTemporal(t) ? .timestamptzNs : nil
        case (.fixed, .binary), (.binary, .fixed): return .binary
        case (.decimal(let p1, let s1), .decimal(let p2, let s2)): return decimalUnion((p1, s1), (p2, s2))
        default: return nil
        }
    }

    /// Like `common` but a string does not convert to other types (CASE/coalesce results keep strings strings).
    static func resultUnion(_ a: IcebergType, _ b: IcebergType) -> IcebergType? {
        if a == .string || b == .string { return a == b || a == .unknown || b == .unknown ? .string : nil }
        return common(a, b)
    }
}

/// Decimal helpers on an `Int128` unscaled value.
enum DecimalMath {
    static let powersOf10: [Int128] = {
        var p: [Int128] = [1]
        for _ in 1...38 { p.append(p[p.count - 1] &* 10) }
        return p
    }()

    static func pow10(_ n: Int) -> Int128? { n >= 0 && n <= 38 ? powersOf10[n] : nil }

    /// Exact upscaling; nil on overflow.
    static func upscale(_ v: Int128, by n: Int) -> Int128? {
        if n == 0 { return v }
        guard let f = pow10(n) else { return v == 0 ? 0 : nil }
        let (r, o) = v.multipliedReportingOverflow(by: f)
        return o ? nil : r
    }

    /// Downscaling rounding half away from zero (DuckDB's decimal rounding).
    static func downscale(_ v: Int128, by n: Int) -> Int128 {
        if n <= 0 { return v }
        guard let f = pow10(n) else { return 0 }
        let q = v / f
        let r = v % f
        if r.magnitude * 2 >= f.magnitude { return v < 0 ? q - 1 : q + 1 }
        return q
    }

    static func rescale(_ v: Int128, from: Int, to: Int) -> Int128? {
        to >= from ? upscale(v, by: to - from) : downscale(v, by: from - to)
    }

    static func fits(_ v: Int128, precision: Int) -> Bool {
        guard let limit = pow10(precision) else { return true }
        return v.magnitude < limit.magnitude
    }

    static func toDouble(_ v: Int128, scale: Int) -> Double {
        // Split to keep 128-bit values exact enough before dividing.
        let d = Double(v)
        if scale <= 0 { return d }
        if scale <= 22 { return d / pow10Double(scale) }
        return d / pow10Double(scale)
    }

    static func pow10Double(_ n: Int) -> Double {
        var r = 1.0
        for _ in 0..<min(n, 400) { r *= 10 }
        return r
    }

    static func text(_ unscaled: Int128, scale: Int) -> String {
        let negative = unscaled < 0
        var digits = String(unscaled.magnitude)
        if scale > 0 {
            if digits.count <= scale { digits = String(repeating: "0", count: scale - digits.count + 1) + digits }
            let split = digits.index(digits.endIndex, offsetBy: -scale)
            digits = digits[..<split] + "." + digits[split...]
        }
        return negative ? "-" + digits : digits
    }
}
