import Catalog
import Foundation
import Hummingbird
import HTTPTypes
import IcebergModel
import Identity
import SigV4
import NIOCore

extension CatalogResponder {
    // MARK: auth and config

    /// OAuth2 client_credentials (and token-exchange refresh), form-encoded, answered with the
    /// OAuth error shape on failure.
    func oauthToken(_ request: inout Request) async throws -> Response {
        let buffer = (try? await request.collectBody(upTo: 64 * 1024)) ?? ByteBuffer()
        let form = FormEncoding.decode(String(buffer: buffer))
        func oauthError(_ error: String, _ description: String, status: HTTPResponse.Status) -> Response {
            Self.json(["error": .string(error), "error_description": .string(description)], status: status)
        }
        var token: String?
        switch form["grant_type"] {
        case "client_credentials":
            var clientID = form["client_id"]
            var secret = form["client_secret"]
            // Clients may send the pair as HTTP Basic credentials instead.
            if clientID == nil, let basic = request.headers[.authorization], basic.lowercased().hasPrefix("basic "),
                let decoded = Data(base64Encoded: String(basic.dropFirst(6))).map({ String(decoding: $0, as: UTF8.self) }),
                let colon = decoded.firstIndex(of: ":")
            {
                clientID = String(decoded[..<colon]).removingPercentEncoding
                secret = String(decoded[decoded.index(after: colon)...]).removingPercentEncoding
            }
            guard let clientID, let secret else { return oauthError("invalid_request", "client_id and client_secret are required", status: .badRequest) }
            token = tokens.issue(clientID: clientID, clientSecret: secret)
            if token == nil { return oauthError("invalid_client", "Invalid client credentials", status: .unauthorized) }
        case "urn:ietf:params:oauth:grant-type:token-exchange":
            guard let subject = form["subject_token"], case .valid(let principal) = tokens.check(subject) else {
                return oauthError("invalid_grant", "The subject token is invalid or expired", status: .unauthorized)
            }
            token = tokens.issue(for: principal)
        default:
            return oauthError("unsupported_grant_type", "Supported: client_credentials, token-exchange", status: .badRequest)
        }
        guard let token else { return oauthError("server_error", "The token could not be issued", status: .internalServerError) }
        return Self.json([
            "access_token": .string(token), "token_type": "bearer", "expires_in": .int(Int64(tokens.lifetime)),
            "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
        ])
    }

    func config(_ request: Request) async throws -> Response {
        let requested = request.uri.queryParameters.get("warehouse").flatMap { $0.isEmpty ? nil : String($0) } ?? defaultWarehouse
        let warehouse = try await service.warehouse(requested)
        return Self.json([
            "defaults": [:],
            "overrides": ["prefix": .string(warehouse)],
            "idempotency-key-lifetime": "PT30M",
            "endpoints": .array(CatalogRoute.all.map { .string($0.endpoint) }),
        ])
    }

    // MARK: namespaces

    static func pageSize(_ request: Request) throws -> Int {
        guard let text = request.uri.queryParameters.get("pageSize") else { return 1000 }
        guard let size = Int(text), size > 0 else { throw IcebergError.badRequest("pageSize must be a positive integer") }
        return min(size, 1000)
    }

    static func pageToken(_ request: Request) throws -> String? {
        guard let token = request.uri.queryParameters.get("pageToken"), !token.isEmpty else { return nil }
        guard let data = Data(base64Encoded: String(token)), let marker = String(data: data, encoding: .utf8) else {
            throw IcebergError.badRequest("Invalid pageToken")
        }
        return marker
    }

    static func token(_ marker: String) -> JSONValue { .string(Data(marker.utf8).base64EncodedString()) }

    static func splitNamespace(_ text: some StringProtocol) -> NamespacePath {
        NamespaceKey.split(text)
    }

    static func namespacePage(_ found: [NamespacePath], size: Int) -> Response {
        let page = Array(found.prefix(size))
        var body: JSONValue = ["namespaces": .array(page.map { .array($0.map { .string($0) }) })]
        if found.count > size, let last = page.last { body["next-page-token"] = token(NamespaceKey.join(last)) }
        return json(body)
    }

    func listNamespaces(_ warehouse: String, _ request: Request) async throws -> Response {
        let parentText = request.uri.queryParameters.get("parent").map { String($0) } ?? ""
        let parent: NamespacePath = parentText.isEmpty ? [] : Self.splitNamespace(parentText)
        if !parent.isEmpty {
            let properties = try await service.namespaceProperties(warehouse: warehouse, parent)
            _ = properties
        }
        let size = try Self.pageSize(request)
        let marker = try Self.pageToken(request)
        let after: NamespacePath? = marker == nil ? nil : Self.splitNamespace(marker!)
        let found = try await service.store.listNamespaces(warehouse: warehouse, parent: parent, after: after, limit: size + 1)
        return Self.namespacePage(found, size: size)
    }

