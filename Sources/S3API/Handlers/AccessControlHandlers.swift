import Hummingbird
import HTTPTypes
import Identity
import NIOCore
import ObjectStore
import S3Model

/// Bucket and object ACLs, Object Ownership controls and the Public Access Block.
extension S3Responder {
    // MARK: owners

    /// The principal name owning a bucket (root for buckets from before owners were kept).
    func ownerName(_ bucket: BucketRecord) -> String { bucket.owner ?? directory.root.owner }

    func ownerID(_ bucket: BucketRecord) -> String { Principal.canonicalID(of: ownerName(bucket)) }

    /// The canonical id of an object's owner: its writer under ObjectWriter ownership, else the bucket's owner.
    func ownerID(_ version: ObjectVersion, in bucket: BucketRecord) -> String { ownerID(of: version.attributes, in: bucket) }

    func ownerID(of attributes: ObjectAttributes, in bucket: BucketRecord) -> String {
        attributes.owner.map { Principal.canonicalID(of: $0) } ?? ownerID(bucket)
    }

    /// Each listed object's owner id and display name: the bucket owner's (looked up once) unless
    /// the object's writer kept it, whose name the object records.
    func owners(in bucket: BucketRecord) -> (ObjectVersion) -> (id: String, name: String?) {
        let (id, name) = (ownerID(bucket), ownerName(bucket))
        return { object in object.attributes.owner.map { (Principal.canonicalID(of: $0), $0) } ?? (id, name) }
    }

    /// The display name of a canonical id: root's or a user's name.
    func displayName(ofCanonicalID id: String) -> String? {
        let root = directory.root.owner
        if Principal.canonicalID(of: root) == id { return root }
        return directory.snapshot.users.keys.first { Principal.canonicalID(of: $0) == id }
    }

    func writeOwner(_ x: inout XMLWriter, id: String, element: String = "Owner") {
        x.group(element) { x in
            x.element("ID", id)
            x.optional("DisplayName", displayName(ofCanonicalID: id))
        }
    }

    /// The ACL a request's headers set (canned or grants), validated; nil when they set none.
    func requestedACL(_ headers: HTTPFields, owner: String, bucketOwner: String? = nil) throws -> AccessControlList? {
        guard let acl = try AccessControl.fromHeaders(headers, owner: owner, bucketOwner: bucketOwner ?? owner) else { return nil }
        try AccessControl.validate(acl, knownUser: { displayName(ofCanonicalID: $0) != nil })
        return acl
    }

    /// Whether an ACL grants no one but the owner (what a bucket with ACLs disabled still accepts).
    static func onlyOwner(_ acl: AccessControlList, bucketOwner: String) -> Bool {
        acl.grants.allSatisfy { $0.grantee == .user(acl.owner) || $0.grantee == .user(bucketOwner) }
    }

    /// With ACLs disabled a Put*Acl is still accepted when it changes nothing: the canned
    /// bucket-owner-full-control, or a document granting the owner full control alone.
    static func acceptedWhileEnforced(_ headers: HTTPFields, _ acl: AccessControlList, bucketOwner: String) -> Bool {
        if let canned = headers[AccessControl.cannedHeader] { return canned.trimmingSpaces == "bucket-owner-full-control" }
        return acl.grants == [AccessControlList.Grant(grantee: .user(bucketOwner), permission: .fullControl)]
    }

    /// The owner (nil: the bucket's owner) and ACL an object write stores, as the bucket's
    /// Object Ownership decides; refused where the bucket's settings refuse the ACL.
    func objectOwnership(_ headers: HTTPFields, principal: Principal, bucket: BucketRecord) throws -> (owner: String?, acl: AccessControlList?) {
        let canned = headers[AccessControl.cannedHeader]?.trimmingSpaces
        guard bucket.settings.aclsEnabled else {
            // Enforced: the bucket owner owns every object, and only bucket-owner-full-control may be sent.
            if (canned != nil && canned != "bucket-owner-full-control") || AccessControl.grantHeaders.contains(where: { headers[$0.0] != nil }) {
                throw S3Error.accessControlListNotSupported()
            }
            return (nil, nil)
        }
        let bucketOwner = ownerID(bucket)
        var owner = principal.kind == .anonymous || principal.name == ownerName(bucket) ? nil : principal.name
        if bucket.settings.objectOwnership == .bucketOwnerPreferred, canned == "bucket-owner-full-control" { owner = nil }
        let ownerID = owner.map { Principal.canonicalID(of: $0) } ?? bucketOwner
        guard let acl = try requestedACL(headers, owner: ownerID, bucketOwner: bucketOwner) else { return (owner, nil) }
        if acl.isPublic, bucket.settings.publicAccessBlock?.blockPublicAcls == true { throw S3Error.accessDenied() }
        return (owner, acl == .private(owner: ownerID) ? nil : acl)
    }

