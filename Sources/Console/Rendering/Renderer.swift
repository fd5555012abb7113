import Mustache

/// The console's templates, compiled once at start. `{{name}}` escapes `< > & " '` (by scalar), so every
/// key, name and message reaches the page inert; `{{{…}}}` is used only for HTML the console
/// rendered itself (a page inside the layout, an SVG chart).
struct Renderer: Sendable {
    let library: MustacheLibrary

    init() {
        // Every template, partials included, escapes with the scalar-wise escaper (the library's
        // default escaper works on Characters, see HTMLText); a partial starts with the library's
        // default again, so the pragma goes at the top of each one.
        MustacheContentTypes.register(HTMLText.ContentType(), named: HTMLText.contentTypeName)
        var library = MustacheLibrary()
        for (name, text) in Templates.all {
            // The templates are constants of this binary: one that does not parse is a bug.
            try! library.register(HTMLText.pragma + text, named: name)
        }
        self.library = library
    }

    /// One page: its template rendered, then placed in the layout.
    func page(_ page: PageContent, chrome: Chrome) -> String {
        let body = library.render(page.data, withTemplate: page.template) ?? ""
        var layout = chrome.values
        layout["title"] = page.title
        layout["body"] = body
        layout["wide"] = page.wide
        return library.render(layout, withTemplate: "layout") ?? ""
    }
}

/// What a handler hands back for a GET: a template and its values.
struct PageContent: @unchecked Sendable {
    var title: String
    var template: String
    var data: [String: Any]
    var wide = false
}

/// The frame around every page: navigation, who is signed in, the CSRF token, a flash message.
struct Chrome: @unchecked Sendable {
    var values: [String: Any]

    init(section: String?, principal: String?, csrf: String?, flash: Flash?, showIdentity: Bool, showHealth: Bool) {
        let items: [(String, String, String, Bool)] = [
            ("buckets", "Buckets", "/buckets", true),
            ("catalog", "Catalog", "/catalog", true),
            ("identity", "Identity", "/identity", showIdentity),
            ("health", "Health", "/health", showHealth),
        ]
        values = [
            "nav": items.filter(\.3).map { ["id": $0.0, "label": $0.1, "href": $0.2, "current": $0.0 == section] as [String: Any] },
            "signedIn": principal != nil,
            "principal": principal ?? "",
            "csrf": csrf ?? "",
        ]
        if let flash {
            values["flash"] = ["text": flash.text, "error": flash.isError] as [String: Any]
        }
    }
}

struct Flash: Sendable, Equatable {
    var text: String
    var isError: Bool
}
