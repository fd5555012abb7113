import Foundation

/// Sizes as people read them: `512 B`, `1.5 KiB`, `12 MiB` (binary units, one decimal below 10).
/// The CLI's listings and the console's pages show the same figures.
public enum ByteSize {
    public static func text(_ value: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
        var amount = Double(value)
        var unit = 0
        while amount >= 1024 && unit < units.count - 1 {
            amount /= 1024
            unit += 1
        }
        if unit == 0 { return "\(value) B" }
        return amount < 10 ? String(format: "%.1f %@", amount, units[unit]) : String(format: "%.0f %@", amount, units[unit])
    }
}
