/// Iceberg table metadata (format versions 1–3), kept as the JSON document it is so that every
/// field survives a read-modify-write, including ones this model does not know. Typed accessors
/// cover what updates and requirements need.
public struct TableMetadata: Sendable, Equatable {
    public private(set) var json: [String: JSONValue]

    public init(json: JSONValue) throws(IcebergError) {
        guard var object = json.objectValue else { throw .badRequest("Table metadata must be a JSON object") }
        guard let version = object["format-version"]?.intValue, (1...3).contains(version) else {
            throw .badRequest("Unsupported or missing format-version")
        }
        guard object["location"]?.stringValue != nil else { throw .badRequest("Table metadata has no location") }
        // Version 1 documents may carry a single schema/spec; normalise to the list forms.
        if object["schemas"] == nil, let schema = object["schema"] {
            var s = schema
            if s["schema-id"] == nil { s["schema-id"] = 0 }
            object["schemas"] = [s]
            object["current-schema-id"] = s["schema-id"]
        }
        if object["partition-specs"] == nil, let fields = object["partition-spec"] {
            object["partition-specs"] = [["spec-id": 0, "fields": fields]]
            object["default-spec-id"] = 0
        }
        self.json = object
    }

    public var document: JSONValue { .object(json) }

    /// Whether `init(json:)` keeps `json` as it is: it adds the list forms a version 1 document
    /// may lack (`schemas`, `partition-specs`), and changes nothing else.
    public static func keepsAsIs(_ json: JSONValue) -> Bool {
        !(json["schemas"] == nil && json["schema"] != nil) && !(json["partition-specs"] == nil && json["partition-spec"] != nil)
    }

    // MARK: scalar fields

    public var formatVersion: Int { Int(json["format-version"]?.intValue ?? 1) }
    public var uuid: String? { json["table-uuid"]?.stringValue }
    public var location: String { json["location"]?.stringValue ?? "" }
    public var lastSequenceNumber: Int64 { json["last-sequence-number"]?.intValue ?? 0 }
    public var lastUpdatedMs: Int64 { json["last-updated-ms"]?.intValue ?? 0 }
    public var lastColumnID: Int64 { json["last-column-id"]?.intValue ?? 0 }
    public var currentSchemaID: Int64 { json["current-schema-id"]?.intValue ?? -1 }
    public var defaultSpecID: Int64 { json["default-spec-id"]?.intValue ?? 0 }
    public var lastPartitionID: Int64 { json["last-partition-id"]?.intValue ?? 999 }
    public var defaultSortOrderID: Int64 { json["default-sort-order-id"]?.intValue ?? 0 }
    public var nextRowID: Int64? { json["next-row-id"]?.intValue }
    /// nil when the table has no current snapshot (JSON null or -1).
    public var currentSnapshotID: Int64? {
        guard let id = json["current-snapshot-id"]?.intValue, id != -1 else { return nil }
        return id
    }

    public var schemas: [JSONValue] { json["schemas"]?.arrayValue ?? [] }
    public var specs: [JSONValue] { json["partition-specs"]?.arrayValue ?? [] }
    public var sortOrders: [JSONValue] { json["sort-orders"]?.arrayValue ?? [] }
    public var snapshots: [JSONValue] { json["snapshots"]?.arrayValue ?? [] }
    public var refs: [String: JSONValue] { json["refs"]?.objectValue ?? [:] }
    public var properties: [String: String] { json["properties"]?.stringMap ?? [:] }
    /// One property, without building the whole map (a table can carry hundreds). A value that
    /// is not a string counts as absent, whatever the other properties hold.
    public func property(_ name: String) -> String? { json["properties"]?[name]?.stringValue }
    public var metadataLog: [JSONValue] { json["metadata-log"]?.arrayValue ?? [] }

    public func snapshot(_ id: Int64) -> JSONValue? { snapshots.first { $0["snapshot-id"]?.intValue == id } }

    /// The snapshot id a branch or tag points at; `main` falls back to current-snapshot-id for
    /// metadata written before refs existed.
    public func refSnapshotID(_ name: String) -> Int64? {
        if let ref = refs[name] { return ref["snapshot-id"]?.intValue }
        return name == "main" ? currentSnapshotID : nil
    }

    mutating func set(_ key: String, _ value: JSONValue?) { json[key] = value }

    /// A copy that lists only the snapshots some branch or tag references (`snapshots=refs`).
    public func referencedSnapshotsOnly() -> TableMetadata {
        var copy = self
        let referenced = Set(refs.values.compactMap { $0["snapshot-id"]?.intValue } + (currentSnapshotID.map { [$0] } ?? []))
        copy.json["snapshots"] = .array(snapshots.filter { referenced.contains($0["snapshot-id"]?.intValue ?? -1) })
        return copy
    }
}

/// Schemas: field ids and structural equality.
public enum SchemaRules {
    /// The highest field id anywhere in a schema or type (structs, lists, maps).
    public static func maxFieldID(_ type: JSONValue) -> Int64 {
        var highest: Int64 = 0
        for field in type["fields"]?.arrayValue ?? [] {
            highest = max(highest, field["id"]?.intValue ?? 0)
            if let nested = field["type"], nested.objectValue != nil { highest = max(highest, maxFieldID(nested)) }
        }
        if type["type"]?.stringValue == "list" {
            highest = max(highest, type["element-id"]?.intValue ?? 0)
            if let element = type["element"], element.objectValue != nil { highest = max(highest, maxFieldID(element)) }
        }
        if type["type"]?.stringValue == "map" {
            highest = max(highest, type["key-id"]?.intValue ?? 0, type["value-id"]?.intValue ?? 0)
            for part in ["key", "value"] {
                if let nested = type[part], nested.objectValue != nil { highest = max(highest, maxFieldID(nested)) }
            }
        }
        return highest
    }

    /// Adds `schema` to `schemas` unless an equal one is there; returns the list and the id used.
    public static func adding(_ schema: JSONValue, to schemas: [JSONValue]) -> (schemas: [JSONValue], id: Int64) {
        if let existing = schemas.first(where: { sameStructure($0, schema) }), let id = existing["schema-id"]?.intValue {
            return (schemas, id)
        }
        let id = (schemas.compactMap { $0["schema-id"]?.intValue }.max() ?? -1) + 1
        var stored = schema
        stored["schema-id"] = .int(id)
        if stored["type"] == nil { stored["type"] = "struct" }
        return (schemas + [stored], id)
    }

    /// Two schemas are the same when all but their ids match.
    public static func sameStructure(_ a: JSONValue, _ b: JSONValue) -> Bool {
        strip(a, ["schema-id"]) == strip(b, ["schema-id"])
    }

    static func strip(_ value: JSONValue, _ keys: Set<String>) -> JSONValue {
        guard var object = value.objectValue else { return value }
        for key in keys { object[key] = nil }
        if object["identifier-field-ids"]?.arrayValue?.isEmpty == true { object["identifier-field-ids"] = nil }
        return .object(object)
    }
}

/// `set-properties` and `remove-properties`, shared by tables and views.
enum PropertyRules {
    static func setting(_ updates: [String: String], in properties: [String: String]) -> JSONValue {
        .stringMap(properties.merging(updates) { $1 })
    }

    static func removing(_ removals: [String], from properties: [String: String]) -> JSONValue {
        .stringMap(properties.filter { !removals.contains($0.key) })
    }
}
