import Foundation
import Testing

@testable import IcebergModel

func parse(_ text: String) throws -> JSONValue {
    try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
}

func updates(_ text: String) throws -> [TableUpdate] {
    try (try parse(text)).arrayValue!.map { try TableUpdate(json: $0) }
}

/// A v2 table in the shape the spec's examples use, plus a field no version of the spec defines.
let exampleV2 = """
    {
      "format-version": 2, "table-uuid": "9c12d441-03fe-4693-9a96-a0705ddf69c1", "location": "s3://lakehouse/raw/events",
      "last-sequence-number": 34, "last-updated-ms": 1602638573590, "last-column-id": 3,
      "current-schema-id": 1,
      "schemas": [
        {"type": "struct", "schema-id": 0, "fields": [{"id": 1, "name": "x", "required": true, "type": "long"}]},
        {"type": "struct", "schema-id": 1, "identifier-field-ids": [1, 2], "fields": [
          {"id": 1, "name": "x", "required": true, "type": "long"},
          {"id": 2, "name": "y", "required": true, "type": "long", "doc": "comment"},
          {"id": 3, "name": "z", "required": true, "type": "long"}]}
      ],
      "default-spec-id": 0, "partition-specs": [{"spec-id": 0, "fields": [{"name": "x", "transform": "identity", "source-id": 1, "field-id": 1000}]}],
      "last-partition-id": 1000, "default-sort-order-id": 3,
      "sort-orders": [{"order-id": 3, "fields": [{"transform": "identity", "source-id": 2, "direction": "asc", "null-order": "nulls-first"}]}],
      "properties": {"owner": "floe"}, "current-snapshot-id": 3055729675574597004,
      "snapshots": [
        {"snapshot-id": 3051729675574597004, "timestamp-ms": 1515100955770, "sequence-number": 0, "summary": {"operation": "append"}, "manifest-list": "s3://a/b/1.avro"},
        {"snapshot-id": 3055729675574597004, "parent-snapshot-id": 3051729675574597004, "timestamp-ms": 1555100955770, "sequence-number": 1, "summary": {"operation": "append"}, "manifest-list": "s3://a/b/2.avro", "schema-id": 1}
      ],
      "refs": {"main": {"snapshot-id": 3055729675574597004, "type": "branch"}},
      "snapshot-log": [{"snapshot-id": 3051729675574597004, "timestamp-ms": 1515100955770}, {"snapshot-id": 3055729675574597004, "timestamp-ms": 1555100955770}],
      "metadata-log": [], "statistics": [], "partition-statistics": [],
      "x-future-field": {"kept": [1, 2.5, "three", null, true]}
    }
    """

@Suite struct MetadataTests {
    @Test func roundTripKeepsUnknownFieldsAndLongIDs() throws {
        let metadata = try TableMetadata(json: try parse(exampleV2))
        #expect(metadata.currentSnapshotID == 3_055_729_675_574_597_004)
        let encoded = try JSONEncoder().encode(metadata.document)
        let again = try TableMetadata(json: try JSONDecoder().decode(JSONValue.self, from: encoded))
        #expect(again == metadata)
        #expect(again.json["x-future-field"]?["kept"]?.arrayValue?.count == 5)
        #expect(String(decoding: encoded, as: UTF8.self).contains("3055729675574597004"))
    }

    @Test func createThroughUpdatesAsClientsSendThem() throws {
        var builder = MetadataBuilder(MetadataBuilder.emptyTable(formatVersion: 2, location: "", now: 1000), now: 1000)
        try builder.apply(try updates("""
            [{"action": "assign-uuid", "uuid": "2cc52516-5e73-41f2-b139-545d41a4e151"},
             {"action": "upgrade-format-version", "format-version": 2},
             {"action": "add-schema", "schema": {"type": "struct", "schema-id": 0, "fields": [
                {"id": 1, "name": "id", "required": false, "type": "long"},
                {"id": 2, "name": "tags", "required": false, "type": {"type": "list", "element-id": 4, "element": "string", "element-required": false}},
                {"id": 3, "name": "attrs", "required": false, "type": {"type": "map", "key-id": 5, "key": "string", "value-id": 6, "value": {"type": "struct", "fields": [{"id": 7, "name": "v", "required": false, "type": "timestamp_ns"}]}, "value-required": false}}]}},
             {"action": "set-current-schema", "schema-id": -1},
             {"action": "add-spec", "spec": {"fields": [{"source-id": 1, "transform": "bucket[16]", "name": "id_bucket"}]}},
             {"action": "set-default-spec", "spec-id": -1},
             {"action": "add-sort-order", "sort-order": {"order-id": 1, "fields": [{"source-id": 1, "transform": "identity", "direction": "asc", "null-order": "nulls-first"}]}},
             {"action": "set-default-sort-order", "sort-order-id": -1},
             {"action": "set-location", "location": "s3://lakehouse/bronze/t"},
             {"action": "set-properties", "updates": {"write.format.default": "parquet"}}]
            """))
        let metadata = try builder.build()
        #expect(metadata.lastColumnID == 7)
        #expect(metadata.currentSchemaID == 0)
        #expect(metadata.specs.first?["fields"]?.arrayValue?.first?["field-id"]?.intValue == 1000)
        #expect(metadata.lastPartitionID == 1000)
        #expect(metadata.defaultSortOrderID == 1)
        #expect(metadata.properties["write.format.default"] == "parquet")
        #expect(metadata.location == "s3://lakehouse/bronze/t")
    }

