import Foundation
import Catalog
import HTTPTypes
import Hummingbird
import IcebergModel
import Identity

/// Catalog operations are authorized by the same policies as S3, with `iceberg:*` actions on
/// `arn:floe:iceberg:::<warehouse>/<namespace…>/<table or view>`. Root may do everything.
extension CatalogResponder {
    /// Throws 403 ForbiddenException (audited) unless the caller's policies allow every access
    /// the request needs (`CatalogRoute.accesses`).
    func authorize(_ caller: Principal, _ accesses: [CatalogAccess], origin: RequestOrigin) throws {
        let context = conditions(caller, origin.remoteAddress)
        for access in accesses {
            let request = AccessRequest(action: access.action, resource: access.resource, context: context, principal: caller.name)
            guard directory.authorize(caller, request) == .allow else {
                audit.record(AuditEvent(
                    requestID: origin.requestID, api: "catalog", principal: caller.name, accessKey: caller.accessKeyID, sourceIP: origin.remoteAddress,
                    action: access.action, resource: access.resource, outcome: "denied", status: 403))
                throw IcebergError.forbidden("\(caller.name) is not allowed to \(access.action) on \(access.resource)")
            }
        }
    }

    /// Whether the caller may change a table (and so gets read-write vended credentials).
    /// The `aws:*` condition keys of a catalog request (the same as S3 supplies).
    func conditions(_ caller: Principal, _ remoteAddress: String?) -> [String: [String]] {
        GlobalConditionKeys.context(
            principal: caller, remoteAddress: remoteAddress, secureTransport: vendor.settings.secure, now: Int64(Date().timeIntervalSince1970))
    }

    func mayWrite(_ caller: Principal, warehouse: String, _ identifier: TableIdentifier, remoteAddress: String?) -> Bool {
        let request = AccessRequest(
            action: "iceberg:UpdateTable", resource: CatalogAccess.arn(warehouse, identifier), context: conditions(caller, remoteAddress), principal: caller.name)
        return directory.authorize(caller, request) == .allow
    }

    /// Every catalog mutation that got past authorization, with its outcome (denials are recorded by `authorize`).
    func auditMutation(_ route: CatalogRoute, warehouse: String, caller: Principal, status: Int, origin: RequestOrigin) {
        guard audit.isEnabled, status != 403, route.isMutation else { return }
        audit.record(AuditEvent(
            requestID: origin.requestID, api: "catalog", principal: caller.name, accessKey: caller.accessKeyID, sourceIP: origin.remoteAddress,
            action: route.action, resource: route.resource(warehouse: warehouse), outcome: status < 400 ? "allowed" : "failed", status: status))
    }

    /// Vended credentials for a table, when the client asked for them (`X-Iceberg-Access-Delegation`).
    static func wantsVendedCredentials(_ request: Request) -> Bool {
        guard let value = request.headers[HTTPField.Name("X-Iceberg-Access-Delegation")!] else { return false }
        return value.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces).lowercased() == "vended-credentials" }
    }

    func vend(_ record: TableRecord, warehouse: String, caller: Principal, request: Request) throws(IcebergError) -> CredentialVendor.Vended {
        // Credentials reach only the warehouse's own bucket, whatever older metadata may say.
        guard let location = StorageLocation(record.metadata.location), location.bucket == warehouse, !location.segments.isEmpty else {
            throw .forbidden("Credentials are vended only for table locations inside the warehouse bucket s3://\(warehouse)/")
        }
        return try vendor.vend(
            for: caller, location: record.metadata.location, write: mayWrite(caller, warehouse: warehouse, record.identifier, remoteAddress: RequestOrigin.remoteAddressOfTask),
            catalogHost: request.head.authority)
    }
}
