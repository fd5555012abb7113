import SigV4
import HTTPTypes
import ObjectStore
import S3Model

/// S3 ACLs as requests carry them (a canned `x-amz-acl`, `x-amz-grant-*` headers or an
/// AccessControlPolicy document) and as responses show them. Pure: callers supply the owners.
enum AccessControl {
    /// In the order Get*Acl lists grants made by these headers.
    static let grantHeaders: [(HTTPField.Name, AccessControlList.Permission)] = [
        (HTTPField.Name("x-amz-grant-read")!, .read),
        (HTTPField.Name("x-amz-grant-write")!, .write),
        (HTTPField.Name("x-amz-grant-read-acp")!, .readACP),
        (HTTPField.Name("x-amz-grant-write-acp")!, .writeACP),
        (HTTPField.Name("x-amz-grant-full-control")!, .fullControl),
    ]
    static let cannedHeader = HTTPField.Name("x-amz-acl")!

    /// Whether a request sets an ACL (canned or grants).
    static func carriesACL(_ headers: HTTPFields) -> Bool {
        headers[cannedHeader] != nil || grantHeaders.contains { headers[$0.0] != nil }
    }

    /// The ACL a canned name stands for. `bucketOwner` matters for the object-only
    /// `bucket-owner-read` and `bucket-owner-full-control`.
    static func canned(_ name: String, owner: String, bucketOwner: String) throws(S3Error) -> AccessControlList {
        typealias Grant = AccessControlList.Grant
        // Group grants come first and the owner's full control after them, as S3 lists them.
        var grants: [Grant] = []
        switch name {
        case "private", "aws-exec-read": break
        case "public-read":
            grants.append(Grant(grantee: .group(AccessControlList.allUsers), permission: .read))
        case "public-read-write":
            grants.append(Grant(grantee: .group(AccessControlList.allUsers), permission: .read))
            grants.append(Grant(grantee: .group(AccessControlList.allUsers), permission: .write))
        case "authenticated-read":
            grants.append(Grant(grantee: .group(AccessControlList.authenticatedUsers), permission: .read))
        case "log-delivery-write":
            grants.append(Grant(grantee: .group(AccessControlList.logDelivery), permission: .write))
            grants.append(Grant(grantee: .group(AccessControlList.logDelivery), permission: .readACP))
        case "bucket-owner-read", "bucket-owner-full-control": break
        default:
            throw .invalidArgument("", name: "x-amz-acl", value: name)
        }
        grants.append(Grant(grantee: .user(owner), permission: .fullControl))
        if bucketOwner != owner, name == "bucket-owner-read" { grants.append(Grant(grantee: .user(bucketOwner), permission: .read)) }
        if bucketOwner != owner, name == "bucket-owner-full-control" { grants.append(Grant(grantee: .user(bucketOwner), permission: .fullControl)) }
        return AccessControlList(owner: owner, grants: grants)
    }

    /// The ACL a request's headers set, or nil when they set none.
    static func fromHeaders(_ headers: HTTPFields, owner: String, bucketOwner: String) throws(S3Error) -> AccessControlList? {
        let canned = headers[cannedHeader]
        var grants: [AccessControlList.Grant] = []
        for (name, permission) in grantHeaders {
            for value in headers[values: name] {
                for grantee in try parseGrantees(value) { grants.append(AccessControlList.Grant(grantee: grantee, permission: permission)) }
            }
        }
        if let canned {
            guard grants.isEmpty else { throw .invalidRequest("Specifying both Canned ACLs and Header Grants is not allowed") }
            return try Self.canned(canned.trimmingSpaces, owner: owner, bucketOwner: bucketOwner)
        }
        return grants.isEmpty ? nil : AccessControlList(owner: owner, grants: grants)
    }

    /// `id="…", uri="…", emailAddress="…"`, comma-separated.
    static func parseGrantees(_ text: String) throws(S3Error) -> [AccessControlList.Grantee] {
        var result: [AccessControlList.Grantee] = []
        for item in text.split(separator: ",") {
            let pair = item.trimmingSpaces
            guard let equals = pair.firstIndex(of: "=") else { throw .invalidArgument("Invalid grant header", name: "x-amz-grant", value: text) }
            let kind = pair[..<equals].trimmingSpaces.lowercased()
            var value = Substring(pair[pair.index(after: equals)...].trimmingSpaces)
            if value.count >= 2, value.first == "\"", value.last == "\"" { value = value.dropFirst().dropLast() }
            switch kind {
            case "id": result.append(.user(String(value)))
            case "uri": result.append(.group(String(value)))
            case "emailaddress": result.append(.email(String(value)))
            default: throw .invalidArgument("Invalid grant header", name: "x-amz-grant", value: text)
            }
        }
        return result
    }

