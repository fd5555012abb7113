/// Listing objects, versions and uploads: index range scans with delimiter roll-up. Each common
/// prefix is skipped with one seek to its byte-successor, so the cost of a page does not depend
/// on how many keys it rolls up.
extension ObjectStore {
    public func list(bucket: BucketRecord, _ request: ListRequest) async throws(StoreError) -> ListPage {
        let upper = Self.successor(of: Array(request.prefix.utf8))
        var entries: [ListPage.Entry] = []
        var cursor = Array(request.prefix.utf8)
        var inclusive = true
        if let after = request.after, !keyPrecedes(after, request.prefix) {
            cursor = Array(after.utf8)
            inclusive = false
        }
        let maxKeys = max(0, request.maxKeys)
        var batch = BatchSize(request)
        while true {
            // One more than still fits tells whether the page is truncated.
            let limit = min(maxKeys - entries.count + 1, batch.size)
            let rows = try await index.scanLatest(bucketID: bucket.id, from: cursor, inclusive: inclusive, before: upper, limit: limit)
            var seeked = false
            for version in rows {
                if let commonPrefix = Self.commonPrefix(of: version.key, request) {
                    if !Self.alreadyReturned(commonPrefix, marker: request.after) {
                        if entries.count == maxKeys { return ListPage(entries: entries, isTruncated: true) }
                        entries.append(.commonPrefix(commonPrefix))
                    }
                    guard let next = Self.successor(of: Array(commonPrefix.utf8)) else { return ListPage(entries: entries, isTruncated: false) }
                    (cursor, inclusive, seeked) = (next, true, true)
                    break
                }
                if entries.count == maxKeys { return ListPage(entries: entries, isTruncated: true) }
                entries.append(.object(version))
                (cursor, inclusive) = (Array(version.key.utf8), false)
            }
            if !seeked && rows.count < limit { return ListPage(entries: entries, isTruncated: false) }
            batch.next(seeked: seeked)
        }
    }

    /// One page of ListObjectVersions: every version (and delete marker), newest first per key.
    /// `versionIDMarker` continues inside `keyMarker`'s versions.
    public func listVersions(bucket: BucketRecord, _ request: ListRequest, versionIDMarker: String?) async throws(StoreError) -> ListPage {
        let upper = Self.successor(of: Array(request.prefix.utf8))
        var cursor = Array(request.prefix.utf8)
        var inclusive = true
        var afterSequence: Int64?
        if let keyMarker = request.after, !keyPrecedes(keyMarker, request.prefix) {
            cursor = Array(keyMarker.utf8)
            inclusive = false
            if let versionIDMarker {
                guard let marked = try await index.version(bucketID: bucket.id, key: keyMarker, versionID: versionIDMarker) else {
                    throw .invalidArgument("Invalid version id specified")
                }
                afterSequence = marked.sequence
            }
        }
        var entries: [ListPage.Entry] = []
        let maxKeys = max(0, request.maxKeys)
        var batch = BatchSize(request)
        while true {
            let limit = min(maxKeys - entries.count + 1, batch.size)
            let rows = try await index.scanVersions(
                bucketID: bucket.id, from: cursor, inclusive: inclusive, afterSequence: afterSequence, before: upper, limit: limit)
            var seeked = false
            for version in rows {
                if let commonPrefix = Self.commonPrefix(of: version.key, request) {
                    if !Self.alreadyReturned(commonPrefix, marker: request.after) {
                        if entries.count == maxKeys { return ListPage(entries: entries, isTruncated: true) }
                        entries.append(.commonPrefix(commonPrefix))
                    }
                    guard let next = Self.successor(of: Array(commonPrefix.utf8)) else { return ListPage(entries: entries, isTruncated: false) }
                    (cursor, inclusive, afterSequence, seeked) = (next, true, nil, true)
                    break
                }
                if entries.count == maxKeys { return ListPage(entries: entries, isTruncated: true) }
                entries.append(.object(version))
                (cursor, inclusive, afterSequence) = (Array(version.key.utf8), false, version.sequence)
            }
            if !seeked && rows.count < limit { return ListPage(entries: entries, isTruncated: false) }
            batch.next(seeked: seeked)
        }
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
        var cursor = Array(request.prefix.utf8)
        var inclusive = true
        var afterUpload: String?
        if let keyMarker = request.after, !keyPrecedes(keyMarker, request.prefix) {
            (cursor, inclusive, afterUpload) = (Array(keyMarker.utf8), false, uploadIDMarker)
        }
        var entries: [UploadPage.Entry] = []
        let maxUploads = max(0, request.maxKeys)
        var batch = BatchSize(request)
        while true {
            let limit = min(maxUploads - entries.count + 1, batch.size)
            let rows = try await index.scanUploads(
                bucketID: bucket.id, from: cursor, inclusive: inclusive, afterUploadID: afterUpload, before: upper, limit: limit)
            var seeked = false
            for upload in rows {
                if let commonPrefix = Self.commonPrefix(of: upload.key, request) {
                    if !Self.alreadyReturned(commonPrefix, marker: request.after) {
                        if entries.count == maxUploads { return UploadPage(entries: entries, isTruncated: true) }
                        entries.append(.commonPrefix(commonPrefix))
                    }
                    guard let next = Self.successor(of: Array(commonPrefix.utf8)) else { return UploadPage(entries: entries, isTruncated: false) }
                    (cursor, inclusive, afterUpload, seeked) = (next, true, nil, true)
                    break
                }
                if entries.count == maxUploads { return UploadPage(entries: entries, isTruncated: true) }
                entries.append(.upload(upload))
                (cursor, inclusive, afterUpload) = (Array(upload.key.utf8), false, upload.uploadID)
            }
            if !seeked && rows.count < limit { return UploadPage(entries: entries, isTruncated: false) }
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
            size = rollsUp ? 16 : 1000
        }

        mutating func next(seeked: Bool) {
            size = seeked ? 16 : min(size * 4, 1000)
            if !rollsUp { size = 1000 }
        }
    }

    /// The common prefix `key` rolls up into, if the delimiter occurs after the prefix.
    static func commonPrefix(of key: String, _ request: ListRequest) -> String? {
        guard let delimiter = request.delimiter else { return nil }
        return commonPrefix(of: key, prefix: request.prefix, delimiter: delimiter)
    }

    static func commonPrefix(of key: String, prefix: String, delimiter: String) -> String? {
        let keyBytes = Array(key.utf8)
        let delimiterBytes = Array(delimiter.utf8)
        var i = prefix.utf8.count
        while i + delimiterBytes.count <= keyBytes.count {
            if keyBytes[i..<(i + delimiterBytes.count)].elementsEqual(delimiterBytes) {
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
