import FloeClient
import Foundation
import S3Model

/// The bucket list and a bucket's settings: versioning, anonymous access, policy, tags, deletion.
enum BucketPages {
    static func list(_ call: ConsoleCall) async throws -> ConsoleReply {
        let buckets = try await call.s3.listBuckets()
        let usage = call.permissions.admin("ServerInfo", "info") ? try await call.console.health?.bucketUsage() ?? [:] : [:]
        let rows: [[String: Any]] = buckets.map { bucket in
            var row: [String: Any] = ["name": bucket.name, "href": "/buckets/\(bucket.name)", "created": Format.date(bucket.created)]
            if let use = usage[bucket.name] {
                row["objects"] = Format.count(use.objects)
                row["size"] = Format.bytes(use.bytes)
            }
            return row
        }
        return .page(
            PageContent(
                title: "Buckets", template: "buckets",
                data: [
                    "buckets": rows, "empty": rows.isEmpty, "showUsage": !usage.isEmpty,
                    "canCreate": call.permissions.allows("s3:CreateBucket", "arn:aws:s3:::*"),
                ]), section: "buckets")
    }

    static func create(_ call: ConsoleCall) async throws -> ConsoleReply {
        guard let name = call.form.nonEmpty("name"), ConsoleRoute.isBucketName(name) else {
            throw ConsoleError("A bucket name is 3 to 63 lowercase letters, digits, dots and hyphens.")
        }
        try await call.s3.makeBucket(name, objectLock: call.form["objectLock"] == "on")
        if call.form["versioning"] == "on", call.form["objectLock"] != "on" {
            try await call.s3.setVersioning(bucket: name, enabled: true)
        }
        return .redirect("/buckets/\(name)", Flash(text: "Bucket \(name) created.", isError: false))
    }

    static func settings(_ call: ConsoleCall, bucket: String) async throws -> ConsoleReply {
        let p = call.permissions
        let versioning = try await call.s3.versioning(bucket: bucket)
        let policy = p.s3("GetBucketPolicy", bucket: bucket) ? try await call.s3.policy(bucket: bucket) : nil
        let tags = p.s3("GetBucketTagging", bucket: bucket) ? try await tagsOrNone(call, bucket: bucket, key: nil) : []
        // What the principal may not read is said to be hidden, not shown as empty.
        let hidden = "not visible to you"
        let lock = p.s3("GetBucketObjectLockConfiguration", bucket: bucket) ? try await call.s3.lockConfiguration(bucket: bucket) : nil
        let lifecycle = p.s3("GetLifecycleConfiguration", bucket: bucket) ? String(try await call.s3.lifecycleRules(bucket: bucket).count) : hidden
        let encryption = p.s3("GetEncryptionConfiguration", bucket: bucket)
            ? try await call.s3.bucketEncryption(bucket: bucket)?.child("ApplyServerSideEncryptionByDefault")?.value("SSEAlgorithm") ?? "none" : hidden
        let notifications = p.s3("GetBucketNotification", bucket: bucket) ? String(try await call.s3.notificationRules(bucket: bucket).count) : hidden
        let preset = policy.map { AnonymousPreset.recognize($0, bucket: bucket) } ?? AnonymousPreset.none
        let data: [String: Any] = [
            "bucket": bucket, "browse": "/buckets/\(bucket)",
            "versioning": versioning.isEmpty ? "Never enabled" : versioning, "versioningOn": versioning == "Enabled",
            "canVersioning": p.s3("PutBucketVersioning", bucket: bucket),
            "policy": policy.map(Format.prettyJSON) ?? "", "hasPolicy": policy != nil,
            "canPolicy": p.s3("PutBucketPolicy", bucket: bucket),
            "presets": AnonymousPreset.allCases.map { ["value": $0.rawValue, "label": $0.label, "selected": $0 == preset] as [String: Any] },
            "tags": tags.map { "\($0.0)=\($0.1)" }.joined(separator: "\n"),
            "canTags": p.s3("PutBucketTagging", bucket: bucket),
            "lock": lock.flatMap { l -> [[String: Any]]? in
                guard l.enabled else { return nil }
                var entry: [String: Any] = ["mode": l.mode ?? "none"]
                if let days = l.days { entry["days"] = String(days) }
                if let years = l.years { entry["years"] = String(years) }
                return [entry]
            } ?? [],
            "lifecycleRules": lifecycle, "notificationRules": notifications,
            "encryption": encryption,
            "canDelete": p.s3("DeleteBucket", bucket: bucket),
        ]
        return .page(PageContent(title: "\(bucket) settings", template: "bucketSettings", data: data), section: "buckets")
    }

    /// Tags, with "no tag set" read as none.
    static func tagsOrNone(_ call: ConsoleCall, bucket: String, key: String?) async throws -> [(String, String)] {
        do {
            return try await call.s3.tags(bucket: bucket, key: key)
        } catch let error as ClientError where error.code == "NoSuchTagSet" {
            return []
        }
    }

