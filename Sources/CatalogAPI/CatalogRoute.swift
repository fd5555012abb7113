import Catalog
import HTTPTypes
import IcebergModel

/// Every endpoint of the catalog under `/v1/{prefix}/`, resolved once from method and path.
/// What `/v1/config` advertises, the IAM action each route is authorized as and what the audit
/// log records all come from here, so they cannot disagree.
enum CatalogRoute: Equatable, Sendable {
    /// The children of a namespace (the top level when empty).
    case listNamespaces(NamespacePath)
    case createNamespace
    case loadNamespace(NamespacePath)
    case namespaceExists(NamespacePath)
    case dropNamespace(NamespacePath)
    case updateNamespaceProperties(NamespacePath)
    case listTables(NamespacePath)
    case createTable(NamespacePath)
    case registerTable(NamespacePath)
    case loadTable(TableIdentifier)
    case tableExists(TableIdentifier)
    case updateTable(TableIdentifier)
    case dropTable(TableIdentifier)
    case reportMetrics(TableIdentifier)
    case loadCredentials(TableIdentifier)
    case renameTable
    case commitTransaction
    case listViews(NamespacePath)
    case createView(NamespacePath)
    case registerView(NamespacePath)
    case loadView(TableIdentifier)
    case viewExists(TableIdentifier)
    case replaceView(TableIdentifier)
    case dropView(TableIdentifier)
    case renameView

    /// Resolves the path after `/v1/{prefix}/` (segments percent-decoded once). Names are
    /// checked here, at the edge: none may hold a control character.
    /// - Parameter parent: the `parent` query parameter of a namespace listing.
    static func resolve(_ method: HTTPRequest.Method, _ rest: [String], parent: String? = nil) throws(IcebergError) -> CatalogRoute {
        let notFound = IcebergError(code: 404, type: "NotFoundException", message: "No such endpoint")
        switch (method, rest) {
        case (.get, ["namespaces"]):
            let path = parent.map { $0.isEmpty ? [] : NamespaceKey.split($0) } ?? []
            for part in path { try CatalogNames.check(part, "namespace") }
            return .listNamespaces(path)
        case (.post, ["namespaces"]): return .createNamespace
        case (.post, ["tables", "rename"]): return .renameTable
        case (.post, ["transactions", "commit"]): return .commitTransaction
        case (.post, ["views", "rename"]): return .renameView
        default: break
        }
        guard rest.count >= 2, rest[0] == "namespaces" else { throw notFound }
        let namespace = NamespaceKey.split(rest[1])
        for part in namespace { try CatalogNames.check(part, "namespace") }
        if rest.count == 2 {
            switch method {
            case .get: return .loadNamespace(namespace)
            case .head: return .namespaceExists(namespace)
            case .delete: return .dropNamespace(namespace)
            default: throw methodNotAllowed
            }
        }
        if rest.count == 3 {
            switch (method, rest[2]) {
            case (.post, "properties"): return .updateNamespaceProperties(namespace)
            case (.get, "tables"): return .listTables(namespace)
            case (.post, "tables"): return .createTable(namespace)
            case (.post, "register"): return .registerTable(namespace)
            case (.get, "views"): return .listViews(namespace)
            case (.post, "views"): return .createView(namespace)
            case (.post, "register-view"): return .registerView(namespace)
            default: throw notFound
            }
        }
        guard rest[2] == "tables" || rest[2] == "views" else { throw notFound }
        try CatalogNames.check(rest[3], rest[2] == "tables" ? "table" : "view")
        let identifier = TableIdentifier(namespace: namespace, name: rest[3])
        switch (method, rest.count, rest[2]) {
        case (.get, 4, "tables"): return .loadTable(identifier)
        case (.head, 4, "tables"): return .tableExists(identifier)
        case (.post, 4, "tables"): return .updateTable(identifier)
        case (.delete, 4, "tables"): return .dropTable(identifier)
        case (.post, 5, "tables") where rest[4] == "metrics": return .reportMetrics(identifier)
        case (.get, 5, "tables") where rest[4] == "credentials": return .loadCredentials(identifier)
        case (.get, 4, "views"): return .loadView(identifier)
        case (.head, 4, "views"): return .viewExists(identifier)
        case (.post, 4, "views"): return .replaceView(identifier)
        case (.delete, 4, "views"): return .dropView(identifier)
        case (_, 4, _): throw methodNotAllowed
        default: throw notFound
        }
    }

