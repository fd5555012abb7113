/// A precondition of a table commit (REST spec `TableRequirement`). A failed requirement means
/// the table changed under the client: 409 CommitFailedException, so engines refresh and retry.
public enum TableRequirement: Sendable, Equatable {
    case assertCreate
    case assertTableUUID(String)
    /// nil: the ref must not exist.
    case assertRefSnapshotID(ref: String, snapshotID: Int64?)
    case assertLastAssignedFieldID(Int64)
    case assertCurrentSchemaID(Int64)
    case assertLastAssignedPartitionID(Int64)
    case assertDefaultSpecID(Int64)
    case assertDefaultSortOrderID(Int64)

    public init(json: JSONValue) throws(IcebergError) {
        guard let type = json["type"]?.stringValue else { throw .badRequest("Table requirement without a type") }
        func int(_ key: String) throws(IcebergError) -> Int64 {
            guard let value = json[key]?.intValue else { throw .badRequest("Requirement \(type) needs an integer \(key)") }
            return value
        }
        switch type {
        case "assert-create": self = .assertCreate
        case "assert-table-uuid":
            guard let uuid = json["uuid"]?.stringValue else { throw .badRequest("assert-table-uuid needs uuid") }
            self = .assertTableUUID(uuid)
        case "assert-ref-snapshot-id":
            guard let ref = json["ref"]?.stringValue else { throw .badRequest("assert-ref-snapshot-id needs ref") }
            self = .assertRefSnapshotID(ref: ref, snapshotID: json["snapshot-id"]?.intValue)
        case "assert-last-assigned-field-id": self = .assertLastAssignedFieldID(try int("last-assigned-field-id"))
        case "assert-current-schema-id": self = .assertCurrentSchemaID(try int("current-schema-id"))
        case "assert-last-assigned-partition-id": self = .assertLastAssignedPartitionID(try int("last-assigned-partition-id"))
        case "assert-default-spec-id": self = .assertDefaultSpecID(try int("default-spec-id"))
        case "assert-default-sort-order-id": self = .assertDefaultSortOrderID(try int("default-sort-order-id"))
        default: throw .badRequest("Unknown table requirement type: \(type)")
        }
    }

    /// Checks the requirement against the current metadata (nil when the table does not exist).
    public func check(_ metadata: TableMetadata?) throws(IcebergError) {
        if case .assertCreate = self {
            if metadata != nil { throw .commitFailed("Requirement failed: table already exists") }
            return
        }
        guard let metadata else { throw .commitFailed("Requirement failed: table does not exist") }
        switch self {
        case .assertCreate: return
        case .assertTableUUID(let uuid):
            if metadata.uuid?.lowercased() != uuid.lowercased() {
                throw .commitFailed("Requirement failed: UUID does not match: expected \(metadata.uuid ?? "none") != \(uuid)")
            }
        case .assertRefSnapshotID(let ref, let expected):
            let actual = metadata.refSnapshotID(ref)
            if actual != expected {
                if let expected {
                    throw .commitFailed("Requirement failed: \(ref) has changed: expected id \(expected) != \(actual.map(String.init) ?? "none")")
                }
                throw .commitFailed("Requirement failed: \(ref) was created concurrently")
            }
        case .assertLastAssignedFieldID(let id):
            if metadata.lastColumnID != id {
                throw .commitFailed("Requirement failed: last assigned field id changed: expected id \(id) != \(metadata.lastColumnID)")
            }
        case .assertCurrentSchemaID(let id):
            if metadata.currentSchemaID != id {
                throw .commitFailed("Requirement failed: current schema changed: expected id \(id) != \(metadata.currentSchemaID)")
            }
        case .assertLastAssignedPartitionID(let id):
            if metadata.lastPartitionID != id {
                throw .commitFailed("Requirement failed: last assigned partition id changed: expected id \(id) != \(metadata.lastPartitionID)")
            }
        case .assertDefaultSpecID(let id):
            if metadata.defaultSpecID != id {
                throw .commitFailed("Requirement failed: default partition spec changed: expected id \(id) != \(metadata.defaultSpecID)")
            }
        case .assertDefaultSortOrderID(let id):
            if metadata.defaultSortOrderID != id {
                throw .commitFailed("Requirement failed: default sort order changed: expected id \(id) != \(metadata.defaultSortOrderID)")
            }
        }
    }
}
