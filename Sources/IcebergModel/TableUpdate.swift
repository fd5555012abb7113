/// One change of a table commit (REST spec `TableUpdate`), parsed from its JSON form.
public enum TableUpdate: Sendable, Equatable {
    case assignUUID(String)
    case upgradeFormatVersion(Int)
    case addSchema(schema: JSONValue, lastColumnID: Int64?)
    case setCurrentSchema(Int64)
    case addSpec(JSONValue)
    case setDefaultSpec(Int64)
    case addSortOrder(JSONValue)
    case setDefaultSortOrder(Int64)
    case addSnapshot(JSONValue)
    /// The ref as sent: `type`, `snapshot-id` and retention fields.
    case setSnapshotRef(name: String, ref: JSONValue)
    case removeSnapshots([Int64])
    case removeSnapshotRef(String)
    case setLocation(String)
    case setProperties([String: String])
    case removeProperties([String])
    case setStatistics(JSONValue)
    case removeStatistics(Int64)
    case setPartitionStatistics(JSONValue)
    case removePartitionStatistics(Int64)
    case removePartitionSpecs([Int64])
    case removeSchemas([Int64])
    case addEncryptionKey(JSONValue)
    case removeEncryptionKey(String)

    public init(json: JSONValue) throws(IcebergError) {
        guard let action = json["action"]?.stringValue else { throw .badRequest("Table update without an action") }
        func value(_ key: String) throws(IcebergError) -> JSONValue {
            guard let v = json[key], !v.isNull else { throw .badRequest("Update \(action) needs \(key)") }
            return v
        }
        func int(_ key: String) throws(IcebergError) -> Int64 {
            guard let v = json[key]?.intValue else { throw .badRequest("Update \(action) needs an integer \(key)") }
            return v
        }
        func string(_ key: String) throws(IcebergError) -> String {
            guard let v = json[key]?.stringValue else { throw .badRequest("Update \(action) needs a string \(key)") }
            return v
        }
        func ints(_ key: String) throws(IcebergError) -> [Int64] {
            guard let array = json[key]?.arrayValue else { throw .badRequest("Update \(action) needs a list \(key)") }
            var out: [Int64] = []
            for element in array {
                guard let v = element.intValue else { throw .badRequest("Update \(action): \(key) must hold integers") }
                out.append(v)
            }
            return out
        }
        switch action {
        case "assign-uuid": self = .assignUUID(try string("uuid"))
        case "upgrade-format-version": self = .upgradeFormatVersion(Int(try int("format-version")))
        case "add-schema": self = .addSchema(schema: try value("schema"), lastColumnID: json["last-column-id"]?.intValue)
        case "set-current-schema": self = .setCurrentSchema(try int("schema-id"))
        case "add-spec": self = .addSpec(try value("spec"))
        case "set-default-spec": self = .setDefaultSpec(try int("spec-id"))
        case "add-sort-order": self = .addSortOrder(try value("sort-order"))
        case "set-default-sort-order": self = .setDefaultSortOrder(try int("sort-order-id"))
        case "add-snapshot": self = .addSnapshot(try value("snapshot"))
        case "set-snapshot-ref":
            var ref = json
            ref["action"] = nil
            ref["ref-name"] = nil
            self = .setSnapshotRef(name: try string("ref-name"), ref: ref)
        case "remove-snapshots": self = .removeSnapshots(try ints("snapshot-ids"))
        case "remove-snapshot-ref": self = .removeSnapshotRef(try string("ref-name"))
        case "set-location": self = .setLocation(try string("location"))
        case "set-properties":
            guard let updates = json["updates"]?.stringMap else { throw .badRequest("set-properties needs string updates") }
            self = .setProperties(updates)
        case "remove-properties":
            guard let removals = json["removals"]?.arrayValue?.compactMap(\.stringValue) else { throw .badRequest("remove-properties needs removals") }
            self = .removeProperties(removals)
        case "set-statistics": self = .setStatistics(try value("statistics"))
        case "remove-statistics": self = .removeStatistics(try int("snapshot-id"))
        case "set-partition-statistics": self = .setPartitionStatistics(try value("partition-statistics"))
        case "remove-partition-statistics": self = .removePartitionStatistics(try int("snapshot-id"))
        case "remove-partition-specs": self = .removePartitionSpecs(try ints("spec-ids"))
        case "remove-schemas": self = .removeSchemas(try ints("schema-ids"))
        case "add-encryption-key": self = .addEncryptionKey(try value("encryption-key"))
        case "remove-encryption-key": self = .removeEncryptionKey(try string("key-id"))
        default: throw .badRequest("Unknown table update action: \(action)")
        }
    }
}
