import IcebergData
/// Parses the text of DATE / TIMESTAMP / TIMESTAMPTZ literals (proleptic Gregorian, years 0001-9999).
enum TemporalLiteral {
    /// 'YYYY-MM-DD' → days since 1970-01-01.
    static func date(_ text: String) -> Int32? {
        var p = Cursor(Array(text.utf8))
        p.skipSpaces()
        guard let days = p.date() else { return nil }
        p.skipSpaces()
        guard p.atEnd else { return nil }
        return Int32(days)
    }

    /// 'YYYY-MM-DD[( |T)HH:MM[:SS[.ffffff]]][Z|UTC|±HH[:MM]]' → microseconds since the epoch (in UTC when an
    /// offset is given, otherwise as written), and whether an offset was given.
    static func timestamp(_ text: String) -> (micros: Int64, hasOffset: Bool)? {
        var p = Cursor(Array(text.utf8))
        p.skipSpaces()
        guard let days = p.date() else { return nil }
        var micros = Int64(days) * 86_400_000_000
        var hasOffset = false
        if p.peek == UInt8(ascii: " ") || p.peek == UInt8(ascii: "T") {
            let save = p.index
            p.index += 1
            p.skipSpaces()
            if let digit = p.peek, digit >= 0x30 && digit <= 0x39 {
                guard let time = p.time() else { return nil }
                micros += time
            } else {
                p.index = save
            }
        }
        p.skipSpaces()
        if !p.atEnd {
            guard let offset = p.offset() else { return nil }
            micros -= offset
            hasOffset = true
            p.skipSpaces()
        }
        guard p.atEnd else { return nil }
        return (micros, hasOffset)
    }

    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        Int(CivilTime.days(year: Int64(year), month: Int64(month), day: Int64(day)))
    }

    static func daysInMonth(_ month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    private struct Cursor {
        let bytes: [UInt8]
        var index = 0
        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool { index >= bytes.count }
        var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func skipSpaces() { while peek == UInt8(ascii: " ") { index += 1 } }

        mutating func eat(_ c: Character) -> Bool {
            guard let b = peek, let a = c.asciiValue, b == a else { return false }
            index += 1
            return true
        }

        /// Between `min` and `max` decimal digits.
        mutating func digits(min: Int, max: Int) -> (value: Int, count: Int)? {
            var value = 0, count = 0
            while count < max, let b = peek, b >= 0x30 && b <= 0x39 {
                value = value * 10 + Int(b - 0x30)
                count += 1
                index += 1
            }
            return count >= min ? (value, count) : nil
        }

        mutating func date() -> Int? {
            guard let y = digits(min: 4, max: 4), eat("-"),
                  let m = digits(min: 1, max: 2), eat("-"),
                  let d = digits(min: 1, max: 2) else { return nil }
            guard y.value >= 1, (1...12).contains(m.value),
                  d.value >= 1, d.value <= TemporalLiteral.daysInMonth(m.value, year: y.value) else { return nil }
            return TemporalLiteral.daysFromCivil(year: y.value, month: m.value, day: d.value)
        }

        /// HH:MM[:SS[.f…]] → microseconds since midnight.
        mutating func time() -> Int64? {
            guard let h = digits(min: 1, max: 2), eat(":"), let m = digits(min: 2, max: 2) else { return nil }
            var seconds = 0, fraction: Int64 = 0
            if eat(":") {
                guard let s = digits(min: 2, max: 2) else { return nil }
                seconds = s.value
                if eat(".") {
                    guard let f = digits(min: 1, max: 9) else { return nil }
                    var micros = Int64(f.value)
                    if f.count <= 6 {
                        for _ in f.count..<6 { micros *= 10 }
                    } else {
                        for _ in 6..<f.count { micros /= 10 }
                    }
                    fraction = micros
                }
            }
            guard h.value < 24, m.value < 60, seconds < 60 else { return nil }
            return Int64((h.value * 60 + m.value) * 60 + seconds) * 1_000_000 + fraction
        }

        /// Z | UTC | ±HH[[:]MM] → the offset in microseconds.
        mutating func offset() -> Int64? {
            if eat("Z") || eat("z") { return 0 }
            let rest = String(decoding: bytes[index...], as: UTF8.self)
            if rest.uppercased() == "UTC" || rest.uppercased() == "GMT" {
                index = bytes.count
                return 0
            }
            let sign: Int64
            if eat("+") { sign = 1 } else if eat("-") { sign = -1 } else { return nil }
            guard let h = digits(min: 1, max: 2) else { return nil }
            var minutes = 0
            if eat(":") {
                guard let m = digits(min: 2, max: 2) else { return nil }
                minutes = m.value
            } else if let m = digits(min: 2, max: 2) {
                minutes = m.value
            }
            guard h.value <= 15, minutes < 60 else { return nil }
            return sign * Int64(h.value * 60 + minutes) * 60_000_000
        }
    }
}
