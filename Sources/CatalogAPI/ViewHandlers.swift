import Catalog
import Foundation
import Hummingbird
import IcebergModel

extension CatalogResponder {
    static func viewResult(_ record: ViewRecord) -> JSONValue {
        ["metadata-location": .string(record.metadataLocation), "metadata": record.metadata.document, "config": [:]]
    }

    func listViews(_ warehouse: String, _ namespace: NamespacePath, _ request: Request) async throws -> Response {
        _ = try await service.namespaceProperties(warehouse: warehouse, namespace)
        let size = try Self.pageSize(request)
        let names = try await service.store.listViews(warehouse: warehouse, namespace: namespace, after: try Self.pageToken(request), limit: size + 1)
        let page = Array(names.prefix(size))
        let ns = JSONValue.array(namespace.map { .string($0) })
        var body: JSONValue = ["identifiers": .array(page.map { ["namespace": ns, "name": .string($0)] })]
        if names.count > size, let last = page.last { body["next-page-token"] = Self.token(last) }
        return Self.json(body)
    }

    func createView(_ warehouse: String, _ namespace: NamespacePath, _ body: JSONValue) async throws -> Response {
        return Self.json(Self.viewResult(try await service.createView(warehouse: warehouse, namespace: namespace, request: body)))
    }

    func replaceView(_ warehouse: String, _ identifier: TableIdentifier, _ body: JSONValue) async throws -> Response {
        guard let requirements = (body["requirements"] ?? []).arrayValue, let updates = (body["updates"] ?? []).arrayValue else {
            throw IcebergError.badRequest("requirements and updates must be lists")
        }
        let record = try await service.replaceView(
            warehouse: warehouse, identifier, requirements: requirements, updates: try updates.map { try ViewUpdate(json: $0) })
        return Self.json(Self.viewResult(record))
    }

    func registerView(_ warehouse: String, _ namespace: NamespacePath, _ body: JSONValue) async throws -> Response {
        guard let name = body["name"]?.stringValue, let location = body["metadata-location"]?.stringValue else {
            throw IcebergError.badRequest("name and metadata-location are required")
        }
        return Self.json(Self.viewResult(try await service.registerView(warehouse: warehouse, namespace: namespace, name: name, metadataLocation: location)))
    }

    func renameView(_ warehouse: String, _ body: JSONValue) async throws -> Response {
        let destination = try CatalogRoute.identifier(body["destination"], "view")
        try await service.checkNotANamespace(warehouse: warehouse, destination)
        try await service.store.renameView(warehouse: warehouse, from: try CatalogRoute.identifier(body["source"], "view"), to: destination)
        return Response(status: .noContent)
    }
}
