public import IcebergData

/// An aggregate over a group: count(*), count(x), count(DISTINCT x), sum, min, max, avg (DISTINCT allowed on all).
/// sum of int/long → long (overflow throws), of decimal(p,s) → decimal(38,s), of float/double → double;
/// avg → double; min/max keep the argument type; NULLs are skipped, empty groups give NULL (count gives 0).
public struct AggregateFunction: Sendable {
    enum Kind: Sendable { case countStar, count, sumInteger, sumDecimal, sumDouble, avgInteger, avgDecimal, avgDouble, min, max }

    public let resultType: IcebergType
    let kind: Kind
    let distinct: Bool
    let scale: Int
    let location: SourceLocation

    public static func make(name: String, distinct: Bool, star: Bool, argumentType: IcebergType?, at location: SourceLocation) throws(QueryError) -> AggregateFunction {
        let name = name.lowercased()
        if star {
            guard name == "count" else { throw QueryError("\(name)(*) is not allowed", at: location) }
            return AggregateFunction(resultType: .long, kind: .countStar, distinct: false, scale: 0, location: location)
        }
        guard let t = argumentType else { throw QueryError("\(name)() needs an argument", at: location) }
        func make(_ type: IcebergType, _ kind: Kind, scale: Int = 0) -> AggregateFunction {
            AggregateFunction(resultType: type, kind: kind, distinct: distinct, scale: scale, location: location)
        }
        switch name {
        case "count": return make(.long, .count)
        case "min", "max":
            guard t.isPrimitive else { throw QueryError("\(name)() of \(t) is not supported", at: location) }
            return make(t, name == "min" ? .min : .max)
        case "sum", "avg":
            let isSum = name == "sum"
            switch t {
            case .int, .long, .unknown: return isSum ? make(.long, .sumInteger) : make(.double, .avgInteger)
            case .decimal(_, let s): return isSum ? make(.decimal(precision: 38, scale: s), .sumDecimal, scale: s) : make(.double, .avgDecimal, scale: s)
            case .float, .double: return make(.double, isSum ? .sumDouble : .avgDouble)
            default: throw QueryError("\(name)() needs a number, not \(t)", at: location)
            }
        default: throw QueryError("unknown aggregate function \(name)()", at: location)
        }
    }

    public func makeState() -> AggregateState { AggregateState(function: self) }
}

/// One group's running value; O(1) memory except with DISTINCT (a set of the values seen).
public struct AggregateState: Sendable {
    let function: AggregateFunction
    var count: Int64 = 0
    var integerSum: Int128 = 0
    var doubleSum: Double = 0
    var extreme: IcebergValue = .null
    var seen: Set<IcebergValue>?

    init(function: AggregateFunction) {
        self.function = function
        if function.distinct { seen = [] }
    }

    /// For count(*), pass .boolean(true).
    public mutating func add(_ value: IcebergValue) throws(QueryError) {
        if function.kind == .countStar { count += 1; return }
        if value.isNull { return }
        if seen != nil {
            guard seen!.insert(value).inserted else { return }
        }
        count += 1
        switch function.kind {
        case .countStar, .count: break
        case .sumInteger, .avgInteger:
            let x: Int64
            switch value {
            case .int(let v): x = Int64(v)
            case .long(let v): x = v
            default: throw QueryError("\(function.kind == .sumInteger ? "sum" : "avg")() got a non-integer value", at: function.location)
            }
            integerSum += Int128(x)  // cannot overflow within 2^63 additions
            if function.kind == .sumInteger, Int64(exactly: integerSum) == nil {
                throw QueryError("overflow in sum of INT64", at: function.location)
            }
        case .sumDecimal, .avgDecimal:
            guard case .decimal(let u, let s) = value, let v = DecimalMath.rescale(u, from: s, to: function.scale) else {
                throw QueryError("sum() got a non-decimal value", at: function.location)
            }
            let (r, o) = integerSum.addingReportingOverflow(v)
            guard !o, DecimalMath.fits(r, precision: 38) else { throw QueryError("overflow in sum of DECIMAL", at: function.location) }
            integerSum = r
        case .sumDouble, .avgDouble:
            switch value {
            case .double(let d): doubleSum += d
            case .float(let f): doubleSum += Double(f)
            default: throw QueryError("sum() got a non-floating-point value", at: function.location)
            }
        case .min, .max:
            if extreme.isNull {
                extreme = value
            } else if let c = ValueOrder.compare(value, extreme), function.kind == .min ? c < 0 : c > 0 {
                extreme = value
            }
        }
    }

    public func result() -> IcebergValue {
        switch function.kind {
        case .countStar, .count: return .long(count)
        default: break
        }
        if count == 0 { return .null }
        switch function.kind {
        case .sumInteger: return .long(Int64(integerSum))
        case .sumDecimal: return .decimal(unscaled: integerSum, scale: function.scale)
        case .sumDouble: return .double(doubleSum)
        case .avgInteger: return .double(Double(integerSum) / Double(count))
        case .avgDecimal: return .double(DecimalMath.toDouble(integerSum, scale: function.scale) / Double(count))
        case .avgDouble: return .double(doubleSum / Double(count))
        default: return extreme
        }
    }
}
