/// A small, strict XML reader for S3 request bodies (CreateBucketConfiguration, Delete,
/// CompleteMultipartUpload, Tagging, …). It builds an element tree, resolves the predefined
/// and numeric entities, drops namespace prefixes, and refuses DTDs (no entity expansion attacks).
public struct XMLElement: Sendable, Equatable {
    public var name: String
    public var attributes: [String: String]
    public var children: [XMLElement]
    public var text: String

    public init(_ name: String, text: String = "", children: [XMLElement] = [], attributes: [String: String] = [:]) {
        self.name = name
        self.text = text
        self.children = children
        self.attributes = attributes
    }

    public func child(_ name: String) -> XMLElement? { children.first { $0.name == name } }
    public func children(_ name: String) -> [XMLElement] { children.filter { $0.name == name } }
    /// Text of the named child, or nil when absent.
    public func value(_ name: String) -> String? { child(name)?.text }
}

public enum XMLDocument {
    public struct ParseError: Error, Sendable, Equatable {
        public let reason: String
    }

    public static let maxDepth = 32

    public static func parse(_ bytes: [UInt8]) throws(ParseError) -> XMLElement {
        var parser = Parser(bytes: bytes)
        return try parser.document()
    }

    public static func parse(_ text: String) throws(ParseError) -> XMLElement {
        try parse(Array(text.utf8))
    }

    struct Parser {
        let bytes: [UInt8]
        var index = 0

        init(bytes: [UInt8]) {
            self.bytes = bytes
            // A UTF-8 byte-order mark is allowed before the prolog.
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
        }

        func fail(_ reason: String) -> ParseError { ParseError(reason: reason) }

        var atEnd: Bool { index >= bytes.count }
        func peek(_ literal: String) -> Bool {
            let l = Array(literal.utf8)
            return index + l.count <= bytes.count && Array(bytes[index..<index + l.count]) == l
        }

        mutating func skipWhitespace() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        mutating func skip(past literal: String) throws(ParseError) {
            let l = Array(literal.utf8)
            while index + l.count <= bytes.count {
                if Array(bytes[index..<index + l.count]) == l {
                    index += l.count
                    return
                }
                index += 1
            }
            throw fail("unterminated construct, expected \(literal)")
        }

        mutating func skipMisc() throws(ParseError) {
            while true {
                skipWhitespace()
                if peek("<?") {
                    try skip(past: "?>")
                } else if peek("<!--") {
                    try skip(past: "-->")
                } else if peek("<!") {
                    throw fail("DTDs are not allowed")
                } else {
                    return
                }
            }
        }

        mutating func document() throws(ParseError) -> XMLElement {
            try skipMisc()
            guard peek("<") else { throw fail("no root element") }
            let root = try element(depth: 0)
            try skipMisc()
            guard atEnd else { throw fail("content after the root element") }
            return root
        }

        mutating func name() throws(ParseError) -> String {
            let start = index
            while index < bytes.count {
                let c = bytes[index]
                if c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D || c == UInt8(ascii: ">") || c == UInt8(ascii: "/")
                    || c == UInt8(ascii: "=")
                {
                    break
                }
                index += 1
            }
            guard index > start else { throw fail("expected a name") }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }

        static func localName(_ qualified: String) -> String {
            if let colon = qualified.lastIndex(of: ":") { return String(qualified[qualified.index(after: colon)...]) }
            return qualified
        }

        mutating func element(depth: Int) throws(ParseError) -> XMLElement {
            guard depth < XMLDocument.maxDepth else { throw fail("nesting too deep") }
            index += 1  // "<"
            let qualified = try name()
            var attributes: [String: String] = [:]
            while true {
                skipWhitespace()
                guard !atEnd else { throw fail("unterminated start tag") }
                if peek("/>") {
                    index += 2
                    return XMLElement(Self.localName(qualified), attributes: attributes)
                }
                if peek(">") {
                    index += 1
                    break
                }
                let attribute = try name()
                skipWhitespace()
                guard peek("=") else { throw fail("attribute without value") }
                index += 1
                skipWhitespace()
                guard !atEnd, bytes[index] == UInt8(ascii: "\"") || bytes[index] == UInt8(ascii: "'") else {
                    throw fail("attribute value not quoted")
                }
                let quote = bytes[index]
                index += 1
                let start = index
                while index < bytes.count, bytes[index] != quote { index += 1 }
                guard !atEnd else { throw fail("unterminated attribute value") }
                attributes[attribute] = try decodeText(bytes[start..<index])
                index += 1
            }
            var children: [XMLElement] = []
            var text: [UInt8] = []
            while true {
                guard !atEnd else { throw fail("unterminated element \(qualified)") }
                if peek("</") {
                    index += 2
                    let closing = try name()
                    guard closing == qualified else { throw fail("mismatched end tag \(closing) for \(qualified)") }
                    skipWhitespace()
                    guard peek(">") else { throw fail("malformed end tag") }
                    index += 1
                    break
                } else if peek("<!--") {
                    try skip(past: "-->")
                } else if peek("<![CDATA[") {
                    index += 9
                    let start = index
                    try skip(past: "]]>")
                    text += bytes[start..<(index - 3)]
                } else if peek("<?") {
                    try skip(past: "?>")
                } else if peek("<!") {
                    throw fail("DTDs are not allowed")
                } else if peek("<") {
                    children.append(try element(depth: depth + 1))
                } else {
                    let start = index
                    while index < bytes.count, bytes[index] != UInt8(ascii: "<") { index += 1 }
                    text += Array(try decodeText(bytes[start..<index]).utf8)
                }
            }
            guard let decoded = String(validating: text, as: UTF8.self) else { throw fail("invalid UTF-8") }
            return XMLElement(Self.localName(qualified), text: decoded, children: children, attributes: attributes)
        }

        func decodeText(_ slice: ArraySlice<UInt8>) throws(ParseError) -> String {
            guard slice.contains(UInt8(ascii: "&")) else {
                guard let s = String(validating: Array(slice), as: UTF8.self) else { throw fail("invalid UTF-8") }
                return s
            }
            var out: [UInt8] = []
            var i = slice.startIndex
            while i < slice.endIndex {
                if slice[i] != UInt8(ascii: "&") {
                    out.append(slice[i])
                    i += 1
                    continue
                }
                guard let semicolon = slice[i...].firstIndex(of: UInt8(ascii: ";")), semicolon - i <= 12 else {
                    throw fail("unterminated entity")
                }
                let entity = String(decoding: slice[(i + 1)..<semicolon], as: UTF8.self)
                switch entity {
                case "lt": out.append(UInt8(ascii: "<"))
                case "gt": out.append(UInt8(ascii: ">"))
                case "amp": out.append(UInt8(ascii: "&"))
                case "quot": out.append(UInt8(ascii: "\""))
                case "apos": out.append(UInt8(ascii: "'"))
                default:
                    var scalarValue: UInt32?
                    if entity.hasPrefix("#x") || entity.hasPrefix("#X") {
                        scalarValue = UInt32(entity.dropFirst(2), radix: 16)
                    } else if entity.hasPrefix("#") {
                        scalarValue = UInt32(entity.dropFirst(1))
                    }
                    guard let value = scalarValue, let scalar = Unicode.Scalar(value) else {
                        throw fail("unknown entity &\(entity);")
                    }
                    out += Array(String(Character(scalar)).utf8)
                }
                i = semicolon + 1
            }
            guard let s = String(validating: out, as: UTF8.self) else { throw fail("invalid UTF-8") }
            return s
        }
    }
}
