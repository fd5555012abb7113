import Foundation
import Mustache
import Testing

@testable import Console

@Suite struct ConsoleRenderingTests {
    let renderer = Renderer()

    @Test func everyTemplateParses() {
        for name in Templates.all.keys {
            #expect(renderer.library.getTemplate(named: name) != nil, "\(name)")
        }
    }

    @Test func namesReachThePageInert() {
        let hostile = "<script>alert(1)</script>\"'&"
        let page = PageContent(
            title: hostile, template: "browse",
            data: [
                "bucket": "b", "prefix": hostile, "filter": "", "crumbs": [["name": hostile, "href": "/x"]], "folders": [[String: Any]](),
                "objects": [["name": hostile, "key": hostile, "size": "1 B", "modified": "", "href": "/h", "download": "/d"]],
                "empty": false, "next": "", "first": "", "canUpload": true, "canSettings": false, "back": "/", "csrf": "t",
            ])
        let html = renderer.page(page, chrome: Chrome(section: "buckets", principal: hostile, csrf: "t", flash: Flash(text: hostile, isError: true), showIdentity: false, showHealth: false))
        #expect(!html.contains("<script>alert"))
        #expect(!html.contains("\"'&"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;"))
        // The page loads its one script from the console, never inline.
        #expect(html.components(separatedBy: "<script").count == 2)
        #expect(html.contains("<script src=\"/static/console.js\" defer></script>"))
    }

    @Test func pageLinksAppearOnlyWhenThereIsAPage() {
        var data: [String: Any] = [
            "bucket": "b", "prefix": "", "crumbs": [[String: Any]](), "folders": [[String: Any]](), "objects": [[String: Any]](),
            "empty": true, "canUpload": false, "canSettings": false, "back": "/", "csrf": "t",
        ]
        let chrome = Chrome(section: nil, principal: "p", csrf: "t", flash: nil, showIdentity: false, showHealth: false)
        let alone = renderer.page(PageContent(title: "b", template: "browse", data: data), chrome: chrome)
        #expect(!alone.contains("next-page") && !alone.contains("first-page") && !alone.contains("starting with"))
        data["next"] = "/buckets/b?token=x"
        data["filter"] = "ab"
        let paged = renderer.page(PageContent(title: "b", template: "browse", data: data), chrome: chrome)
        #expect(paged.contains("id=\"next-page\"") && !paged.contains("first-page") && paged.contains("starting with “ab”"))
    }

    @Test func chartsEscapeTheirText() {
        let svg = HealthPage.chart([(name: "<b>&op", count: 3), (name: "Get", count: 1)])
        #expect(svg.contains("&lt;b&gt;&amp;op"))
        #expect(!svg.contains("<b>"))
        #expect(!svg.contains("style="))
    }

    @Test func percentilesInterpolateWithinTheirBucket() throws {
        let buckets: [(bound: Double, count: UInt64)] = [(0.01, 50), (0.1, 90), (1, 100), (.infinity, 100)]
        #expect(try #require(HealthPage.percentile(0.5, buckets: buckets)) == 0.01)
        let p90 = try #require(HealthPage.percentile(0.9, buckets: buckets))
        #expect(abs(p90 - 0.1) < 1e-9)
        let p95 = try #require(HealthPage.percentile(0.95, buckets: buckets))
        #expect(abs(p95 - 0.55) < 1e-9)
        #expect(HealthPage.percentile(0.5, buckets: [(0.01, 0), (.infinity, 0)]) == nil)
    }
}

@Suite struct ConsoleEscapingTests {
    /// Review finding: escaping by Character let `"` + U+0301 and U+0600 + `<` through raw.
    @Test func marksBesideMarkupCharactersDoNotHideThem() {
        let renderer = Renderer()
        for hostile in ["x\"\u{301} onfocus=y", "\u{600}<form action=/x>", "a\u{600}&b", "'\u{301}", "\u{600}>"] {
            #expect(!HTMLText.escape(hostile).unicodeScalars.contains { "<>\"'".unicodeScalars.contains($0) }, "\(hostile.unicodeScalars.map(\.value))")
            let page = PageContent(title: hostile, template: "error", data: ["heading": hostile, "message": hostile, "back": "/"])
            let html = renderer.page(page, chrome: Chrome(section: nil, principal: hostile, csrf: "t", flash: Flash(text: hostile, isError: false), showIdentity: false, showHealth: false))
            // Compared by scalars: String comparison would treat the grapheme as one unit too.
            let escaped = Array(HTMLText.escape(hostile).unicodeScalars), rendered = Array(html.unicodeScalars)
            #expect(contains(rendered, escaped) && !contains(rendered, Array(hostile.unicodeScalars)), "\(hostile.unicodeScalars.map(\.value))")
        }
        // A partial escapes the same way (the library resets partials to its own escaper).
        let hostile = "\"\u{301}><b>"
        let page = PageContent(title: "t", template: "buckets", data: ["csrf": hostile, "canCreate": true, "buckets": [[String: Any]](), "empty": true])
        let html = renderer.page(page, chrome: Chrome(section: nil, principal: "p", csrf: "t", flash: nil, showIdentity: false, showHealth: false))
        #expect(contains(Array(html.unicodeScalars), Array("value=\"&quot;\u{301}&gt;&lt;b&gt;\"".unicodeScalars)))
    }

    func contains(_ haystack: [Unicode.Scalar], _ needle: [Unicode.Scalar]) -> Bool {
        guard !needle.isEmpty, needle.count <= haystack.count else { return needle.isEmpty }
        return (0...(haystack.count - needle.count)).contains { Array(haystack[$0..<($0 + needle.count)]) == needle }
    }
}

@Suite struct HealthRateTests {
    @Test func ratesAreDifferencesOverTime() {
        let samples = [
            HealthSample(millis: 0, requests: 0, errors: 0, bytesIn: 0, bytesOut: 0),
            HealthSample(millis: 10_000, requests: 500, errors: 10, bytesIn: 0, bytesOut: 0),
            HealthSample(millis: 20_000, requests: 600, errors: 10, bytesIn: 0, bytesOut: 0),
            // A counter that went back (a restart) gives no rate rather than a huge one.
            HealthSample(millis: 30_000, requests: 5, errors: 0, bytesIn: 0, bytesOut: 0),
        ]
        let rates = HealthPage.rates(samples)
        #expect(rates.map(\.requests) == [50, 10])
        #expect(rates.map(\.errors) == [1, 0])
        let svg = HealthPage.rateChart(rates)
        #expect(svg.hasPrefix("<svg") && svg.hasSuffix("</svg>") && svg.contains("error-bar") && !svg.contains("style="))
        #expect(HealthPage.rateChart([]) == "")
    }
}
