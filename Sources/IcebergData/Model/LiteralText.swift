/// Parsing of literal text into typed values: ISO dates/times/timestamps, UUIDs and plain decimals.
enum LiteralText {
    struct Cursor {
        let b: [UInt8]
        var i = 0
        var atEnd: Bool { i >= b.count }
        var peek: UInt8? { i < b.count ? b[i] : nil }
        mutating func eat(_ c: Character) -> Bool {
            if let p = peek, p == c.asciiValue { i += 1; return true }
            return false
        }
        /// Exactly `count` digits (or between min and max when given).
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

    /// Days since the epoch of "YYYY-MM-DD".
    static func date(_ text: String) -> Int64? {
        var c = Cursor(b: Array(text.utf8))
        guard let d = date(&c), c.atEnd else { return nil }
        return d
    }

    static func date(_ c: inout Cursor) -> Int64? {
        let negative = c.eat("-")
        if !negative { _ = c.eat("+") }
        guard let y = c.digits(min: 4, max: 6), c.eat("-"), let m = c.digits(min: 2, max: 2), c.eat("-"), let d = c.digits(min: 2, max: 2) else {
            return nil
        }
        let year = negative ? -y.value : y.value
        guard m.value >= 1, m.value <= 12, d.value >= 1, d.value <= CivilTime.daysInMonth(year, m.value) else { return nil }
        return CivilTime.days(year: year, month: m.value, day: d.value)
    }

    /// Nanoseconds since midnight of "HH:MM[:SS[.f{1,9}]]".
    static func time(_ c: inout Cursor) -> Int64? {
        guard let h = c.digits(min: 2, max: 2), c.eat(":"), let m = c.digits(min: 2, max: 2) else { return nil }
        var s: Int64 = 0
        var nanos: Int64 = 0
        if c.eat(":") {
            guard let sec = c.digits(min: 2, max: 2) else { return nil }
            s = sec.value
            if c.eat(".") {
                guard let f = c.digits(min: 1, max: 9) else { return nil }
                nanos = f.value
                for _ in f.count..<9 { nanos *= 10 }
            }
        }
        guard h.value < 24, m.value < 60, s < 60 else { return nil }
        return ((h.value * 60 + m.value) * 60 + s) * 1_000_000_000 + nanos
    }

    static func time(_ text: String) -> Int64? {
        var c = Cursor(b: Array(text.utf8))
        guard let t = time(&c), c.atEnd else { return nil }
        return t
    }

    /// Nanoseconds since the epoch and whether an offset was written. A date alone means midnight.
    static func timestamp(_ text: String) -> (nanos: Int64, hasOffset: Bool)? {
        var c = Cursor(b: Array(text.utf8))
        guard let days = date(&c) else { return nil }
        var nanosOfDay: Int64 = 0
        if c.eat("T") || c.eat("t") || c.eat(" ") {
            guard let t = time(&c) else { return nil }
            nanosOfDay = t
        }
        var offsetSeconds: Int64 = 0
        var hasOffset = false
        if c.eat("Z") || c.eat("z") {
            hasOffset = true
        } else if let p = c.peek, p == UInt8(ascii: "+") || p == UInt8(ascii: "-") {
            c.i += 1
            guard let h = c.digits(min: 2, max: 2) else { return nil }
            _ = c.eat(":")
            let m = c.digits(min: 2, max: 2)?.value ?? 0
            guard h.value <= 18, m < 60 else { return nil }
            offsetSeconds = (h.value * 3600 + m * 60) * (p == UInt8(ascii: "-") ? -1 : 1)
            hasOffset = true
        }
        guard c.atEnd else { return nil }
        let (a, o1) = days.multipliedReportingOverflow(by: CivilTime.nanosPerDay)
        let (b, o2) = a.addingReportingOverflow(nanosOfDay)
        let (r, o3) = b.subtractingReportingOverflow(offsetSeconds * 1_000_000_000)
        guard !o1, !o2, !o3 else { return nil }
        return (r, hasOffset)
    }

    static func uuid(_ text: String) -> [UInt8]? {
        let hex = text.utf8.filter { $0 != UInt8(ascii: "-") }
        guard hex.count == 32, text.utf8.count == 36 || text.utf8.count == 32 else { return nil }
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

    static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 97...102: return c - 87
        case 65...70: return c - 55
        default: return nil
        }
    }

    /// "[-+]digits[.digits]" as an unscaled value and scale (at most 38 digits).
    static func decimal(_ text: String) -> (unscaled: Int128, scale: Int)? {
        var bytes = Array(text.utf8)[...]
        var negative = false
        if let f = bytes.first, f == UInt8(ascii: "-") || f == UInt8(ascii: "+") {
            negative = f == UInt8(ascii: "-")
            bytes = bytes.dropFirst()
        }
        var unscaled: Int128 = 0
        var scale = 0
        var digits = 0
        var seenPoint = false
        for b in bytes {
            if b == UInt8(ascii: ".") {
                guard !seenPoint else { return nil }
                seenPoint = true
                continue
            }
            guard b >= 48, b <= 57 else { return nil }
            digits += 1
            guard digits <= 38 else { return nil }
            unscaled = unscaled * 10 + Int128(b - 48)
            if seenPoint { scale += 1 }
        }
        guard digits > 0 else { return nil }
        return (negative ? -unscaled : unscaled, scale)
    }
}