    static let methodNotAllowed = IcebergError(code: 405, type: "MethodNotAllowedException", message: "Method not allowed")

    /// One route of each kind, for the list `/v1/config` advertises.
    static let all: [CatalogRoute] = {
        let ns: NamespacePath = ["n"]
        let id = TableIdentifier(namespace: ns, name: "t")
        return [
            .listNamespaces([]), .createNamespace, .loadNamespace(ns), .namespaceExists(ns), .dropNamespace(ns), .updateNamespaceProperties(ns),
            .listTables(ns), .createTable(ns), .loadTable(id), .tableExists(id), .updateTable(id), .dropTable(id), .registerTable(ns),
            .reportMetrics(id), .loadCredentials(id), .renameTable, .commitTransaction,
            .listViews(ns), .createView(ns), .loadView(id), .viewExists(id), .replaceView(id), .dropView(id), .renameView, .registerView(ns),
        ]
    }()

    /// The endpoint as the REST spec names it (`GET /v1/{prefix}/namespaces`).
    var endpoint: String {
        switch self {
        case .listNamespaces: return "GET /v1/{prefix}/namespaces"
        case .createNamespace: return "POST /v1/{prefix}/namespaces"
        case .loadNamespace: return "GET /v1/{prefix}/namespaces/{namespace}"
        case .namespaceExists: return "HEAD /v1/{prefix}/namespaces/{namespace}"
        case .dropNamespace: return "DELETE /v1/{prefix}/namespaces/{namespace}"
        case .updateNamespaceProperties: return "POST /v1/{prefix}/namespaces/{namespace}/properties"
        case .listTables: return "GET /v1/{prefix}/namespaces/{namespace}/tables"
        case .createTable: return "POST /v1/{prefix}/namespaces/{namespace}/tables"
        case .registerTable: return "POST /v1/{prefix}/namespaces/{namespace}/register"
        case .loadTable: return "GET /v1/{prefix}/namespaces/{namespace}/tables/{table}"
        case .tableExists: return "HEAD /v1/{prefix}/namespaces/{namespace}/tables/{table}"
        case .updateTable: return "POST /v1/{prefix}/namespaces/{namespace}/tables/{table}"
        case .dropTable: return "DELETE /v1/{prefix}/namespaces/{namespace}/tables/{table}"
        case .reportMetrics: return "POST /v1/{prefix}/namespaces/{namespace}/tables/{table}/metrics"
        case .loadCredentials: return "GET /v1/{prefix}/namespaces/{namespace}/tables/{table}/credentials"
        case .renameTable: return "POST /v1/{prefix}/tables/rename"
        case .commitTransaction: return "POST /v1/{prefix}/transactions/commit"
        case .listViews: return "GET /v1/{prefix}/namespaces/{namespace}/views"
        case .createView: return "POST /v1/{prefix}/namespaces/{namespace}/views"
        case .registerView: return "POST /v1/{prefix}/namespaces/{namespace}/register-view"
        case .loadView: return "GET /v1/{prefix}/namespaces/{namespace}/views/{view}"
        case .viewExists: return "HEAD /v1/{prefix}/namespaces/{namespace}/views/{view}"
        case .replaceView: return "POST /v1/{prefix}/namespaces/{namespace}/views/{view}"
        case .dropView: return "DELETE /v1/{prefix}/namespaces/{namespace}/views/{view}"
        case .renameView: return "POST /v1/{prefix}/views/rename"
        }
    }

