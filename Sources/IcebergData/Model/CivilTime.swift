/// Calendar arithmetic on the proleptic Gregorian calendar in UTC (days since 1970-01-01).
public enum CivilTime {
    public static let microsPerSecond: Int64 = 1_000_000
    public static let microsPerDay: Int64 = 86_400_000_000
    public static let nanosPerDay: Int64 = 86_400_000_000_000

    /// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
    public static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    public static func civil(days z0: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    public static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    public static func floorMod(_ a: Int64, _ b: Int64) -> Int64 { a - floorDiv(a, b) * b }

    public static func isLeap(_ y: Int64) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    public static func daysInMonth(_ y: Int64, _ m: Int64) -> Int64 {
        switch m {
        case 2: return isLeap(y) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    public static func pad(_ v: Int64, _ width: Int) -> String {
        let s = String(v.magnitude)
        let padded = s.count < width ? String(repeating: "0", count: width - s.count) + s : s
        return v < 0 ? "-" + padded : padded
    }

    public static func dateText(_ days: Int64) -> String {
        let (y, m, d) = civil(days: days)
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))"
    }

    /// "HH:MM:SS" plus a fraction of `fractionDigits` digits when non-zero.
    public static func timeText(_ subunitsOfDay: Int64, perSecond: Int64, fractionDigits: Int) -> String {
        let seconds = subunitsOfDay / perSecond
        let fraction = subunitsOfDay % perSecond
        var s = "\(pad(seconds / 3600, 2)):\(pad(seconds / 60 % 60, 2)):\(pad(seconds % 60, 2))"
        if fraction != 0 { s += "." + pad(fraction, fractionDigits) }
        return s
    }

    /// "YYYY-MM-DDTHH:MM:SS[.ffffff]" of units since the epoch.
    public static func timestampText(_ value: Int64, perSecond: Int64, fractionDigits: Int) -> String {
        let perDay = perSecond * 86_400
        let days = floorDiv(value, perDay)
        let rest = value - days * perDay
        return dateText(days) + "T" + timeText(rest, perSecond: perSecond, fractionDigits: fractionDigits)
    }
}
