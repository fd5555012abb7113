import IcebergData

/// A failed conversion; the caller adds the location.
struct CastFailure: Error {
    var message: String
}

/// Explicit and implicit conversions between values, with DuckDB's rules: numbers round to the nearest
/// (decimals half away from zero, doubles half to even), out-of-range values and bad text fail.
enum ValueCast {
    static func canCast(_ from: IcebergType, to: IcebergType) -> Bool {
        if from == to || from == .unknown { return true }
        guard from.isPrimitive, to.isPrimitive else { return to == .string }
        if to == .string || from == .string { return true }
        if TypeRules.isNumeric(from) && TypeRules.isNumeric(to) { return true }
        if (from == .boolean && TypeRules.isNumeric(to)) || (TypeRules.isInteger(from) && to == .boolean) { return true }
        if TypeRules.isTemporal(from) && TypeRules.isTemporal(to) { return true }
        if TypeRules.isTemporal(from) && from != .date && to == .time { return true }
        if to == .binary, from == .uuid { return true }
        if to == .binary, case .fixed = from { return true }
        return false
    }

    static func cast(_ v: IcebergValue, to type: IcebergType) throws(CastFailure) -> IcebergValue {
        if v.isNull { return .null }
        switch type {
        case .boolean: return try toBoolean(v)
        case .int:
            let x = try toInt64(v, typeName: "INT32")
            guard let r = Int32(exactly: x) else { throw outOfRange(v, "INT32") }
            return .int(r)
        case .long: return .long(try toInt64(v, typeName: "INT64"))
        case .float: return .float(Float(try toDouble(v)))
        case .double: return .double(try toDouble(v))
        case .decimal(let p, let s): return .decimal(unscaled: try toDecimal(v, precision: p, scale: s), scale: s)
        case .string: return .string(text(v))
        case .date: return try toDate(v)
        case .timestamp: return .timestamp(try toTimestamp(v, perSecond: 1_000_000))
        case .timestamptz: return .timestamptz(try toTimestamp(v, perSecond: 1_000_000))
        case .timestampNs: return .timestampNs(try toTimestamp(v, perSecond: 1_000_000_000))
        case .timestamptzNs: return .timestamptzNs(try toTimestamp(v, perSecond: 1_000_000_000))
        case .time:
            switch v {
            case .time: return v
            case .timestamp(let us), .timestamptz(let us):
                return .time(us - CivilCalendar.floorDiv(us, CivilCalendar.microsPerDay) * CivilCalendar.microsPerDay)
            case .timestampNs(let ns), .timestamptzNs(let ns):
                let us = CivilCalendar.floorDiv(ns, 1000)
                return .time(us - CivilCalendar.floorDiv(us, CivilCalendar.microsPerDay) * CivilCalendar.microsPerDay)
            case .string(let s):
                guard let ns = TemporalText.time(s) else { throw conversion(s, "TIME") }
                return .time(ns / 1000)
            default: throw unsupported(v, type)
            }
        case .binary:
            switch v {
            case .binary: return v
            case .fixed(let b), .uuid(let b): return .binary(b)
            case .string(let s): return .binary(Array(s.utf8))
            default: throw unsupported(v, type)
            }
        case .uuid:
            switch v {
            case .uuid: return v
            case .string(let s):
                guard let b = parseUUID(s) else { throw conversion(s, "UUID") }
                return .uuid(b)
            default: throw unsupported(v, type)
            }
        default:
            if case .fixed = type, case .fixed = v { return v }
            throw unsupported(v, type)
        }
    }

    private static func conversion(_ s: String, _ typeName: String) -> CastFailure {
        CastFailure(message: "could not convert string '\(s)' to \(typeName)")
    }

    private static func outOfRange(_ v: IcebergValue, _ typeName: String) -> CastFailure {
        CastFailure(message: "value \(text(v)) is out of range for \(typeName)")
    }

    private static func unsupported(_ v: IcebergValue, _ type: IcebergType) -> CastFailure {
        CastFailure(message: "cannot cast \(text(v)) to \(type)")
    }

    static func trimmed(_ s: String) -> Substring {
        var sub = Substring(s)
        while let f = sub.first, f == " " || f == "\t" || f == "\n" || f == "\r" { sub = sub.dropFirst() }
        while let l = sub.last, l == " " || l == "\t" || l == "\n" || l == "\r" { sub = sub.dropLast() }
        return sub
    }

    static func toBoolean(_ v: IcebergValue) throws(CastFailure) -> IcebergValue {
        switch v {
        case .boolean: return v
        case .int(let x): return .boolean(x != 0)
        case .long(let x): return .boolean(x != 0)
        case .string(let s):
            switch trimmed(s).lowercased() {
            case "true", "t", "yes", "y", "1": return .boolean(true)
            case "false", "f", "no", "n", "0": return .boolean(false)
            default: throw conversion(s, "BOOL")
            }
        default: throw unsupported(v, .boolean)
        }
    }

