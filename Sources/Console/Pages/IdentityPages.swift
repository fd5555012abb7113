import FloeClient
import Foundation
import Identity
import NIOHTTP1

/// Users, groups, policies and access keys, managed through the admin API as the signed-in principal.
enum IdentityPages {
    static let maxRows = 500
    /// Policies offered in each user's policy list (beyond these, the user's own are listed too).
    static let maxChoices = 100
    /// Policy documents fetched for one page.
    static let maxDocuments = 50

    static func overview(_ call: ConsoleCall) async throws -> ConsoleReply {
        let p = call.permissions
        let showUsers = p.admin("ListUsers", "users"), showPolicies = p.admin("ListPolicies", "policies"), showGroups = p.admin("ListGroups", "groups")
        guard showUsers || showPolicies || showGroups else { throw ConsoleError("You may not manage identities.") }

        var policyNames: [String] = [], allUsers: [[String: Any]] = [], allGroups: [[String: Any]] = []
        if showPolicies { policyNames = strings(try await get(call, "policies")["policies"]) }
        if showUsers { allUsers = objects(try await get(call, "users")["users"]) }
        if showGroups { allGroups = objects(try await get(call, "groups")["groups"]) }

        let users: [[String: Any]] = allUsers.prefix(maxRows).map { user in
            let name = user["name"] as? String ?? ""
            let enabled = user["enabled"] as? Bool ?? false
            let policies = strings(user["policies"])
            let ids: [(id: String, service: Bool)] = strings(user["accessKeys"]).map { (id: $0, service: false) } + strings(user["serviceAccounts"]).map { (id: $0, service: true) }
            let keys: [[String: Any]] = ids.map { key in
                let current = key.id == call.session.accessKey
                let deletable = !current && p.admin("DeleteAccessKey", "keys/\(key.id)") && p.admin("DeleteAccessKey", "users/\(name)/keys/\(key.id)")
                return ["keyId": key.id, "keyKind": key.service ? "service account" : "access key", "keyCurrent": current, "canDeleteKey": deletable]
            }
            let editsPolicies = p.admin("AttachPolicy", "users/\(name)/policies/*") || p.admin("DetachPolicy", "users/\(name)/policies/*")
            let canSetPolicies = !policyNames.isEmpty && p.admin("GetUser", "users/\(name)") && editsPolicies
            let offered = Array(policyNames.prefix(maxChoices)) + policies.filter { !policyNames.prefix(maxChoices).contains($0) }
            let options: [[String: Any]] = offered.map { ["optionName": $0, "optionSelected": policies.contains($0)] }
            var row: [String: Any] = ["userName": name, "status": enabled ? "Enabled" : "Disabled", "keys": keys, "options": options]
            row["policyList"] = policies.isEmpty ? "—" : policies.joined(separator: ", ")
            row["groupList"] = strings(user["groups"]).joined(separator: ", ")
            row["canToggle"] = p.admin("CreateUser", "users/\(name)")
            row["toggleValue"] = enabled ? "false" : "true"
            row["toggleLabel"] = enabled ? "Disable" : "Enable"
            row["canDelete"] = p.admin("DeleteUser", "users/\(name)")
            row["canSetPolicies"] = canSetPolicies
            return row
        }

        let groups: [[String: Any]] = allGroups.prefix(maxRows).map { group in
            let name = group["name"] as? String ?? ""
            let enabled = group["enabled"] as? Bool ?? false
            var row: [String: Any] = ["groupName": name, "groupStatus": enabled ? "Enabled" : "Disabled"]
            row["groupMembers"] = strings(group["members"]).joined(separator: ", ")
            row["groupPolicies"] = strings(group["policies"]).joined(separator: ", ")
            row["canDeleteGroup"] = p.admin("DeleteGroup", "groups/\(name)")
            return row
        }

        var policies: [[String: Any]] = []
        for (index, name) in policyNames.prefix(maxRows).enumerated() {
            var document = ""
            if index < maxDocuments, p.admin("GetPolicy", "policies/\(name)") {
                document = pretty(try await call.s3.admin(.GET, "policies/\(name)"))
            }
            let builtin = BuiltinPolicies.documents[name] != nil
            let deletable = !builtin && p.admin("DeletePolicy", "policies/\(name)")
            let row: [String: Any] = ["policyName": name, "builtin": builtin, "document": document, "hasDocument": !document.isEmpty, "canDeletePolicy": deletable]
            policies.append(row)
        }

        let canCreateKey = p.admin("CreateAccessKey", "users/*/keys") || p.admin("CreateServiceAccount", "users/*/service-accounts")
        let policyChoices: [[String: Any]] = policyNames.prefix(maxChoices).map { ["choiceName": $0] }
        let data: [String: Any] = [
            "maxRows": maxRows,
            "showUsers": showUsers, "users": users, "hasUsers": !users.isEmpty, "usersTruncated": allUsers.count > maxRows,
            "canCreateUser": p.admin("CreateUser", "users/*"),
            "canCreateKey": canCreateKey, "policyChoices": policyChoices,
            "showGroups": showGroups, "groups": groups, "hasGroups": !groups.isEmpty, "groupsTruncated": allGroups.count > maxRows,
            "canCreateGroup": p.admin("CreateGroup", "groups/*"),
            "showPolicies": showPolicies, "policies": policies, "hasPolicies": !policies.isEmpty, "policiesTruncated": policyNames.count > maxRows,
            "canCreatePolicy": p.admin("CreatePolicy", "policies/*"),
            "sts": call.console.configuration.temporaryCredentials.map { ["name": $0.name, "value": $0.value] },
            "stsEndpoint": call.console.configuration.s3Port,
        ]
        return .page(PageContent(title: "Identity", template: "identity", data: data), section: "identity")
    }

