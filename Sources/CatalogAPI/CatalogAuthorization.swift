import Catalog
import HTTPTypes
import Hummingbird
import IcebergModel
import Identity

/// Catalog operations are authorized by the same policies as S3, with `iceberg:*` actions on
/// `arn:floe:iceberg:::<warehouse>/<namespace…>/<table or view>`. Root may do everything.
extension CatalogResponder {
    /// The action a request performs, from its method and the path after `/v1/{prefix}/`.
    static func action(_ method: HTTPRequest.Method, _ rest: [String]) -> String {
        switch (method, rest.count, rest.first) {
        case (.get, 1, "namespaces"): return "iceberg:ListNamespaces"
        case (.post, 1, "namespaces"): return "iceberg:CreateNamespace"
        case (.post, 2, "tables"): return "iceberg:RenameTable"
        case (.post, 2, "views"): return "iceberg:RenameView"
        case (.post, 2, "transactions"): return "iceberg:UpdateTable"
        default: break
        }
        guard rest.first == "namespaces", rest.count >= 2 else { return "iceberg:Unknown" }
        switch (method, rest.count, rest.count > 2 ? rest[2] : "") {
        case (.get, 2, _), (.head, 2, _): return "iceberg:LoadNamespace"
        case (.delete, 2, _): return "iceberg:DropNamespace"
        case (.post, 3, "properties"): return "iceberg:UpdateNamespaceProperties"
        case (.get, 3, "tables"): return "iceberg:ListTables"
        case (.post, 3, "tables"), (.post, 3, "register"): return "iceberg:CreateTable"
        case (.get, 3, "views"): return "iceberg:ListViews"
        case (.post, 3, "views"), (.post, 3, "register-view"): return "iceberg:CreateView"
        case (.get, 4, "tables"), (.head, 4, "tables"), (.get, 5, "tables"): return "iceberg:LoadTable"
        case (.post, 4, "tables"), (.post, 5, "tables"): return "iceberg:UpdateTable"
        case (.delete, 4, "tables"): return "iceberg:DropTable"
        case (.get, 4, "views"), (.head, 4, "views"): return "iceberg:LoadView"
        case (.post, 4, "views"): return "iceberg:UpdateView"
        case (.delete, 4, "views"): return "iceberg:DropView"
        default: return "iceberg:Unknown"
        }
    }

    static func resource(warehouse: String, _ rest: [String]) -> String {
        var parts = [warehouse]
        if rest.first == "namespaces", rest.count >= 2 {
            parts += rest[1].split(separator: "\u{1F}", omittingEmptySubsequences: false).map(String.init)
            if rest.count >= 4 { parts.append(rest[3]) }
        }
        return "arn:floe:iceberg:::" + parts.joined(separator: "/")
    }

    /// Throws 403 ForbiddenException unless the caller's policies allow the request.
    func authorize(_ request: Request, warehouse: String, rest: [String]) throws {
        guard let directory, let name = principal(request) else { return }
        if name == directory.root.owner { return }
        let access = AccessRequest(action: Self.action(request.method, rest), resource: Self.resource(warehouse: warehouse, rest), principal: name)
        let caller = Principal(name: name, accessKeyID: "", isRoot: false)
        guard directory.authorize(caller, access) == .allow else {
            throw IcebergError.forbidden("\(name) is not allowed to \(access.action) on \(access.resource)")
        }
    }
}
