/// Every page and action of the console, resolved from method and path. Bucket names travel
/// in the path (their characters are restricted); object keys, namespaces and table names in
/// the query or the form, so no key needs path encoding.
enum ConsoleRoute: Equatable, Sendable {
    case home
    case signInPage
    case signIn
    case signOut
    case asset(String)

    case buckets
    case createBucket
    case browse(bucket: String)
    case bucketSettings(bucket: String)
    case bucketAction(bucket: String, BucketAction)
    case object(bucket: String)
    case download(bucket: String)
    case preview(bucket: String)
    case objectAction(bucket: String, ObjectAction)
    case upload(bucket: String)
    case uploadStep(bucket: String, UploadStep)

    case identity
    case identityAction(IdentityAction)

    case catalog
    case namespace
    case table
    case catalogAction(CatalogAction)

    case health

    enum BucketAction: String, Sendable, CaseIterable {
        case delete, versioning, policy, anonymous, tags
    }

    enum ObjectAction: String, Sendable, CaseIterable {
        case delete, restore, deleteVersion = "delete-version", share, tags
    }

    /// The steps of a script-driven upload: each part is its own request, so a failed part is
    /// retried alone and the upload resumes.
    enum UploadStep: String, Sendable, CaseIterable {
        case start, part, complete, abort
    }

    enum IdentityAction: String, Sendable, CaseIterable {
        case createUser = "users", deleteUser = "users/delete", setUserPolicies = "users/policies", setUserEnabled = "users/enabled"
        case createPolicy = "policies", deletePolicy = "policies/delete"
        case createGroup = "groups", deleteGroup = "groups/delete"
        case createKey = "keys", deleteKey = "keys/delete"
    }

    enum CatalogAction: String, Sendable, CaseIterable {
        case dropTable = "table/drop", renameTable = "table/rename", createNamespace = "namespaces", dropNamespace = "namespace/drop"
    }

    /// Whether the route changes state: those are POSTs and need the session's CSRF token.
    var changesState: Bool {
        switch self {
        case .signIn, .signOut, .createBucket, .bucketAction, .objectAction, .upload, .uploadStep, .identityAction, .catalogAction: true
        default: false
        }
    }

    /// The page an action returns to when its form names none.
    var page: String {
        switch self {
        case .createBucket: "/buckets"
        case .bucketAction(let bucket, _), .upload(let bucket), .uploadStep(let bucket, _), .objectAction(let bucket, _): "/buckets/\(bucket)"
        case .identityAction: "/identity"
        case .catalogAction: "/catalog"
        default: "/"
        }
    }

    /// Pages a visitor without a session may reach.
    var isPublic: Bool {
        switch self {
        case .signInPage, .signIn, .asset: true
        default: false
        }
    }

    /// nil when nothing matches (404), or when the method does not fit the path.
    init?(method: String, path: String) {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        let get = method == "GET" || method == "HEAD"
        let post = method == "POST"
        switch (segments.first, segments.count) {
        case (nil, _) where get: self = .home
        case ("signin", 1) where get: self = .signInPage
        case ("signin", 1) where post: self = .signIn
        case ("signout", 1) where post: self = .signOut
        case ("static", 2) where get: self = .asset(segments[1])
        case ("buckets", 1) where get: self = .buckets
        case ("buckets", 1) where post: self = .createBucket
        case ("buckets", _) where segments.count >= 2:
            let bucket = segments[1]
            guard Self.isBucketName(bucket) else { return nil }
            let rest = segments.dropFirst(2).joined(separator: "/")
            switch (rest, get, post) {
            case ("", true, _): self = .browse(bucket: bucket)
            case ("settings", true, _): self = .bucketSettings(bucket: bucket)
            case ("object", true, _): self = .object(bucket: bucket)
            case ("download", true, _): self = .download(bucket: bucket)
            case ("preview", true, _): self = .preview(bucket: bucket)
            case ("upload", _, true): self = .upload(bucket: bucket)
            default:
                if post, rest.hasPrefix("object/"), let action = ObjectAction(rawValue: String(rest.dropFirst(7))) {
                    self = .objectAction(bucket: bucket, action)
                } else if post, rest.hasPrefix("uploads/"), let step = UploadStep(rawValue: String(rest.dropFirst(8))) {
                    self = .uploadStep(bucket: bucket, step)
                } else if post, let action = BucketAction(rawValue: rest) {
                    self = .bucketAction(bucket: bucket, action)
                } else {
                    return nil
                }
            }
        case ("identity", 1) where get: self = .identity
        case ("identity", _) where post:
            guard let action = IdentityAction(rawValue: segments.dropFirst().joined(separator: "/")) else { return nil }
            self = .identityAction(action)
        case ("catalog", 1) where get: self = .catalog
        case ("catalog", 2) where get && segments[1] == "namespace": self = .namespace
        case ("catalog", 2) where get && segments[1] == "table": self = .table
        case ("catalog", _) where post:
            guard let action = CatalogAction(rawValue: segments.dropFirst().joined(separator: "/")) else { return nil }
            self = .catalogAction(action)
        case ("health", 1) where get: self = .health
        default: return nil
        }
    }

    /// The characters S3 bucket names may hold (length 3–63); anything else is not a bucket.
    static func isBucketName(_ name: String) -> Bool {
        (3...63).contains(name.utf8.count)
            && name.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E || $0 == 0x2D || $0 == 0x5F }
    }
}
