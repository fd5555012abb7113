import IcebergData
/// Proleptic Gregorian calendar arithmetic in UTC (days since 1970-01-01), and ISO date/time text.
enum CivilCalendar {
    static let microsPerSecond: Int64 = 1_000_000
    static let microsPerDay: Int64 = 86_400_000_000

    // The calendar itself is IcebergData's (one implementation for transforms, literals and SQL).
    static func days(year: Int64, month: Int64, day: Int64) -> Int64 { CivilTime.days(year: year, month: month, day: day) }
    static func civil(days: Int64) -> (year: Int64, month: Int64, day: Int64) { CivilTime.civil(days: days) }
    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { CivilTime.floorDiv(a, b) }
    static func isLeap(_ y: Int64) -> Bool { CivilTime.isLeap(y) }
    static func daysInMonth(_ y: Int64, _ m: Int64) -> Int64 { CivilTime.daysInMonth(y, m) }

    static func pad(_ v: Int64, _ width: Int) -> String {
        let s = String(v.magnitude)
        let padded = s.count < width ? String(repeating: "0", count: width - s.count) + s : s
        return v < 0 ? "-" + padded : padded
    }

    /// "2024-01-02" (years before 1 AD as DuckDB: "0044-03-15 (BC)" is not reproduced; negative years print with "-").
    static func dateText(_ days: Int64) -> String {
        let (y, m, d) = civil(days: days)
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))"
    }

    /// "HH:MM:SS" plus the fraction with trailing zeros removed, as DuckDB prints times.
    static func timeText(_ unitsOfDay: Int64, perSecond: Int64) -> String {
        let seconds = unitsOfDay / perSecond
        var fraction = unitsOfDay % perSecond
        var s = "\(pad(seconds / 3600, 2)):\(pad(seconds / 60 % 60, 2)):\(pad(seconds % 60, 2))"
        if fraction != 0 {
            var digits = perSecond == 1_000_000_000 ? 9 : 6
            while fraction % 10 == 0 { fraction /= 10; digits -= 1 }
            s += "." + pad(fraction, digits)
        }
        return s
    }

    /// "YYYY-MM-DD HH:MM:SS[.f]" of units since the epoch.
    static func timestampText(_ value: Int64, perSecond: Int64) -> String {
        let perDay = perSecond * 86_400
        let days = floorDiv(value, perDay)
        return dateText(days) + " " + timeText(value - days * perDay, perSecond: perSecond)
    }
}

/// Parsing of date/time text as DuckDB's casts accept it (surrounding spaces allowed).
struct TemporalText {
    private let b: [UInt8]
    private var i = 0

    private init(_ text: String) {
        var bytes = Array(text.utf8)
        while let l = bytes.last, l == 32 || l == 9 || l == 10 || l == 13 { bytes.removeLast() }
        var start = 0
        while start < bytes.count, bytes[start] == 32 || bytes[start] == 9 || bytes[start] == 10 || bytes[start] == 13 { start += 1 }
        b = Array(bytes[start...])
    }

    private var atEnd: Bool { i >= b.count }
    private var peek: UInt8? { i < b.count ? b[i] : nil }

    private mutating func eat(_ c: UInt8) -> Bool {
        if peek == c { i += 1; return true }
        return false
    }

    private mutating func digits(min: Int, max: Int) -> (value: Int64, count: Int)? {
        var v: Int64 = 0
        var n = 0
        while n < max, let p = peek, p >= 48, p <= 57 {
            v = v * 10 + Int64(p - 48)
            n += 1
            i += 1
        }
        return n >= min ? (v, n) : nil
    }

    private mutating func date() -> Int64? {
        let negative = eat(UInt8(ascii: "-"))
        guard let y = digits(min: 1, max: 6), eat(UInt8(ascii: "-")), let m = digits(min: 1, max: 2), eat(UInt8(ascii: "-")),
            let d = digits(min: 1, max: 2)
        else { return nil }
        let year = negative ? -y.value : y.value
        guard m.value >= 1, m.value <= 12, d.value >= 1, d.value <= CivilCalendar.daysInMonth(year, m.value) else { return nil }
        return CivilCalendar.days(year: year, month: m.value, day: d.value)
    }

    /// Nanoseconds since midnight of "HH:MM[:SS[.f{1,9}]]".
    private mutating func time() -> Int64? {
        guard let h = digits(min: 1, max: 2), eat(UInt8(ascii: ":")), let m = digits(min: 2, max: 2) else { return nil }
        var s: Int64 = 0
        var nanos: Int64 = 0
        if eat(UInt8(ascii: ":")) {
            guard let sec = digits(min: 2, max: 2) else { return nil }
            s = sec.value
            if eat(UInt8(ascii: ".")) {
                guard let f = digits(min: 1, max: 9) else { return nil }
                nanos = f.value
                for _ in f.count..<9 { nanos *= 10 }
                while let p = peek, p >= 48, p <= 57 { i += 1 }  // digits beyond nanoseconds are dropped
            }
        }
        guard h.value < 24, m.value < 60, s < 60 else { return nil }
        return ((h.value * 60 + m.value) * 60 + s) * 1_000_000_000 + nanos
    }

    static func date(_ text: String) -> Int64? {
        var p = TemporalText(text)
        guard let d = p.date() else { return nil }
        return p.atEnd ? d : nil
    }

    static func time(_ text: String) -> Int64? {
        var p = TemporalText(text)
        guard let t = p.time(), p.atEnd else { return nil }
        return t
    }

    /// Units (`perSecond` per second: µs or ns) since the epoch (UTC when an offset is written).
    static func timestamp(_ text: String, perSecond: Int64) -> Int64? {
        var p = TemporalText(text)
        guard let days = p.date() else { return nil }
        var nanosOfDay: Int64 = 0
        if p.eat(UInt8(ascii: "T")) || p.eat(UInt8(ascii: "t")) || p.eat(UInt8(ascii: " ")) {
            guard let t = p.time() else { return nil }
            nanosOfDay = t
        }
        _ = p.eat(UInt8(ascii: " "))
        var offsetSeconds: Int64 = 0
        if p.eat(UInt8(ascii: "Z")) || p.eat(UInt8(ascii: "z")) {
        } else if let c = p.peek, c == UInt8(ascii: "+") || c == UInt8(ascii: "-") {
            p.i += 1
            guard let h = p.digits(min: 1, max: 2) else { return nil }
            _ = p.eat(UInt8(ascii: ":"))
            let m = p.digits(min: 2, max: 2)?.value ?? 0
            guard h.value <= 18, m < 60 else { return nil }
            offsetSeconds = (h.value * 3600 + m * 60) * (c == UInt8(ascii: "-") ? -1 : 1)
        } else if p.b.count - p.i == 3, String(decoding: p.b[p.i...], as: UTF8.self).uppercased() == "UTC" {
            p.i = p.b.count
        }
        guard p.atEnd else { return nil }
        let (a, o1) = days.multipliedReportingOverflow(by: 86_400 * perSecond)
        let (r1, o2) = a.addingReportingOverflow(nanosOfDay / (1_000_000_000 / perSecond))
        let (r, o3) = r1.subtractingReportingOverflow(offsetSeconds * perSecond)
        guard !o1, !o2, !o3 else { return nil }
        return r
    }
}