    @Test func schemaEvolutionAssignsIDsAndReusesEqualSchemas() throws {
        let base = try TableMetadata(json: try parse(exampleV2))
        var builder = MetadataBuilder(base, now: 2_000_000_000_000)
        try builder.apply(try updates("""
            [{"action": "add-schema", "schema": {"type": "struct", "schema-id": 7, "fields": [
                {"id": 1, "name": "x", "required": true, "type": "long"}, {"id": 4, "name": "w", "required": false, "type": "string"}]}},
             {"action": "set-current-schema", "schema-id": -1}]
            """))
        #expect(builder.metadata.currentSchemaID == 2)
        #expect(builder.metadata.lastColumnID == 4)
        #expect(builder.metadata.lastUpdatedMs == 2_000_000_000_000)
        // Adding a schema equal to an existing one reuses its id.
        var again = MetadataBuilder(builder.metadata, now: 2_000_000_000_001)
        try again.apply(try updates("""
            [{"action": "add-schema", "schema": {"type": "struct", "fields": [{"id": 1, "name": "x", "required": true, "type": "long"}]}},
             {"action": "set-current-schema", "schema-id": -1}]
            """))
        #expect(again.metadata.currentSchemaID == 0)
        #expect(again.metadata.schemas.count == 3)
    }