    static func toInt64(_ v: IcebergValue, typeName: String) throws(CastFailure) -> Int64 {
        switch v {
        case .boolean(let b): return b ? 1 : 0
        case .int(let x): return Int64(x)
        case .long(let x): return x
        case .decimal(let u, let s):
            let r = DecimalMath.downscale(u, by: s)
            guard let x = Int64(exactly: r) else { throw outOfRange(v, typeName) }
            return x
        case .float(let f): return try doubleToInt64(Double(f), v, typeName)
        case .double(let d): return try doubleToInt64(d, v, typeName)
        case .string(let s):
            let t = trimmed(s)
            if let x = Int64(t) { return x }
            if let (u, scale) = parseDecimal(t) {
                let r = DecimalMath.downscale(u, by: scale)
                guard let x = Int64(exactly: r) else { throw outOfRange(v, typeName) }
                return x
            }
            if let d = Double(t), d.isFinite { return try doubleToInt64(d, v, typeName) }
            throw conversion(s, typeName)
        default: throw unsupported(v, .long)
        }
    }

    private static func doubleToInt64(_ d: Double, _ v: IcebergValue, _ typeName: String) throws(CastFailure) -> Int64 {
        let r = d.rounded(.toNearestOrEven)
        guard r.isFinite, r >= -9.223372036854775808e18, r < 9.223372036854775808e18 else { throw outOfRange(v, typeName) }
        return Int64(r)
    }

    static func toDouble(_ v: IcebergValue) throws(CastFailure) -> Double {
        switch v {
        case .boolean(let b): return b ? 1 : 0
        case .int(let x): return Double(x)
        case .long(let x): return Double(x)
        case .float(let f): return Double(f)
        case .double(let d): return d
        case .decimal(let u, let s): return DecimalMath.toDouble(u, scale: s)
        case .string(let s):
            let t = trimmed(s)
            if let d = Double(t) { return d }
            switch t.lowercased() {
            case "inf", "infinity", "+inf", "+infinity": return .infinity
            case "-inf", "-infinity": return -.infinity
            case "nan": return .nan
            default: throw conversion(s, "DOUBLE")
            }
        default: throw unsupported(v, .double)
        }
    }

    static func toDecimal(_ v: IcebergValue, precision: Int, scale: Int) throws(CastFailure) -> Int128 {
        let name = "DECIMAL(\(precision),\(scale))"
        var result: Int128?
        switch v {
        case .boolean(let b): result = DecimalMath.upscale(b ? 1 : 0, by: scale)
        case .int(let x): result = DecimalMath.upscale(Int128(x), by: scale)
        case .long(let x): result = DecimalMath.upscale(Int128(x), by: scale)
        case .decimal(let u, let s): result = DecimalMath.rescale(u, from: s, to: scale)
        case .float(let f): result = doubleToDecimal(Double(f), scale: scale)
        case .double(let d): result = doubleToDecimal(d, scale: scale)
        case .string(let s):
            let t = trimmed(s)
            if let (u, s) = parseDecimal(t) {
                result = DecimalMath.rescale(u, from: s, to: scale)
            } else if let d = Double(t) {
                result = doubleToDecimal(d, scale: scale)
            } else {
                throw conversion(s, name)
            }
        default: throw unsupported(v, .decimal(precision: precision, scale: scale))
        }
        guard let r = result, DecimalMath.fits(r, precision: precision) else {
            throw CastFailure(message: "casting value \"\(text(v))\" to type \(name) failed: value is out of range")
        }
        return r
    }

    private static func doubleToDecimal(_ d: Double, scale: Int) -> Int128? {
        let scaled = (d * DecimalMath.pow10Double(scale)).rounded(.toNearestOrAwayFromZero)
        guard scaled.isFinite, scaled.magnitude < 1.7e38 else { return nil }
        return Int128(scaled)
    }

    /// "[-+]digits[.digits]" (no exponent) as unscaled value and scale; digits beyond 38 are rejected.
    static func parseDecimal(_ t: Substring) -> (Int128, Int)? {
        var bytes = t.utf8[...]
        var negative = false
        if let f = bytes.first, f == UInt8(ascii: "-") || f == UInt8(ascii: "+") {
            negative = f == UInt8(ascii: "-")
            bytes = bytes.dropFirst()
        }
        var unscaled: Int128 = 0
        var scale = 0, digits = 0
        var seenPoint = false
        for b in bytes {
            if b == UInt8(ascii: ".") {
                guard !seenPoint else { return nil }
                seenPoint = true
                continue
            }
            guard b >= 48, b <= 57 else { return nil }
            if digits == 0 && b == 48 && !seenPoint { continue }  // leading zeros do not count
            digits += 1
            guard digits <= 38 else { return nil }
            unscaled = unscaled * 10 + Int128(b - 48)
            if seenPoint { scale += 1 }
        }
        guard digits > 0 || bytes.contains(48) else { return nil }
        return (negative ? -unscaled : unscaled, scale)
    }

