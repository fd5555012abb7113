public import IcebergModel

/// A field of a struct (or of a schema).
public struct IcebergField: Sendable, Hashable {
    public var id: Int
    public var name: String
    public var required: Bool
    public var type: IcebergType
    public var doc: String?
    public var initialDefault: JSONValue?
    public var writeDefault: JSONValue?

    public init(id: Int, name: String, required: Bool, type: IcebergType, doc: String? = nil, initialDefault: JSONValue? = nil, writeDefault: JSONValue? = nil) {
        self.id = id
        self.name = name
        self.required = required
        self.type = type
        self.doc = doc
        self.initialDefault = initialDefault
        self.writeDefault = writeDefault
    }

    static func parse(_ json: JSONValue, depth: Int) throws(IcebergDataError) -> IcebergField {
        guard let id = json["id"]?.intValue, let name = json["name"]?.stringValue, let typeJSON = json["type"] else {
            throw .malformed("field without id/name/type")
        }
        return IcebergField(
            id: Int(id), name: name, required: json["required"]?.boolValue ?? false, type: try IcebergType.parse(typeJSON, depth: depth),
            doc: json["doc"]?.stringValue, initialDefault: json["initial-default"], writeDefault: json["write-default"])
    }

    public var json: JSONValue {
        var object: [String: JSONValue] = ["id": .int(Int64(id)), "name": .string(name), "required": .bool(required), "type": type.json]
        if let doc { object["doc"] = .string(doc) }
        if let initialDefault { object["initial-default"] = initialDefault }
        if let writeDefault { object["write-default"] = writeDefault }
        return .object(object)
    }
}

/// A table schema: a top-level struct with an id.
public struct IcebergSchema: Sendable, Hashable {
    public var schemaID: Int
    public var fields: [IcebergField]
    public var identifierFieldIDs: [Int]

    public init(schemaID: Int, fields: [IcebergField]) {
        self.schemaID = schemaID
        self.fields = fields
        self.identifierFieldIDs = []
    }

    public init(schemaID: Int, fields: [IcebergField], identifierFieldIDs: [Int]) {
        self.schemaID = schemaID
        self.fields = fields
        self.identifierFieldIDs = identifierFieldIDs
    }

    public init(json: JSONValue) throws(IcebergDataError) {
        guard case .structType(let fields) = try IcebergType(json: json) else { throw .malformed("a schema is a struct") }
        self.fields = fields
        self.schemaID = Int(json["schema-id"]?.intValue ?? 0)
        self.identifierFieldIDs = (json["identifier-field-ids"]?.arrayValue ?? []).compactMap { $0.intValue.map(Int.init) }
    }

    public var json: JSONValue {
        var object: [String: JSONValue] = ["type": "struct", "schema-id": .int(Int64(schemaID)), "fields": .array(fields.map(\.json))]
        if !identifierFieldIDs.isEmpty { object["identifier-field-ids"] = .array(identifierFieldIDs.map { .int(Int64($0)) }) }
        return .object(object)
    }

    public var asStruct: IcebergType { .structType(fields) }

    /// The field with this id anywhere in the tree (struct fields, list elements and map keys/values as synthetic fields).
    public func field(id: Int) -> IcebergField? {
        var found: IcebergField?
        Self.walk(fields, depth: 0) { field, _ in
            if field.id == id { found = field; return false }
            return true
        }
        return found
    }

    /// "a.b.c" through structs (and list "element" / map "key"/"value" names); nil if absent.
    public func field(path: String, caseSensitive: Bool) -> IcebergField? {
        let parts = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        // A top-level name may itself contain dots; try the whole path first.
        if let whole = Self.match(fields, path, caseSensitive) { return whole }
        var current = IcebergField(id: -1, name: "", required: true, type: .structType(fields))
        var index = 0
        while index < parts.count {
            let children = Self.children(of: current.type)
            // Prefer the longest dotted run that names a child.
            var matched: IcebergField?
            var end = parts.count
            while end > index {
                let name = parts[index..<end].joined(separator: ".")
                if let child = Self.match(children, name, caseSensitive) { matched = child; break }
                end -= 1
            }
            guard let next = matched else { return nil }
            current = next
            index = end
        }
        return current.id >= 0 ? current : nil
    }

    /// Dotted names of every field id (struct fields, and list/map children as "a.element", "m.key", "m.value").
    public func idToPath() -> [Int: String] {
        var out: [Int: String] = [:]
        func visit(_ fields: [IcebergField], _ prefix: String, _ depth: Int) {
            guard depth <= IcebergType.maxDepth else { return }
            for f in fields {
                let name = prefix.isEmpty ? f.name : prefix + "." + f.name
                out[f.id] = name
                visit(Self.children(of: f.type), name, depth + 1)
            }
        }
        visit(fields, "", 0)
        return out
    }

    static func match(_ fields: [IcebergField], _ name: String, _ caseSensitive: Bool) -> IcebergField? {
        if caseSensitive { return fields.first { $0.name == name } }
        let lower = name.lowercased()
        return fields.first { $0.name == name } ?? fields.first { $0.name.lowercased() == lower }
    }

    static func children(of type: IcebergType) -> [IcebergField] {
        switch type {
        case .structType(let fields): return fields
        case .list(let id, let required, let element): return [IcebergField(id: id, name: "element", required: required, type: element)]
        case .map(let keyID, let key, let valueID, let required, let value):
            return [IcebergField(id: keyID, name: "key", required: true, type: key), IcebergField(id: valueID, name: "value", required: required, type: value)]
        default: return []
        }
    }

    /// Visits fields depth-first; `visit` returns false to stop. The Bool passed says whether the field is reached only through structs.
    static func walk(_ fields: [IcebergField], depth: Int, throughStructsOnly: Bool = true, _ visit: (IcebergField, Bool) -> Bool) {
        _ = walkInner(fields, depth: depth, structsOnly: throughStructsOnly, visit)
    }

    private static func walkInner(_ fields: [IcebergField], depth: Int, structsOnly: Bool, _ visit: (IcebergField, Bool) -> Bool) -> Bool {
        guard depth <= IcebergType.maxDepth else { return true }
        for f in fields {
            if !visit(f, structsOnly) { return false }
            let isStruct: Bool
            if case .structType = f.type { isStruct = true } else { isStruct = false }
            if !walkInner(children(of: f.type), depth: depth + 1, structsOnly: structsOnly && isStruct, visit) { return false }
        }
        return true
    }

    /// Field ids reachable from the root through structs only (the fields that may carry column bounds).
    public func structOnlyFieldIDs() -> Set<Int> {
        var out: Set<Int> = []
        Self.walk(fields, depth: 0) { f, structsOnly in
            if structsOnly { out.insert(f.id) }
            return true
        }
        return out
    }
}
