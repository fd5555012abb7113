/// JSON text to `JSONValue`, read byte by byte, under one of two sets of rules.
///
/// `.decoder` is what `JSONDecoder().decode(JSONValue.self, …)` reads, for catalog documents and
/// request bodies: parsing a table's metadata through `Decodable` was 38 % of a commit's CPU,
/// since every commit leaves a document no cache has seen. What it accepts, that path accepts
/// and reads the same: UTF-8 after an optional byte order mark, a trailing comma allowed in
/// arrays and objects, a number that is a whole 64-bit integer as `.int`, of repeated object keys
/// the first. It is stricter in two ways: UTF-8 only (not UTF-16 or UTF-32), and a repeated
/// key's ignored value must be valid too. And the literal -2^63 is the integer it is.
///
/// `.rfc8259` is the strict grammar, for data files (JSON Lines ingest): no trailing commas, an
/// integer literal that fits as `.int` and any other number as a double, the last of repeated
/// keys, and invalid UTF-8 or a lone surrogate escape read as U+FFFD.
///
/// Both bound nesting at `JSONValue.maxDepth` and refuse non-finite numbers.
extension JSONValue {
    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public let offset: Int
        public let reason: String
        public var description: String { "Invalid JSON at byte \(offset): \(reason)" }
    }

    public struct ParseRules: Sendable {
        let byteOrderMark: Bool
        let trailingCommas: Bool
        let firstKeyWins: Bool
        let wholeNumbersAreIntegers: Bool
        let repairsText: Bool

        public static let decoder = ParseRules(
            byteOrderMark: true, trailingCommas: true, firstKeyWins: true, wholeNumbersAreIntegers: true, repairsText: false)
        public static let rfc8259 = ParseRules(
            byteOrderMark: false, trailingCommas: false, firstKeyWins: false, wholeNumbersAreIntegers: false, repairsText: true)
    }

    public init(parsing text: String, rules: ParseRules = .decoder) throws(ParseError) {
        try self.init(parsing: Array(text.utf8), rules: rules)
    }

    public init(parsing bytes: [UInt8], rules: ParseRules = .decoder) throws(ParseError) {
        self = try bytes.withUnsafeBufferPointer { buffer throws(ParseError) in try JSONValue(parsing: buffer, rules: rules) }
    }

    public init(parsing bytes: UnsafeBufferPointer<UInt8>, rules: ParseRules = .decoder) throws(ParseError) {
        var parser = JSONParser(bytes: bytes, rules: rules)
        if rules.byteOrderMark && bytes.starts(with: [0xEF, 0xBB, 0xBF]) { parser.position = 3 }
        parser.skipWhitespace()
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.position == bytes.count else { throw parser.error("unexpected text after the value") }
        self = value
    }
}

extension JSONValue {
    /// Whether some value inside lies more than `limit` containers deep: text of such a value
    /// would not parse back.
    public func nests(deeperThan limit: Int) -> Bool {
        guard limit >= 0 else { return true }
        switch self {
        case .array(let values): return values.contains { $0.nests(deeperThan: limit - 1) }
        case .object(let members): return members.values.contains { $0.nests(deeperThan: limit - 1) }
        default: return false
        }
    }
}

struct JSONParser {
    let bytes: UnsafeBufferPointer<UInt8>
    let rules: JSONValue.ParseRules
    var position = 0

    init(bytes: UnsafeBufferPointer<UInt8>, rules: JSONValue.ParseRules) {
        self.bytes = bytes
        self.rules = rules
    }

    func error(_ reason: String) -> JSONValue.ParseError {
        JSONValue.ParseError(offset: position, reason: reason)
    }

    var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    mutating func expect(_ literal: StaticString, _ value: JSONValue) throws(JSONValue.ParseError) -> JSONValue {
        let count = literal.utf8CodeUnitCount
        guard bytes.count - position >= count, UnsafeBufferPointer(start: literal.utf8Start, count: count).elementsEqual(bytes[position..<(position + count)])
        else { throw error("unknown literal") }
        position += count
        return value
    }

