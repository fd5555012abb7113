import Foundation
import Hummingbird
import HTTPTypes
import Identity
import NIOCore
import ObjectStore
import S3Model
import SigV4

/// `/floe/admin/v1/…` on the S3 port, SigV4-signed: users, access keys, service accounts, groups,
/// policies, server info. Root may call everything; others need a policy allowing
/// `admin:<Action>`. Every change is made durable, then applied to the in-memory directory, then audited.
extension S3Responder {
    func admin(_ call: S3Call) async throws -> Response {
        let parts = call.target.key!.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard parts.count >= 3, parts[0] == "admin", parts[1] == "v1" else { throw S3Error.methodNotAllowed("Unknown admin endpoint") }
        let path = Array(parts.dropFirst(2))
        // Names are ASCII (see validName): checked here, before any lookup in the directory.
        guard path.allSatisfy(Self.validName) else { throw S3Error.invalidArgument("Invalid name in the admin path") }
        let route = AdminRoute(method: call.request.method, path: path)
        guard let action = route.action else { throw S3Error.methodNotAllowed("Unknown admin endpoint") }
        // Long-term credentials carry neither a session's expiry nor a narrowing policy: a
        // narrowed or temporary caller may not mint or re-enable them (it would shed its limits).
        if Self.credentialActions.contains(action), !call.principal.restrictions.isEmpty || [.session, .delegated, .serviceAccount].contains(call.principal.kind) {
            auditDenied(call, request: AccessRequest(action: "admin:\(action)", resource: "arn:floe:admin:::" + path.joined(separator: "/")))
            throw S3Error.accessDenied("Sessions, service accounts and narrowed credentials cannot create or change access keys")
        }
        let response = try await adminCall(call, route)
        if route.method != .get {
            audit.record(AuditEvent(
                requestID: call.requestID, api: "admin", principal: call.principal.name, accessKey: call.principal.accessKeyID, sourceIP: call.remoteAddress,
                action: "admin:\(action)", resource: path.joined(separator: "/"), outcome: "allowed", status: Int(response.status.code)))
        }
        return response
    }

