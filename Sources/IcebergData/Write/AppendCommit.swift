import IcebergModel

/// A fast append: one new manifest of added data files, a manifest list that keeps every manifest
/// of the parent snapshot, and the catalog commit (requirements + updates) that makes it current
/// only if `main` still points at the parent. With `replacing`, an overwrite: the new snapshot
/// holds the added files only. `schema` (with `schemaUpdates`, e.g. add-schema and
/// set-current-schema for merged columns) is the schema the files were written with.
public struct AppendCommit: Sendable {
    public var manifestPath: String
    public var manifestBytes: [UInt8]
    public var manifestListPath: String
    public var manifestListBytes: [UInt8]
    /// The body of `POST …/tables/{table}`: `{"requirements": […], "updates": […]}`.
    public var request: JSONValue
    public var snapshotID: Int64

    public static func make(
        metadata: TableMetadata, files: [DataFile], parentManifests: [ManifestFile], snapshotID: Int64, timestampMs: Int64,
        manifestPath: String, manifestListPath: String, extraSummary: [String: String] = [:], setProperties: [String: String] = [:],
        replacing: Bool = false, schema written: IcebergSchema? = nil, schemaUpdates: [JSONValue] = [], operation: String? = nil
    ) throws(IcebergDataError) -> AppendCommit {
        let version = metadata.formatVersion
        guard let schemaJSON = metadata.schemas.first(where: { $0["schema-id"]?.intValue == metadata.currentSchemaID }) else {
            throw .malformed("the table has no current schema")
        }
        let schema: IcebergSchema
        if let written { schema = written } else { schema = try IcebergSchema(json: schemaJSON) }
        guard let specJSON = metadata.specs.first(where: { $0["spec-id"]?.intValue == metadata.defaultSpecID }) else {
            throw .malformed("the table has no default partition spec")
        }
        let spec = try PartitionSpec(json: specJSON)
        let parent = metadata.refSnapshotID("main")
        let sequenceNumber = metadata.lastSequenceNumber + 1

        var writer = try ManifestWriter(formatVersion: version, spec: spec, schema: schema, content: .data, snapshotID: snapshotID)
        for file in files {
            try writer.add(ManifestEntry(status: .added, snapshotID: snapshotID, dataFile: file))
        }
        let (manifestBytes, manifest) = try writer.finish(path: manifestPath, sequenceNumber: version >= 2 ? sequenceNumber : 0)
        let firstRowID = version >= 3 ? (metadata.nextRowID ?? 0) : nil
        var manifests = replacing ? [manifest] : [manifest] + parentManifests
        var assignedRows: Int64 = 0
        if let firstRowID {
            // Every data manifest without a first row id gets one now (parents written before v3
            // too); added-rows covers them all, so next-row-id moves past every id handed out.
            let assigned = ManifestList.assigningFirstRowIDs(manifests, startingAt: firstRowID)
            manifests = assigned.manifests
            assignedRows = assigned.nextRowID - firstRowID
        }
        let listBytes = try ManifestList.write(
            manifests, formatVersion: version, snapshotID: snapshotID, parentSnapshotID: parent,
            sequenceNumber: sequenceNumber, firstRowID: firstRowID)

        var addedRecords: Int64 = 0
        var addedBytes: Int64 = 0
        for file in files {
            addedRecords = try ParquetDataFile.sum(addedRecords, file.recordCount)
            addedBytes = try ParquetDataFile.sum(addedBytes, file.fileSizeInBytes)
        }
        var summary: [String: String] = [
            "operation": operation ?? (replacing ? "overwrite" : "append"), "added-data-files": String(files.count), "added-records": String(addedRecords),
            "added-files-size": String(addedBytes),
        ]
        let previous = parent.flatMap { metadata.snapshot($0)?["summary"]?.stringMap } ?? (parent == nil ? [:] : nil)
        if let previous {
            func total(_ key: String, plus added: Int64) {
                if parent == nil || replacing {
                    summary[key] = String(added)
                } else if let value = previous[key].flatMap({ Int64($0) }), case (let total, false) = value.addingReportingOverflow(added) {
                    summary[key] = String(total)
                }
            }
            if replacing, parent != nil {
                for (key, deleted) in [("total-data-files", "deleted-data-files"), ("total-records", "deleted-records"), ("total-files-size", "removed-files-size")] {
                    if let value = previous[key] { summary[deleted] = value }
                }
            }
            total("total-data-files", plus: Int64(files.count))
            total("total-records", plus: addedRecords)
            total("total-files-size", plus: addedBytes)
            total("total-delete-files", plus: 0)
            total("total-position-deletes", plus: 0)
            total("total-equality-deletes", plus: 0)
        }
        // An overwrite by filter removes files: the totals go down by what it removed.
        for (total, removed) in [("total-data-files", "deleted-data-files"), ("total-records", "deleted-records")] {
            if let value = summary[total].flatMap({ Int64($0) }), let gone = extraSummary[removed].flatMap({ Int64($0) }) {
                summary[total] = String(max(0, value - gone))
            }
        }
        summary.merge(extraSummary) { current, _ in current }

        var snapshot: [String: JSONValue] = [
            "snapshot-id": .int(snapshotID), "timestamp-ms": .int(timestampMs), "manifest-list": .string(manifestListPath),
            "summary": .stringMap(summary), "schema-id": .int(Int64(schemaUpdates.isEmpty ? Int(metadata.currentSchemaID) : schema.schemaID)),
        ]
        if let parent { snapshot["parent-snapshot-id"] = .int(parent) }
        if version >= 2 { snapshot["sequence-number"] = .int(sequenceNumber) }
        if let firstRowID {
            snapshot["first-row-id"] = .int(firstRowID)
            snapshot["added-rows"] = .int(assignedRows)
        }
        var requirements: [JSONValue] = [
            ["type": "assert-ref-snapshot-id", "ref": "main", "snapshot-id": parent.map { .int($0) } ?? .null]
        ]
        if let uuid = metadata.uuid { requirements.append(["type": "assert-table-uuid", "uuid": .string(uuid)]) }
        if !schemaUpdates.isEmpty {
            requirements.append(["type": "assert-current-schema-id", "current-schema-id": .int(metadata.currentSchemaID)])
            requirements.append(["type": "assert-last-assigned-field-id", "last-assigned-field-id": .int(metadata.lastColumnID)])
        }
        var updates: [JSONValue] = schemaUpdates + [
            ["action": "add-snapshot", "snapshot": .object(snapshot)],
            ["action": "set-snapshot-ref", "ref-name": "main", "type": "branch", "snapshot-id": .int(snapshotID)],
        ]
        if !setProperties.isEmpty { updates.append(["action": "set-properties", "updates": .stringMap(setProperties)]) }
        let request: JSONValue = ["requirements": .array(requirements), "updates": .array(updates)]
        return AppendCommit(
            manifestPath: manifestPath, manifestBytes: manifestBytes, manifestListPath: manifestListPath, manifestListBytes: listBytes,
            request: request, snapshotID: snapshotID)
    }
}
