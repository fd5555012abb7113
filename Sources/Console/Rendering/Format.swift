import FloeClient
import Foundation

/// How figures read on a page.
enum Format {
    static func bytes(_ n: Int64) -> String { ByteSize.text(n) }

    static func count(_ n: Int64) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }

    /// UTC, to the second: `2026-12-01T21:40:05Z`.
    static func date(_ date: Date?) -> String {
        date?.formatted(.iso8601) ?? ""
    }

    static func date(millis: Int64) -> String {
        date(Date(timeIntervalSince1970: Double(millis) / 1000))
    }

    /// JSON re-indented for reading; text that is not JSON comes back as it was.
    static func prettyJSON(_ text: String) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]),
            let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        else { return text }
        return String(decoding: data, as: UTF8.self)
    }
}