    func adminCall(_ call: S3Call, _ route: AdminRoute) async throws -> Response {
        let path = route.path
        switch route.action ?? "" {
        case "ServerInfo":
            let usage = try await store.index.usage()
            let snapshot = directory.snapshot
            return Self.jsonResponse([
                "buckets": usage.buckets, "objects": usage.objects, "bytes": usage.bytes, "region": configuration.region,
                "users": snapshot.users.count, "groups": snapshot.groups.count, "policies": snapshot.policyTexts.count,
            ])
        case "ListKMSKeys", "CreateKMSKey", "RotateKMSKey":
            return try await kmsCall(route)
        case "ListNotificationTargets", "PutNotificationTarget", "DeleteNotificationTarget", "GetNotificationStatus", "RedriveNotifications",
            "PurgeDeadNotifications":
            return try await notifyCall(call, route)
        case "ListUsers":
            let snapshot = directory.snapshot
            return Self.jsonResponse(["users": snapshot.users.values.sorted { $0.name < $1.name }.map { Self.userJSON($0, snapshot) }])
        case "GetUser":
            let snapshot = directory.snapshot
            guard let user = snapshot.users[path[1]] else { throw AdminError.noSuchUser }
            return Self.jsonResponse(Self.userJSON(user, snapshot))
        case "CreateUser":
            let body = try await readJSONObject(call)
            let name = path[1]
            guard Self.validName(name), name != directory.root.accessKeyID else { throw S3Error.invalidArgument("Invalid user name") }
            var user = directory.snapshot.users[name] ?? UserRecord(name: name)
            if let enabled = body["enabled"] as? Bool { user.enabled = enabled }
            if let policies = body["policies"] as? [String] {
                try await authorizeEdits(call, of: "users/\(name)/policies", from: user.policies, to: policies, adding: "AttachPolicy", removing: "DetachPolicy")
                user.policies = try knownPolicies(policies)
            }
            try await identityStore.saveUser(user)
            directory.replace { $0.users[name] = user }
            return Self.jsonResponse(Self.userJSON(user, directory.snapshot))
        case "DeleteUser":
            guard directory.snapshot.users[path[1]] != nil else { throw AdminError.noSuchUser }
            // Buckets are owned by name: a user created later under the same name must not inherit them.
            let owned = try await store.listBuckets().filter { $0.owner == path[1] }.map(\.name)
            if !owned.isEmpty {
                throw S3Error(code: "DeleteConflict", status: 409, message: "The user owns buckets (\(owned.prefix(5).joined(separator: ", "))); delete them first")
            }
            try await identityStore.deleteUser(path[1])
            directory.replace { s in
                s.users[path[1]] = nil
                s.keys = s.keys.filter { $0.value.user != path[1] }
                for name in s.groups.keys { s.groups[name]?.members.removeAll { $0 == path[1] } }
            }
            return Response(status: .noContent)
        case "AttachPolicy" where path[0] == "users", "DetachPolicy" where path[0] == "users":
            guard var user = directory.snapshot.users[path[1]] else { throw AdminError.noSuchUser }
            user.policies = try Self.edit(user.policies, path[3], add: route.method == .put, known: knownPolicies)
            try await identityStore.saveUser(user)
            directory.replace { $0.users[user.name] = user }
            return Response(status: .noContent)
        case "CreateAccessKey", "CreateServiceAccount":
            guard directory.snapshot.users[path[1]] != nil else { throw AdminError.noSuchUser }
            let body = try await readJSONObject(call)
            let expires = try Self.expiry(body["expiresInSeconds"])
            var policy: String?
            if route.action == "CreateServiceAccount" { policy = try Self.inlinePolicy(body["policy"]) }
            let (id, secret) = CredentialGenerator.make()
            let key = UserKey(
                accessKeyID: id, secretKey: secret, user: path[1], enabled: true, expires: expires,
                isServiceAccount: route.action == "CreateServiceAccount", policy: policy)
            try await identityStore.saveKey(key)
            directory.replace { $0.keys[id] = key }
            return Self.jsonResponse(["accessKey": id, "secretKey": secret, "user": path[1]])
        case "ListServiceAccounts":
            let accounts = directory.snapshot.keys.values.filter(\.isServiceAccount).sorted { $0.accessKeyID < $1.accessKeyID }
            return Self.jsonResponse(["serviceAccounts": accounts.map(Self.keyJSON)])
        case "UpdateAccessKey":
            guard var key = directory.snapshot.keys[path[1]] else { throw S3Error.invalidAccessKeyId("The access key does not exist") }
            try await authorizeKeyOwner(call, "UpdateAccessKey", key)
            let body = try await readJSONObject(call)
            if let enabled = body["enabled"] as? Bool { key.enabled = enabled }
            if body["policy"] != nil, key.isServiceAccount { key.policy = try Self.inlinePolicy(body["policy"]) }
            try await identityStore.saveKey(key)
            directory.replace { $0.keys[key.accessKeyID] = key }
            return Self.jsonResponse(Self.keyJSON(key))
        case "DeleteAccessKey":
            guard let key = directory.snapshot.keys[path[1]] else { throw S3Error.invalidAccessKeyId("The access key does not exist") }
            try await authorizeKeyOwner(call, "DeleteAccessKey", key)
            try await identityStore.deleteKey(path[1])
            directory.replace { $0.keys[path[1]] = nil }
            return Response(status: .noContent)
        case "ListGroups":
            return Self.jsonResponse(["groups": directory.snapshot.groups.values.sorted { $0.name < $1.name }.map(Self.groupJSON)])
        case "GetGroup":
            guard let group = directory.snapshot.groups[path[1]] else { throw AdminError.noSuchGroup }
            return Self.jsonResponse(Self.groupJSON(group))
        case "CreateGroup":
            let body = try await readJSONObject(call)
            guard Self.validName(path[1]) else { throw S3Error.invalidArgument("Invalid group name") }
            var group = directory.snapshot.groups[path[1]] ?? GroupRecord(name: path[1])
            if let enabled = body["enabled"] as? Bool { group.enabled = enabled }
            if let policies = body["policies"] as? [String] {
                try await authorizeEdits(call, of: "groups/\(path[1])/policies", from: group.policies, to: policies, adding: "AttachPolicy", removing: "DetachPolicy")
                group.policies = try knownPolicies(policies)
            }
            if let members = body["members"] as? [String] {
                try await authorizeEdits(call, of: "groups/\(path[1])/members", from: group.members, to: members, adding: "AddGroupMember", removing: "RemoveGroupMember")
                group.members = try knownUsers(members)
            }
            try await saveGroup(group)
            return Self.jsonResponse(Self.groupJSON(group))
        case "DeleteGroup":
            guard directory.snapshot.groups[path[1]] != nil else { throw AdminError.noSuchGroup }
            try await identityStore.deleteGroup(path[1])
            directory.replace { $0.groups[path[1]] = nil }
            return Response(status: .noContent)
        case "AddGroupMember", "RemoveGroupMember":
            guard var group = directory.snapshot.groups[path[1]] else { throw AdminError.noSuchGroup }
            group.members = try Self.edit(group.members, path[3], add: route.method == .put, known: knownUsers)
            try await saveGroup(group)
            return Response(status: .noContent)
        case "AttachPolicy", "DetachPolicy":
            guard var group = directory.snapshot.groups[path[1]] else { throw AdminError.noSuchGroup }
            group.policies = try Self.edit(group.policies, path[3], add: route.method == .put, known: knownPolicies)
            try await saveGroup(group)
            return Response(status: .noContent)
        case "ListPolicies":
            return Self.jsonResponse(["policies": directory.snapshot.policyTexts.keys.sorted()])
        case "GetPolicy":
            guard let text = directory.snapshot.policyTexts[path[1]] else { throw AdminError.noSuchPolicy }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
        case "CreatePolicy":
            guard BuiltinPolicies.documents[path[1]] == nil else { throw S3Error.invalidArgument("Built-in policies cannot be replaced") }
            guard Self.validName(path[1]) else { throw S3Error.invalidArgument("Invalid policy name") }
            let text = String(decoding: try await readAdminBody(call), as: UTF8.self)
            let document = try Self.parsePolicy(text)
            try await identityStore.savePolicy(name: path[1], document: text)
            directory.replace { s in
                s.policies[path[1]] = document
                s.policyTexts[path[1]] = text
            }
            return Response(status: .noContent)
        case "DeletePolicy":
            guard BuiltinPolicies.documents[path[1]] == nil else { throw S3Error.invalidArgument("Built-in policies cannot be deleted") }
            let snapshot = directory.snapshot
            guard snapshot.policyTexts[path[1]] != nil else { throw AdminError.noSuchPolicy }
            let holders = snapshot.users.values.filter { $0.policies.contains(path[1]) }.map(\.name)
                + snapshot.groups.values.filter { $0.policies.contains(path[1]) }.map { "group \($0.name)" }
            guard holders.isEmpty else { throw AdminError.policyInUse(holders.sorted()) }
            try await identityStore.deletePolicy(path[1])
            directory.replace { s in
                s.policies[path[1]] = nil
                s.policyTexts[path[1]] = nil
            }
            return Response(status: .noContent)
        default:
            throw S3Error.methodNotAllowed("Unknown admin endpoint")
        }
    }

