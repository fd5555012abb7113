/// Applies table updates to metadata with the spec's rules: ids the server assigns, equal
/// schemas/specs/orders reused instead of duplicated, `-1` meaning "the last one added in this
/// change", format versions only upward, snapshots and refs consistent.
public struct MetadataBuilder: Sendable {
    public private(set) var metadata: TableMetadata
    /// Milliseconds since 1970, stamped as last-updated-ms and on new log entries.
    let now: Int64
    private var lastAddedSchemaID: Int64?
    private var lastAddedSpecID: Int64?
    private var lastAddedSortOrderID: Int64?
    private var addedSnapshotIDs: Set<Int64> = []
    public private(set) var changed = false

    public static let maxFormatVersion = 3

    public init(_ metadata: TableMetadata, now: Int64) {
        self.metadata = metadata
        self.now = now
    }

    /// The starting point of a table created through a commit (stage-create, `assert-create`):
    /// no schema, spec or order yet; the updates supply them.
    public static func emptyTable(formatVersion: Int, location: String, now: Int64) -> TableMetadata {
        var json: [String: JSONValue] = [
            "format-version": .int(Int64(formatVersion)), "location": .string(location), "last-sequence-number": 0,
            "last-updated-ms": .int(now), "last-column-id": 0, "current-schema-id": -1, "schemas": [],
            "partition-specs": [], "default-spec-id": -1, "last-partition-id": 999, "sort-orders": [],
            "default-sort-order-id": -1, "properties": [:], "current-snapshot-id": -1, "refs": [:], "snapshots": [],
            "snapshot-log": [], "metadata-log": [], "statistics": [], "partition-statistics": [],
        ]
        if formatVersion >= 3 { json["next-row-id"] = 0 }
        return try! TableMetadata(json: .object(json))
    }

    public mutating func apply(_ updates: [TableUpdate]) throws(IcebergError) {
        for update in updates { try apply(update) }
        if changed { metadata.set("last-updated-ms", .int(max(now, metadata.lastUpdatedMs))) }
    }

    /// The finished metadata, checked for the fields every table must have.
    public func build() throws(IcebergError) -> TableMetadata {
        guard metadata.uuid != nil else { throw .validation("Table metadata has no table-uuid") }
        guard !metadata.location.isEmpty else { throw .validation("Table metadata has no location") }
        guard metadata.schemas.contains(where: { $0["schema-id"]?.intValue == metadata.currentSchemaID }) else {
            throw .validation("Table metadata has no current schema")
        }
        var result = metadata
        if result.specs.isEmpty {
            result.set("partition-specs", [["spec-id": 0, "fields": []]])
            result.set("default-spec-id", 0)
        }
        if result.sortOrders.isEmpty {
            result.set("sort-orders", [["order-id": 0, "fields": []]])
            result.set("default-sort-order-id", 0)
        }
        return result
    }

