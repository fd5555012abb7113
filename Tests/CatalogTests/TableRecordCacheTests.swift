import IcebergModel
import Testing

@testable import Catalog

/// A shared catalog database's table records kept by row version: a record is given back only for
/// the stamp it was kept at, for the identifier spelled byte for byte as it was kept.
@Suite struct TableRecordCacheTests {
    static func record(
        _ name: String, namespace: [String] = ["ns"], location: String = "s3://whs/ns/t/metadata/00001.json", properties: JSONValue = [:],
        extra: JSONValue = .null
    ) throws -> TableRecord {
        var document: JSONValue = [
            "format-version": 2, "table-uuid": "9c12d441-03fe-4693-9a96-a0705ddf69c1", "location": "s3://whs/ns/t", "last-updated-ms": 1,
            "last-column-id": 0, "schemas": [["type": "struct", "schema-id": 0, "fields": []]], "current-schema-id": 0,
            "partition-specs": [["spec-id": 0, "fields": []]], "default-spec-id": 0, "last-partition-id": 999, "properties": properties,
        ]
        if extra != .null { document["x-extra"] = extra }
        let metadata = try TableMetadata(json: document)
        return TableRecord(
            identifier: TableIdentifier(namespace: namespace, name: name), metadataLocation: location, metadata: metadata,
            writtenAs: try metadata.document.text())
    }

    @Test func aRecordIsGivenBackOnlyAtItsStamp() throws {
        let cache = TableRecordCache()
        let kept = try Self.record("t")
        cache.keep(written: kept, warehouse: "whs", version: 7)
        let stamp = try #require(cache.stamp(warehouse: "whs", kept.identifier))
        #expect(stamp == TableRecordCache.Stamp(version: 7, metadataLocation: kept.metadataLocation))
        #expect(cache.record(warehouse: "whs", kept.identifier, at: stamp) == kept)
        #expect(cache.record(warehouse: "whs", kept.identifier, at: .init(version: 8, metadataLocation: kept.metadataLocation)) == nil)
        #expect(cache.record(warehouse: "whs", kept.identifier, at: .init(version: 7, metadataLocation: "s3://whs/ns/t/metadata/other.json")) == nil)
        #expect(cache.record(warehouse: "other", kept.identifier, at: stamp) == nil)
        cache.forget(warehouse: "whs", kept.identifier)
        #expect(cache.stamp(warehouse: "whs", kept.identifier) == nil)
    }

    /// Names are compared as the database compares them, byte for byte.
    @Test func identifiersThatDifferOnlyInUnicodeNormalizationAreApart() throws {
        let cache = TableRecordCache()
        let composed = try Self.record("caf\u{E9}")
        cache.keep(written: composed, warehouse: "whs", version: 1)
        #expect(cache.stamp(warehouse: "whs", TableIdentifier(namespace: ["ns"], name: "cafe\u{301}")) == nil)
        #expect(cache.stamp(warehouse: "whs", TableIdentifier(namespace: ["ns", "caf\u{E9}"], name: "")) == nil)
        // Parts are kept apart: a level boundary is not a character of a name.
        cache.keep(written: try Self.record("b", namespace: ["a"]), warehouse: "whs", version: 2)
        #expect(cache.stamp(warehouse: "whs", TableIdentifier(namespace: ["a", "b"], name: "")) == nil)
        #expect(cache.stamp(warehouse: "whsa", TableIdentifier(namespace: [], name: "b")) == nil)
    }

    /// A written document with a double reads back as another value (a whole double as an
    /// integer): its record is not kept, and any older record of the table goes.
    @Test func aWrittenRecordThatWouldNotReadBackIsNotKept() throws {
        let cache = TableRecordCache()
        cache.keep(written: try Self.record("t"), warehouse: "whs", version: 1)
        let record = try Self.record("t", location: "s3://whs/ns/t/metadata/2.json", extra: .double(1))
        cache.keep(written: record, warehouse: "whs", version: 2)
        #expect(cache.stamp(warehouse: "whs", record.identifier) == nil)
        // Nor one whose text is unknown.
        cache.keep(written: try Self.record("t"), warehouse: "whs", version: 3)
        cache.keep(written: TableRecord(identifier: record.identifier, metadataLocation: "s3://x", metadata: try Self.record("t").metadata), warehouse: "whs", version: 4)
        #expect(cache.stamp(warehouse: "whs", record.identifier) == nil)
    }

    @Test func theCacheStaysWithinItsBudget() throws {
        let cache = TableRecordCache(maxEntries: 8, maxBytes: 1 << 20)
        for index in 0..<100 {
            cache.keep(written: try Self.record("t\(index)"), warehouse: "whs", version: Int64(index))
        }
        let kept = (0..<100).filter { cache.stamp(warehouse: "whs", TableIdentifier(namespace: ["ns"], name: "t\($0)")) != nil }
        #expect(kept.count <= 8 && kept.contains(99))
        #expect(cache.count <= 8 && cache.estimatedBytes <= 1 << 20)
        // A record larger than a sixteenth of the budget is not kept.
        let large = try Self.record("large", properties: .object(Dictionary(uniqueKeysWithValues: (0..<2000).map { ("property-\($0)", JSONValue.string(String(repeating: "v", count: 40))) })))
        cache.keep(written: large, warehouse: "whs", version: 200)
        #expect(cache.stamp(warehouse: "whs", large.identifier) == nil)
    }

    /// Replacing a table's small record with a large one counts against the budget too (review
    /// finding: only new tables were checked, so commits grew the cache past it without end).
    @Test func replacingRecordsStaysWithinTheBudget() throws {
        let budget = 1 << 20
        let cache = TableRecordCache(maxEntries: 4096, maxBytes: budget)
        let large: JSONValue = .object(Dictionary(uniqueKeysWithValues: (0..<100).map { ("property-\($0)", JSONValue.string(String(repeating: "v", count: 100))) }))
        for index in 0..<200 { cache.keep(written: try Self.record("t\(index)"), warehouse: "whs", version: 1) }
        for index in 0..<200 {
            let record = try Self.record("t\(index)", properties: large)
            cache.keep(written: record, warehouse: "whs", version: 2)
            #expect(cache.estimatedBytes <= budget)
        }
        #expect(cache.stamp(warehouse: "whs", TableIdentifier(namespace: ["ns"], name: "t199"))?.version == 2)
    }
}
