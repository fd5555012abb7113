import SigV4
import Synchronization

extension PolicyDocument {
    /// Keyed by the text's UTF-8 bytes: String keys compare by canonical equivalence, which would
    /// hand a look-alike text (K and KELVIN SIGN, é and e + U+0301) the other's parsed document.
    private static let cache = Mutex<[BytesKey: PolicyDocument]>([:])
    static let cacheLimit = 1024

    /// The document for a policy text the request path meets again and again (bucket policies,
    /// session and service-account policies), parsed once; nil when it does not parse.
    public static func cached(_ text: String) -> PolicyDocument? {
        let key = BytesKey(utf8: text)
        if let hit = cache.withLock({ $0[key] }) { return hit }
        guard let parsed = try? PolicyDocument(json: text) else { return nil }
        cache.withLock { entries in
            if entries.count >= cacheLimit { entries.removeAll(keepingCapacity: true) }
            entries[key] = parsed
        }
        return parsed
    }

    /// Whether a condition reads the object's current tags (which then have to be loaded).
    public var readsExistingObjectTags: Bool {
        statements.contains { $0.conditions.contains { $0.key.lowercased().hasPrefix("s3:existingobjecttag/") } }
    }
}