    /// A create-or-update body that also sets a list (policies, members) makes each change the
    /// dedicated call would: each is authorized as that call's action on its own resource
    /// (`users/alice/policies/admin`), so CreateUser cannot grant what AttachPolicy may not.
    /// `keys/<id>` names no owner: a key is also authorized as `users/<owner>/keys/<id>`, so
    /// a policy can let users manage their own keys and no one else's.
    func authorizeKeyOwner(_ call: S3Call, _ action: String, _ key: UserKey) async throws {
        var scope = AccessScope(call: call)
        let resource = ResourceAccess(action: "admin:\(action)", resource: .admin("users/\(key.user)/keys/\(key.accessKeyID)"))
        guard await isAllowed(resource, in: &scope) else { throw S3Error.accessDenied() }
    }

    static let credentialActions: Set<String> = ["CreateAccessKey", "CreateServiceAccount", "UpdateAccessKey"]

    func authorizeEdits(_ call: S3Call, of resource: String, from old: [String], to new: [String], adding: String, removing: String) async throws {
        var scope = AccessScope(call: call)
        let changes = Set(new).subtracting(old).sorted().map { ("admin:" + adding, $0) } + Set(old).subtracting(new).sorted().map { ("admin:" + removing, $0) }
        for (action, item) in changes {
            guard await isAllowed(ResourceAccess(action: action, resource: .admin("\(resource)/\(item)")), in: &scope) else { throw S3Error.accessDenied() }
        }
    }

