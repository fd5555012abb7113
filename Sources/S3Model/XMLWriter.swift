/// Builds S3 response documents. Text is escaped; characters XML 1.0 cannot carry literally
/// are written as character references, as S3 does.
public struct XMLWriter: Sendable {
    public static let s3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/"

    /// The document's UTF-8, built in place: a listing of 1,000 keys is one growing array.
    public private(set) var bytes: [UInt8] = Array("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n".utf8)
    private var open: [String] = []

    public init() {}

    public var output: String { String(decoding: bytes, as: UTF8.self) }

    public mutating func start(_ name: String, namespace: String? = nil) {
        bytes.append(UInt8(ascii: "<"))
        bytes.append(contentsOf: name.utf8)
        if let namespace {
            bytes.append(contentsOf: " xmlns=\"".utf8)
            bytes.append(contentsOf: namespace.utf8)
            bytes.append(UInt8(ascii: "\""))
        }
        bytes.append(UInt8(ascii: ">"))
        open.append(name)
    }

    public mutating func end() {
        closeTag(open.removeLast())
    }

    private mutating func openTag(_ name: String) {
        bytes.append(UInt8(ascii: "<"))
        bytes.append(contentsOf: name.utf8)
        bytes.append(UInt8(ascii: ">"))
    }

    private mutating func closeTag(_ name: String) {
        bytes.append(UInt8(ascii: "<"))
        bytes.append(UInt8(ascii: "/"))
        bytes.append(contentsOf: name.utf8)
        bytes.append(UInt8(ascii: ">"))
    }

    public mutating func element(_ name: String, _ text: String) {
        openTag(name)
        Self.appendEscaped(text, to: &bytes)
        closeTag(name)
    }

    /// Appends already-escaped text inside the current element.
    public mutating func text(_ escaped: String) { bytes.append(contentsOf: escaped.utf8) }

    public mutating func element(_ name: String, _ value: Int64) {
        openTag(name)
        Self.appendDecimal(value, to: &bytes)
        closeTag(name)
    }

    public mutating func element(_ name: String, _ value: Int) { element(name, Int64(value)) }
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

    /// Bit b set: byte b (< 64) is written as a reference (`&<>"'` and the C0 controls).
    static let escapedBelow64: UInt64 = 0xFFFF_FFFF | 1 << 0x22 | 1 << 0x26 | 1 << 0x27 | 1 << 0x3C | 1 << 0x3E

    @inline(__always) static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 64 && escapedBelow64 >> byte & 1 != 0
    }

    /// Appends `text` escaped, byte by byte: markup characters are ASCII, so the UTF-8 of
    /// everything else passes through unchanged.
    static func appendEscaped(_ text: String, to bytes: inout [UInt8]) {
        var text = text
        text.withUTF8 { utf8 in
            var runStart = 0
            for index in utf8.indices where needsEscape(utf8[index]) {
                let c = utf8[index]
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
                runStart = index + 1
                switch c {
                case 0x26: bytes.append(contentsOf: "&amp;".utf8)
                case 0x3C: bytes.append(contentsOf: "&lt;".utf8)
                case 0x3E: bytes.append(contentsOf: "&gt;".utf8)
                case 0x22: bytes.append(contentsOf: "&quot;".utf8)
                case 0x27: bytes.append(contentsOf: "&apos;".utf8)
                default:
                    bytes.append(contentsOf: "&#x".utf8)
                    if c >= 0x10 { bytes.append(UInt8(ascii: "1")) }
                    let low = c & 0x0F
                    bytes.append(low < 10 ? UInt8(ascii: "0") + low : UInt8(ascii: "A") + low - 10)
                    bytes.append(UInt8(ascii: ";"))
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...]))
        }
    }

    static func appendDecimal(_ value: Int64, to bytes: inout [UInt8]) {
        guard value >= 0 else {
            bytes.append(contentsOf: String(value).utf8)
            return
        }
        var divisor: Int64 = 1
        while divisor <= value / 10 { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            bytes.append(UInt8(ascii: "0") + UInt8(rest / divisor))
            rest %= divisor
            divisor /= 10
        }
    }

    public static func escape(_ text: String) -> String {
        var out: [UInt8] = []
        appendEscaped(text, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
