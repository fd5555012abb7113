

/// The two timestamp forms S3 puts on the wire: RFC 7231 IMF-fixdate in headers
/// (`Last-Modified`) and ISO 8601 with milliseconds in XML (`LastModified`).
public enum HTTPDate {
    static let weekdays = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]  // 1970-01-01 was a Thursday
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    static func pad(_ value: Int64, _ width: Int = 2) -> String {
        let s = String(value)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    static func split(_ epochSeconds: Int64) -> (days: Int64, y: Int64, m: Int64, d: Int64, h: Int64, min: Int64, s: Int64) {
        let days = epochSeconds >= 0 ? epochSeconds / 86_400 : (epochSeconds - 86_399) / 86_400
        let rest = epochSeconds - days * 86_400
        let (y, m, d) = AmzDate.civilFromDays(days)
        return (days, y, m, d, rest / 3600, rest / 60 % 60, rest % 60)
    }

    /// `Sun, 06 Nov 1994 08:49:37 GMT`
    public static func rfc1123(_ epochSeconds: Int64) -> String {
        let t = split(epochSeconds)
        let weekday = weekdays[Int(((t.days % 7) + 7) % 7)]
        return "\(weekday), \(pad(t.d)) \(months[Int(t.m - 1)]) \(pad(t.y, 4)) \(pad(t.h)):\(pad(t.min)):\(pad(t.s)) GMT"
    }

    /// `2009-10-12T17:50:30.000Z`
    public static func iso8601(milliseconds: Int64) -> String {
        let seconds = milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
        let t = split(seconds)
        let ms = milliseconds - seconds * 1000
        return "\(pad(t.y, 4))-\(pad(t.m))-\(pad(t.d))T\(pad(t.h)):\(pad(t.min)):\(pad(t.s)).\(pad(ms, 3))Z"
    }

    /// Parses IMF-fixdate, the obsolete RFC 850 form and asctime; nil when none fits.
    public static func parse(_ text: String) -> Int64? {
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init)
        func month(_ name: String) -> Int64? { months.firstIndex(of: name).map { Int64($0) + 1 } }
        func time(_ hms: String) -> (Int64, Int64, Int64)? {
            let p = hms.split(separator: ":").compactMap { Int64($0) }
            guard p.count == 3, p[0] < 24, p[1] < 60, p[2] < 61 else { return nil }
            return (p[0], p[1], p[2])
        }
        func make(_ y: Int64, _ m: Int64, _ d: Int64, _ t: (Int64, Int64, Int64)) -> Int64? {
            guard (1...31).contains(d) else { return nil }
            return AmzDate.daysFromCivil(year: y, month: m, day: d) * 86_400 + t.0 * 3600 + t.1 * 60 + t.2
        }
        // Sun, 06 Nov 1994 08:49:37 GMT (also "+0000", which SigV2 clients send)
        if parts.count == 6, parts[5] == "GMT" || parts[5] == "+0000" || parts[5] == "UTC", let d = Int64(parts[1]), let m = month(parts[2]), let y = Int64(parts[3]),
            let t = time(parts[4])
        {
            return make(y, m, d, t)
        }
        // Sunday, 06-Nov-94 08:49:37 GMT
        if parts.count == 4, parts[3] == "GMT" {
            let dmy = parts[1].split(separator: "-").map(String.init)
            if dmy.count == 3, let d = Int64(dmy[0]), let m = month(dmy[1]), var y = Int64(dmy[2]), let t = time(parts[2]) {
                if y < 100 { y += y < 70 ? 2000 : 1900 }
                return make(y, m, d, t)
            }
        }
        // Sun Nov  6 08:49:37 1994
        if parts.count == 5, let m = month(parts[1]), let d = Int64(parts[2]), let t = time(parts[3]), let y = Int64(parts[4]) {
            return make(y, m, d, t)
        }
        return nil
    }
}