    func saveGroup(_ group: GroupRecord) async throws {
        try await identityStore.saveGroup(group)
        directory.replace { $0.groups[group.name] = group }
    }

    func knownPolicies(_ names: [String]) throws -> [String] {
        if let invalid = names.first(where: { !Self.validName($0) }) { throw S3Error.invalidArgument("Invalid policy name \(invalid)") }
        let known = directory.snapshot.policies
        if let unknown = names.first(where: { known[$0] == nil }) { throw S3Error.invalidArgument("Unknown policy \(unknown)") }
        return names
    }

    func knownUsers(_ names: [String]) throws -> [String] {
        if let invalid = names.first(where: { !Self.validName($0) }) { throw S3Error.invalidArgument("Invalid user name \(invalid)") }
        let known = directory.snapshot.users
        if let unknown = names.first(where: { known[$0] == nil }) { throw S3Error.invalidArgument("Unknown user \(unknown)") }
        return names
    }

    /// Adds (once) or removes `item`, validating additions.
    static func edit(_ list: [String], _ item: String, add: Bool, known: ([String]) throws -> [String]) throws -> [String] {
        if !add { return list.filter { $0 != item } }
        _ = try known([item])
        return list.contains(item) ? list : list + [item]
    }

    static func validName(_ name: String) -> Bool {
        // ASCII only, as IAM names: the directory and policies must never meet two spellings of
        // one name (K and KELVIN SIGN compare equal as Swift strings, not as bytes).
        !name.isEmpty && name.utf8.count <= 64
            && name.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || "+=,.@_-".utf8.contains($0) }
    }

    static func parsePolicy(_ text: String) throws -> PolicyDocument {
        do {
            return try PolicyDocument(json: text)
        } catch {
            throw S3Error(code: "MalformedPolicy", status: 400, message: error.reason)
        }
    }

    /// A policy given in a JSON body, as an object or as JSON text; nil when absent.
    static func inlinePolicy(_ value: Any?) throws -> String? {
        guard let value, !(value is NSNull) else { return nil }
        let text: String
        if let string = value as? String {
            text = string
        } else {
            guard JSONSerialization.isValidJSONObject(value), let data = try? JSONSerialization.data(withJSONObject: value) else {
                throw S3Error(code: "MalformedPolicy", status: 400, message: "The policy must be a JSON object")
            }
            text = String(decoding: data, as: UTF8.self)
        }
        _ = try parsePolicy(text)
        return text
    }

    static func expiry(_ value: Any?) throws -> Int64? {
        guard let value else { return nil }
        // At most 100 years: the expiry in milliseconds must not overflow.
        guard let seconds = value as? Int, (1...3_153_600_000).contains(seconds) else {
            throw S3Error.invalidArgument("expiresInSeconds must be a positive integer of at most 3153600000 (100 years)")
        }
        return Int64(Date().timeIntervalSince1970 * 1000) + Int64(seconds) * 1000
    }

    static func userJSON(_ user: UserRecord, _ snapshot: Directory.Snapshot) -> [String: Any] {
        let keys = snapshot.keys.values.filter { $0.user == user.name && !$0.isServiceAccount }.map(\.accessKeyID).sorted()
        let accounts = snapshot.keys.values.filter { $0.user == user.name && $0.isServiceAccount }.map(\.accessKeyID).sorted()
        let groups = snapshot.groups.values.filter { $0.members.contains(user.name) }.map(\.name).sorted()
        return ["name": user.name, "enabled": user.enabled, "policies": user.policies, "accessKeys": keys, "serviceAccounts": accounts, "groups": groups]
    }

    static func keyJSON(_ key: UserKey) -> [String: Any] {
        var json: [String: Any] = ["accessKey": key.accessKeyID, "user": key.user, "enabled": key.enabled, "serviceAccount": key.isServiceAccount]
        if let expires = key.expires { json["expiresAtMs"] = expires }
        if let policy = key.policy { json["policy"] = policy }
        return json
    }

    static func groupJSON(_ group: GroupRecord) -> [String: Any] {
        ["name": group.name, "enabled": group.enabled, "members": group.members, "policies": group.policies]
    }

    /// An admin body: read under its limit and checked against the signed payload hash, which
    /// admin requests must carry (a captured request cannot be replayed with another body).
    func readAdminBody(_ call: S3Call) async throws -> [UInt8] {
        var signedBody = false
        if case .sha256(let hex)? = call.verified?.payload { signedBody = !hex.isEmpty }
        guard signedBody else {
            throw S3Error.invalidRequest("Admin requests must sign their body: x-amz-content-sha256 must be the body's SHA-256")
        }
        return try await readVerifiedBody(call, limit: 64 * 1024, required: false)
    }

    func readJSONObject(_ call: S3Call) async throws -> [String: Any] {
        let bytes = try await readAdminBody(call)
        if bytes.isEmpty { return [:] }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] else {
            throw S3Error.invalidArgument("The request body must be a JSON object")
        }
        return object
    }

    /// The SSE-KMS key store: named keys (material never leaves the server), rotated by version.
    func kmsCall(_ route: AdminRoute) async throws -> Response {
        guard let vault = store.vault else { throw StoreError.internalFailure("no key vault") }
        func json(_ versions: [KMSKeyRecord]) -> [String: Any] {
            let newest = versions.max { $0.version < $1.version }
            return [
                "name": newest?.name ?? "", "version": newest?.version ?? 0, "versions": versions.count,
                "created": HTTPDate.iso8601(milliseconds: versions.map(\.created).min() ?? 0),
                "rotated": HTTPDate.iso8601(milliseconds: newest?.created ?? 0),
            ]
        }
        switch route.action ?? "" {
        case "CreateKMSKey":
            return Self.jsonResponse(json([try await vault.addKey(route.path[2], rotate: false)]))
        case "RotateKMSKey":
            _ = try await vault.addKey(route.path[2], rotate: true)
            return Self.jsonResponse(json(try await vault.keys().filter { $0.name == route.path[2] }))
        default:
            let grouped = Dictionary(grouping: try await vault.keys(), by: \.name)
            return Self.jsonResponse(["keys": grouped.keys.sorted().map { json(grouped[$0]!) }])
        }
    }

    /// Webhook targets of bucket notifications (credentials are write-only) and the outbox's state.
    func notifyCall(_ call: S3Call, _ route: AdminRoute) async throws -> Response {
        switch route.action ?? "" {
        case "PutNotificationTarget":
            let body = try await readJSONObject(call)
            guard let url = body["url"] as? String else { throw S3Error.invalidArgument("A target needs a \"url\"") }
            let buckets = body["buckets"] as? [String] ?? []
            try await store.putNotificationTarget(NotificationTarget(
                name: route.path[2], url: url, authorization: body["authorization"] as? String, signingSecret: body["secret"] as? String,
                allowedBuckets: buckets))
            return Self.jsonResponse(["name": route.path[2], "url": url, "buckets": buckets])
        case "RedriveNotifications":
            return Self.jsonResponse(["redriven": try await store.index.redriveOutbox(target: route.path.count > 2 ? route.path[2] : nil)])
        case "PurgeDeadNotifications":
            return Self.jsonResponse(["purged": try await store.index.purgeDeadLetters(target: route.path.count > 2 ? route.path[2] : nil)])
        case "DeleteNotificationTarget":
            guard try await store.index.deleteNotificationTarget(name: route.path[2]) else {
                throw S3Error(code: "NoSuchTarget", status: 404, message: "The notification target does not exist")
            }
            return Response(status: .noContent)
        case "GetNotificationStatus":
            let counts = try await store.index.outboxCounts()
            var targets: [String: Any] = [:]
            for (name, count) in counts { targets[name] = ["pending": count.pending, "dead": count.dead] }
            return Self.jsonResponse([
                "pending": counts.values.reduce(0) { $0 + $1.pending }, "dead": counts.values.reduce(0) { $0 + $1.dead }, "targets": targets,
            ])
        default:
            let targets = try await store.notificationTargets()
            return Self.jsonResponse(["targets": targets.map {
                ["name": $0.name, "url": $0.url, "authorization": $0.authorization != nil, "signed": $0.signingSecret != nil, "buckets": $0.allowedBuckets] as [String: Any]
            }])
        }
    }

    static func jsonResponse(_ object: [String: Any]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// An admin request's method and path (after `/floe/admin/v1/`), named by the `admin:` action it performs.
struct AdminRoute {
    let method: HTTPRequest.Method
    let path: [String]

    var action: String? {
        switch (method, path.count, path.first ?? "") {
        case (.get, 1, "info"): return "ServerInfo"
        case (.get, 1, "users"): return "ListUsers"
        case (.get, 2, "users"): return "GetUser"
        case (.put, 2, "users"): return "CreateUser"
        case (.delete, 2, "users"): return "DeleteUser"
        case (.post, 3, "users") where path[2] == "keys": return "CreateAccessKey"
        case (.post, 3, "users") where path[2] == "service-accounts": return "CreateServiceAccount"
        case (.put, 4, "users") where path[2] == "policies", (.put, 4, "groups") where path[2] == "policies": return "AttachPolicy"
        case (.delete, 4, "users") where path[2] == "policies", (.delete, 4, "groups") where path[2] == "policies": return "DetachPolicy"
        case (.get, 1, "service-accounts"): return "ListServiceAccounts"
        case (.put, 2, "keys"): return "UpdateAccessKey"
        case (.delete, 2, "keys"): return "DeleteAccessKey"
        case (.get, 1, "groups"): return "ListGroups"
        case (.get, 2, "groups"): return "GetGroup"
        case (.put, 2, "groups"): return "CreateGroup"
        case (.delete, 2, "groups"): return "DeleteGroup"
        case (.put, 4, "groups") where path[2] == "members": return "AddGroupMember"
        case (.delete, 4, "groups") where path[2] == "members": return "RemoveGroupMember"
        case (.get, 1, "policies"): return "ListPolicies"
        case (.get, 2, "policies"): return "GetPolicy"
        case (.put, 2, "policies"): return "CreatePolicy"
        case (.delete, 2, "policies"): return "DeletePolicy"
        case (.get, 2, "kms") where path[1] == "keys": return "ListKMSKeys"
        case (.put, 3, "kms") where path[1] == "keys": return "CreateKMSKey"
        case (.post, 4, "kms") where path[1] == "keys" && path[3] == "rotate": return "RotateKMSKey"
        case (.get, 2, "notify") where path[1] == "targets": return "ListNotificationTargets"
        case (.put, 3, "notify") where path[1] == "targets": return "PutNotificationTarget"
        case (.delete, 3, "notify") where path[1] == "targets": return "DeleteNotificationTarget"
        case (.get, 2, "notify") where path[1] == "status": return "GetNotificationStatus"
        case (.post, 2, "notify") where path[1] == "redrive", (.post, 3, "notify") where path[1] == "redrive": return "RedriveNotifications"
        case (.delete, 2, "notify") where path[1] == "dead", (.delete, 3, "notify") where path[1] == "dead": return "PurgeDeadNotifications"
        default: return nil
        }
    }
}

/// Admin failures, rendered as S3 errors with their own codes.
enum AdminError {
    static let noSuchUser = S3Error(code: "NoSuchUser", status: 404, message: "The user does not exist")
    static let noSuchGroup = S3Error(code: "NoSuchGroup", status: 404, message: "The group does not exist")
    static let noSuchPolicy = S3Error(code: "NoSuchPolicy", status: 404, message: "The policy does not exist")
    static func policyInUse(_ holders: [String]) -> S3Error {
        S3Error(code: "PolicyInUse", status: 409, message: "The policy is attached to \(holders.joined(separator: ", ")); detach it first")
    }
}
