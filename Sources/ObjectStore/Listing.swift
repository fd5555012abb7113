/// Listing objects, versions and uploads: index range scans with delimiter roll-up. Each common
/// prefix is skipped with one seek to its byte-successor, so the cost of a page does not depend
/// on how many keys it rolls up.
extension ObjectStore {
    public func list(bucket: BucketRecord, _ request: ListRequest) async throws(StoreError) -> ListPage {
        let bucketID = bucket.id
        // Taken before the index is read: a write that lands meanwhile makes the page stale at once.
        let stamp = index.writeStamp(bucketID: bucketID)
        let cacheKey = ListingCache.Key(bucketID: bucketID, request)
        if let page = listings.page(for: cacheKey, at: stamp) { return page }
        let (entries, truncated) = try await index.reading { snapshot throws(StoreError) in
            let upper = Self.successor(of: Array(request.prefix.utf8))
            return try Self.rollUp(
                request, key: \ObjectVersion.key,
                firstKey: { (cursor, inclusive) throws(StoreError) in
                    try snapshot.firstLatestKey(bucketID: bucketID, from: cursor, inclusive: inclusive, before: upper)
                },
                fetch: { (cursor, inclusive, _: ObjectVersion?, limit) throws(StoreError) in
                    try snapshot.scanLatest(bucketID: bucketID, from: cursor, inclusive: inclusive, before: upper, limit: limit)
                })
        }
        let page = ListPage(entries: entries.map { $0.map(ListPage.Entry.object, ListPage.Entry.commonPrefix) }, isTruncated: truncated)
        listings.keep(page, for: cacheKey, readAt: stamp, current: index.writeStamp(bucketID: bucketID))
        return page
    }

    /// One page of ListObjectVersions: every version (and delete marker), newest first per key.
    /// `versionIDMarker` continues inside `keyMarker`'s versions.
    public func listVersions(bucket: BucketRecord, _ asked: ListRequest, versionIDMarker: String?) async throws(StoreError) -> ListPage {
        var startSequence: Int64?
        var resumed = asked
        if let keyMarker = asked.after, let versionIDMarker, !keyPrecedes(keyMarker, asked.prefix) {
            if let marked = try await index.version(bucketID: bucket.id, key: keyMarker, versionID: versionIDMarker, withData: false) {
                startSequence = marked.sequence
            } else {
                // The marker's version is gone (a client deleting page by page, as cleanup does):
                // the key's remaining versions come next, none of them is skipped.
                resumed.includesAfter = true
            }
        }
        let request = resumed
        let upper = Self.successor(of: Array(request.prefix.utf8))
        let (bucketID, resumeSequence) = (bucket.id, startSequence)
        let (entries, truncated) = try await index.reading { snapshot throws(StoreError) in
            try Self.rollUp(
                request, key: \ObjectVersion.key,
                firstKey: { (cursor, inclusive) throws(StoreError) in
                    try snapshot.firstVersionKey(
                        bucketID: bucketID, from: cursor, inclusive: inclusive, afterSequence: inclusive ? nil : resumeSequence, before: upper)
                },
                fetch: { (cursor, inclusive, last: ObjectVersion?, limit) throws(StoreError) in
                    // After a row, continue with that key's older versions; at the start, after the marker's version.
                    let afterSequence = last.map(\.sequence) ?? (inclusive ? nil : resumeSequence)
                    return try snapshot.scanVersions(
                        bucketID: bucketID, from: cursor, inclusive: inclusive, afterSequence: afterSequence, before: upper, limit: limit)
                })
        }
        return ListPage(entries: entries.map { $0.map(ListPage.Entry.object, ListPage.Entry.commonPrefix) }, isTruncated: truncated)
    }

    public struct UploadPage: Sendable {
        public enum Entry: Sendable {
            case upload(UploadRecord)
            case commonPrefix(String)
        }
        public var entries: [Entry]
        public var isTruncated: Bool
    }

    /// One page of ListMultipartUploads, in (key, initiation) order.
    public func listUploads(bucket: BucketRecord, _ request: ListRequest, uploadIDMarker: String?) async throws(StoreError) -> UploadPage {
        let upper = Self.successor(of: Array(request.prefix.utf8))
        let bucketID = bucket.id
        let (entries, truncated) = try await index.reading { snapshot throws(StoreError) in
            try Self.rollUp(request, key: \UploadRecord.key) { (cursor, inclusive, last: UploadRecord?, limit) throws(StoreError) in
                let afterUpload = last?.uploadID ?? (inclusive ? nil : uploadIDMarker)
                return try snapshot.scanUploads(
                    bucketID: bucketID, from: cursor, inclusive: inclusive, afterUploadID: afterUpload, before: upper, limit: limit)
            }
        }
        return UploadPage(entries: entries.map { $0.map(UploadPage.Entry.upload, UploadPage.Entry.commonPrefix) }, isTruncated: truncated)
    }

    /// A listed row or a common prefix.
    enum RolledUp<Row: Sendable>: Sendable {
        case row(Row)
        case prefix(String)

