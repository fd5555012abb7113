/// The console's Mustache templates, compiled into the binary. Each page family keeps its own
/// templates beside its handler (`Pages/`); this file holds the frame and the shared ones.
enum Templates {
    static var all: [String: String] {
        var all = frame
        for family in [buckets, objects, identity, catalog, health] {
            all.merge(family) { first, _ in first }
        }
        return all
    }

    static let frame: [String: String] = [
        "layout": """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="csrf-token" content="{{csrf}}">
            <title>{{title}} · Floe</title>
            <link rel="stylesheet" href="/static/console.css">
            <script src="/static/console.js" defer></script>
            </head>
            <body>
            <a class="skip" href="#main">Skip to content</a>
            <header class="top">
            <a class="brand" href="/">Floe</a>
            {{#signedIn}}
            <nav aria-label="Sections"><ul>
            {{#nav}}<li><a href="{{href}}" id="nav-{{id}}"{{#current}} aria-current="page"{{/current}}>{{label}}</a></li>{{/nav}}
            </ul></nav>
            <form class="signout" method="post" action="/signout">
            <input type="hidden" name="_csrf" value="{{csrf}}">
            <span class="who" id="principal">{{principal}}</span>
            <button type="submit" id="signout">Sign out</button>
            </form>
            {{/signedIn}}
            </header>
            <main id="main"{{#wide}} class="wide"{{/wide}}>
            {{#flash}}<p class="flash{{#error}} error{{/error}}" role="{{#error}}alert{{/error}}{{^error}}status{{/error}}" id="flash">{{text}}</p>{{/flash}}
            {{{body}}}
            </main>
            </body>
            </html>
            """,
        "signin": """
            <h1>Sign in to Floe</h1>
            <form method="post" action="/signin" class="card narrow" id="signin-form">
            <input type="hidden" name="_csrf" value="{{signinToken}}">
            {{#next}}<input type="hidden" name="next" value="{{next}}">{{/next}}
            <label for="accessKey">Access key</label>
            <input id="accessKey" name="accessKey" autocomplete="username" required autofocus value="{{accessKey}}">
            <label for="secretKey">Secret key</label>
            <input id="secretKey" name="secretKey" type="password" autocomplete="current-password" required>
            <button type="submit" id="signin">Sign in</button>
            </form>
            <p class="hint">Use the root credentials, a user's access key or a service account's.</p>
            """,
        "error": """
            <h1>{{heading}}</h1>
            <p class="flash error" role="alert">{{message}}</p>
            <p><a href="{{back}}">Back</a></p>
            """,
        "csrf": """
            <input type="hidden" name="_csrf" value="{{csrf}}">
            """,
    ]
}
