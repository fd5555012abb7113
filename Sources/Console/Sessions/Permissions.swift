import Identity

/// What the signed-in principal may do, asked of the same directory and policy evaluator the
/// APIs use. It decides which buttons a page offers; the API call behind a button is still
/// authorized on its own (a bucket policy may allow more than the identity's policies, and is
/// not consulted here: such a button is hidden, the call would still succeed).
struct Permissions: Sendable {
    let directory: Directory
    let principal: Principal?

    func allows(_ action: String, _ resource: String) -> Bool {
        guard let principal else { return false }
        return directory.authorize(principal, AccessRequest(action: action, resource: resource, principal: principal.name)) == .allow
    }

    func s3(_ action: String, bucket: String, key: String? = nil) -> Bool {
        allows("s3:" + action, "arn:aws:s3:::" + bucket + (key.map { "/" + $0 } ?? ""))
    }

    /// S3 actions on objects anywhere below `prefix` (a `*` resource).
    func s3Objects(_ action: String, bucket: String, prefix: String) -> Bool {
        allows("s3:" + action, "arn:aws:s3:::\(bucket)/\(prefix)*")
    }

    func admin(_ action: String, _ path: String = "*") -> Bool {
        allows("admin:" + action, "arn:floe:admin:::" + path)
    }

    func iceberg(_ action: String, _ path: [String]) -> Bool {
        allows("iceberg:" + action, "arn:floe:iceberg:::" + path.joined(separator: "/"))
    }

    var isRoot: Bool { principal?.isRoot ?? false }
}
