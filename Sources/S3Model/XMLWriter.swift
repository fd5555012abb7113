/// Builds S3 response documents. Text is escaped; characters XML 1.0 cannot carry literally
/// are written as character references, as S3 does.
public struct XMLWriter: Sendable {
    public static let s3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/"

    public private(set) var output: String = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    private var open: [String] = []

    public init() {}

    public mutating func start(_ name: String, namespace: String? = nil) {
        if let namespace {
            output += "<\(name) xmlns=\"\(namespace)\">"
        } else {
            output += "<\(name)>"
        }
        open.append(name)
    }

    public mutating func end() {
        let name = open.removeLast()
        output += "</\(name)>"
    }

    public mutating func element(_ name: String, _ text: String) {
        output += "<"
        output += name
        output += ">"
        Self.appendEscaped(text, to: &output)
        output += "</"
        output += name
        output += ">"
    }

    /// Appends already-escaped text inside the current element.
    public mutating func text(_ escaped: String) { output += escaped }

    public mutating func element(_ name: String, _ value: Int64) { element(name, String(value)) }
    public mutating func element(_ name: String, _ value: Int) { element(name, String(value)) }
    public mutating func element(_ name: String, _ value: Bool) { element(name, value ? "true" : "false") }

    /// `<name>text</name>` only when text is non-nil.
    public mutating func optional(_ name: String, _ text: String?) {
        if let text { element(name, text) }
    }

    public mutating func group(_ name: String, namespace: String? = nil, _ body: (inout XMLWriter) -> Void) {
        start(name, namespace: namespace)
        body(&self)
        end()
    }

    /// Writes a parsed element back out (elements and text; attributes are not kept).
    public mutating func write(_ element: XMLElement) {
        if element.children.isEmpty {
            self.element(element.name, element.text)
        } else {
            group(element.name) { x in
                for child in element.children { x.write(child) }
            }
        }
    }

    /// Appends `text` escaped, byte by byte: markup characters are ASCII, so the UTF-8 of
    /// everything else passes through unchanged.
    static func appendEscaped(_ text: String, to output: inout String) {
        guard text.utf8.contains(where: { $0 == 0x26 || $0 == 0x3C || $0 == 0x3E || $0 == 0x22 || $0 == 0x27 || $0 < 0x20 }) else {
            output += text
            return
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count + 16)
        for c in text.utf8 {
            switch c {
            case 0x26: bytes.append(contentsOf: "&amp;".utf8)
            case 0x3C: bytes.append(contentsOf: "&lt;".utf8)
            case 0x3E: bytes.append(contentsOf: "&gt;".utf8)
            case 0x22: bytes.append(contentsOf: "&quot;".utf8)
            case 0x27: bytes.append(contentsOf: "&apos;".utf8)
            case ..<0x20:
                bytes.append(contentsOf: "&#x".utf8)
                if c >= 0x10 { bytes.append(UInt8(ascii: "1")) }
                let low = c & 0x0F
                bytes.append(low < 10 ? UInt8(ascii: "0") + low : UInt8(ascii: "A") + low - 10)
                bytes.append(UInt8(ascii: ";"))
            default: bytes.append(c)
            }
        }
        output += String(decoding: bytes, as: UTF8.self)
    }

    public static func escape(_ text: String) -> String {
        var out = ""
        appendEscaped(text, to: &out)
        return out
    }
}