    /// A value whose enclosing containers number `depth`.
    mutating func value(depth: Int) throws(JSONValue.ParseError) -> JSONValue {
        guard depth <= JSONValue.maxDepth else { throw error("nested deeper than \(JSONValue.maxDepth)") }
        guard let byte = current else { throw error("unexpected end of text") }
        switch byte {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try expect("true", .bool(true))
        case UInt8(ascii: "f"): return try expect("false", .bool(false))
        case UInt8(ascii: "n"): return try expect("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw error("unexpected character")
        }
    }

    mutating func object(depth: Int) throws(JSONValue.ParseError) -> JSONValue {
        position += 1
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            position += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw error("expected a member name") }
            let key = try string()
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw error("expected ':'") }
            position += 1
            skipWhitespace()
            let member = try value(depth: depth + 1)
            if !rules.firstKeyWins || members[key] == nil { members[key] = member }
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","):
                position += 1
                skipWhitespace()
                if rules.trailingCommas && current == UInt8(ascii: "}") {
                    position += 1
                    return .object(members)
                }
            case UInt8(ascii: "}"):
                position += 1
                return .object(members)
            default: throw error("expected ',' or '}'")
            }
        }
    }

    mutating func array(depth: Int) throws(JSONValue.ParseError) -> JSONValue {
        position += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            position += 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try value(depth: depth + 1))
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","):
                position += 1
                skipWhitespace()
                if rules.trailingCommas && current == UInt8(ascii: "]") {
                    position += 1
                    return .array(elements)
                }
            case UInt8(ascii: "]"):
                position += 1
                return .array(elements)
            default: throw error("expected ',' or ']'")
            }
        }
    }

    mutating func string() throws(JSONValue.ParseError) -> String {
        position += 1
        let start = position
        // Most strings have no escape: one scan, then one validated copy.
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                let text = try validated(start..<position)
                position += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            guard byte >= 0x20 else { throw error("control character in a string") }
            position += 1
        }
        var unescaped = Array(bytes[start..<position])
        while position < bytes.count {
            let byte = bytes[position]
            switch byte {
            case UInt8(ascii: "\""):
                let text = try validated(unescaped, from: start)
                position += 1
                return text
            case UInt8(ascii: "\\"):
                position += 1
                guard let escaped = current else { throw error("unterminated escape") }
                position += 1
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): unescaped.append(escaped)
                case UInt8(ascii: "b"): unescaped.append(0x08)
                case UInt8(ascii: "f"): unescaped.append(0x0C)
                case UInt8(ascii: "n"): unescaped.append(0x0A)
                case UInt8(ascii: "r"): unescaped.append(0x0D)
                case UInt8(ascii: "t"): unescaped.append(0x09)
                case UInt8(ascii: "u"): try appendEscapedScalar(to: &unescaped)
                default: throw error("unknown escape")
                }
            default:
                guard byte >= 0x20 else { throw error("control character in a string") }
                unescaped.append(byte)
                position += 1
            }
        }
        throw error("unterminated string")
    }

    func validated(_ range: Range<Int>) throws(JSONValue.ParseError) -> String {
        if rules.repairsText { return String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self) }
        guard let text = String(validating: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self) else { throw error("invalid UTF-8") }
        return text
    }

    func validated(_ unescaped: [UInt8], from start: Int) throws(JSONValue.ParseError) -> String {
        if rules.repairsText { return String(decoding: unescaped, as: UTF8.self) }
        guard let text = String(validating: unescaped, as: UTF8.self) else { throw JSONValue.ParseError(offset: start, reason: "invalid UTF-8") }
        return text
    }

    mutating func hex4() throws(JSONValue.ParseError) -> UInt32 {
        guard bytes.count - position >= 4 else { throw error("short \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw error("bad \\u escape")
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }

    /// After `\u`: one scalar, or a surrogate pair written as two escapes. A lone surrogate is
    /// refused, or read as U+FFFD where the rules repair text.
    mutating func appendEscapedScalar(to out: inout [UInt8]) throws(JSONValue.ParseError) {
        var code = try hex4()
        if (0xD800..<0xDC00).contains(code) {
            let paired = bytes.count - position >= 6 && bytes[position] == UInt8(ascii: "\\") && bytes[position + 1] == UInt8(ascii: "u")
            let resume = position
            if paired {
                position += 2
                let low = try hex4()
                if (0xDC00..<0xE000).contains(low) {
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                } else {
                    position = resume
                }
            }
            if code < 0x10000 {
                guard rules.repairsText else { throw error("unpaired surrogate") }
                code = 0xFFFD
            }
        } else if (0xDC00..<0xE000).contains(code) {
            guard rules.repairsText else { throw error("unpaired surrogate") }
            code = 0xFFFD
        }
        guard let scalar = Unicode.Scalar(code) else { throw error("bad \\u escape") }
        out.append(contentsOf: UTF8.encode(scalar)!)
    }

    mutating func number() throws(JSONValue.ParseError) -> JSONValue {
        let start = position
        if current == UInt8(ascii: "-") { position += 1 }
        guard let first = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else { throw error("expected a digit") }
        if first == UInt8(ascii: "0") {
            position += 1
            if let next = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(next) { throw error("leading zero") }
        } else {
            skipDigits()
        }
        var integral = true
        if current == UInt8(ascii: ".") {
            integral = false
            position += 1
            guard skipDigits() > 0 else { throw error("expected a digit after '.'") }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            integral = false
            position += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
            guard skipDigits() > 0 else { throw error("expected a digit in the exponent") }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        if integral, let exact = Int64(text) { return .int(exact) }
        guard let double = Double(text), double.isFinite else { throw JSONValue.ParseError(offset: start, reason: "number out of range") }
        // As the Decodable path reads it: a number that is a whole 64-bit integer is an integer.
        if rules.wholeNumbersAreIntegers, let exact = Int64(exactly: double), exact != .min { return .int(exact) }
        return .double(double)
    }

    @discardableResult
    mutating func skipDigits() -> Int {
        let start = position
        while let byte = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { position += 1 }
        return position - start
    }
}