    /// An AccessControlPolicy document (PutBucketAcl / PutObjectAcl body).
    static func parse(_ document: XMLElement) throws(S3Error) -> AccessControlList {
        guard let ownerID = document.child("Owner")?.value("ID") else { throw .malformedACL() }
        var grants: [AccessControlList.Grant] = []
        for grant in document.child("AccessControlList")?.children("Grant") ?? [] {
            guard let grantee = grant.child("Grantee"), let text = grant.value("Permission") else { throw .malformedACL() }
            guard let permission = AccessControlList.Permission(rawValue: text) else { throw .malformedACL() }
            let type = grantee.attributes.first { $0.key.hasSuffix("type") }?.value
            switch type {
            case "CanonicalUser":
                guard let id = grantee.value("ID") else { throw .invalidArgument("Invalid id") }
                grants.append(.init(grantee: .user(id), permission: permission))
            case "Group":
                guard let uri = grantee.value("URI") else { throw .malformedACL() }
                grants.append(.init(grantee: .group(uri), permission: permission))
            case "AmazonCustomerByEmail":
                guard let email = grantee.value("EmailAddress") else { throw .malformedACL() }
                grants.append(.init(grantee: .email(email), permission: permission))
            default:
                if let id = grantee.value("ID") {
                    grants.append(.init(grantee: .user(id), permission: permission))
                } else if let uri = grantee.value("URI") {
                    grants.append(.init(grantee: .group(uri), permission: permission))
                } else {
                    throw .malformedACL()
                }
            }
        }
        return AccessControlList(owner: ownerID, grants: grants)
    }

    /// Checks every grantee: known canonical users, the three predefined groups, and no email
    /// (Floe's principals have no addresses to resolve).
    static func validate(_ acl: AccessControlList, knownUser: (String) -> Bool) throws(S3Error) {
        for grant in acl.grants {
            switch grant.grantee {
            case .user(let id):
                guard knownUser(id) else { throw .invalidArgument("Invalid id", name: "CanonicalUser/ID", value: id) }
            case .group(let uri):
                guard [AccessControlList.allUsers, AccessControlList.authenticatedUsers, AccessControlList.logDelivery].contains(uri) else {
                    throw .invalidArgument("Invalid group uri", name: "Group/URI", value: uri)
                }
            case .email:
                throw S3Error(code: "UnresolvableGrantByEmailAddress", status: 400, message: "The email address you provided does not match any account on record.")
            }
        }
    }

    /// `AccessControlPolicy` as Get*Acl answers it; `displayName` names canonical ids.
    static func render(_ acl: AccessControlList, displayName: (String) -> String?) -> XMLWriter {
        var xml = XMLWriter()
        xml.group("AccessControlPolicy", namespace: XMLWriter.s3Namespace) { x in
            x.group("Owner") { x in
                x.element("ID", acl.owner)
                x.optional("DisplayName", displayName(acl.owner))
            }
            x.group("AccessControlList") { x in
                // Group grants first, then the others, each in the order set (as S3 lists them).
                let groups = acl.grants.filter { if case .group = $0.grantee { return true } else { return false } }
                for grant in groups + acl.grants.filter({ !groups.contains($0) }) {
                    writeGrant(&x, grant, displayName: displayName)
                }
            }
        }
        return xml
    }

    /// One `<Grant>` (grantee typed by xsi:type, and the permission), as ACLs and TargetGrants show it.
    static func writeGrant(_ x: inout XMLWriter, _ grant: AccessControlList.Grant, displayName: (String) -> String?) {
        x.group("Grant") { x in
            let (type, fields): (String, [(String, String?)]) = switch grant.grantee {
            case .user(let id): ("CanonicalUser", [("ID", id), ("DisplayName", displayName(id))])
            case .group(let uri): ("Group", [("URI", uri)])
            case .email(let email): ("AmazonCustomerByEmail", [("EmailAddress", email)])
            }
            x.text("<Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"\(type)\">")
            for (name, value) in fields { x.optional(name, value) }
            x.text("</Grantee>")
            x.element("Permission", grant.permission.rawValue)
        }
    }

    /// Which ACL, and which permission in it, grants an IAM action: bucket ACLs grant listing
    /// and writing objects into the bucket; object ACLs grant reading the object.
    static func grant(for action: String) -> (permission: AccessControlList.Permission, onObject: Bool)? {
        switch action {
        case "s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads": return (.read, false)
        case "s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion": return (.write, false)
        case "s3:GetBucketAcl": return (.readACP, false)
        case "s3:PutBucketAcl": return (.writeACP, false)
        case "s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectAttributes", "s3:GetObjectVersionAttributes": return (.read, true)
        case "s3:GetObjectAcl", "s3:GetObjectVersionAcl": return (.readACP, true)
        case "s3:PutObjectAcl", "s3:PutObjectVersionAcl": return (.writeACP, true)
        // Only as a new object is written (its writer tags it); no ACL grants tagging an existing one.
        case "s3:PutObjectTagging": return (.write, true)
        default: return nil
        }
    }
}

extension S3Error {
    static func malformedACL() -> S3Error {
        S3Error(code: "MalformedACLError", status: 400, message: "The XML you provided was not well-formed or did not validate against our published schema")
    }

    static func accessControlListNotSupported() -> S3Error {
        S3Error(code: "AccessControlListNotSupported", status: 400, message: "The bucket does not allow ACLs")
    }

    static func invalidBucketAclWithObjectOwnership() -> S3Error {
        S3Error(code: "InvalidBucketAclWithObjectOwnership", status: 400, message: "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting")
    }
}