    static func act(_ call: ConsoleCall, bucket: String, _ action: ConsoleRoute.BucketAction) async throws -> ConsoleReply {
        let back = "/buckets/\(bucket)/settings"
        switch action {
        case .delete:
            guard call.form["confirm"] == bucket else { throw ConsoleError("Type the bucket's name to delete it.") }
            try await call.s3.removeBucket(bucket)
            return .redirect("/buckets", Flash(text: "Bucket \(bucket) deleted.", isError: false))
        case .versioning:
            let enable = call.form["state"] == "Enabled"
            try await call.s3.setVersioning(bucket: bucket, enabled: enable)
            return .redirect(back, Flash(text: "Versioning \(enable ? "enabled" : "suspended").", isError: false))
        case .policy:
            let text = (call.form["policy"] ?? "").trimmingWhitespace
            if text.isEmpty {
                try await call.s3.setPolicy(bucket: bucket, nil)
                return .redirect(back, Flash(text: "Bucket policy removed.", isError: false))
            }
            guard (try? JSONSerialization.jsonObject(with: Data(text.utf8))) is [String: Any] else {
                throw ConsoleError("The policy is not a JSON object.")
            }
            try await call.s3.setPolicy(bucket: bucket, text)
            return .redirect(back, Flash(text: "Bucket policy saved.", isError: false))
        case .anonymous:
            guard let preset = AnonymousPreset(rawValue: call.form["preset"] ?? "") else { throw ConsoleError("Choose an access preset.") }
            try await call.s3.setPolicy(bucket: bucket, preset.policy(bucket: bucket))
            return .redirect(back, Flash(text: "Anonymous access: \(preset.label).", isError: false))
        case .tags:
            let tags = try TagText.parse(call.form["tags"] ?? "")
            if tags.isEmpty {
                try await call.s3.removeTags(bucket: bucket, key: nil)
            } else {
                try await call.s3.setTags(bucket: bucket, key: nil, tags)
            }
            return .redirect(back, Flash(text: "Tags saved.", isError: false))
        }
    }
}

/// MinIO's anonymous-access presets, as bucket policies for the anonymous principal.
enum AnonymousPreset: String, CaseIterable, Sendable {
    case none, download, upload, `public`

    var label: String {
        switch self {
        case .none: "Private"
        case .download: "Anonymous download"
        case .upload: "Anonymous upload"
        case .`public`: "Anonymous download and upload"
        }
    }

    /// The bucket policy of the preset; nil (no policy) for private.
    func policy(bucket: String) -> String? {
        let read = ["s3:GetObject"], write = ["s3:PutObject"]
        let actions: [String]
        switch self {
        case .none: return nil
        case .download: actions = read
        case .upload: actions = write
        case .`public`: actions = read + write
        }
        let document: [String: Any] = [
            "Version": "2012-10-17",
            "Statement": [["Effect": "Allow", "Principal": ["AWS": ["*"]], "Action": actions, "Resource": ["arn:aws:s3:::\(bucket)/*"]]],
        ]
        return String(decoding: try! JSONSerialization.data(withJSONObject: document, options: [.sortedKeys]), as: UTF8.self)
    }

    /// The preset a stored policy is exactly, if any (a policy written by hand is `none` here and shown as text).
    static func recognize(_ text: String, bucket: String) -> AnonymousPreset {
        guard let given = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? NSDictionary else { return .none }
        for preset in allCases {
            if let policy = preset.policy(bucket: bucket), let object = try? JSONSerialization.jsonObject(with: Data(policy.utf8)) as? NSDictionary,
                object.isEqual(given)
            {
                return preset
            }
        }
        return .none
    }
}

/// Tags as the console edits them: one `key=value` per line.
enum TagText {
    static func parse(_ text: String) throws -> [(String, String)] {
        var tags: [(String, String)] = []
        for line in text.split(whereSeparator: \.isNewline) {
            let trimmed = String(line).trimmingWhitespace
            if trimmed.isEmpty { continue }
            guard let equals = trimmed.firstIndex(of: "="), equals != trimmed.startIndex else {
                throw ConsoleError("Each tag is one line of key=value; \"\(trimmed.prefix(40))\" is not.")
            }
            tags.append((String(trimmed[..<equals]).trimmingWhitespace, String(trimmed[trimmed.index(after: equals)...]).trimmingWhitespace))
        }
        return tags
    }
}