    mutating func apply(_ update: TableUpdate) throws(IcebergError) {
        changed = true
        switch update {
        case .assignUUID(let uuid):
            if let existing = metadata.uuid, existing.lowercased() != uuid.lowercased() {
                throw .badRequest("Cannot reassign uuid: \(existing) -> \(uuid)")
            }
            metadata.set("table-uuid", .string(uuid))

        case .upgradeFormatVersion(let version):
            guard version <= Self.maxFormatVersion else { throw .badRequest("Unsupported format version: \(version)") }
            guard version >= metadata.formatVersion else {
                throw .badRequest("Cannot downgrade v\(metadata.formatVersion) table to v\(version)")
            }
            metadata.set("format-version", .int(Int64(version)))
            if version >= 3 && metadata.nextRowID == nil { metadata.set("next-row-id", 0) }

        case .addSchema(let schema, let lastColumnID):
            guard schema["fields"]?.arrayValue != nil else { throw .badRequest("A schema needs fields") }
            let highest = max(metadata.lastColumnID, SchemaRules.maxFieldID(schema), lastColumnID ?? 0)
            metadata.set("last-column-id", .int(highest))
            let (schemas, id) = SchemaRules.adding(schema, to: metadata.schemas)
            metadata.set("schemas", .array(schemas))
            lastAddedSchemaID = id

        case .setCurrentSchema(let requested):
            let id = try resolve(requested, lastAdded: lastAddedSchemaID, what: "schema")
            guard let schema = metadata.schemas.first(where: { $0["schema-id"]?.intValue == id }) else {
                throw .badRequest("Cannot set current schema to unknown schema: \(id)")
            }
            metadata.set("current-schema-id", .int(id))
            if metadata.formatVersion == 1 { metadata.set("schema", schema) }

        case .addSpec(let spec):
            var fields: [JSONValue] = []
            var nextFieldID = metadata.lastPartitionID
            for field in spec["fields"]?.arrayValue ?? [] {
                var f = field
                if f["field-id"]?.intValue == nil {
                    nextFieldID += 1
                    f["field-id"] = .int(nextFieldID)
                }
                nextFieldID = max(nextFieldID, f["field-id"]?.intValue ?? 0)
                fields.append(f)
            }
            metadata.set("last-partition-id", .int(max(metadata.lastPartitionID, nextFieldID)))
            if let existing = metadata.specs.first(where: { ($0["fields"]?.arrayValue ?? []) == fields }) {
                lastAddedSpecID = existing["spec-id"]?.intValue
                return
            }
            let id = (metadata.specs.compactMap { $0["spec-id"]?.intValue }.max() ?? -1) + 1
            metadata.set("partition-specs", .array(metadata.specs + [["spec-id": .int(id), "fields": .array(fields)]]))
            lastAddedSpecID = id

        case .setDefaultSpec(let requested):
            let id = try resolve(requested, lastAdded: lastAddedSpecID, what: "partition spec")
            guard let spec = metadata.specs.first(where: { $0["spec-id"]?.intValue == id }) else {
                throw .badRequest("Cannot set default partition spec to unknown spec: \(id)")
            }
            metadata.set("default-spec-id", .int(id))
            if metadata.formatVersion == 1 { metadata.set("partition-spec", spec["fields"] ?? []) }

        case .addSortOrder(let order):
            let fields = order["fields"]?.arrayValue ?? []
            if let existing = metadata.sortOrders.first(where: { ($0["fields"]?.arrayValue ?? []) == fields }) {
                lastAddedSortOrderID = existing["order-id"]?.intValue
                return
            }
            let id: Int64 = fields.isEmpty ? 0 : max(1, (metadata.sortOrders.compactMap { $0["order-id"]?.intValue }.max() ?? 0) + 1)
            metadata.set("sort-orders", .array(metadata.sortOrders + [["order-id": .int(id), "fields": .array(fields)]]))
            lastAddedSortOrderID = id

        case .setDefaultSortOrder(let requested):
            let id = try resolve(requested, lastAdded: lastAddedSortOrderID, what: "sort order")
            guard metadata.sortOrders.contains(where: { $0["order-id"]?.intValue == id }) else {
                throw .badRequest("Cannot set default sort order to unknown order: \(id)")
            }
            metadata.set("default-sort-order-id", .int(id))

        case .addSnapshot(let snapshot):
            try addSnapshot(snapshot)

        case .setSnapshotRef(let name, let ref):
            try setRef(name, ref)

        case .removeSnapshots(let ids):
            let removed = Set(ids)
            metadata.set("snapshots", .array(metadata.snapshots.filter { !removed.contains($0["snapshot-id"]?.intValue ?? -1) }))
            var refs = metadata.refs
            for (name, ref) in refs where removed.contains(ref["snapshot-id"]?.intValue ?? -1) { refs[name] = nil }
            metadata.set("refs", .object(refs))
            if let current = metadata.currentSnapshotID, removed.contains(current) { metadata.set("current-snapshot-id", -1) }
            let log = (metadata.json["snapshot-log"]?.arrayValue ?? []).filter { !removed.contains($0["snapshot-id"]?.intValue ?? -1) }
            metadata.set("snapshot-log", .array(log))
            for key in ["statistics", "partition-statistics"] {
                let kept = (metadata.json[key]?.arrayValue ?? []).filter { !removed.contains($0["snapshot-id"]?.intValue ?? -1) }
                metadata.set(key, .array(kept))
            }

        case .removeSnapshotRef(let name):
            var refs = metadata.refs
            refs[name] = nil
            metadata.set("refs", .object(refs))
            if name == "main" { metadata.set("current-snapshot-id", -1) }

        case .setLocation(let location):
            metadata.set("location", .string(location))

        case .setProperties(let updates):
            metadata.set("properties", PropertyRules.setting(updates, in: metadata.properties))

        case .removeProperties(let removals):
            metadata.set("properties", PropertyRules.removing(removals, from: metadata.properties))

        case .setStatistics(let file):
            try replaceStatistics("statistics", file)

        case .removeStatistics(let snapshotID):
            removeStatistics("statistics", snapshotID)

        case .setPartitionStatistics(let file):
            try replaceStatistics("partition-statistics", file)

        case .removePartitionStatistics(let snapshotID):
            removeStatistics("partition-statistics", snapshotID)

        case .removePartitionSpecs(let ids):
            if ids.contains(metadata.defaultSpecID) { throw .badRequest("Cannot remove the default partition spec") }
            let removed = Set(ids)
            metadata.set("partition-specs", .array(metadata.specs.filter { !removed.contains($0["spec-id"]?.intValue ?? -1) }))

        case .removeSchemas(let ids):
            if ids.contains(metadata.currentSchemaID) { throw .badRequest("Cannot remove the current schema") }
            let removed = Set(ids)
            metadata.set("schemas", .array(metadata.schemas.filter { !removed.contains($0["schema-id"]?.intValue ?? -1) }))

        case .addEncryptionKey(let key):
            guard let id = key["key-id"]?.stringValue else { throw .badRequest("An encryption key needs a key-id") }
            let keys = (metadata.json["encryption-keys"]?.arrayValue ?? []).filter { $0["key-id"]?.stringValue != id }
            metadata.set("encryption-keys", .array(keys + [key]))

        case .removeEncryptionKey(let id):
            let keys = (metadata.json["encryption-keys"]?.arrayValue ?? []).filter { $0["key-id"]?.stringValue != id }
            metadata.set("encryption-keys", .array(keys))
        }
    }

