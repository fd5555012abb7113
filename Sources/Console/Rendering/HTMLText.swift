import Mustache

/// HTML escaping by Unicode scalar. Escaping by `Character` is not enough: Swift joins a
/// combining mark to the `"` before it, or a prepended mark (U+0600) to the `<` after it, into
/// one grapheme that compares unequal to `"` or `<`, and the raw byte reaches the page.
enum HTMLText {
    static func escape(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out.append(contentsOf: "&amp;".unicodeScalars)
            case "<": out.append(contentsOf: "&lt;".unicodeScalars)
            case ">": out.append(contentsOf: "&gt;".unicodeScalars)
            case "\"": out.append(contentsOf: "&quot;".unicodeScalars)
            case "'": out.append(contentsOf: "&#39;".unicodeScalars)
            default: out.append(scalar)
            }
        }
        return String(out)
    }

    /// The content type every console template declares (`Renderer` prepends the pragma).
    struct ContentType: MustacheContentType {
        func escapeText(_ text: String) -> String { HTMLText.escape(text) }
    }

    static let contentTypeName = "FLOE_HTML"
    static let pragma = "{{% CONTENT_TYPE: \(contentTypeName)}}"
}
