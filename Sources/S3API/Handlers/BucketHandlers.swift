import Hummingbird
import HTTPTypes
import Identity
import NIOCore
import ObjectStore
import S3Model
import SigV4

extension S3Responder {
    func listBuckets(_ call: S3Call) async throws -> Response {
        let prefix = call.target.value("prefix") ?? ""
        var maxBuckets = 10_000
        if let text = call.target.value("max-buckets") {
            guard let value = Int(text), (1...10_000).contains(value) else {
                throw S3Error.invalidArgument("max-buckets must be between 1 and 10000", name: "max-buckets", value: text)
            }
            maxBuckets = value
        }
        let after = call.target.value("continuation-token")
        var buckets = try await store.listBuckets().filter { $0.name.hasPrefix(prefix) }
        if let after { buckets = buckets.filter { keyPrecedes(after, $0.name) } }
        if !(call.principal.isRoot && call.principal.restrictions.isEmpty) {
            let identity = directory.policies(of: call.principal.name)
            buckets = buckets.filter { visible($0, to: call.principal, identity: identity) }
        }
        let page = Array(buckets.prefix(maxBuckets))
        var xml = XMLWriter()
        xml.group("ListAllMyBucketsResult", namespace: XMLWriter.s3Namespace) { x in
            x.group("Buckets") { x in
                for bucket in page {
                    x.group("Bucket") { x in
                        x.element("Name", bucket.name)
                        x.element("CreationDate", HTTPDate.iso8601(milliseconds: bucket.createdAt))
                        x.element("BucketRegion", bucket.region)
                    }
                }
            }
            writeOwner(&x, id: call.principal.canonicalID)
            if buckets.count > page.count, let last = page.last { x.element("ContinuationToken", last.name) }
            if !prefix.isEmpty { x.element("Prefix", prefix) }
        }
        return Self.xmlResponse(xml)
    }

    func createBucket(_ call: S3Call) async throws -> Response {
        let name = call.target.bucket!
        if name == "floe" || !BucketNaming.isValid(name) { throw S3Error.invalidBucketName(name) }
        let body = try await readVerifiedBody(call, limit: 64 * 1024, required: false)
        if !body.isEmpty {
            let document = try Self.parseXML(body, root: "CreateBucketConfiguration")
            if let constraint = document.value("LocationConstraint"), !constraint.isEmpty {
                if constraint == "us-east-1" && configuration.region == "us-east-1" {
                    throw S3Error.invalidLocationConstraint()
                }
                if constraint != configuration.region {
                    throw S3Error.illegalLocationConstraint(
                        "The \(constraint) location constraint is incompatible for the region specific endpoint this request was sent to.")
                }
            }
        }
        var settings = BucketSettings(objectOwnership: configuration.defaultObjectOwnership)
        if call.header(.amzBucketObjectLockEnabled)?.lowercased() == "true" { settings.objectLock = ObjectLockConfiguration() }
        if let text = call.header(.amzObjectOwnership) {
            guard let ownership = ObjectOwnership(rawValue: text) else {
                throw S3Error.invalidArgument("Invalid x-amz-object-ownership header: \(text)", name: "x-amz-object-ownership", value: text)
            }
            settings.objectOwnership = ownership
        }
        let owner = call.principal.isRoot ? nil : call.principal.name
        if let acl = try requestedACL(call.headers, owner: Principal.canonicalID(of: owner ?? directory.root.owner)) {
            guard settings.aclsEnabled else { throw S3Error.invalidBucketAclWithObjectOwnership() }
            settings.acl = acl
        }
        do {
            _ = try await store.createBucket(name, owner: owner, settings: settings)
        } catch {
            // us-east-1 answers a re-creation by the owner with success and changes nothing.
            guard error == .bucketAlreadyOwnedByYou(name), configuration.region == "us-east-1" else { throw error }
        }
        return Response(status: .ok, headers: [.location: "/\(name)"])
    }

    func headBucket(_ call: S3Call) async throws -> Response {
        let bucket = try await bucket(call)
        return Response(status: .ok, headers: [.amzBucketRegion: bucket.region])
    }

    func deleteBucket(_ call: S3Call) async throws -> Response {
        try await store.deleteBucket(call.target.bucket!)
        return Response(status: .noContent)
    }

    func getBucketLocation(_ call: S3Call) async throws -> Response {
        let bucket = try await bucket(call)
        var xml = XMLWriter()
        // us-east-1 is reported as an empty constraint, as S3 does.
        xml.start("LocationConstraint", namespace: XMLWriter.s3Namespace)
        if bucket.region != "us-east-1" { xml.text(XMLWriter.escape(bucket.region)) }
        xml.end()
        return Self.xmlResponse(xml)
    }

    /// A caller other than root sees the buckets its own policies let it list or locate (its own
    /// buckets under the bucket-owner policy), as S3 lists an account's buckets: a bucket policy
    /// or ACL that grants another caller access does not put the bucket in that caller's list,
    /// and one that denies the caller hides it.
    func visible(_ bucket: BucketRecord, to principal: Principal, identity: [PolicyDocument]) -> Bool {
        let policy = bucket.policy.flatMap { PolicyDocument.cached($0) }
        return ["s3:ListBucket", "s3:GetBucketLocation"].contains { action in
            let request = AccessRequest(
                action: action, resource: "arn:aws:s3:::\(bucket.name)", context: ["floe:IsBucketOwner": [Self.owns(principal, bucket) ? "true" : "false"]],
                principal: principal.name)
            return directory.authorize(principal, request, identityPolicies: identity, resourcePolicy: nil) == .allow
                && directory.authorize(principal, request, identityPolicies: identity, resourcePolicy: policy) == .allow
        }
    }
}