extension Templates {
    static let buckets: [String: String] = [
        "buckets": """
            <h1>Buckets</h1>
            {{#canCreate}}
            <form method="post" action="/buckets" class="card inline" id="create-bucket-form">
            {{> csrf}}<input type="hidden" name="back" value="/buckets">
            <label for="bucket-name">New bucket</label>
            <input id="bucket-name" name="name" required pattern="[a-z0-9][a-z0-9.\\-]{1,61}[a-z0-9]" placeholder="name">
            <label class="check"><input type="checkbox" name="versioning" id="bucket-versioning"> Versioning</label>
            <label class="check"><input type="checkbox" name="objectLock" id="bucket-lock"> Object lock</label>
            <button type="submit" id="create-bucket">Create</button>
            </form>
            {{/canCreate}}
            {{#empty}}<p class="hint">No buckets yet.</p>{{/empty}}
            {{^empty}}
            <table class="list" id="bucket-list">
            <thead><tr><th scope="col">Name</th><th scope="col" class="opt">Created</th>{{#showUsage}}<th scope="col" class="num">Objects</th><th scope="col" class="num">Size</th>{{/showUsage}}<th scope="col"><span class="sr">Settings</span></th></tr></thead>
            <tbody>
            {{#buckets}}<tr><td><a class="bucket-link" href="{{href}}">{{name}}</a></td><td class="opt">{{created}}</td>{{#showUsage}}<td class="num">{{objects}}</td><td class="num">{{size}}</td>{{/showUsage}}<td><a href="{{href}}/settings" aria-label="Settings of {{name}}">Settings</a></td></tr>
            {{/buckets}}
            </tbody></table>
            {{/empty}}
            """,
        "bucketSettings": """
            <nav class="crumbs" aria-label="Breadcrumb"><a href="/buckets">Buckets</a> / <a href="{{browse}}">{{bucket}}</a> / settings</nav>
            <h1>{{bucket}}</h1>
            <section class="card">
            <h2>Versioning</h2>
            <p>Status: <strong id="versioning-status">{{versioning}}</strong></p>
            {{#canVersioning}}
            <form method="post" action="/buckets/{{bucket}}/versioning">{{> csrf}}<input type="hidden" name="back" value="/buckets/{{bucket}}/settings">
            {{#versioningOn}}<input type="hidden" name="state" value="Suspended"><button type="submit" id="versioning-toggle">Suspend versioning</button>{{/versioningOn}}
            {{^versioningOn}}<input type="hidden" name="state" value="Enabled"><button type="submit" id="versioning-toggle">Enable versioning</button>{{/versioningOn}}
            </form>
            {{/canVersioning}}
            </section>
            {{#canPolicy}}
            <section class="card">
            <h2>Anonymous access</h2>
            <form method="post" action="/buckets/{{bucket}}/anonymous">{{> csrf}}<input type="hidden" name="back" value="/buckets/{{bucket}}/settings">
            <label for="preset">Preset (replaces the bucket policy)</label>
            <select id="preset" name="preset">{{#presets}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/presets}}</select>
            <button type="submit" id="apply-preset">Apply</button>
            </form>
            </section>
            <section class="card">
            <h2>Bucket policy</h2>
            <form method="post" action="/buckets/{{bucket}}/policy">{{> csrf}}<input type="hidden" name="back" value="/buckets/{{bucket}}/settings">
            <label for="policy">Policy JSON (empty removes it)</label>
            <textarea id="policy" name="policy" rows="12" spellcheck="false" class="code" data-json>{{policy}}</textarea>
            <button type="submit" id="save-policy">Save policy</button>
            </form>
            </section>
            {{/canPolicy}}
            {{^canPolicy}}{{#hasPolicy}}<section class="card"><h2>Bucket policy</h2><pre class="code">{{policy}}</pre></section>{{/hasPolicy}}{{/canPolicy}}
            <section class="card">
            <h2>Tags</h2>
            {{#canTags}}
            <form method="post" action="/buckets/{{bucket}}/tags">{{> csrf}}<input type="hidden" name="back" value="/buckets/{{bucket}}/settings">
            <label for="bucket-tags">One key=value per line</label>
            <textarea id="bucket-tags" name="tags" rows="4">{{tags}}</textarea>
            <button type="submit">Save tags</button>
            </form>
            {{/canTags}}
            {{^canTags}}<pre>{{tags}}</pre>{{/canTags}}
            </section>
            <section class="card">
            <h2>Governance</h2>
            <dl>
            <dt>Object lock</dt><dd>{{#lock}}default mode {{mode}}{{#days}}, {{days}} days{{/days}}{{#years}}, {{years}} years{{/years}}{{/lock}}{{^lock}}off{{/lock}}</dd>
            <dt>Lifecycle rules</dt><dd>{{lifecycleRules}}</dd>
            <dt>Default encryption</dt><dd>{{encryption}}</dd>
            <dt>Notification rules</dt><dd>{{notificationRules}}</dd>
            </dl>
            <p class="hint">Lifecycle, encryption and notifications are edited with <code>floe</code> or any S3 client.</p>
            </section>
            {{#canDelete}}
            <section class="card danger">
            <h2>Delete bucket</h2>
            <form method="post" action="/buckets/{{bucket}}/delete">{{> csrf}}<input type="hidden" name="back" value="/buckets/{{bucket}}/settings">
            <label for="confirm-delete">Type <strong>{{bucket}}</strong> to delete this empty bucket</label>
            <input id="confirm-delete" name="confirm" autocomplete="off" required>
            <button type="submit" class="danger" id="delete-bucket">Delete bucket</button>
            </form>
            </section>
            {{/canDelete}}
            """,
    ]
}
