/// Iceberg view metadata (format version 1) as round-tripping JSON, and the view updates.
public struct ViewMetadata: Sendable, Equatable {
    public private(set) var json: [String: JSONValue]

    public init(json: JSONValue) throws(IcebergError) {
        guard let object = json.objectValue else { throw .badRequest("View metadata must be a JSON object") }
        guard object["location"]?.stringValue != nil, object["versions"]?.arrayValue != nil else {
            throw .badRequest("View metadata needs location and versions")
        }
        self.json = object
    }

    public var document: JSONValue { .object(json) }
    public var uuid: String? { json["view-uuid"]?.stringValue }
    public var location: String { json["location"]?.stringValue ?? "" }
    public var currentVersionID: Int64 { json["current-version-id"]?.intValue ?? -1 }
    public var versions: [JSONValue] { json["versions"]?.arrayValue ?? [] }
    public var schemas: [JSONValue] { json["schemas"]?.arrayValue ?? [] }
    public var properties: [String: String] { json["properties"]?.stringMap ?? [:] }

    mutating func set(_ key: String, _ value: JSONValue?) { json[key] = value }

    public static func empty(location: String) -> ViewMetadata {
        try! ViewMetadata(json: [
            "format-version": 1, "location": .string(location), "current-version-id": -1, "versions": [], "version-log": [],
            "schemas": [], "properties": [:],
        ])
    }
}

public enum ViewUpdate: Sendable, Equatable {
    case assignUUID(String)
    case upgradeFormatVersion(Int)
    case addSchema(JSONValue)
    case setLocation(String)
    case setProperties([String: String])
    case removeProperties([String])
    case addViewVersion(JSONValue)
    case setCurrentViewVersion(Int64)

    public init(json: JSONValue) throws(IcebergError) {
        // The shared actions parse like table updates; the two view-only ones are handled here.
        switch json["action"]?.stringValue {
        case "add-view-version":
            guard let version = json["view-version"], version.objectValue != nil else { throw .badRequest("add-view-version needs view-version") }
            self = .addViewVersion(version)
        case "set-current-view-version":
            guard let id = json["view-version-id"]?.intValue else { throw .badRequest("set-current-view-version needs view-version-id") }
            self = .setCurrentViewVersion(id)
        default:
            switch try TableUpdate(json: json) {
            case .assignUUID(let uuid): self = .assignUUID(uuid)
            case .upgradeFormatVersion(let v): self = .upgradeFormatVersion(v)
            case .addSchema(let schema, _): self = .addSchema(schema)
            case .setLocation(let location): self = .setLocation(location)
            case .setProperties(let updates): self = .setProperties(updates)
            case .removeProperties(let removals): self = .removeProperties(removals)
            default: throw .badRequest("Update \(json["action"]?.stringValue ?? "?") does not apply to views")
            }
        }
    }
}

/// Applies view updates: ids for new schemas and versions, reuse of equal ones, `-1` for the last added.
public struct ViewMetadataBuilder: Sendable {
    public private(set) var metadata: ViewMetadata
    let now: Int64
    private var lastAddedSchemaID: Int64?
    private var lastAddedVersionID: Int64?

    public init(_ metadata: ViewMetadata, now: Int64) {
        self.metadata = metadata
        self.now = now
    }

    public mutating func apply(_ updates: [ViewUpdate]) throws(IcebergError) {
        for update in updates { try apply(update) }
    }

    public func build() throws(IcebergError) -> ViewMetadata {
        guard metadata.uuid != nil else { throw .validation("View metadata has no view-uuid") }
        guard metadata.versions.contains(where: { $0["version-id"]?.intValue == metadata.currentVersionID }) else {
            throw .validation("View metadata has no current version")
        }
        return metadata
    }

    mutating func apply(_ update: ViewUpdate) throws(IcebergError) {
        switch update {
        case .assignUUID(let uuid):
            if let existing = metadata.uuid, existing.lowercased() != uuid.lowercased() { throw .badRequest("Cannot reassign view uuid") }
            metadata.set("view-uuid", .string(uuid))
        case .upgradeFormatVersion(let version):
            guard version == 1 else { throw .badRequest("Unsupported view format version: \(version)") }
        case .addSchema(let schema):
            let (schemas, id) = SchemaRules.adding(schema, to: metadata.schemas)
            metadata.set("schemas", .array(schemas))
            lastAddedSchemaID = id
        case .setLocation(let location):
            metadata.set("location", .string(location))
        case .setProperties(let updates):
            metadata.set("properties", PropertyRules.setting(updates, in: metadata.properties))
        case .removeProperties(let removals):
            metadata.set("properties", PropertyRules.removing(removals, from: metadata.properties))
        case .addViewVersion(var version):
            if version["schema-id"]?.intValue == -1 {
                guard let schemaID = lastAddedSchemaID else { throw .badRequest("Cannot use last added schema: none was added") }
                version["schema-id"] = .int(schemaID)
            }
            guard let schemaID = version["schema-id"]?.intValue, metadata.schemas.contains(where: { $0["schema-id"]?.intValue == schemaID }) else {
                throw .badRequest("View version refers to an unknown schema")
            }
            func comparable(_ v: JSONValue) -> JSONValue { SchemaRules.strip(v, ["version-id", "timestamp-ms"]) }
            if let existing = metadata.versions.first(where: { comparable($0) == comparable(version) }) {
                lastAddedVersionID = existing["version-id"]?.intValue
                return
            }
            let id = (metadata.versions.compactMap { $0["version-id"]?.intValue }.max() ?? 0) + 1
            version["version-id"] = .int(id)
            if version["timestamp-ms"]?.intValue == nil { version["timestamp-ms"] = .int(now) }
            metadata.set("versions", .array(metadata.versions + [version]))
            lastAddedVersionID = id
        case .setCurrentViewVersion(let requested):
            let id: Int64
            if requested == -1 {
                guard let last = lastAddedVersionID else { throw .badRequest("Cannot set last added view version: none was added") }
                id = last
            } else {
                id = requested
            }
            guard metadata.versions.contains(where: { $0["version-id"]?.intValue == id }) else {
                throw .badRequest("Cannot set current view version to unknown version: \(id)")
            }
            if metadata.currentVersionID != id {
                metadata.set("current-version-id", .int(id))
                let log = (metadata.json["version-log"]?.arrayValue ?? []) + [["version-id": .int(id), "timestamp-ms": .int(now)]]
                metadata.set("version-log", .array(log))
            }
        }
    }
}