    @Test func appendMovesMainAndLogs() throws {
        let base = try TableMetadata(json: try parse(exampleV2))
        var builder = MetadataBuilder(base, now: 1_700_000_000_000)
        try builder.apply(try updates("""
            [{"action": "add-snapshot", "snapshot": {"snapshot-id": 42, "parent-snapshot-id": 3055729675574597004, "sequence-number": 35,
              "timestamp-ms": 1600000000000, "summary": {"operation": "append"}, "manifest-list": "s3://a/b/3.avro", "schema-id": 1}},
             {"action": "set-snapshot-ref", "ref-name": "main", "type": "branch", "snapshot-id": 42}]
            """))
        let m = builder.metadata
        #expect(m.currentSnapshotID == 42)
        #expect(m.lastSequenceNumber == 35)
        #expect(m.refSnapshotID("main") == 42)
        #expect(m.json["snapshot-log"]?.arrayValue?.last?["snapshot-id"]?.intValue == 42)
        #expect(m.referencedSnapshotsOnly().snapshots.count == 1)
        // An old sequence number is refused.
        var stale = MetadataBuilder(m, now: 1)
        #expect(throws: IcebergError.self) {
            try stale.apply(try updates("""
                [{"action": "add-snapshot", "snapshot": {"snapshot-id": 43, "parent-snapshot-id": 42, "sequence-number": 35, "timestamp-ms": 1, "manifest-list": "x"}}]
                """))
        }
    }

    @Test func requirementsDetectConcurrentChanges() throws {
        let m = try TableMetadata(json: try parse(exampleV2))
        try TableRequirement(json: try parse(#"{"type": "assert-ref-snapshot-id", "ref": "main", "snapshot-id": 3055729675574597004}"#)).check(m)
        try TableRequirement(json: try parse(#"{"type": "assert-table-uuid", "uuid": "9C12D441-03FE-4693-9A96-A0705DDF69C1"}"#)).check(m)
        try TableRequirement.assertCurrentSchemaID(1).check(m)
        try TableRequirement.assertLastAssignedFieldID(3).check(m)
        try TableRequirement.assertLastAssignedPartitionID(1000).check(m)
        try TableRequirement.assertDefaultSpecID(0).check(m)
        try TableRequirement.assertDefaultSortOrderID(3).check(m)
        try TableRequirement.assertCreate.check(nil)
        for failing: TableRequirement in [
            .assertRefSnapshotID(ref: "main", snapshotID: 1), .assertRefSnapshotID(ref: "main", snapshotID: nil),
            .assertTableUUID("other"), .assertCurrentSchemaID(0), .assertLastAssignedFieldID(2), .assertDefaultSpecID(1),
            .assertDefaultSortOrderID(0), .assertLastAssignedPartitionID(999), .assertCreate,
        ] {
            do {
                try failing.check(m)
                Issue.record("\(failing) passed")
            } catch {
                #expect(error.code == 409 && error.type == "CommitFailedException")
            }
        }
        try TableRequirement.assertRefSnapshotID(ref: "audit", snapshotID: nil).check(m)
    }

    @Test func invalidUpdatesAreBadRequests() throws {
        let m = try TableMetadata(json: try parse(exampleV2))
        for text in [
            #"[{"action": "upgrade-format-version", "format-version": 1}]"#,
            #"[{"action": "upgrade-format-version", "format-version": 9}]"#,
            #"[{"action": "assign-uuid", "uuid": "different"}]"#,
            #"[{"action": "set-current-schema", "schema-id": 99}]"#,
            #"[{"action": "set-current-schema", "schema-id": -1}]"#,
            #"[{"action": "set-snapshot-ref", "ref-name": "main", "type": "branch", "snapshot-id": 5}]"#,
            #"[{"action": "remove-schemas", "schema-ids": [1]}]"#,
            #"[{"action": "remove-partition-specs", "spec-ids": [0]}]"#,
            #"[{"action": "add-snapshot", "snapshot": {"snapshot-id": 3051729675574597004, "timestamp-ms": 1, "manifest-list": "x"}}]"#,
        ] {
            var builder = MetadataBuilder(m, now: 1)
            do {
                try builder.apply(try updates(text))
                Issue.record("accepted: \(text)")
            } catch let error as IcebergError {
                #expect(error.code == 400, "\(text)")
            }
        }
        #expect(throws: IcebergError.self) { try TableUpdate(json: try parse(#"{"action": "make-coffee"}"#)) }
        #expect(throws: IcebergError.self) { try TableRequirement(json: try parse(#"{"type": "assert-nothing"}"#)) }
    }

    @Test func removingSnapshotsDropsTheirRefs() throws {
        var builder = MetadataBuilder(try TableMetadata(json: try parse(exampleV2)), now: 5)
        try builder.apply(try updates(#"[{"action": "remove-snapshots", "snapshot-ids": [3055729675574597004]}]"#))
        #expect(builder.metadata.currentSnapshotID == nil)
        #expect(builder.metadata.refs["main"] == nil)
        #expect(builder.metadata.snapshots.count == 1)
    }

    @Test func formatVersion3TracksRowLineage() throws {
        var builder = MetadataBuilder(try TableMetadata(json: try parse(exampleV2)), now: 5)
        try builder.apply(try updates("""
            [{"action": "upgrade-format-version", "format-version": 3},
             {"action": "add-snapshot", "snapshot": {"snapshot-id": 77, "parent-snapshot-id": 3055729675574597004, "sequence-number": 35,
               "timestamp-ms": 1700000000000, "manifest-list": "m", "first-row-id": 0, "added-rows": 25}}]
            """))
        #expect(builder.metadata.formatVersion == 3)
        #expect(builder.metadata.nextRowID == 25)
    }
}

/// The direct writer produces JSON that decodes to the same value, for every case and for text
/// that needs escaping.
@Suite struct JSONWritingTests {
    @Test func roundTripsThroughTheDecoder() throws {
        let controls = String(decoding: (0..<0x20).map { UInt8($0) }, as: UTF8.self)
        let value: JSONValue = [
            "null": nil, "yes": true, "no": false, "int": .int(-9_007_199_254_740_993), "double": .double(0.1),
            "big": .double(1.5e300), "text": .string("a \"quoted\" \\ path/with/slashes ünï 🧊 \(controls)"),
            "array": [1, "two", [nil], [:]], "nested": ["deep": ["deeper": [.double(-2.5e-8)]]], "": "empty key",
        ]
        let text = String(decoding: value.jsonBytes, as: UTF8.self)
        let decoded = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        #expect(decoded == value)
        #expect(text.contains("path/with/slashes"))
        #expect(JSONValue.double(.infinity).jsonBytes == Array("null".utf8))
        // A whole double is written as an integer, as JSONEncoder writes it.
        #expect(JSONValue.double(3).jsonBytes == Array("3".utf8))
    }
}
