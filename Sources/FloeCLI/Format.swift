import FloeClient
import Foundation
import Identity
import SigV4

#if canImport(Glibc)
import Glibc
#endif

/// Human-readable values and aligned columns; colour only on a terminal (and never with NO_COLOR).
public enum Format {
    /// `0 B`, `999 B`, `1.0 KiB`, `12 MiB`, `1.5 GiB` (IEC units, as mc prints them).
    public static func bytes(_ value: Int64) -> String { ByteSize.text(value) }

    /// `1024`, `10KiB`, `5MB`, `1.5GiB`, `2g` → bytes (decimal units for KB/MB/GB, binary for KiB/K).
    public static func parseSize(_ text: String) -> Int64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let number = trimmed.prefix { $0.isNumber || $0 == "." }
        guard let amount = Double(number) else { return nil }
        let unit = trimmed.dropFirst(number.count).trimmingCharacters(in: .whitespaces).lowercased()
        let multipliers: [String: Double] = [
            "": 1, "b": 1, "k": 1024, "kib": 1024, "kb": 1000, "m": 1_048_576, "mib": 1_048_576, "mb": 1_000_000,
            "g": 1_073_741_824, "gib": 1_073_741_824, "gb": 1_000_000_000, "t": 1_099_511_627_776, "tib": 1_099_511_627_776, "tb": 1e12,
        ]
        guard let multiplier = multipliers[unit] else { return nil }
        return Int64(amount * multiplier)
    }

    /// `30s`, `15m`, `12h`, `7d`, `2w`, `1d12h` → seconds.
    public static func parseDuration(_ text: String) -> TimeInterval? {
        var total: TimeInterval = 0
        var digits = ""
        var sawUnit = false
        for ch in text.lowercased() {
            if ch.isNumber {
                digits.append(ch)
                continue
            }
            guard let value = Double(digits) else { return nil }
            let unit: TimeInterval
            switch ch {
            case "s": unit = 1
            case "m": unit = 60
            case "h": unit = 3600
            case "d": unit = 86_400
            case "w": unit = 604_800
            default: return nil
            }
            total += value * unit
            digits = ""
            sawUnit = true
        }
        if !digits.isEmpty { return sawUnit ? nil : Double(digits) }
        return sawUnit ? total : nil
    }

    /// `2026-11-22 03:46:56 UTC`
    public static func date(_ date: Date?) -> String {
        let text = iso(date)
        return text.isEmpty ? "" : text.prefix(10) + " " + text.dropFirst(11).prefix(8) + " UTC"
    }

    /// `2026-11-22T03:46:56.000Z`, as S3 writes it.
    public static func iso(_ date: Date?) -> String {
        date.map { HTTPDate.iso8601(milliseconds: Int64(($0.timeIntervalSince1970 * 1000).rounded(.down))) } ?? ""
    }

    /// Rows as columns separated by two spaces; columns listed in `rightAligned` are padded on the left.
    public static func table(_ rows: [[String]], rightAligned: Set<Int> = []) -> [String] {
        guard let width = rows.map(\.count).max() else { return [] }
        var widths = Array(repeating: 0, count: width)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        return rows.map { row in
            row.enumerated().map { i, cell in
                if i == row.count - 1 && !rightAligned.contains(i) { return cell }
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                return rightAligned.contains(i) ? pad + cell : cell + pad
            }.joined(separator: "  ")
        }
    }

    /// A glob with `*` and `?` against a whole name (the same matcher IAM policies use).
    public static func glob(_ pattern: String, _ text: String) -> Bool {
        PolicyEvaluator.wildcard(pattern, text, caseInsensitive: false)
    }

    static let colorEnabled: Bool = isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil

    /// Wraps text in an ANSI colour on a terminal (e.g. 34 blue for prefixes).
    public static func color(_ text: String, _ code: Int) -> String {
        colorEnabled ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }
}