    // MARK: bucket ACL

    func getBucketAcl(_ call: S3Call) async throws -> Response {
        let bucket = try await bucket(call)
        let acl = bucket.settings.acl ?? .private(owner: ownerID(bucket))
        return Self.xmlResponse(AccessControl.render(acl, displayName: displayName(ofCanonicalID:)))
    }

    func putBucketAcl(_ call: S3Call) async throws -> Response {
        let bucket = try await bucket(call)
        let owner = ownerID(bucket)
        var body: [UInt8]?
        let acl = try await aclFromRequest(call, owner: owner, bucketOwner: owner, body: &body)
        if !bucket.settings.aclsEnabled {
            guard Self.acceptedWhileEnforced(call.headers, acl, bucketOwner: owner) else { throw S3Error.accessControlListNotSupported() }
        } else if acl.isPublic, bucket.settings.publicAccessBlock?.blockPublicAcls == true {
            throw S3Error.accessDenied()
        }
        try await store.setSetting(bucket, .acl, acl == .private(owner: owner) ? nil : acl)
        return Response(status: .ok)
    }

    /// The ACL a Put*Acl request sets: from its headers or its AccessControlPolicy body (not both).
    /// - Parameter body: the body, read here if nil (a request judged again reads it once).
    func aclFromRequest(_ call: S3Call, owner: String, bucketOwner: String, body read: inout [UInt8]?) async throws -> AccessControlList {
        let fromHeaders = try requestedACL(call.headers, owner: owner, bucketOwner: bucketOwner)
        if read == nil { read = try await readVerifiedBody(call, limit: 64 * 1024, required: false) }
        let body = read!
        if body.isEmpty {
            guard let fromHeaders else { throw S3Error(code: "MissingSecurityHeader", status: 400, message: "Your request was missing a required header") }
            return fromHeaders
        }
        guard fromHeaders == nil else { throw S3Error(code: "UnexpectedContent", status: 400, message: "This request does not support content") }
        guard let document = try? XMLDocument.parse(body), document.name == "AccessControlPolicy" else { throw S3Error.malformedACL() }
        var acl = try AccessControl.parse(document)
        // The owner cannot be changed by an ACL.
        guard acl.owner == owner else { throw S3Error.accessDenied() }
        try AccessControl.validate(acl, knownUser: { displayName(ofCanonicalID: $0) != nil })
        acl.owner = owner
        return acl
    }

    // MARK: object ACL

    func getObjectAcl(_ call: S3Call) async throws -> Response {
        let bucket = try await bucket(call)
        let version = try await addressedVersion(call, bucket: bucket)
        let acl = version.attributes.acl ?? .private(owner: ownerID(version, in: bucket))
        var response = Self.xmlResponse(AccessControl.render(acl, displayName: displayName(ofCanonicalID:)))
        Self.addVersionHeader(&response.headers, version, bucket)
        return response
    }

    func putObjectAcl(_ call: S3Call) async throws -> Response {
        let bucket = try await bucket(call)
        var body: [UInt8]?
        // The ACL (and its owner) is made for the version read, confirmed as the one judged; where a
        // decision read that version, it is written only onto it: one that replaced it meanwhile
        // is read and judged anew.
        for attempt in 0..<Self.writeAttempts {
            if attempt > 0 { await Self.backOff(attempt) }
            let current = try await addressedVersion(call, bucket: bucket)
            let owner = ownerID(current, in: bucket)
            let acl = try await aclFromRequest(call, owner: owner, bucketOwner: ownerID(bucket), body: &body)
            if !bucket.settings.aclsEnabled {
                guard Self.acceptedWhileEnforced(call.headers, acl, bucketOwner: ownerID(bucket)) else { throw S3Error.accessControlListNotSupported() }
            } else if acl.isPublic, bucket.settings.publicAccessBlock?.blockPublicAcls == true {
                throw S3Error.accessDenied()
            }
            let stored = bucket.settings.aclsEnabled && acl != .private(owner: owner) ? acl : nil
            do {
                try await store.setACL(bucket: bucket, version: current, acl: stored, exactly: !call.judgedVersions.isEmpty)
            } catch {
                if case .versionChanged = error { continue }
                throw error
            }
            var headers = HTTPFields()
            Self.addVersionHeader(&headers, current, bucket)
            return Response(status: .ok, headers: headers)
        }
        throw StoreError.versionChanged(key: call.target.key!)
    }

