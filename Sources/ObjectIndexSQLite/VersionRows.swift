import SQLiteSupport
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import ObjectStore
import SigV4

/// Reading and writing `versions` rows (and their `version_parts`) inside a transaction.
enum VersionRows {
    static let columns = "id, key, version_id, is_latest, is_delete_marker, size, etag, last_modified_ms, blob, attributes, upload_id"
    /// With the bytes of an inline object, for the lookups that serve it; scans leave them out.
    static let columnsWithData = columns + ", inline"

    static func encode(_ attributes: ObjectAttributes) throws -> String {
        guard Self.isShared(attributes) else { return String(decoding: try JSONEncoder().encode(attributes), as: UTF8.self) }
        if let known = encodedAttributes.withLockedValue({ $0.first { $0.attributes == attributes }?.text }) { return known }
        let text = String(decoding: try JSONEncoder().encode(attributes), as: UTF8.self)
        encodedAttributes.withLockedValue { recent in
            if recent.count >= encodedAttributesCapacity { recent.removeFirst() }
            recent.append((attributes, text))
        }
        return text
    }

    /// Most writes carry one of a few attribute sets (a content type and nothing else), so the
    /// last few encodings are kept: `JSONEncoder` was about 2 % of a catalog commit's server CPU
    /// in a profile. Only
    /// sets without per-object values, and only ASCII text, for which `==` is byte equality
    /// (`String` equality would join canonically equivalent texts).
    static let encodedAttributes = NIOLockedValueBox([(attributes: ObjectAttributes, text: String)]())
    static let encodedAttributesCapacity = 16

    static func isShared(_ attributes: ObjectAttributes) -> Bool {
        func ascii(_ text: String?) -> Bool { text?.utf8.allSatisfy { $0 < 0x80 } ?? true }
        return attributes.userMetadata.isEmpty && attributes.checksums.isEmpty && attributes.tags.isEmpty && attributes.acl == nil
            && attributes.retention == nil && attributes.legalHold == nil && attributes.encryption == nil
            && ascii(attributes.storageClass) && ascii(attributes.checksumType) && ascii(attributes.owner)
            && attributes.contentHeaders.allSatisfy { ascii($0.key) && ascii($0.value) }
    }

    static func version(from row: [SQLiteValue]) throws -> ObjectVersion {
        var version = ObjectVersion(
            key: String(decoding: row[1].bytes ?? [], as: UTF8.self),
            versionID: row[2].string!,
            isLatest: row[3].int == 1,
            isDeleteMarker: row[4].int == 1,
            size: row[5].int!,
            etag: row[6].string!,
            lastModified: row[7].int!,
            blobID: row[8].string,
            attributes: try decodeAttributes(row[9]),
            uploadID: row[10].string
        )
        if row.count > 11, case .blob(let bytes) = row[11] { version.inlineData = ByteBuffer(bytes: bytes) }
        version.sequence = row[0].int!
        return version
    }

    /// Most objects share a handful of attribute documents (no metadata, the same content type),
    /// so short ones are decoded once and then looked up: JSON decoding was a tenth of a GET.
    /// Keyed by the bytes: String keys compare by canonical equivalence, so an NFD text would hit
    /// an NFC one's entry and another object's metadata would come back in the other form.
    static let decodedAttributes = NIOLockedValueBox([BytesKey: ObjectAttributes]())
    static let decodedAttributesCapacity = 1024
    static let decodedAttributesMaxText = 512

    static func decodeAttributes(_ value: SQLiteValue) throws -> ObjectAttributes {
        guard case .text(let text) = value, text.utf8.count <= decodedAttributesMaxText else {
            return try JSONDecoder().decode(ObjectAttributes.self, from: Data(value.bytes ?? []))
        }
        let key = BytesKey(utf8: text)
        if let known = decodedAttributes.withLockedValue({ $0[key] }) { return known }
        let decoded = try JSONDecoder().decode(ObjectAttributes.self, from: Data(key.bytes))
        decodedAttributes.withLockedValue { cache in
            if cache.count >= decodedAttributesCapacity { cache.removeAll() }
            cache[key] = decoded
        }
        return decoded
    }

    static func part(from row: [SQLiteValue]) -> StoredPart {
        StoredPart(
            number: Int(row[0].int!), size: row[1].int!, md5Hex: row[2].string!, blobID: row[3].string!, checksum: row[4].string,
            lastModified: row[5].int!)
    }

    static func load(
        _ db: SQLiteConnection, where condition: String, _ arguments: [SQLiteValue], withParts: Bool, withData: Bool = false
    ) throws -> [ObjectVersion] {
        let selected = withData ? columnsWithData : columns
        return try load(db, sql: "SELECT \(selected) FROM versions WHERE \(condition)", arguments, withParts: withParts)
    }

    /// Versions a whole `SELECT` of `columns` (or `columnsWithData`) finds.
    static func load(_ db: SQLiteConnection, sql: String, _ arguments: [SQLiteValue], withParts: Bool = false) throws -> [ObjectVersion] {
        var versions = try db.query(sql, arguments).map(version(from:))
        if withParts {
            for index in versions.indices where versions[index].uploadID != nil {
                versions[index].parts = try db.query(
                    "SELECT part_number, size, md5, blob, checksum, last_modified_ms FROM version_parts WHERE version_row = ? ORDER BY part_number",
                    [.integer(versions[index].sequence)]
                ).map(part(from:))
            }
        }
        return versions
    }

    static func latest(_ db: SQLiteConnection, bucketID: Int64, key: [UInt8], withParts: Bool, withData: Bool = false) throws -> ObjectVersion? {
        try load(db, where: "bucket_id = ? AND key = ? AND is_latest = 1", [.integer(bucketID), .blob(key)], withParts: withParts, withData: withData)
            .first
    }

