import Foundation
import Hummingbird
import HTTPTypes
import Identity
import NIOCore
import ObjectStore
import S3Model

/// `/floe/admin/v1/…` on the S3 port, SigV4-signed: users, access keys, policies, server info.
/// Root may call everything; others need a policy allowing `admin:<Action>`.
extension S3Responder {
    func admin(_ call: S3Call) async throws -> Response {
        let parts = call.target.key!.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard parts.count >= 3, parts[0] == "admin", parts[1] == "v1" else { throw S3Error.methodNotAllowed("Unknown admin endpoint") }
        let path = Array(parts.dropFirst(2))
        let method = call.request.method
        switch (method, path.count, path[0]) {
        case (.get, 1, "info"):
            try requireAdmin(call, "ServerInfo")
            let usage = try await store.index.usage()
            return Self.jsonResponse(["buckets": usage.buckets, "objects": usage.objects, "bytes": usage.bytes, "region": configuration.region,
                                      "users": directory.snapshot.users.count])
        case (.get, 1, "users"):
            try requireAdmin(call, "ListUsers")
            let snapshot = directory.snapshot
            let users = snapshot.users.values.sorted { $0.name < $1.name }.map { user -> [String: Any] in
                let keys = snapshot.keys.values.filter { $0.user == user.name }.map(\.accessKeyID).sorted()
                return ["name": user.name, "enabled": user.enabled, "policies": user.policies, "accessKeys": keys]
            }
            return Self.jsonResponse(["users": users])
        case (.put, 2, "users"):
            try requireAdmin(call, "CreateUser")
            let body = try await Self.readJSONObject(call)
            let policies = body["policies"] as? [String] ?? []
            let known = directory.snapshot.policies
            if let unknown = policies.first(where: { known[$0] == nil }) { throw S3Error.invalidArgument("Unknown policy \(unknown)") }
            let name = path[1]
            guard !name.isEmpty, name.count <= 64, name != directory.root.accessKeyID else { throw S3Error.invalidArgument("Invalid user name") }
            let user = UserRecord(name: name, enabled: body["enabled"] as? Bool ?? true, policies: policies)
            try await identityStore.saveUser(user)
            directory.replace { $0.users[name] = user }
            return Self.jsonResponse(["name": name, "enabled": user.enabled, "policies": policies])
        case (.delete, 2, "users"):
            try requireAdmin(call, "DeleteUser")
            guard directory.snapshot.users[path[1]] != nil else { throw S3Error(code: "NoSuchUser", status: 404, message: "The user does not exist") }
            try await identityStore.deleteUser(path[1])
            directory.replace { s in
                s.users[path[1]] = nil
                s.keys = s.keys.filter { $0.value.user != path[1] }
            }
            return Response(status: .noContent)
        case (.post, 3, "users") where path[2] == "keys":
            try requireAdmin(call, "CreateAccessKey")
            guard directory.snapshot.users[path[1]] != nil else { throw S3Error(code: "NoSuchUser", status: 404, message: "The user does not exist") }
            let body = (try? await Self.readJSONObject(call)) ?? [:]
            var expires: Int64?
            if let seconds = body["expiresInSeconds"] as? Int {
                guard seconds > 0 else { throw S3Error.invalidArgument("expiresInSeconds must be positive") }
                expires = Int64(Date().timeIntervalSince1970 * 1000) + Int64(seconds) * 1000
            }
            let (id, secret) = CredentialGenerator.make()
            let key = UserKey(accessKeyID: id, secretKey: secret, user: path[1], enabled: true, expires: expires)
            try await identityStore.saveKey(key)
            directory.replace { $0.keys[id] = key }
            return Self.jsonResponse(["accessKey": id, "secretKey": secret, "user": path[1]])
        case (.delete, 2, "keys"):
            try requireAdmin(call, "DeleteAccessKey")
            guard directory.snapshot.keys[path[1]] != nil else { throw S3Error.invalidAccessKeyId("The access key does not exist") }
            try await identityStore.deleteKey(path[1])
            directory.replace { $0.keys[path[1]] = nil }
            return Response(status: .noContent)
        case (.get, 1, "policies"):
            try requireAdmin(call, "ListPolicies")
            return Self.jsonResponse(["policies": directory.snapshot.policyTexts.keys.sorted()])
        case (.put, 2, "policies"):
            try requireAdmin(call, "CreatePolicy")
            guard BuiltinPolicies.documents[path[1]] == nil else { throw S3Error.invalidArgument("Built-in policies cannot be replaced") }
            var request = call.request
            let text = String(buffer: (try? await request.collectBody(upTo: 64 * 1024)) ?? ByteBuffer())
            let document: PolicyDocument
            do {
                document = try PolicyDocument(json: text)
            } catch {
                throw S3Error(code: "MalformedPolicy", status: 400, message: error.reason)
            }
            try await identityStore.savePolicy(name: path[1], document: text)
            directory.replace { s in
                s.policies[path[1]] = document
                s.policyTexts[path[1]] = text
            }
            return Response(status: .noContent)
        default:
            throw S3Error.methodNotAllowed("Unknown admin endpoint")
        }
    }

    func requireAdmin(_ call: S3Call, _ action: String) throws {
        let request = AccessRequest(action: "admin:\(action)", resource: "arn:aws:s3:::*", principal: call.principal.name)
        guard directory.authorize(call.principal, request) == .allow else { throw S3Error.accessDenied() }
    }

    static func readJSONObject(_ call: S3Call) async throws -> [String: Any] {
        var request = call.request
        let buffer = (try? await request.collectBody(upTo: 64 * 1024)) ?? ByteBuffer()
        if buffer.readableBytes == 0 { return [:] }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView))) as? [String: Any] else {
            throw S3Error.invalidArgument("The request body must be a JSON object")
        }
        return object
    }

    static func jsonResponse(_ object: [String: Any]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