    /// The IAM action the route is known by (the audit log's name for it).
    var action: String {
        switch self {
        case .listNamespaces: return "iceberg:ListNamespaces"
        case .createNamespace: return "iceberg:CreateNamespace"
        case .loadNamespace, .namespaceExists: return "iceberg:LoadNamespace"
        case .dropNamespace: return "iceberg:DropNamespace"
        case .updateNamespaceProperties: return "iceberg:UpdateNamespaceProperties"
        case .listTables: return "iceberg:ListTables"
        case .createTable, .registerTable: return "iceberg:CreateTable"
        // Readers report scan metrics too.
        case .loadTable, .tableExists, .loadCredentials, .reportMetrics: return "iceberg:LoadTable"
        case .updateTable, .commitTransaction: return "iceberg:UpdateTable"
        case .dropTable: return "iceberg:DropTable"
        case .renameTable: return "iceberg:RenameTable"
        case .listViews: return "iceberg:ListViews"
        case .createView, .registerView: return "iceberg:CreateView"
        case .loadView, .viewExists: return "iceberg:LoadView"
        case .replaceView: return "iceberg:UpdateView"
        case .dropView: return "iceberg:DropView"
        case .renameView: return "iceberg:RenameView"
        }
    }

    /// Whether the route takes a JSON body, read (bounded) before authorization, which may need it.
    var takesJSONBody: Bool {
        switch self {
        case .createNamespace, .updateNamespaceProperties, .createTable, .registerTable, .updateTable, .renameTable, .commitTransaction,
            .createView, .registerView, .replaceView, .renameView:
            return true
        default:
            return false
        }
    }

    var isMutation: Bool {
        switch self {
        case .createNamespace, .dropNamespace, .updateNamespaceProperties, .createTable, .registerTable, .updateTable, .dropTable,
            .renameTable, .commitTransaction, .createView, .registerView, .replaceView, .dropView, .renameView:
            return true
        default:
            return false
        }
    }

    /// The resource the route itself names (what the audit log records).
    func resource(warehouse: String) -> String {
        switch self {
        case .listNamespaces(let ns), .loadNamespace(let ns), .namespaceExists(let ns), .dropNamespace(let ns), .updateNamespaceProperties(let ns),
            .listTables(let ns),
            .createTable(let ns), .registerTable(let ns), .listViews(let ns), .createView(let ns), .registerView(let ns):
            return CatalogAccess.arn(warehouse, ns)
        case .loadTable(let id), .tableExists(let id), .updateTable(let id), .dropTable(let id), .reportMetrics(let id), .loadCredentials(let id),
            .loadView(let id), .viewExists(let id), .replaceView(let id), .dropView(let id):
            return CatalogAccess.arn(warehouse, id)
        case .createNamespace, .renameTable, .commitTransaction, .renameView:
            return CatalogAccess.arn(warehouse, [])
        }
    }