    // MARK: ownership controls

    func getBucketOwnershipControls(_ call: S3Call) async throws -> Response {
        let bucket = try await bucket(call)
        guard let ownership = bucket.settings.objectOwnership else {
            throw S3Error(code: "OwnershipControlsNotFoundError", status: 404, message: "The bucket ownership controls were not found").with(detail: "BucketName", bucket.name)
        }
        var xml = XMLWriter()
        xml.group("OwnershipControls", namespace: XMLWriter.s3Namespace) { x in
            x.group("Rule") { x in x.element("ObjectOwnership", ownership.rawValue) }
        }
        return Self.xmlResponse(xml)
    }

    func putBucketOwnershipControls(_ call: S3Call) async throws -> Response {
        let bucket = try await bucket(call)
        let document = try await readXML(call, root: "OwnershipControls", limit: 16 * 1024)
        let rules = document.children("Rule")
        guard rules.count == 1, let text = rules[0].value("ObjectOwnership"), let ownership = ObjectOwnership(rawValue: text) else {
            throw S3Error.malformedXML()
        }
        if ownership == .bucketOwnerEnforced, let acl = bucket.settings.acl, !Self.onlyOwner(acl, bucketOwner: ownerID(bucket)) {
            throw S3Error.invalidBucketAclWithObjectOwnership()
        }
        try await store.setSetting(bucket, .objectOwnership, ownership)
        return Response(status: .ok)
    }

    func deleteBucketOwnershipControls(_ call: S3Call) async throws -> Response {
        let bucket = try await bucket(call)
        try await store.setSetting(bucket, .objectOwnership, ObjectOwnership?.none)
        return Response(status: .noContent)
    }

    // MARK: public access block

    func getPublicAccessBlock(_ call: S3Call) async throws -> Response {
        let bucket = try await bucket(call)
        guard let block = bucket.settings.publicAccessBlock else {
            throw S3Error(code: "NoSuchPublicAccessBlockConfiguration", status: 404, message: "The public access block configuration was not found")
                .with(detail: "BucketName", bucket.name)
        }
        var xml = XMLWriter()
        xml.group("PublicAccessBlockConfiguration", namespace: XMLWriter.s3Namespace) { x in
            x.element("BlockPublicAcls", block.blockPublicAcls)
            x.element("IgnorePublicAcls", block.ignorePublicAcls)
            x.element("BlockPublicPolicy", block.blockPublicPolicy)
            x.element("RestrictPublicBuckets", block.restrictPublicBuckets)
        }
        return Self.xmlResponse(xml)
    }

    func putPublicAccessBlock(_ call: S3Call) async throws -> Response {
        let bucket = try await bucket(call)
        let document = try await readXML(call, root: "PublicAccessBlockConfiguration", limit: 16 * 1024)
        func flag(_ name: String) throws -> Bool {
            guard let text = document.value(name) else { return false }
            switch text.lowercased() {
            case "true": return true
            case "false": return false
            default: throw S3Error.malformedXML()
            }
        }
        let block = PublicAccessBlock(
            blockPublicAcls: try flag("BlockPublicAcls"), ignorePublicAcls: try flag("IgnorePublicAcls"),
            blockPublicPolicy: try flag("BlockPublicPolicy"), restrictPublicBuckets: try flag("RestrictPublicBuckets"))
        try await store.setSetting(bucket, .publicAccessBlock, block)
        return Response(status: .ok)
    }

    func deletePublicAccessBlock(_ call: S3Call) async throws -> Response {
        let bucket = try await bucket(call)
        try await store.setSetting(bucket, .publicAccessBlock, PublicAccessBlock?.none)
        return Response(status: .noContent)
    }
}
