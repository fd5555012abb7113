import Foundation
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
            parts += NamespaceKey.split(rest[1])
            if rest.count >= 4 { parts.append(rest[3]) }
        }
        return "arn:floe:iceberg:::" + parts.joined(separator: "/")
    }

    /// Throws 403 ForbiddenException (audited) unless the caller's policies allow the request.
    func authorize(_ caller: Principal, method: HTTPRequest.Method, warehouse: String, rest: [String], origin: RequestOrigin) throws {
        let access = AccessRequest(action: Self.action(method, rest), resource: Self.resource(warehouse: warehouse, rest), principal: caller.name)
        guard directory.authorize(caller, access) == .allow else {
            audit.record(AuditEvent(
                requestID: origin.requestID, api: "catalog", principal: caller.name, accessKey: caller.accessKeyID, sourceIP: origin.remoteAddress, action: access.action,
                resource: access.resource, outcome: "denied", status: 403))
            throw IcebergError.forbidden("\(caller.name) is not allowed to \(access.action) on \(access.resource)")
        }
    }

    /// Whether the caller may change a table (and so gets read-write vended credentials).
    func mayWrite(_ caller: Principal, warehouse: String, _ identifier: TableIdentifier) -> Bool {
        let resource = "arn:floe:iceberg:::" + ([warehouse] + identifier.namespace + [identifier.name]).joined(separator: "/")
        return directory.authorize(caller, AccessRequest(action: "iceberg:UpdateTable", resource: resource, principal: caller.name)) == .allow
    }

    /// Every catalog mutation that got past authentication, with its outcome (denials are recorded by `authorize`).
    func auditMutation(_ request: Request, caller: Principal?, status: Int, origin: RequestOrigin) {
        guard audit.isEnabled, let caller, status != 403, request.method == .post || request.method == .delete || request.method == .put else { return }
        let path = Self.segments(request.uri.path)
        guard path.count >= 3, path[0] == "v1" else { return }
        let rest = Array(path.dropFirst(2))
        let action = Self.action(request.method, rest)
        if action == "iceberg:UpdateTable" && rest.last == "metrics" { return }
        audit.record(AuditEvent(
            requestID: origin.requestID, api: "catalog", principal: caller.name, accessKey: caller.accessKeyID, sourceIP: origin.remoteAddress, action: action,
            resource: Self.resource(warehouse: path[1], rest), outcome: status < 400 ? "allowed" : "failed", status: status))
    }

    /// Vended credentials for a table, when the client asked for them (`X-Iceberg-Access-Delegation`).
    static func wantsVendedCredentials(_ request: Request) -> Bool {
        guard let value = request.headers[HTTPField.Name("X-Iceberg-Access-Delegation")!] else { return false }
        return value.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces).lowercased() == "vended-credentials" }
    }

    func vend(_ record: TableRecord, warehouse: String, caller: Principal, request: Request) throws(IcebergError) -> CredentialVendor.Vended {
        try vendor.vend(
            for: caller, location: record.metadata.location, write: mayWrite(caller, warehouse: warehouse, record.identifier),
            catalogHost: request.head.authority)
    }
}
