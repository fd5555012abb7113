

/// The two timestamp forms S3 puts on the wire: RFC 7231 IMF-fixdate in headers
/// (`Last-Modified`) and ISO 8601 with milliseconds in XML (`LastModified`).
public enum HTTPDate {
    static let weekdays = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]  // 1970-01-01 was a Thursday
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    static func pad(_ value: Int64, _ width: Int = 2) -> String {
        let s = String(value)
        let digits = s.utf8.count
        return digits >= width ? s : String(repeating: "0", count: width - digits) + s
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
        guard (0...9999).contains(t.y) else {
            return "\(weekday), \(pad(t.d)) \(months[Int(t.m - 1)]) \(pad(t.y, 4)) \(pad(t.h)):\(pad(t.min)):\(pad(t.s)) GMT"
        }
        return fixedWidth(29) { out in
            out.text(weekday); out.byte(","); out.byte(" "); out.digits(t.d, 2); out.byte(" "); out.text(months[Int(t.m - 1)]); out.byte(" ")
            out.digits(t.y, 4); out.byte(" "); out.digits(t.h, 2); out.byte(":"); out.digits(t.min, 2); out.byte(":"); out.digits(t.s, 2)
            out.text(" GMT")
        }
    }

    /// `2009-10-12T17:50:30.000Z`
    public static func iso8601(milliseconds: Int64) -> String {
        let seconds = milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
        let t = split(seconds)
        let ms = milliseconds - seconds * 1000
        guard (0...9999).contains(t.y) else {
            return "\(pad(t.y, 4))-\(pad(t.m))-\(pad(t.d))T\(pad(t.h)):\(pad(t.min)):\(pad(t.s)).\(pad(ms, 3))Z"
        }
        return fixedWidth(24) { out in
            out.digits(t.y, 4); out.byte("-"); out.digits(t.m, 2); out.byte("-"); out.digits(t.d, 2); out.byte("T")
            out.digits(t.h, 2); out.byte(":"); out.digits(t.min, 2); out.byte(":"); out.digits(t.s, 2); out.byte("."); out.digits(ms, 3)
            out.byte("Z")
        }
    }

    /// Writes ASCII into a string of a known length without intermediate strings (these dates
    /// are on every GET, HEAD and listing entry).
    struct FixedWriter {
        let buffer: UnsafeMutableBufferPointer<UInt8>
        var index = 0

        mutating func byte(_ ascii: Unicode.Scalar) {
            buffer[index] = UInt8(ascii: ascii)
            index += 1
        }

        mutating func text(_ ascii: String) {
            for byte in ascii.utf8 { buffer[index] = byte; index += 1 }
        }

        /// `value` (0 ≤ value < 10^width) zero-padded to `width` digits.
        mutating func digits(_ value: Int64, _ width: Int) {
            var rest = value
            var position = index + width
            while position > index {
                position -= 1
                buffer[position] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            }
            index += width
        }
    }

    static func fixedWidth(_ count: Int, _ body: (inout FixedWriter) -> Void) -> String {
        String(unsafeUninitializedCapacity: count) { buffer in
            var writer = FixedWriter(buffer: buffer)
            body(&writer)
            return writer.index
        }
    }

    /// Parses ISO 8601 as S3, IAM and STS write it: `2009-10-12T17:50:30Z`, with optional fractional
    /// seconds and a `Z` or `±hh:mm` offset, or a bare date (midnight UTC). Milliseconds since 1970.
    public static func parseISO8601(_ text: some StringProtocol) -> Int64? {
        let bytes = Array(text.utf8)
        func number(_ from: Int, _ count: Int) -> Int64? {
            guard from + count <= bytes.count else { return nil }
            var value: Int64 = 0
            for byte in bytes[from..<(from + count)] {
                guard byte >= 48 && byte <= 57 else { return nil }
                value = value * 10 + Int64(byte - 48)
            }
            return value
        }
        func at(_ index: Int, _ char: Character) -> Bool { index < bytes.count && bytes[index] == char.asciiValue! }
        guard let y = number(0, 4), at(4, "-"), let m = number(5, 2), at(7, "-"), let d = number(8, 2), (1...12).contains(m), (1...31).contains(d)
        else { return nil }
        let day = AmzDate.daysFromCivil(year: y, month: m, day: d) * 86_400_000
        if bytes.count == 10 { return day }
        guard at(10, "T") || at(10, " "), let h = number(11, 2), at(13, ":"), let min = number(14, 2), at(16, ":"), let sec = number(17, 2),
            h < 24, min < 60, sec < 61
        else { return nil }
        var index = 19
        var millis: Int64 = 0
        if at(index, ".") {
            index += 1
            var scale: Int64 = 100
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                millis += Int64(bytes[index] - 48) * scale
                scale /= 10
                index += 1
            }
        }
        var offset: Int64 = 0
        if at(index, "Z") {
            index += 1
        } else if at(index, "+") || at(index, "-"), let oh = number(index + 1, 2), at(index + 3, ":"), let om = number(index + 4, 2) {
            offset = (oh * 60 + om) * 60_000 * (at(index, "-") ? -1 : 1)
            index += 6
        } else {
            return nil
        }
        guard index == bytes.count else { return nil }
        return day + ((h * 60 + min) * 60 + sec) * 1000 + millis - offset
    }

    /// Parses IMF-fixdate, the obsolete RFC 850 form and asctime; nil when none fits.
    public static func parse(_ text: String) -> Int64? {
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init)
        func month(_ name: String) -> Int64? { months.firstIndex(of: name).map { Int64($0) + 1 } }
        func time(_ hms: String) -> (Int64, Int64, Int64)? {
            let p = hms.split(separator: ":").compactMap { Int64($0) }
            guard p.count == 3, (0..<24).contains(p[0]), (0..<60).contains(p[1]), (0..<61).contains(p[2]) else { return nil }
            return (p[0], p[1], p[2])
        }
        func make(_ y: Int64, _ m: Int64, _ d: Int64, _ t: (Int64, Int64, Int64)) -> Int64? {
            // Four-digit years only: a client's year of 10^17 must not overflow the day count
            // (found by fuzzing: any If-Modified-Since or SigV2 Date header reached it).
            guard (1...31).contains(d), (0...9999).contains(y) else { return nil }
            return AmzDate.daysFromCivil(year: y, month: m, day: d) * 86_400 + t.0 * 3600 + t.1 * 60 + t.2
        }
        // Sun, 06 Nov 1994 08:49:37 GMT (also "+0000", which SigV2 clients send, and "-0000",
        // which Python's email.utils.formatdate writes and botocore signs with)
        if parts.count == 6, ["GMT", "+0000", "-0000", "UTC"].contains(parts[5]), let d = Int64(parts[1]), let m = month(parts[2]), let y = Int64(parts[3]),
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
