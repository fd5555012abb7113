import IcebergData

/// Scalar functions by name. Arguments arrive compiled; each function checks their types and converts them.
enum ScalarFunctions {
    typealias Run = Evaluator

    static func compile(_ name: String, _ args: [CompiledExpression], arguments: [SQLExpression], at loc: SourceLocation) throws(QueryError) -> CompiledExpression {
        func arity(_ range: ClosedRange<Int>) throws(QueryError) {
            guard range.contains(args.count) else {
                throw QueryError("\(name)() takes \(range.lowerBound == range.upperBound ? "\(range.lowerBound)" : "\(range.lowerBound) to \(range.upperBound)") argument(s), got \(args.count)", at: loc)
            }
        }
        func string(_ i: Int) throws(QueryError) -> Run {
            let c = args[i]
            guard c.type == .string || c.type == .unknown else {
                throw QueryError("\(name)() needs a string argument, not \(c.type)", at: arguments[i].location)
            }
            return c.run
        }
        func integer(_ i: Int) throws(QueryError) -> Run {
            let c = args[i]
            guard TypeRules.isInteger(c.type) || c.type == .unknown else {
                throw QueryError("\(name)() needs an integer argument, not \(c.type)", at: arguments[i].location)
            }
            return Compiler.convert(c, to: .long, at: arguments[i].location).run
        }
        func folded(_ c: CompiledExpression) -> CompiledExpression {
            guard args.allSatisfy({ $0.constant != nil }), let v = try? c.run([]) else { return c }
            return CompiledExpression(constant: v, type: c.type)
        }
        func stringMap(_ f: @escaping @Sendable (String) -> String) throws(QueryError) -> CompiledExpression {
            try arity(1...1)
            let r = try string(0)
            return folded(CompiledExpression(type: .string) { row throws(QueryError) in
                guard case .string(let s) = try r(row) else { return .null }
                return .string(f(s))
            })
        }

        switch name {
        case "lower", "lcase": return try stringMap { $0.lowercased() }
        case "upper", "ucase": return try stringMap { $0.uppercased() }
        case "length", "char_length", "character_length":
            try arity(1...1)
            let r = try string(0)
            return folded(CompiledExpression(type: .long) { row throws(QueryError) in
                guard case .string(let s) = try r(row) else { return .null }
                return .long(Int64(s.unicodeScalars.count))
            })
        case "trim", "ltrim", "rtrim":
            try arity(1...2)
            let r = try string(0)
            let chars = args.count == 2 ? try string(1) : nil
            let left = name != "rtrim", right = name != "ltrim"
            return folded(CompiledExpression(type: .string) { row throws(QueryError) in
                guard case .string(let s) = try r(row) else { return .null }
                var set: Set<Unicode.Scalar> = [" "]
                if let chars {
                    guard case .string(let c) = try chars(row) else { return .null }
                    set = Set(c.unicodeScalars)
                }
                var scalars = Substring(s).unicodeScalars[...]
                if left { while let f = scalars.first, set.contains(f) { scalars = scalars.dropFirst() } }
                if right { while let l = scalars.last, set.contains(l) { scalars = scalars.dropLast() } }
                return .string(String(String.UnicodeScalarView(scalars)))
            })
        case "substr", "substring":
            try arity(2...3)
            let r = try string(0)
            let start = try integer(1)
            let length = args.count == 3 ? try integer(2) : nil
            return folded(CompiledExpression(type: .string) { row throws(QueryError) in
                guard case .string(let s) = try r(row), case .long(let st) = try start(row) else { return .null }
                var len: Int64? = nil
                if let length {
                    guard case .long(let l) = try length(row) else { return .null }
                    len = l
                }
                return .string(substring(s, start: st, length: len))
            })
        case "replace":
            try arity(3...3)
            let r = try string(0), from = try string(1), to = try string(2)
            return folded(CompiledExpression(type: .string) { row throws(QueryError) in
                guard case .string(let s) = try r(row), case .string(let f) = try from(row), case .string(let t) = try to(row) else { return .null }
                if f.isEmpty { return .string(s) }
                return .string(replaceAll(s, f, t))
            })
        case "concat":
            // NULL arguments are skipped (DuckDB), unlike ||.
            let runs = args.enumerated().map { Compiler.convert($0.element, to: .string, at: arguments[$0.offset].location).run }
            return folded(CompiledExpression(type: .string) { row throws(QueryError) in
                var out = ""
                for r in runs { if case .string(let s) = try r(row) { out += s } }
                return .string(out)
            })
        case "starts_with", "contains":
            try arity(2...2)
            let a = try string(0), b = try string(1)
            let isPrefix = name == "starts_with"
            return folded(CompiledExpression(type: .boolean) { row throws(QueryError) in
                guard case .string(let s) = try a(row), case .string(let p) = try b(row) else { return .null }
                if isPrefix { return .boolean(LikePattern.startsWith(s, p)) }
                return .boolean(p.isEmpty || LikePattern.contains(Array(s.utf8), Array(p.utf8)))
            })
        case "coalesce", "ifnull", "greatest", "least":
            guard !args.isEmpty else { throw QueryError("\(name)() needs arguments", at: loc) }
            if name == "ifnull" { try arity(2...2) }
            var t: IcebergType = .unknown
            for (i, a) in args.enumerated() {
                guard let u = TypeRules.resultUnion(t, a.type) else {
                    throw QueryError("\(name)() arguments have incompatible types \(t) and \(a.type)", at: arguments[i].location)
                }
                t = u
            }
            let runs = args.enumerated().map { Compiler.convert($0.element, to: t, at: arguments[$0.offset].location).run }
            if name == "coalesce" || name == "ifnull" {
                return folded(CompiledExpression(type: t) { row throws(QueryError) in
                    for r in runs {
                        let v = try r(row)
                        if !v.isNull { return v }
                    }
                    return .null
                })
            }
            let wantGreater = name == "greatest"
            return folded(CompiledExpression(type: t) { row throws(QueryError) in
                var best: IcebergValue = .null
                for r in runs {
                    let v = try r(row)
                    if v.isNull { continue }
                    if best.isNull { best = v; continue }
                    if let c = ValueOrder.compare(v, best), wantGreater ? c > 0 : c < 0 { best = v }
                }
                return best
            })
        case "nullif":
            try arity(2...2)
            guard let t = TypeRules.common(args[0].type, args[1].type) else {
                throw QueryError("cannot compare \(args[0].type) and \(args[1].type)", at: loc)
            }
            let a = args[0].run
            let x = Compiler.convert(args[0], to: t, at: loc).run, y = Compiler.convert(args[1], to: t, at: loc).run
            return folded(CompiledExpression(type: args[0].type) { row throws(QueryError) in
                let p = try x(row), q = try y(row)
                if !p.isNull, !q.isNull, ValueOrder.compare(p, q) == 0 { return .null }
                return try a(row)
            })
        case "abs":
            try arity(1...1)
            guard TypeRules.isNumeric(args[0].type) || args[0].type == .unknown else { throw QueryError("abs() needs a number, not \(args[0].type)", at: loc) }
            let r = args[0].run
            return folded(CompiledExpression(type: args[0].type) { row throws(QueryError) in
                switch try r(row) {
                case .int(let x):
                    guard x != .min else { throw QueryError("overflow in abs of INT32", at: loc) }
                    return .int(abs(x))
                case .long(let x):
                    guard x != .min else { throw QueryError("overflow in abs of INT64", at: loc) }
                    return .long(abs(x))
                case .decimal(let u, let s): return .decimal(unscaled: u < 0 ? -u : u, scale: s)
                case .float(let f): return .float(abs(f))
                case .double(let d): return .double(abs(d))
                default: return .null
                }
            })
        case "round", "floor", "ceil", "ceiling":
            try arity(name == "round" ? 1...2 : 1...1)
            return folded(try rounding(name, args, arguments, at: loc))
        case "date_trunc", "datetrunc":
            try arity(2...2)
            guard case .string(let unit)? = args[0].constant else {
                throw QueryError("date_trunc() needs a constant unit such as 'month'", at: arguments[0].location)
            }
            return folded(try DateFunctions.trunc(unit.lowercased(), args[1], at: loc))
        case "year", "quarter", "month", "day", "hour", "minute", "second", "dayofweek", "dayofyear", "epoch", "week":
            try arity(1...1)
            let field = ["dayofweek": "dow", "dayofyear": "doy"][name] ?? name
            return folded(try DateFunctions.extract(field, args[0], at: loc))
        default:
            throw QueryError("unknown function \(name)()", at: loc)
        }
    }

