/// Avro names are `[A-Za-z_][A-Za-z0-9_]*`; Iceberg's partition field names are free text. Java
/// readers refuse a manifest whose partition record has a name like `event-date`, so names are
/// rewritten as Iceberg's Java writer does (`_` before a leading digit, `_xHEX` for any other
/// character) and the original kept in `iceberg-field-name`.
enum AvroNames {
    static func sanitize(_ name: String) -> String {
        guard !name.isEmpty else { return "_" }
        var out = ""
        for (index, unit) in name.utf16.enumerated() {
            let isLetter = (unit >= 65 && unit <= 90) || (unit >= 97 && unit <= 122) || unit == 95
            let isDigit = unit >= 48 && unit <= 57
            if isLetter || (isDigit && index > 0) {
                out.unicodeScalars.append(Unicode.Scalar(UInt8(unit)))
            } else if isDigit {
                out += "_" + String(UnicodeScalar(UInt8(unit)))
            } else {
                out += "_x" + String(unit, radix: 16, uppercase: true)
            }
        }
        return out
    }
}