    static func act(_ call: ConsoleCall, _ action: ConsoleRoute.IdentityAction) async throws -> ConsoleReply {
        let form = call.form
        func done(_ text: String) -> ConsoleReply { .redirect("/identity", Flash(text: text, isError: false)) }
        switch action {
        case .createUser:
            let name = try field(form, "name", "A user name")
            let policies = try form.all("policy").map { try checked($0, "A policy name") }
            if call.permissions.admin("GetUser", "users/\(name)") {
                try await refuseExisting(call, "users/\(name)", missing: "NoSuchUser", "A user named \(name) already exists.")
            }
            let body: [String: Any] = policies.isEmpty ? [:] : ["policies": policies]
            _ = try await call.s3.admin(.PUT, "users/\(name)", json: body)
            if form["createKey"] == "on" { return try await createKey(call, user: name, serviceAccount: false, expiresDays: nil) }
            return done("User \(name) created.")
        case .deleteUser:
            let name = try field(form, "name", "A user name")
            guard form["confirm"] == name else { throw ConsoleError("Type the user's name to delete it.") }
            _ = try await call.s3.admin(.DELETE, "users/\(name)")
            return done("User \(name) deleted.")
        case .setUserPolicies:
            let name = try field(form, "name", "A user name")
            let wanted = Set(try form.all("policy").map { try checked($0, "A policy name") })
            let current = Set(strings(try await get(call, "users/\(name)")["policies"]))
            for policy in wanted.subtracting(current).sorted() {
                _ = try await call.s3.admin(.PUT, "users/\(name)/policies/\(policy)")
            }
            for policy in current.subtracting(wanted).sorted() {
                _ = try await call.s3.admin(.DELETE, "users/\(name)/policies/\(policy)")
            }
            return done("Policies of \(name) saved.")
        case .setUserEnabled:
            let name = try field(form, "name", "A user name")
            let enabled = form["enabled"] == "true"
            _ = try await call.s3.admin(.PUT, "users/\(name)", json: ["enabled": enabled])
            return done("User \(name) \(enabled ? "enabled" : "disabled").")
        case .createPolicy:
            let name = try field(form, "name", "A policy name")
            guard BuiltinPolicies.documents[name] == nil else { throw ConsoleError("\(name) is a built-in policy and cannot be replaced.") }
            let document = (form["document"] ?? "").trimmingWhitespace
            guard (try? JSONSerialization.jsonObject(with: Data(document.utf8))) is [String: Any] else {
                throw ConsoleError("The policy document is not a JSON object.")
            }
            _ = try await call.s3.admin(.PUT, "policies/\(name)", raw: document)
            return done("Policy \(name) saved.")
        case .deletePolicy:
            let name = try field(form, "name", "A policy name")
            guard form["confirm"] == name else { throw ConsoleError("Type the policy's name to delete it.") }
            _ = try await call.s3.admin(.DELETE, "policies/\(name)")
            return done("Policy \(name) deleted.")
        case .createGroup:
            let name = try field(form, "name", "A group name")
            let members = try form.all("member").map { try checked($0, "A user name") }
            let policies = try form.all("policy").map { try checked($0, "A policy name") }
            if call.permissions.admin("GetGroup", "groups/\(name)") {
                try await refuseExisting(call, "groups/\(name)", missing: "NoSuchGroup", "A group named \(name) already exists.")
            }
            var body: [String: Any] = [:]
            if !members.isEmpty { body["members"] = members }
            if !policies.isEmpty { body["policies"] = policies }
            _ = try await call.s3.admin(.PUT, "groups/\(name)", json: body)
            return done("Group \(name) created.")
        case .deleteGroup:
            let name = try field(form, "name", "A group name")
            guard form["confirm"] == name else { throw ConsoleError("Type the group's name to delete it.") }
            _ = try await call.s3.admin(.DELETE, "groups/\(name)")
            return done("Group \(name) deleted.")
        case .createKey:
            let user = try field(form, "user", "A user name")
            var days: Int?
            if let text = form.nonEmpty("expiresDays") {
                guard let value = Int(text), (1...36_500).contains(value) else { throw ConsoleError("Expiry is a whole number of days from 1 to 36500.") }
                days = value
            }
            return try await createKey(call, user: user, serviceAccount: form["serviceAccount"] == "on", expiresDays: days)
        case .deleteKey:
            let id = try field(form, "accessKey", "An access key")
            guard id != call.session.accessKey else { throw ConsoleError("This session signed in with \(id); it cannot delete its own key.") }
            _ = try await call.s3.admin(.DELETE, "keys/\(id)")
            return done("Access key \(id) deleted.")
        }
    }