    /// DuckDB's substring: 1-based start, 0 and negative starts count from before the string / from its end,
    /// a negative length takes the characters before the start.
    static func substring(_ s: String, start: Int64, length: Int64?) -> String {
        let scalars = Array(s.unicodeScalars)
        let n = Int64(scalars.count)
        let begin: Int64 = start > 0 ? start - 1 : (start < 0 ? n + start : -1)
        var lo: Int64, hi: Int64
        if let length {
            if length >= 0 {
                lo = begin
                hi = begin.addingReportingOverflow(length).overflow ? Int64.max : begin + length
            } else {
                lo = begin.subtractingReportingOverflow(-length).overflow ? Int64.min : begin + length
                hi = begin
            }
        } else {
            lo = begin
            hi = n
        }
        lo = max(0, min(lo, n))
        hi = max(lo, min(hi, n))
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars[Int(lo)..<Int(hi)])
        return String(out)
    }

    static func replaceAll(_ s: String, _ from: String, _ to: String) -> String {
        let hay = Array(s.utf8), needle = Array(from.utf8), rep = Array(to.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(hay.count)
        var i = 0
        while i < hay.count {
            if i + needle.count <= hay.count, hay[i] == needle[0], hay[i..<(i + needle.count)].elementsEqual(needle) {
                out += rep
                i += needle.count
            } else {
                out.append(hay[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// round (half away from zero), floor, ceil. Decimals stay decimal with the new scale; floor/ceil of
    /// integers give double and round of integers keeps the type, as DuckDB.
    static func rounding(_ name: String, _ args: [CompiledExpression], _ arguments: [SQLExpression], at loc: SourceLocation) throws(QueryError) -> CompiledExpression {
        let x = args[0]
        guard TypeRules.isNumeric(x.type) || x.type == .unknown else { throw QueryError("\(name)() needs a number, not \(x.type)", at: loc) }
        var requested: Int64 = 0
        if args.count == 2 {
            guard case .long(let d)? = args[1].constant ?? (args[1].constant.flatMap { try? ValueCast.cast($0, to: .long) }) else {
                throw QueryError("round() needs a constant integer number of digits", at: arguments[1].location)
            }
            requested = max(-38, min(38, d))
        }
        let digits = requested
        let r = x.run
        let mode: FloatingPointRoundingRule = name == "round" ? .toNearestOrAwayFromZero : (name == "floor" ? .down : .up)
        switch x.type {
        case .decimal(let p, let s):
            let newScale = Int(max(0, min(Int64(s), digits)))
            let drop = s - Int(digits)  // digits of the fraction to remove (may exceed s for negative digits)
            let resultType: IcebergType = .decimal(precision: p, scale: newScale)
            return CompiledExpression(type: resultType) { row throws(QueryError) in
                guard case .decimal(let u, _) = try r(row) else { return .null }
                guard drop > 0, let f = DecimalMath.pow10(drop) else { return .decimal(unscaled: u, scale: s) }
                var q = u / f
                let rem = u % f
                switch mode {
                case .down: if rem < 0 { q -= 1 }
                case .up: if rem > 0 { q += 1 }
                default: if rem.magnitude * 2 >= f.magnitude { q += u < 0 ? -1 : 1 }
                }
                // Back to the result scale (negative digits leave zeros in the integer part).
                let back = newScale - (s - drop)
                guard let v = DecimalMath.upscale(q, by: back) else { throw QueryError("overflow in \(name)", at: loc) }
                return .decimal(unscaled: v, scale: newScale)
            }
        case .int, .long:
            if name != "round" { return Compiler.convert(x, to: .double, at: loc) }
            let t = x.type
            return CompiledExpression(type: t) { row throws(QueryError) in
                let v = try r(row)
                guard digits < 0, case .long(let n) = (try? ValueCast.cast(v, to: .long)) ?? .null else { return v }
                guard let f = DecimalMath.pow10(Int(-digits)) else { return v }
                let rounded = DecimalMath.downscale(Int128(n), by: Int(-digits)) * f
                guard let out = Int64(exactly: rounded) else { throw QueryError("overflow in round", at: loc) }
                return t == .int ? (Int32(exactly: out).map { IcebergValue.int($0) } ?? .long(out)) : .long(out)
            }
        default:
            let t: IcebergType = x.type == .float ? .float : .double
            let scale = pow(10.0, Double(digits))
            return CompiledExpression(type: t) { row throws(QueryError) in
                let d: Double
                switch try r(row) {
                case .double(let v): d = v
                case .float(let v): d = Double(v)
                default: return .null
                }
                let out = digits == 0 ? d.rounded(mode) : (d * scale).rounded(mode) / scale
                return t == .float ? .float(Float(out)) : .double(out)
            }
        }
    }

    private static func pow(_ base: Double, _ e: Double) -> Double {
        var r = 1.0
        let n = Int(e.magnitude)
        for _ in 0..<n { r *= base }
        return e < 0 ? 1 / r : r
    }
}