    /// Every resource the request touches with the action each needs: a rename drops its source
    /// and creates its destination, a transaction updates every table it names (and creates those
    /// it asserts absent), a commit with `assert-create` creates.
    func accesses(warehouse: String, body: JSONValue?) throws(IcebergError) -> [CatalogAccess] {
        switch self {
        case .renameTable, .renameView:
            let table = self == .renameTable
            let source = try Self.identifier(body?["source"], table ? "table" : "view")
            let destination = try Self.identifier(body?["destination"], table ? "table" : "view")
            return [
                CatalogAccess(action: table ? "iceberg:DropTable" : "iceberg:DropView", resource: CatalogAccess.arn(warehouse, source)),
                CatalogAccess(action: table ? "iceberg:CreateTable" : "iceberg:CreateView", resource: CatalogAccess.arn(warehouse, destination.namespace)),
            ]
        case .commitTransaction:
            guard let changes = body?["table-changes"]?.arrayValue, !changes.isEmpty else { throw .badRequest("table-changes must be a non-empty list") }
            var accesses: [CatalogAccess] = []
            for change in changes {
                let identifier = try Self.identifier(change["identifier"], "table")
                accesses.append(CatalogAccess(action: "iceberg:UpdateTable", resource: CatalogAccess.arn(warehouse, identifier)))
                if Self.assertsCreate(change) {
                    accesses.append(CatalogAccess(action: "iceberg:CreateTable", resource: CatalogAccess.arn(warehouse, identifier.namespace)))
                }
            }
            return accesses
        case .createNamespace:
            // A namespace is created in its parent (the warehouse for a top-level one).
            let namespace = try Self.namespacePath(body?["namespace"])
            return [CatalogAccess(action: action, resource: CatalogAccess.arn(warehouse, Array(namespace.dropLast())))]
        case .registerTable(let namespace):
            var accesses = [CatalogAccess(action: action, resource: CatalogAccess.arn(warehouse, namespace))]
            // Overwriting replaces an existing table's metadata: that is an update of it.
            if body?["overwrite"]?.boolValue == true, let name = body?["name"]?.stringValue {
                try CatalogNames.check(name, "table")
                accesses.append(CatalogAccess(action: "iceberg:UpdateTable", resource: CatalogAccess.arn(warehouse, TableIdentifier(namespace: namespace, name: name))))
            }
            return accesses
        case .updateTable(let identifier):
            var accesses = [CatalogAccess(action: action, resource: CatalogAccess.arn(warehouse, identifier))]
            if let body, Self.assertsCreate(body) {
                accesses.append(CatalogAccess(action: "iceberg:CreateTable", resource: CatalogAccess.arn(warehouse, identifier.namespace)))
            }
            return accesses
        default:
            return [CatalogAccess(action: action, resource: resource(warehouse: warehouse))]
        }
    }

    /// The accesses that do not depend on the body, checked before a body is read (a caller with
    /// no right on the resource makes the server read nothing): the route's own resource where it
    /// names one in its path.
    func accessesBeforeBody(warehouse: String) -> [CatalogAccess] {
        switch self {
        case .createNamespace, .renameTable, .commitTransaction, .renameView: return []
        default: return [CatalogAccess(action: action, resource: resource(warehouse: warehouse))]
        }
    }

    static func assertsCreate(_ change: JSONValue) -> Bool {
        change["requirements"]?.arrayValue?.contains { $0["type"]?.stringValue == "assert-create" } ?? false
    }

    /// `{"namespace": [...], "name": "..."}`, every name checked.
    static func identifier(_ value: JSONValue?, _ what: String) throws(IcebergError) -> TableIdentifier {
        guard let value, let name = value["name"]?.stringValue else { throw .badRequest("The \(what) identifier needs a name") }
        try CatalogNames.check(name, what)
        return TableIdentifier(namespace: try namespacePath(value["namespace"]), name: name)
    }

    static func namespacePath(_ value: JSONValue?) throws(IcebergError) -> NamespacePath {
        guard let parts = value?.arrayValue?.compactMap(\.stringValue), parts.count == value?.arrayValue?.count, !parts.isEmpty else {
            throw .badRequest("namespace must be a non-empty list of strings")
        }
        for part in parts { try CatalogNames.check(part, "namespace") }
        return parts
    }
}

/// One catalog resource and the action a request needs on it.
struct CatalogAccess: Equatable, Sendable {
    var action: String
    var resource: String

    static func arn(_ warehouse: String, _ namespace: NamespacePath) -> String {
        "arn:floe:iceberg:::" + ([warehouse] + namespace).joined(separator: "/")
    }

    static func arn(_ warehouse: String, _ identifier: TableIdentifier) -> String {
        "arn:floe:iceberg:::" + ([warehouse] + identifier.namespace + [identifier.name]).joined(separator: "/")
    }
}