    /// Checks a write precondition against the key's current object (a delete marker counts as absent).
    static func check(_ condition: WriteCondition?, _ db: SQLiteConnection, bucketID: Int64, key: String) throws {
        guard let condition else { return }
        let current = try latest(db, bucketID: bucketID, key: Array(key.utf8), withParts: false).flatMap { $0.isDeleteMarker ? nil : $0 }
        switch condition {
        case .absent:
            if current != nil { throw StoreError.preconditionFailed("If-None-Match") }
        case .etagMatches(let etag):
            guard let current else { throw StoreError.noSuchKey(key) }
            if etag.trimmingCharacters(in: .whitespaces) != "*" && !ETag.same(current.etag, etag) { throw StoreError.preconditionFailed("If-Match") }
        case .etagDiffers(let etag):
            if let current, ETag.same(current.etag, etag) { throw StoreError.preconditionFailed("If-None-Match") }
        case .deleteMatches(let guarded):
            if let expected = guarded.expected, !expected.matches(current) { throw StoreError.versionChanged(key: key) }
            if let expectedNull = guarded.expectedNull {
                let null = try load(
                    db, where: "bucket_id = ? AND key = ? AND version_id = ?", [.integer(bucketID), .blob(Array(key.utf8)), .text("null")], withParts: false
                ).first
                if !expectedNull.matches(null) { throw StoreError.versionChanged(key: key) }
            }
            if let current, !guarded.admits(current) { throw StoreError.preconditionFailed("If-Match") }
        }
    }

    /// Inserts `version` as the latest; a `null` version id replaces the existing `null` version.
    /// Returns the blobs of whatever was replaced.
    /// Inserts `version` as the key's latest. `attributes` is its encoded attribute document,
    /// made by the caller before the write: the writer connection runs one write at a time.
    static func insert(_ db: SQLiteConnection, bucketID: Int64, _ version: ObjectVersion, attributes: String) throws -> [String] {
        let key = SQLiteValue.blob(Array(version.key.utf8))
        let previous = try latest(db, bucketID: bucketID, key: Array(version.key.utf8), withParts: false)
        var obsolete: [String] = []
        if let replaced = try load(
            db, where: "bucket_id = ? AND key = ? AND version_id = ?", [.integer(bucketID), key, .text(version.versionID)], withParts: true
        ).first {
            try ObjectLockRules.checkRemoval(of: replaced, now: ObjectStore.now(), bypassGovernance: false)
            obsolete += replaced.blobIDs
            try db.query("DELETE FROM version_parts WHERE version_row = ?", [.integer(replaced.sequence)])
            try db.query("DELETE FROM versions WHERE id = ?", [.integer(replaced.sequence)])
        }
        try db.query("UPDATE versions SET is_latest = 0 WHERE bucket_id = ? AND key = ? AND is_latest = 1", [.integer(bucketID), key])
        try db.query(
            "INSERT INTO versions (bucket_id, key, version_id, is_latest, is_delete_marker, size, etag, last_modified_ms, blob, attributes, upload_id, inline) VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                .integer(bucketID), key, .text(version.versionID), .integer(version.isDeleteMarker ? 1 : 0), .integer(version.size),
                .text(version.etag), .integer(version.lastModified), version.blobID.map { .text($0) } ?? .null,
                .text(attributes), version.uploadID.map { .text($0) } ?? .null,
                version.inlineData.map { .blob(Array($0.readableBytesView)) } ?? .null,
            ])
        let row = db.lastInsertRowID
        for part in version.parts ?? [] {
            try db.query(
                "INSERT INTO version_parts (version_row, part_number, size, md5, blob, checksum, last_modified_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    .integer(row), .integer(Int64(part.number)), .integer(part.size), .text(part.md5Hex), .text(part.blobID),
                    part.checksum.map { .text($0) } ?? .null, .integer(part.lastModified),
                ])
        }
        try adjustUsage(db, bucketID: bucketID, removed: previous, added: version)
        return obsolete
    }

    /// Deletes one version row; if it was the latest, the newest remaining version takes its place.
    static func remove(_ db: SQLiteConnection, bucketID: Int64, _ removed: ObjectVersion) throws {
        try db.query("DELETE FROM version_parts WHERE version_row = ?", [.integer(removed.sequence)])
        try db.query("DELETE FROM versions WHERE id = ?", [.integer(removed.sequence)])
        guard removed.isLatest else { return }
        let key = SQLiteValue.blob(Array(removed.key.utf8))
        let promoted = try load(db, where: "bucket_id = ? AND key = ? ORDER BY id DESC LIMIT 1", [.integer(bucketID), key], withParts: false).first
        if let promoted {
            try db.query("UPDATE versions SET is_latest = 1 WHERE id = ?", [.integer(promoted.sequence)])
        }
        try adjustUsage(db, bucketID: bucketID, removed: removed, added: promoted)
    }

    /// Adjusts a bucket's object/byte counters by the change in its latest versions.
    static func adjustUsage(_ db: SQLiteConnection, bucketID: Int64, removed: ObjectVersion?, added: ObjectVersion?) throws {
        func contribution(_ v: ObjectVersion?) -> (Int64, Int64) {
            guard let v, !v.isDeleteMarker else { return (0, 0) }
            return (1, v.size)
        }
        let (removedCount, removedBytes) = contribution(removed)
        let (addedCount, addedBytes) = contribution(added)
        try db.query(
            "UPDATE buckets SET object_count = object_count + ?, byte_count = byte_count + ? WHERE id = ?",
            [.integer(addedCount - removedCount), .integer(addedBytes - removedBytes), .integer(bucketID)])
    }
}