    /// The secret is in this one response only: the admin API never returns it again.
    static func createKey(_ call: ConsoleCall, user: String, serviceAccount: Bool, expiresDays: Int?) async throws -> ConsoleReply {
        var body: [String: Any] = [:]
        if let expiresDays { body["expiresInSeconds"] = expiresDays * 86_400 }
        let reply = object(try await call.s3.admin(.POST, "users/\(user)/" + (serviceAccount ? "service-accounts" : "keys"), json: body))
        guard let id = reply["accessKey"] as? String, let secret = reply["secretKey"] as? String else {
            throw ClientError(status: 502, code: "BadResponse", message: "The server did not return the new key.")
        }
        let data: [String: Any] = [
            "user": user, "kind": serviceAccount ? "Service account" : "Access key", "accessKey": id, "secretKey": secret,
            "expires": expiresDays.map { "in \($0) days" } ?? "never",
        ]
        return .page(PageContent(title: "Access key created", template: "identityKeyCreated", data: data), section: "identity")
    }

    /// Creating is an upsert in the admin API: an existing user or group would be overwritten.
    static func refuseExisting(_ call: ConsoleCall, _ path: String, missing: String, _ message: String) async throws {
        do {
            _ = try await call.s3.admin(.GET, path)
        } catch let error as ClientError where error.code == missing {
            return
        }
        throw ConsoleError(message)
    }

    static func field(_ form: FormFields, _ name: String, _ what: String) throws -> String {
        try checked(form.nonEmpty(name) ?? "", what)
    }