    func createNamespace(_ warehouse: String, _ body: JSONValue) async throws -> Response {
        let namespace = try CatalogRoute.namespacePath(body["namespace"])
        var properties: [String: String] = [:]
        if let given = body["properties"], !given.isNull {
            guard let map = given.stringMap else { throw IcebergError.badRequest("properties must map strings to strings") }
            properties = map
        }
        try await service.createNamespace(warehouse: warehouse, namespace, properties: properties)
        return Self.json(["namespace": .array(namespace.map { .string($0) }), "properties": .stringMap(properties)])
    }

    func loadNamespace(_ warehouse: String, _ namespace: NamespacePath) async throws -> Response {
        let properties = try await service.namespaceProperties(warehouse: warehouse, namespace)
        return Self.json(["namespace": .array(namespace.map { .string($0) }), "properties": .stringMap(properties)])
    }

    func updateNamespaceProperties(_ warehouse: String, _ namespace: NamespacePath, _ body: JSONValue) async throws -> Response {
        let removals = body["removals"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let updates = body["updates"]?.stringMap ?? [:]
        if !Set(removals).isDisjoint(with: updates.keys) {
            throw IcebergError(code: 422, type: "UnprocessableEntityException", message: "A property cannot be both updated and removed")
        }
        let result = try await service.updateNamespaceProperties(warehouse: warehouse, namespace, removals: removals, updates: updates)
        return Self.json([
            "updated": .array(result.updated.map { .string($0) }), "removed": .array(result.removed.map { .string($0) }),
            "missing": .array(result.missing.map { .string($0) }),
        ])
    }

    // MARK: tables

    func listTables(_ warehouse: String, _ namespace: NamespacePath, _ request: Request) async throws -> Response {
        _ = try await service.namespaceProperties(warehouse: warehouse, namespace)
        let size = try Self.pageSize(request)
        let names = try await service.store.listTables(warehouse: warehouse, namespace: namespace, after: try Self.pageToken(request), limit: size + 1)
        let page = Array(names.prefix(size))
        let ns = JSONValue.array(namespace.map { .string($0) })
        var body: JSONValue = ["identifiers": .array(page.map { ["namespace": ns, "name": .string($0)] })]
        if names.count > size, let last = page.last { body["next-page-token"] = Self.token(last) }
        return Self.json(body)
    }

    static func loadResult(_ record: TableRecord, snapshots: String? = nil, vended: CredentialVendor.Vended? = nil) -> JSONValue {
        let metadata = snapshots == "refs" ? record.metadata.referencedSnapshotsOnly() : record.metadata
        var result: JSONValue = ["metadata-location": .string(record.metadataLocation), "metadata": metadata.document]
        for (name, value) in loadMembers(vended) { result[name] = value }
        return result
    }

    /// What a load result holds beside the metadata: the table's config and any vended credentials.
    static func loadMembers(_ vended: CredentialVendor.Vended?) -> [(String, JSONValue)] {
        guard let vended else { return [("config", [:])] }
        return [("config", .object(vended.config)), ("storage-credentials", [vended.storageCredential])]
    }

    /// Credentials for the table when the request asked for vended credentials.
    func vendedIfAsked(_ record: TableRecord, warehouse: String, caller: Principal, request: Request) throws(IcebergError) -> CredentialVendor.Vended? {
        guard Self.wantsVendedCredentials(request) else { return nil }
        return try vend(record, warehouse: warehouse, caller: caller, request: request)
    }

    static func etag(_ record: TableRecord) -> String {
        "\"" + String(record.metadataLocation.utf8.reduce(UInt64(14_695_981_039_346_656_037)) { ($0 ^ UInt64($1)) &* 1_099_511_628_211 }, radix: 16) + "\""
    }

    func loadTable(_ warehouse: String, _ identifier: TableIdentifier, _ request: Request, caller: Principal) async throws -> Response {
        let snapshots = request.uri.queryParameters.get("snapshots").map { String($0) }
        if let snapshots, snapshots != "all" && snapshots != "refs" { throw IcebergError.badRequest("snapshots must be all or refs") }
        let record = try await service.loadTable(warehouse: warehouse, identifier)
        let etag = Self.etag(record)
        if let ifNoneMatch = request.headers[.ifNoneMatch], ifNoneMatch.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == etag }) {
            return Response(status: .notModified, headers: [.eTag: etag])
        }
        let vended = try vendedIfAsked(record, warehouse: warehouse, caller: caller, request: request)
        guard snapshots != "refs", let text = record.storedText else {
            return Self.json(Self.loadResult(record, snapshots: snapshots, vended: vended), headers: [.eTag: etag])
        }
        return Self.documentResponse(record, text: text, members: Self.loadMembers(vended), headers: [.eTag: etag])
    }

    /// `{"metadata-location": …, "metadata": …, members…}` with the document's stored text spliced
    /// in as it is: writing a large table's document out again was most of a load's CPU.
    static func documentResponse(_ record: TableRecord, text: String, members: [(String, JSONValue)], headers: HTTPFields = [:]) -> Response {
        var out = ByteBuffer()
        out.reserveCapacity(text.utf8.count + 512)
        out.writeString(#"{"metadata-location":"#)
        out.writeBytes(JSONValue.string(record.metadataLocation).jsonBytes)
        out.writeString(#","metadata":"#)
        out.writeString(text)
        for (name, value) in members {
            out.writeBytes(",".utf8)
            out.writeBytes(JSONValue.string(name).jsonBytes)
            out.writeBytes(":".utf8)
            out.writeBytes(value.jsonBytes)
        }
        out.writeString("}")
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: .ok, headers: fields, body: .init(byteBuffer: out))
    }

    func createTable(_ warehouse: String, _ namespace: NamespacePath, _ body: JSONValue, _ request: Request, caller: Principal) async throws -> Response {
        let stage = body["stage-create"]?.boolValue ?? false
        let record = try await service.createTable(
            warehouse: warehouse, namespace: namespace, request: body, stage: stage)
        var result = Self.loadResult(record, vended: try vendedIfAsked(record, warehouse: warehouse, caller: caller, request: request))
        if stage { result["metadata-location"] = nil }
        return Self.json(result, headers: [.eTag: Self.etag(record)])
    }

    static func change(_ json: JSONValue, identifier fallback: TableIdentifier?) throws -> CatalogService.TableChange {
        var identifier = fallback
        if let given = json["identifier"], !given.isNull { identifier = try CatalogRoute.identifier(given, "table") }
        guard let identifier else { throw IcebergError.badRequest("Table change without identifier") }
        guard let requirements = (json["requirements"] ?? []).arrayValue, let updates = (json["updates"] ?? []).arrayValue else {
            throw IcebergError.badRequest("requirements and updates must be lists")
        }
        return CatalogService.TableChange(
            identifier: identifier, requirements: try requirements.map { try TableRequirement(json: $0) }, updates: try updates.map { try TableUpdate(json: $0) })
    }

    func commitTable(_ warehouse: String, _ identifier: TableIdentifier, _ body: JSONValue, caller: Principal) async throws -> Response {
        var change = try Self.change(body, identifier: identifier)
        change.identifier = identifier
        let records = try await service.commit(warehouse: warehouse, [change])
        if let text = records[0].storedText { return Self.documentResponse(records[0], text: text, members: []) }
        return Self.json(["metadata-location": .string(records[0].metadataLocation), "metadata": records[0].metadata.document])
    }

    func commitTransaction(_ warehouse: String, _ body: JSONValue, caller: Principal) async throws -> Response {
        guard let changes = body["table-changes"]?.arrayValue, !changes.isEmpty else { throw IcebergError.badRequest("table-changes must be a non-empty list") }
        _ = try await service.commit(
            warehouse: warehouse, try changes.map { try Self.change($0, identifier: nil) })
        return Response(status: .noContent)
    }

    func registerTable(_ warehouse: String, _ namespace: NamespacePath, _ body: JSONValue, _ request: Request, caller: Principal) async throws -> Response {
        guard let name = body["name"]?.stringValue, let location = body["metadata-location"]?.stringValue else {
            throw IcebergError.badRequest("name and metadata-location are required")
        }
        let record = try await service.registerTable(
            warehouse: warehouse, namespace: namespace, name: name, metadataLocation: location, overwrite: body["overwrite"]?.boolValue ?? false)
        let vended = try vendedIfAsked(record, warehouse: warehouse, caller: caller, request: request)
        return Self.json(Self.loadResult(record, vended: vended), headers: [.eTag: Self.etag(record)])
    }

    func renameTable(_ warehouse: String, _ body: JSONValue) async throws -> Response {
        let destination = try CatalogRoute.identifier(body["destination"], "table")
        try await service.checkNotANamespace(warehouse: warehouse, destination)
        try await service.store.renameTable(warehouse: warehouse, from: try CatalogRoute.identifier(body["source"], "table"), to: destination)
        return Response(status: .noContent)
    }
}