    static func toDate(_ v: IcebergValue) throws(CastFailure) -> IcebergValue {
        switch v {
        case .date: return v
        case .timestamp(let us), .timestamptz(let us): return try dateValue(CivilCalendar.floorDiv(us, CivilCalendar.microsPerDay), v)
        case .timestampNs(let ns), .timestamptzNs(let ns): return try dateValue(CivilCalendar.floorDiv(ns, CivilCalendar.microsPerDay * 1000), v)
        case .string(let s):
            if let d = TemporalText.date(s) { return try dateValue(d, v) }
            // DuckDB accepts a timestamp string when casting to DATE and drops the time.
            if let us = TemporalText.timestamp(s, perSecond: 1_000_000) {
                return try dateValue(CivilCalendar.floorDiv(us, CivilCalendar.microsPerDay), v)
            }
            throw conversion(s, "DATE")
        default: throw unsupported(v, .date)
        }
    }

    private static func dateValue(_ days: Int64, _ v: IcebergValue) throws(CastFailure) -> IcebergValue {
        guard let d = Int32(exactly: days) else { throw outOfRange(v, "DATE") }
        return .date(d)
    }

    static func toTimestamp(_ v: IcebergValue, perSecond: Int64) throws(CastFailure) -> Int64 {
        let r: Int64?
        switch v {
        case .date(let d): 
            let (x, o) = Int64(d).multipliedReportingOverflow(by: 86_400 * perSecond)
            r = o ? nil : x
        case .timestamp(let us), .timestamptz(let us):
            if perSecond == 1_000_000 { r = us } else {
                let (x, o) = us.multipliedReportingOverflow(by: 1000)
                r = o ? nil : x
            }
        case .timestampNs(let ns), .timestamptzNs(let ns): r = perSecond == 1_000_000 ? CivilCalendar.floorDiv(ns, 1000) : ns
        case .string(let s):
            guard let x = TemporalText.timestamp(s, perSecond: perSecond) else { throw conversion(s, "TIMESTAMP") }
            r = x
        default: throw unsupported(v, .timestamp)
        }
        guard let r else { throw outOfRange(v, "TIMESTAMP") }
        return r
    }

    static func parseUUID(_ text: String) -> [UInt8]? {
        let hex = Array(trimmed(text).utf8.filter { $0 != UInt8(ascii: "-") })
        guard hex.count == 32 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(16)
        var i = 0
        while i < 32 {
            guard let hi = nibble(hex[i]), let lo = nibble(hex[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 97...102: return c - 87
        case 65...70: return c - 55
        default: return nil
        }
    }

    /// VARCHAR text as DuckDB prints it: timestamps with a space, fractions without trailing zeros, "+00" on timestamptz.
    static func text(_ v: IcebergValue) -> String {
        switch v {
        case .null: return "NULL"
        case .boolean(let b): return b ? "true" : "false"
        case .int(let x): return String(x)
        case .long(let x): return String(x)
        case .float(let f): return f.isFinite ? String(f) : (f.isNaN ? "nan" : (f < 0 ? "-inf" : "inf"))
        case .double(let d): return d.isFinite ? String(d) : (d.isNaN ? "nan" : (d < 0 ? "-inf" : "inf"))
        case .decimal(let u, let s): return DecimalMath.text(u, scale: s)
        case .date(let d): return CivilCalendar.dateText(Int64(d))
        case .time(let us): return CivilCalendar.timeText(us, perSecond: 1_000_000)
        case .timestamp(let us): return CivilCalendar.timestampText(us, perSecond: 1_000_000)
        case .timestamptz(let us): return CivilCalendar.timestampText(us, perSecond: 1_000_000) + "+00"
        case .timestampNs(let ns): return CivilCalendar.timestampText(ns, perSecond: 1_000_000_000)
        case .timestamptzNs(let ns): return CivilCalendar.timestampText(ns, perSecond: 1_000_000_000) + "+00"
        case .string(let s): return s
        case .uuid:
            var t = v.jsonText
            t.removeFirst()
            t.removeLast()
            return t
        case .fixed(let b), .binary(let b):
            var out = ""
            let hex = Array("0123456789ABCDEF")
            for byte in b {
                if byte >= 32 && byte < 127 && byte != UInt8(ascii: "\\") {
                    out.append(Character(Unicode.Scalar(byte)))
                } else {
                    out += "\\x" + String(hex[Int(byte >> 4)]) + String(hex[Int(byte & 15)])
                }
            }
            return out
        case .structValue, .list, .map: return v.jsonText
        }
    }
}