        func map<T>(_ row: (Row) -> T, _ prefix: (String) -> T) -> T {
            switch self {
            case .row(let r): return row(r)
            case .prefix(let p): return prefix(p)
            }
        }
    }

    /// The paging and delimiter roll-up all three listings share. `fetch` scans rows in key order
    /// from a cursor (after `last`, the final row of the previous scan, when there is one); each
    /// common prefix is then skipped with one seek to its byte-successor. Where a common prefix
    /// is likely next (at the start, and after a seek) `firstKey`, if given, reads only the key
    /// the scan would start with: a prefix it rolls up into costs no row.
    static func rollUp<Row>(
        _ request: ListRequest, key: KeyPath<Row, String>,
        firstKey: ((_ cursor: [UInt8], _ inclusive: Bool) throws(StoreError) -> [UInt8]?)? = nil,
        fetch: (_ cursor: [UInt8], _ inclusive: Bool, _ last: Row?, _ limit: Int) throws(StoreError) -> [Row]
    ) throws(StoreError) -> ([RolledUp<Row>], Bool) {
        var cursor = Array(request.prefix.utf8)
        var inclusive = true
        if let after = request.after, !keyPrecedes(after, request.prefix) {
            (cursor, inclusive) = (Array(after.utf8), request.includesAfter)
        }
        var last: Row?
        var entries: [RolledUp<Row>] = []
        let maxKeys = max(0, request.maxKeys)
        var batch = BatchSize(request)
        let probe = request.delimiter == nil ? nil : firstKey
        var atPrefixBoundary = true
        /// Lists a common prefix (unless the marker already did) and moves the cursor past its keys;
        /// non-nil when the page ends there: whether it is truncated.
        func rollUp(_ commonPrefix: String) -> Bool? {
            if !alreadyReturned(commonPrefix, marker: request.after) {
                if entries.count == maxKeys { return true }
                entries.append(.prefix(commonPrefix))
            }
            guard let next = successor(of: Array(commonPrefix.utf8)) else { return false }
            (cursor, inclusive, last) = (next, true, nil)
            return nil
        }
        while true {
            if atPrefixBoundary, let probe {
                guard let first = try probe(cursor, inclusive) else { return (entries, false) }
                if let commonPrefix = commonPrefix(of: first, request) {
                    if let truncated = rollUp(commonPrefix) { return (entries, truncated) }
                    continue
                }
            }
            // One more than still fits tells whether the page is truncated.
            let limit = min(maxKeys - entries.count + 1, batch.size)
            let rows = try fetch(cursor, inclusive, last, limit)
            var seeked = false
            for row in rows {
                if let commonPrefix = commonPrefix(of: Array(row[keyPath: key].utf8), request) {
                    if let truncated = rollUp(commonPrefix) { return (entries, truncated) }
                    seeked = true
                    break
                }
                if entries.count == maxKeys { return (entries, true) }
                entries.append(.row(row))
                (cursor, inclusive, last) = (Array(row[keyPath: key].utf8), false, row)
            }
            if !seeked && rows.count < limit { return (entries, false) }
            atPrefixBoundary = seeked
            batch.next(seeked: seeked)
        }
    }

    /// How many rows to fetch per index scan. With a delimiter a scan often ends at the first
    /// row (a common prefix, then a seek), so scans start small and grow while they are used whole.
    struct BatchSize {
        private(set) var size: Int
        let rollsUp: Bool

        init(_ request: ListRequest) {
            rollsUp = request.delimiter != nil
            size = rollsUp ? 2 : 1000
        }

        mutating func next(seeked: Bool) {
            size = seeked ? 2 : min(size * 4, 1000)
            if !rollsUp { size = 1000 }
        }
    }

    /// The common prefix `key` rolls up into, if the delimiter occurs after the prefix.
    static func commonPrefix(of key: [UInt8], _ request: ListRequest) -> String? {
        guard let delimiter = request.delimiter else { return nil }
        return commonPrefix(of: key, prefix: request.prefix, delimiter: delimiter)
    }

    static func commonPrefix(of keyBytes: [UInt8], prefix: String, delimiter: String) -> String? {
        let delimiterBytes = Array(delimiter.utf8)
        guard !delimiterBytes.isEmpty else { return nil }
        var i = prefix.utf8.count
        while i + delimiterBytes.count <= keyBytes.count {
            if keyBytes[i] == delimiterBytes[0] && keyBytes[i..<(i + delimiterBytes.count)].elementsEqual(delimiterBytes) {
                return String(decoding: keyBytes[0..<(i + delimiterBytes.count)], as: UTF8.self)
            }
            i += 1
        }
        return nil
    }

    /// A marker at or inside a common prefix means an earlier page already returned that prefix.
    static func alreadyReturned(_ commonPrefix: String, marker: String?) -> Bool {
        marker.map { !keyPrecedes($0, commonPrefix) } ?? false
    }

    /// The smallest byte string greater than every string that starts with `bytes`; nil if none.
    static func successor(of bytes: [UInt8]) -> [UInt8]? {
        var out = bytes
        while let last = out.last {
            if last < 0xFF {
                out[out.count - 1] = last + 1
                return out
            }
            out.removeLast()
        }
        return nil
    }
}
