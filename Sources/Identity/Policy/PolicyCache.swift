import Synchronization

extension PolicyDocument {
    private static let cache = Mutex<[String: PolicyDocument]>([:])
    static let cacheLimit = 1024

    /// The document for a policy text the request path meets again and again (bucket policies,
    /// session and service-account policies), parsed once; nil when it does not parse.
    public static func cached(_ text: String) -> PolicyDocument? {
        if let hit = cache.withLock({ $0[text] }) { return hit }
        guard let parsed = try? PolicyDocument(json: text) else { return nil }
        cache.withLock { entries in
            if entries.count >= cacheLimit { entries.removeAll(keepingCapacity: true) }
            entries[text] = parsed
        }
        return parsed
    }

    /// Whether a condition reads the object's current tags (which then have to be loaded).
    public var readsExistingObjectTags: Bool {
        statements.contains { $0.conditions.contains { $0.key.lowercased().hasPrefix("s3:existingobjecttag/") } }
    }
}
