/// A name the client chose (a bucket, key, path or forwarded address) as it goes into a log line:
/// as it is when it is printable ASCII without spaces, quotes, backslashes or `=`; otherwise
/// quoted, with quotes, backslashes and every character a reader could take for a line end or
/// that hides or reorders text on a terminal written as an escape. Either way it cannot start a
/// line of its own, pass for another field, or disguise itself.
public enum LoggedName {
    public static func text(_ name: String) -> String {
        let plain = name.utf8.allSatisfy { byte in
            byte > 0x20 && byte < 0x7F && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") && byte != UInt8(ascii: "'")
                && byte != UInt8(ascii: "=")
        }
        if plain { return name }
        var out = "\""
        for scalar in name.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "'": out += "\\'"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\0": out += "\\0"
            default:
                if isHidden(scalar) {
                    out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
        return out
    }

    /// Controls (C0, DEL, C1 with NEL), format characters (bidirectional overrides, zero-width
    /// ones), the line and paragraph separators, code points with no character to show, what is
    /// invisible by default though of another category (variation selectors, the combining
    /// grapheme joiner, Hangul fillers), and every space but the ASCII one.
    static func isHidden(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII { return scalar.value < 0x20 || scalar.value == 0x7F }
        let properties = scalar.properties
        if properties.isDefaultIgnorableCodePoint || properties.isWhitespace { return true }
        switch properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator, .spaceSeparator, .surrogate, .privateUse, .unassigned: return true
        default: return false
        }
    }
}
