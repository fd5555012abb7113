import IcebergData
/// Parsing of CSV/JSON text into typed values: booleans, numbers, ISO dates, times and timestamps, UUIDs, hex.
enum TextLiteral {
    /// What a number's text looks like, for inference.
    enum NumberShape: Equatable {
        case integer(digits: Int, fitsInt: Bool, fitsLong: Bool)
        case decimal(integerDigits: Int, scale: Int)
        case double
    }

    static func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }

    static func boolean(_ text: Substring) -> Bool? {
        switch text.lowercased() {
        case "true", "t", "yes", "y", "1": return true
        case "false", "f", "no", "n", "0": return false
        default: return nil
        }
    }

    /// Numbers as inference sees them: plain integers without leading zeros (so "007" stays text), plain decimals,
    /// and exponent forms or NaN/Infinity as doubles. nil: not a number.
    static func numberShape<C: Collection>(_ bytes: C) -> NumberShape? where C.Element == UInt8 {
        var i = bytes.startIndex
        guard i != bytes.endIndex else { return nil }
        if bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") { i = bytes.index(after: i) }
        let rest = String(decoding: bytes[i...], as: UTF8.self)
        if rest == "NaN" || rest == "Infinity" { return .double }
        var integerDigits = 0, fractionDigits = 0, leadingZero = false, sawPoint = false, sawExponent = false
        var firstIntegerDigit = true
        while i != bytes.endIndex {
            let b = bytes[i]
            if isDigit(b) {
                if sawPoint {
                    fractionDigits += 1
                } else {
                    if firstIntegerDigit && b == 48 { leadingZero = true }
                    firstIntegerDigit = false
                    integerDigits += 1
                }
            } else if b == UInt8(ascii: "."), !sawPoint {
                sawPoint = true
            } else if b == UInt8(ascii: "e") || b == UInt8(ascii: "E") {
                sawExponent = true
                break
            } else {
                return nil
            }
            i = bytes.index(after: i)
        }
        guard integerDigits + fractionDigits > 0 else { return nil }
        if leadingZero && integerDigits > 1 { return nil }  // "007": an identifier, not a number
        if sawExponent {
            // [eE][+-]?digits
            i = bytes.index(after: i)
            if i != bytes.endIndex, bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") { i = bytes.index(after: i) }
            guard i != bytes.endIndex else { return nil }
            while i != bytes.endIndex {
                guard isDigit(bytes[i]) else { return nil }
                i = bytes.index(after: i)
            }
            return .double
        }
        let significant = leadingZero ? 0 : integerDigits
        if !sawPoint {
            let text = String(decoding: bytes, as: UTF8.self)
            let asLong = Int64(text.hasPrefix("+") ? String(text.dropFirst()) : text)
            if let asLong { return .integer(digits: integerDigits, fitsInt: Int32(exactly: asLong) != nil, fitsLong: true) }
            return integerDigits <= 38 ? .decimal(integerDigits: integerDigits, scale: 0) : .double
        }
        return significant + fractionDigits <= 38 ? .decimal(integerDigits: significant, scale: fractionDigits) : .double
    }

    /// "[-+]digits[.digits][e[-+]digits]" as an unscaled value and a scale ≥ 0 (at most 38 significant digits).
    static func decimal<C: Collection>(_ bytes: C) -> (unscaled: Int128, scale: Int)? where C.Element == UInt8 {
        var i = bytes.startIndex
        guard i != bytes.endIndex else { return nil }
        var negative = false
        if bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") {
            negative = bytes[i] == UInt8(ascii: "-")
            i = bytes.index(after: i)
        }
        var unscaled: Int128 = 0
        var scale = 0, digits = 0, significant = 0
        var sawPoint = false
        while i != bytes.endIndex {
            let b = bytes[i]
            if isDigit(b) {
                digits += 1
                if significant > 0 || b != 48 { significant += 1 }
                guard significant <= 38 else { return nil }
                unscaled = unscaled * 10 + Int128(b - 48)
                if sawPoint { scale += 1 }
            } else if b == UInt8(ascii: "."), !sawPoint {
                sawPoint = true
            } else if b == UInt8(ascii: "e") || b == UInt8(ascii: "E") {
                break
            } else {
                return nil
            }
            i = bytes.index(after: i)
        }
        guard digits > 0 else { return nil }
        if i != bytes.endIndex {
            i = bytes.index(after: i)  // the exponent marker
            guard let exponent = Int(String(decoding: bytes[i...], as: UTF8.self)), abs(exponent) <= 400 else { return nil }
            scale -= exponent
        }
        if scale < 0 {
            for _ in 0..<(-scale) {
                let (r, o) = unscaled.multipliedReportingOverflow(by: 10)
                guard !o, unscaled == 0 || digitCount(r) <= 38 else { return nil }
                unscaled = r
            }
            scale = 0
        }
        guard scale <= 76 else { return nil }
        return (negative ? -unscaled : unscaled, scale)
    }

    static func digitCount(_ v: Int128) -> Int {
        var m = v.magnitude
        var n = 1
        while m >= 10 { m /= 10; n += 1 }
        return n
    }

    /// A decimal rescaled to exactly `scale` without rounding, within `precision` digits.
    static func decimal<C: Collection>(_ bytes: C, precision: Int, scale: Int) -> Int128? where C.Element == UInt8 {
        guard var (u, s) = decimal(bytes) else { return nil }
        while s > scale {
            guard u % 10 == 0 else { return nil }  // would lose digits
            u /= 10
            s -= 1
        }
        while s < scale {
            let (r, o) = u.multipliedReportingOverflow(by: 10)
            guard !o else { return nil }
            u = r
            s += 1
        }
        return digitCount(u) <= precision ? u : nil
    }

    struct Cursor {
        let b: [UInt8]
        var i = 0
        var atEnd: Bool { i >= b.count }
        var peek: UInt8? { i < b.count ? b[i] : nil }
        mutating func eat(_ c: UInt8) -> Bool {
            if let p = peek, p == c { i += 1; return true }
            return false
        }
        mutating func digits(min: Int, max: Int) -> (value: Int64, count: Int)? {
            var v: Int64 = 0
            var n = 0
            while n < max, let p = peek, p >= 48, p <= 57 {
                v = v * 10 + Int64(p - 48)
                n += 1
                i += 1
            }
            return n >= min ? (v, n) : nil
        }
    }

    static func days(year: Int64, month: Int64, day: Int64) -> Int64 { CivilTime.days(year: year, month: month, day: day) }
    static func daysInMonth(_ y: Int64, _ m: Int64) -> Int64 { CivilTime.daysInMonth(y, m) }

    static func date(_ c: inout Cursor) -> Int64? {
        guard let y = c.digits(min: 4, max: 4), c.eat(UInt8(ascii: "-")), let m = c.digits(min: 2, max: 2), c.eat(UInt8(ascii: "-")),
            let d = c.digits(min: 2, max: 2)
        else { return nil }
        guard m.value >= 1, m.value <= 12, d.value >= 1, d.value <= daysInMonth(y.value, m.value) else { return nil }
        return days(year: y.value, month: m.value, day: d.value)
    }

    /// "HH:MM[:SS[.f{1,9}]]" as nanoseconds of the day and the number of fraction digits.
    static func time(_ c: inout Cursor) -> (nanos: Int64, fractionDigits: Int)? {
        guard let h = c.digits(min: 2, max: 2), c.eat(UInt8(ascii: ":")), let m = c.digits(min: 2, max: 2) else { return nil }
        var s: Int64 = 0, nanos: Int64 = 0, fractionDigits = 0
        if c.eat(UInt8(ascii: ":")) {
            guard let sec = c.digits(min: 2, max: 2) else { return nil }
            s = sec.value
            if c.eat(UInt8(ascii: ".")) {
                guard let f = c.digits(min: 1, max: 9) else { return nil }
                nanos = f.value
                fractionDigits = f.count
                for _ in f.count..<9 { nanos *= 10 }
            }
        }
        guard h.value < 24, m.value < 60, s < 60 else { return nil }
        return (((h.value * 60 + m.value) * 60 + s) * 1_000_000_000 + nanos, fractionDigits)
    }

    enum Temporal: Equatable {
        case date(days: Int64)
        /// Nanoseconds since the epoch (UTC when `hasOffset`, else local wall time).
        case timestamp(nanos: Int64, hasOffset: Bool, fractionDigits: Int)
    }

    /// "YYYY-MM-DD", or that followed by 'T' or ' ' and a time, optionally with Z or ±hh[:mm].
    static func temporal(_ text: String) -> Temporal? {
        var c = Cursor(b: Array(text.utf8))
        guard let days = date(&c) else { return nil }
        if c.atEnd { return .date(days: days) }
        guard c.eat(UInt8(ascii: "T")) || c.eat(UInt8(ascii: " ")), let t = time(&c) else { return nil }
        var offsetSeconds: Int64 = 0
        var hasOffset = false
        if c.eat(UInt8(ascii: "Z")) || c.eat(UInt8(ascii: "z")) {
            hasOffset = true
        } else if let p = c.peek, p == UInt8(ascii: "+") || p == UInt8(ascii: "-") {
            c.i += 1
            guard let h = c.digits(min: 2, max: 2) else { return nil }
            _ = c.eat(UInt8(ascii: ":"))
            let m = c.digits(min: 2, max: 2)?.value ?? 0
            guard h.value <= 18, m < 60 else { return nil }
            offsetSeconds = (h.value * 3600 + m * 60) * (p == UInt8(ascii: "-") ? -1 : 1)
            hasOffset = true
        }
        guard c.atEnd else { return nil }
        let (a, o1) = days.multipliedReportingOverflow(by: 86_400_000_000_000)
        let (b, o2) = a.addingReportingOverflow(t.nanos)
        let (r, o3) = b.subtractingReportingOverflow(offsetSeconds * 1_000_000_000)
        guard !o1, !o2, !o3 else { return nil }
        return .timestamp(nanos: r, hasOffset: hasOffset, fractionDigits: t.fractionDigits)
    }

    static func timeOfDay(_ text: String) -> Int64? {
        var c = Cursor(b: Array(text.utf8))
        guard let t = time(&c), c.atEnd else { return nil }
        return t.nanos
    }

    static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 97...102: return c - 87
        case 65...70: return c - 55
        default: return nil
        }
    }

    /// Hex digits (an optional "0x" prefix) as bytes.
    static func hex(_ text: String) -> [UInt8]? {
        var s = Array(text.utf8)[...]
        if s.starts(with: [48, 120]) || s.starts(with: [48, 88]) { s = s.dropFirst(2) }
        guard s.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(s.count / 2)
        var i = s.startIndex
        while i < s.endIndex {
            guard let hi = nibble(s[i]), let lo = nibble(s[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    static func uuid(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        if utf8.count == 36 {
            for i in [8, 13, 18, 23] where utf8[i] != UInt8(ascii: "-") { return nil }
        } else if utf8.count != 32 {
            return nil
        }
        guard let bytes = hex(String(decoding: utf8.filter { $0 != UInt8(ascii: "-") }, as: UTF8.self)), bytes.count == 16 else { return nil }
        return bytes
    }

    /// Text shown in an error: quoted and cut to 64 characters.
    static func shown(_ text: String) -> String {
        let cut = text.count > 64 ? String(text.prefix(64)) + "…" : text
        return "\"" + cut + "\""
    }
}