    func resolve(_ requested: Int64, lastAdded: Int64?, what: String) throws(IcebergError) -> Int64 {
        guard requested == -1 else { return requested }
        guard let lastAdded else { throw .badRequest("Cannot set last added \(what): no \(what) has been added") }
        return lastAdded
    }

    mutating func addSnapshot(_ snapshot: JSONValue) throws(IcebergError) {
        guard let id = snapshot["snapshot-id"]?.intValue else { throw .badRequest("A snapshot needs a snapshot-id") }
        guard metadata.snapshot(id) == nil else { throw .badRequest("Snapshot already exists: \(id)") }
        guard let timestamp = snapshot["timestamp-ms"]?.intValue else { throw .badRequest("A snapshot needs a timestamp-ms") }
        if metadata.formatVersion >= 2 {
            let sequence = snapshot["sequence-number"]?.intValue ?? 0
            if sequence <= metadata.lastSequenceNumber && snapshot["parent-snapshot-id"]?.intValue != nil {
                throw .badRequest("Cannot add snapshot with sequence number \(sequence) older than last sequence number \(metadata.lastSequenceNumber)")
            }
            metadata.set("last-sequence-number", .int(max(sequence, metadata.lastSequenceNumber)))
        }
        if metadata.formatVersion >= 3 {
            let next = metadata.nextRowID ?? 0
            guard let firstRowID = snapshot["first-row-id"]?.intValue else { throw .badRequest("A v3 snapshot needs first-row-id") }
            guard firstRowID >= next else {
                throw .badRequest("Cannot add a snapshot whose first-row-id (\(firstRowID)) is behind next-row-id (\(next))")
            }
            metadata.set("next-row-id", .int(firstRowID + (snapshot["added-rows"]?.intValue ?? 0)))
        }
        metadata.set("snapshots", .array(metadata.snapshots + [snapshot]))
        metadata.set("last-updated-ms", .int(max(timestamp, metadata.lastUpdatedMs)))
        addedSnapshotIDs.insert(id)
    }

    mutating func setRef(_ name: String, _ ref: JSONValue) throws(IcebergError) {
        guard let id = ref["snapshot-id"]?.intValue else { throw .badRequest("set-snapshot-ref needs snapshot-id") }
        guard let snapshot = metadata.snapshot(id) else { throw .badRequest("Cannot set \(name) to unknown snapshot: \(id)") }
        let type = ref["type"]?.stringValue ?? "branch"
        guard type == "branch" || type == "tag" else { throw .badRequest("Unknown ref type: \(type)") }
        if type == "tag" && (ref["min-snapshots-to-keep"] != nil || ref["max-snapshot-age-ms"] != nil) {
            throw .badRequest("Tags do not support min-snapshots-to-keep or max-snapshot-age-ms")
        }
        var stored: [String: JSONValue] = ["snapshot-id": .int(id), "type": .string(type)]
        for key in ["min-snapshots-to-keep", "max-snapshot-age-ms", "max-ref-age-ms"] {
            if let value = ref[key], !value.isNull { stored[key] = value }
        }
        var refs = metadata.refs
        if refs[name] == .object(stored) { return }
        refs[name] = .object(stored)
        metadata.set("refs", .object(refs))
        if name == "main" {
            metadata.set("current-snapshot-id", .int(id))
            let timestamp = addedSnapshotIDs.contains(id) ? (snapshot["timestamp-ms"]?.intValue ?? now) : now
            let entry: JSONValue = ["timestamp-ms": .int(timestamp), "snapshot-id": .int(id)]
            metadata.set("snapshot-log", .array((metadata.json["snapshot-log"]?.arrayValue ?? []) + [entry]))
        }
    }

    mutating func replaceStatistics(_ key: String, _ file: JSONValue) throws(IcebergError) {
        guard let id = file["snapshot-id"]?.intValue else { throw .badRequest("A statistics file needs a snapshot-id") }
        let kept = (metadata.json[key]?.arrayValue ?? []).filter { $0["snapshot-id"]?.intValue != id }
        metadata.set(key, .array(kept + [file]))
    }

    mutating func removeStatistics(_ key: String, _ snapshotID: Int64) {
        let kept = (metadata.json[key]?.arrayValue ?? []).filter { $0["snapshot-id"]?.intValue != snapshotID }
        metadata.set(key, .array(kept))
    }
}

extension TableMetadata {
    /// Records the file this metadata replaces in the metadata log (the commit layer knows the path).
    public mutating func appendMetadataLog(previousFile: String, timestamp: Int64, keepLast: Int = 100) {
        var log = metadataLog + [["metadata-file": .string(previousFile), "timestamp-ms": .int(timestamp)]]
        if log.count > keepLast { log.removeFirst(log.count - keepLast) }
        set("metadata-log", .array(log))
    }
}
