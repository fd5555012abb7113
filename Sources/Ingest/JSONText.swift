import IcebergModel

/// A strict RFC 8259 parser of one JSON text into a `JSONValue`: integers that fit in 64 bits stay integers,
/// nesting is bounded by `JSONValue.maxDepth`, duplicate keys keep the last value.
enum JSONText {
    static func parse(_ bytes: ArraySlice<UInt8>) throws(IngestError) -> JSONValue {
        var p = Parser(b: bytes, i: bytes.startIndex)
        p.skipSpace()
        let v = try p.value(depth: 0)
        p.skipSpace()
        guard p.i == p.b.endIndex else { throw p.error("unexpected text after the value") }
        return v
    }

    static func parse(_ text: String) throws(IngestError) -> JSONValue {
        try parse(Array(text.utf8)[...])
    }

    /// Compact JSON text of a value (for string columns that receive objects, arrays or numbers).
    static func text(_ value: JSONValue) -> String {
        String(decoding: value.jsonBytes, as: UTF8.self)
    }

    struct Parser {
        let b: ArraySlice<UInt8>
        var i: Int

        func error(_ why: String) -> IngestError { .malformed("JSON: \(why) at byte \(i - b.startIndex)") }

        mutating func skipSpace() {
            while i < b.endIndex {
                switch b[i] {
                case 0x20, 0x09, 0x0A, 0x0D: i += 1
                default: return
                }
            }
        }

        mutating func literal(_ word: String, _ v: JSONValue) throws(IngestError) -> JSONValue {
            let w = Array(word.utf8)
            guard b.endIndex - i >= w.count else { throw error("truncated literal") }
            for k in 0..<w.count where b[i + k] != w[k] { throw error("unexpected character") }
            i += w.count
            return v
        }

        mutating func value(depth: Int) throws(IngestError) -> JSONValue {
            guard depth <= JSONValue.maxDepth else { throw error("nested deeper than \(JSONValue.maxDepth)") }
            guard i < b.endIndex else { throw error("unexpected end") }
            switch b[i] {
            case UInt8(ascii: "{"):
                i += 1
                var members: [String: JSONValue] = [:]
                skipSpace()
                if i < b.endIndex, b[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
                while true {
                    skipSpace()
                    guard i < b.endIndex, b[i] == UInt8(ascii: "\"") else { throw error("expected a member name") }
                    let key = try string()
                    skipSpace()
                    guard i < b.endIndex, b[i] == UInt8(ascii: ":") else { throw error("expected ':'") }
                    i += 1
                    skipSpace()
                    members[key] = try value(depth: depth + 1)
                    skipSpace()
                    guard i < b.endIndex else { throw error("unterminated object") }
                    if b[i] == UInt8(ascii: ",") { i += 1; continue }
                    if b[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
                    throw error("expected ',' or '}'")
                }
            case UInt8(ascii: "["):
                i += 1
                var values: [JSONValue] = []
                skipSpace()
                if i < b.endIndex, b[i] == UInt8(ascii: "]") { i += 1; return .array(values) }
                while true {
                    skipSpace()
                    values.append(try value(depth: depth + 1))
                    skipSpace()
                    guard i < b.endIndex else { throw error("unterminated array") }
                    if b[i] == UInt8(ascii: ",") { i += 1; continue }
                    if b[i] == UInt8(ascii: "]") { i += 1; return .array(values) }
                    throw error("expected ',' or ']'")
                }
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): return try literal("true", .bool(true))
            case UInt8(ascii: "f"): return try literal("false", .bool(false))
            case UInt8(ascii: "n"): return try literal("null", .null)
            default: return try number()
            }
        }

        mutating func number() throws(IngestError) -> JSONValue {
            let start = i
            if i < b.endIndex, b[i] == UInt8(ascii: "-") { i += 1 }
            let intStart = i
            while i < b.endIndex, TextLiteral.isDigit(b[i]) { i += 1 }
            guard i > intStart else { throw error("unexpected character") }
            guard !(b[intStart] == 48 && i - intStart > 1) else { throw error("leading zero") }
            var integral = true
            if i < b.endIndex, b[i] == UInt8(ascii: ".") {
                integral = false
                i += 1
                let f = i
                while i < b.endIndex, TextLiteral.isDigit(b[i]) { i += 1 }
                guard i > f else { throw error("digits expected after '.'") }
            }
            if i < b.endIndex, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
                integral = false
                i += 1
                if i < b.endIndex, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
                let e = i
                while i < b.endIndex, TextLiteral.isDigit(b[i]) { i += 1 }
                guard i > e else { throw error("digits expected in the exponent") }
            }
            let text = String(decoding: b[start..<i], as: UTF8.self)
            if integral, let v = Int64(text) { return .int(v) }
            guard let d = Double(text), d.isFinite else { throw error("number out of range") }
            return .double(d)
        }

        mutating func hex4() throws(IngestError) -> UInt32 {
            guard b.endIndex - i >= 4 else { throw error("truncated \\u escape") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                guard let n = TextLiteral.nibble(b[i]) else { throw error("bad \\u escape") }
                v = v << 4 | UInt32(n)
                i += 1
            }
            return v
        }

        mutating func string() throws(IngestError) -> String {
            i += 1  // the opening quote
            let start = i
            // Fast path: no escapes.
            while i < b.endIndex, b[i] != UInt8(ascii: "\""), b[i] != UInt8(ascii: "\\"), b[i] >= 0x20 { i += 1 }
            guard i < b.endIndex else { throw error("unterminated string") }
            if b[i] == UInt8(ascii: "\"") {
                defer { i += 1 }
                return String(decoding: b[start..<i], as: UTF8.self)
            }
            var out = Array(b[start..<i])
            while true {
                guard i < b.endIndex else { throw error("unterminated string") }
                let c = b[i]
                if c == UInt8(ascii: "\"") { i += 1; break }
                guard c >= 0x20 else { throw error("control character in a string") }
                if c != UInt8(ascii: "\\") { out.append(c); i += 1; continue }
                i += 1
                guard i < b.endIndex else { throw error("unterminated escape") }
                let e = b[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if scalar >= 0xD800 && scalar < 0xDC00, b.endIndex - i >= 6, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u") {
                        let save = i
                        i += 2
                        let low = try hex4()
                        if low >= 0xDC00 && low < 0xE000 {
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            i = save
                        }
                    }
                    let u = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                    out.append(contentsOf: String(Character(u)).utf8)
                default: throw error("bad escape")
                }
            }
            return String(decoding: out, as: UTF8.self)
        }
    }
}