    /// The admin API's name rule (ASCII letters, digits, `+=,.@_-`, at most 64); checked here too
    /// because names become path segments: `.`, `..` or a `/` would address another endpoint.
    static func checked(_ name: String, _ what: String) throws -> String {
        let allowed = name.utf8.allSatisfy { byte in
            let alphanumeric = (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
            return alphanumeric || "+=,.@_-".utf8.contains(byte)
        }
        guard allowed, !name.isEmpty, name.utf8.count <= 64, name != ".", name != ".." else { throw ConsoleError("\(what) is 1 to 64 letters, digits and + = , . @ _ - characters.") }
        return name
    }

    static func get(_ call: ConsoleCall, _ path: String) async throws -> [String: Any] {
        object(try await call.s3.admin(.GET, path))
    }

    static func object(_ json: Any?) -> [String: Any] { json as? [String: Any] ?? [:] }
    static func objects(_ json: Any?) -> [[String: Any]] { json as? [[String: Any]] ?? [] }
    static func strings(_ json: Any?) -> [String] { json as? [String] ?? [] }

    static func pretty(_ json: Any?) -> String {
        guard let json, JSONSerialization.isValidJSONObject(json),
            let data = try? JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        else { return json.map { "\($0)" } ?? "" }
        return String(decoding: data, as: UTF8.self)
    }
}

extension Templates {
    static let identity: [String: String] = [
        "identity": """
            <h1>Identity</h1>
            {{#showUsers}}
            <section class="card" id="users">
            <h2>Users</h2>
            {{#canCreateUser}}
            <form method="post" action="/identity/users" class="card inline" id="create-user-form">
            {{> csrf}}<input type="hidden" name="back" value="/identity">
            <label for="user-name">New user</label>
            <input id="user-name" name="name" required maxlength="64" autocomplete="off">
            {{#policyChoices}}<label class="check"><input type="checkbox" name="policy" value="{{choiceName}}" id="user-policy-{{choiceName}}"> {{choiceName}}</label>{{/policyChoices}}
            {{#canCreateKey}}<label class="check"><input type="checkbox" name="createKey" id="user-create-key"> Create an access key now</label>{{/canCreateKey}}
            <button type="submit" id="create-user">Create user</button>
            </form>
            {{/canCreateUser}}
            {{#usersTruncated}}<p class="hint">Showing the first {{maxRows}} users.</p>{{/usersTruncated}}
            {{^hasUsers}}<p class="hint">No users yet.</p>{{/hasUsers}}
            {{#hasUsers}}
            <table class="list" id="user-list">
            <thead><tr><th scope="col">Name</th><th scope="col">Status</th><th scope="col">Policies</th><th scope="col">Groups</th><th scope="col">Keys</th><th scope="col">Delete</th></tr></thead>
            <tbody>
            {{#users}}<tr id="user-{{userName}}">
            <td>{{userName}}</td>
            <td><span id="user-status-{{userName}}">{{status}}</span>{{#canToggle}}
            <form method="post" action="/identity/users/enabled" class="inline">{{> csrf}}<input type="hidden" name="back" value="/identity"><input type="hidden" name="name" value="{{userName}}"><input type="hidden" name="enabled" value="{{toggleValue}}"><button type="submit" id="toggle-user-{{userName}}">{{toggleLabel}}</button></form>{{/canToggle}}</td>
            <td><span id="user-policies-{{userName}}">{{policyList}}</span>{{#canSetPolicies}}
            <form method="post" action="/identity/users/policies" id="policies-form-{{userName}}">{{> csrf}}<input type="hidden" name="back" value="/identity"><input type="hidden" name="name" value="{{userName}}">
            <label for="policies-{{userName}}">Attached policies of {{userName}}</label>
            <select multiple id="policies-{{userName}}" name="policy">{{#options}}<option value="{{optionName}}"{{#optionSelected}} selected{{/optionSelected}}>{{optionName}}</option>{{/options}}</select>
            <button type="submit" id="set-policies-{{userName}}">Save policies</button></form>{{/canSetPolicies}}</td>
            <td>{{groupList}}</td>
            <td>{{#keys}}<div><code>{{keyId}}</code> {{keyKind}}{{#keyCurrent}} (this session){{/keyCurrent}}{{#canDeleteKey}}
            <form method="post" action="/identity/keys/delete" class="inline">{{> csrf}}<input type="hidden" name="back" value="/identity"><input type="hidden" name="accessKey" value="{{keyId}}"><button type="submit" class="danger" id="delete-key-{{keyId}}" aria-label="Delete {{keyKind}} {{keyId}}">Delete</button></form>{{/canDeleteKey}}</div>{{/keys}}</td>
            <td>{{#canDelete}}<form method="post" action="/identity/users/delete" id="delete-user-form-{{userName}}">{{> csrf}}<input type="hidden" name="back" value="/identity"><input type="hidden" name="name" value="{{userName}}">
            <label for="confirm-user-{{userName}}">Type <strong>{{userName}}</strong> to delete</label>
            <input id="confirm-user-{{userName}}" name="confirm" autocomplete="off" required>
            <button type="submit" class="danger" id="delete-user-{{userName}}">Delete user</button></form>{{/canDelete}}</td>
            </tr>
            {{/users}}
            </tbody></table>
            {{/hasUsers}}
            </section>
            {{/showUsers}}
            {{#canCreateKey}}
            <section class="card" id="access-keys">
            <h2>Access keys</h2>
            <form method="post" action="/identity/keys" class="card inline" id="create-key-form">
            {{> csrf}}<input type="hidden" name="back" value="/identity">
            <label for="key-user">User</label>
            <input id="key-user" name="user" list="user-names" required maxlength="64" autocomplete="off">
            <datalist id="user-names">{{#users}}<option value="{{userName}}">{{/users}}</datalist>
            <label class="check"><input type="checkbox" name="serviceAccount" id="key-service-account"> Service account</label>
            <label for="key-expires-days">Expires after (days, optional)</label>
            <input id="key-expires-days" name="expiresDays" type="number" min="1" max="36500">
            <button type="submit" id="create-key">Create access key</button>
            </form>
            <p class="hint">The secret key is shown once, on the next page.</p>
            </section>
            {{/canCreateKey}}
            {{#showGroups}}
            <section class="card" id="groups">
            <h2>Groups</h2>
            {{#canCreateGroup}}
            <form method="post" action="/identity/groups" class="card inline" id="create-group-form">
            {{> csrf}}<input type="hidden" name="back" value="/identity">
            <label for="group-name">New group</label>
            <input id="group-name" name="name" required maxlength="64" autocomplete="off">
            {{#hasUsers}}<fieldset><legend>Members</legend>{{#users}}<label class="check"><input type="checkbox" name="member" value="{{userName}}" id="group-member-{{userName}}"> {{userName}}</label>{{/users}}</fieldset>{{/hasUsers}}
            {{#hasPolicies}}<fieldset><legend>Policies</legend>{{#policyChoices}}<label class="check"><input type="checkbox" name="policy" value="{{choiceName}}" id="group-policy-{{choiceName}}"> {{choiceName}}</label>{{/policyChoices}}</fieldset>{{/hasPolicies}}
            <button type="submit" id="create-group">Create group</button>
            </form>
            {{/canCreateGroup}}
            {{#groupsTruncated}}<p class="hint">Showing the first {{maxRows}} groups.</p>{{/groupsTruncated}}
            {{^hasGroups}}<p class="hint">No groups yet.</p>{{/hasGroups}}
            {{#hasGroups}}
            <table class="list" id="group-list">
            <thead><tr><th scope="col">Name</th><th scope="col">Status</th><th scope="col">Members</th><th scope="col">Policies</th><th scope="col">Delete</th></tr></thead>
            <tbody>
            {{#groups}}<tr id="group-{{groupName}}"><td>{{groupName}}</td><td>{{groupStatus}}</td><td>{{groupMembers}}</td><td>{{groupPolicies}}</td>
            <td>{{#canDeleteGroup}}<form method="post" action="/identity/groups/delete" id="delete-group-form-{{groupName}}">{{> csrf}}<input type="hidden" name="back" value="/identity"><input type="hidden" name="name" value="{{groupName}}">
            <label for="confirm-group-{{groupName}}">Type <strong>{{groupName}}</strong> to delete</label>
            <input id="confirm-group-{{groupName}}" name="confirm" autocomplete="off" required>
            <button type="submit" class="danger" id="delete-group-{{groupName}}">Delete group</button></form>{{/canDeleteGroup}}</td></tr>
            {{/groups}}
            </tbody></table>
            {{/hasGroups}}
            </section>
            {{/showGroups}}
            {{#showPolicies}}
            <section class="card" id="policies">
            <h2>Policies</h2>
            {{#canCreatePolicy}}
            <form method="post" action="/identity/policies" class="card" id="create-policy-form">
            {{> csrf}}<input type="hidden" name="back" value="/identity">
            <label for="policy-name">Policy name (an existing one is replaced)</label>
            <input id="policy-name" name="name" required maxlength="64" autocomplete="off">
            <label for="policy-document">Policy JSON</label>
            <textarea id="policy-document" name="document" rows="10" spellcheck="false" class="code" data-json required></textarea>
            <button type="submit" id="create-policy">Save policy</button>
            </form>
            {{/canCreatePolicy}}
            {{#policiesTruncated}}<p class="hint">Showing the first {{maxRows}} policies.</p>{{/policiesTruncated}}
            {{#hasPolicies}}
            <table class="list" id="policy-list">
            <thead><tr><th scope="col">Name</th><th scope="col">Document</th><th scope="col">Delete</th></tr></thead>
            <tbody>
            {{#policies}}<tr id="policy-{{policyName}}"><td>{{policyName}}{{#builtin}} <span class="hint">(built-in)</span>{{/builtin}}</td>
            <td>{{#hasDocument}}<details><summary>JSON</summary><pre class="code">{{document}}</pre></details>{{/hasDocument}}</td>
            <td>{{#canDeletePolicy}}<form method="post" action="/identity/policies/delete" id="delete-policy-form-{{policyName}}">{{> csrf}}<input type="hidden" name="back" value="/identity"><input type="hidden" name="name" value="{{policyName}}">
            <label for="confirm-policy-{{policyName}}">Type <strong>{{policyName}}</strong> to delete</label>
            <input id="confirm-policy-{{policyName}}" name="confirm" autocomplete="off" required>
            <button type="submit" class="danger" id="delete-policy-{{policyName}}">Delete policy</button></form>{{/canDeletePolicy}}</td></tr>
            {{/policies}}
            </tbody></table>
            {{/hasPolicies}}
            </section>
            {{/showPolicies}}
            <section class="card" id="sts-settings">
            <h2>Temporary credentials (STS)</h2>
            <dl>{{#sts}}<dt>{{name}}</dt><dd>{{value}}</dd>{{/sts}}</dl>
            <p class="hint">AssumeRole is served by the S3 API (port {{stsEndpoint}}, <code>POST /</code> with <code>Action=AssumeRole</code>); a session can do no more than its caller and the policy it passes allow. These settings come from the server's environment (docs/configuration.md).</p>
            </section>
            """,
        "identityKeyCreated": """
            <h1>{{kind}} created</h1>
            <section class="card">
            <p class="flash error" role="alert" id="secret-warning">Copy the secret key now: it is shown only this once and cannot be shown again.</p>
            <dl>
            <dt>User</dt><dd id="new-key-user">{{user}}</dd>
            <dt>Access key</dt><dd><code id="new-access-key">{{accessKey}}</code></dd>
            <dt>Secret key</dt><dd><code id="new-secret-key">{{secretKey}}</code></dd>
            <dt>Expires</dt><dd>{{expires}}</dd>
            </dl>
            <p><a href="/identity" id="back-to-identity">Back to identity</a></p>
            </section>
            """,
    ]
}
