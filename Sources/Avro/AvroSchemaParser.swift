import IcebergModel

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension AvroSchema {
    /// Deepest nesting of schemas accepted (records in arrays in unions ...).
    public static let maxDepth = 48

    public static func parse(_ json: String) throws(AvroError) -> AvroSchema {
        let value: JSONValue
        do {
            value = try JSONValue(parsing: json)
        } catch {
            throw .invalidSchema("schema is not JSON")
        }
        return try parse(value)
    }

    /// Most schema nodes once named types are expanded where they are referenced: a schema that
    /// reuses a record twice per level would otherwise double with every level.
    public static let maxExpandedNodes = 50_000

    /// Counts nodes of the expanded tree, stopping as soon as `budget` runs out.
    func expandedNodes(within budget: inout Int) -> Bool {
        budget -= 1
        guard budget >= 0 else { return false }
        switch type {
        case .record(let record): return record.fields.allSatisfy { $0.schema.expandedNodes(within: &budget) }
        case .array(let items): return items.expandedNodes(within: &budget)
        case .map(let values): return values.expandedNodes(within: &budget)
        case .union(let branches): return branches.allSatisfy { $0.expandedNodes(within: &budget) }
        default: return true
        }
    }

    public static func parse(_ json: JSONValue) throws(AvroError) -> AvroSchema {
        let schema = try parseTree(json)
        var budget = maxExpandedNodes
        guard schema.expandedNodes(within: &budget) else {
            throw .limitExceeded("schema expands to more than \(maxExpandedNodes) nodes")
        }
        return schema
    }

    static func parseTree(_ json: JSONValue) throws(AvroError) -> AvroSchema {
        var parser = AvroSchemaParser()
        return try parser.parse(json, namespace: nil, depth: 0)
    }
}

/// Parses the JSON form, keeping named definitions so later references resolve to them.
struct AvroSchemaParser {
    private var defined: [String: AvroSchema] = [:]
    private var inProgress: Set<String> = []

    static let primitives: [String: AvroType] = [
        "null": .null, "boolean": .boolean, "int": .int, "long": .long,
        "float": .float, "double": .double, "bytes": .bytes, "string": .string,
    ]

    mutating func parse(_ json: JSONValue, namespace: String?, depth: Int) throws(AvroError) -> AvroSchema {
        guard depth < AvroSchema.maxDepth else { throw .invalidSchema("schema nested deeper than \(AvroSchema.maxDepth)") }
        switch json {
        case .string(let name):
            if let primitive = Self.primitives[name] { return AvroSchema(primitive) }
            return try reference(name, namespace: namespace)
        case .array(let branches):
            return try union(branches, namespace: namespace, depth: depth)
        case .object(let members):
            return try object(members, namespace: namespace, depth: depth)
        default:
            throw .invalidSchema("a schema must be a string, an array or an object")
        }
    }

    private func reference(_ name: String, namespace: String?) throws(AvroError) -> AvroSchema {
        var candidates: [String] = []
        if !name.contains("."), let namespace, !namespace.isEmpty { candidates.append(namespace + "." + name) }
        candidates.append(name)
        for candidate in candidates {
            if let schema = defined[candidate] { return schema }
            if inProgress.contains(candidate) { throw .invalidSchema("recursive type \(candidate) is not supported") }
        }
        throw .invalidSchema("unknown type \(name)")
    }

    private mutating func union(_ branches: [JSONValue], namespace: String?, depth: Int) throws(AvroError) -> AvroSchema {
        var parsed: [AvroSchema] = []
        parsed.reserveCapacity(branches.count)
        var seen: Set<String> = []
        for branch in branches {
            let schema = try parse(branch, namespace: namespace, depth: depth + 1)
            if case .union = schema.type { throw .invalidSchema("a union may not directly contain a union") }
            guard seen.insert(schema.unionKey).inserted else {
                throw .invalidSchema("union has two branches of type \(schema.unionKey)")
            }
            parsed.append(schema)
        }
        return AvroSchema(.union(parsed))
    }

    private mutating func object(_ members: [String: JSONValue], namespace: String?, depth: Int) throws(AvroError) -> AvroSchema {
        guard let typeValue = members["type"] else { throw .invalidSchema("schema object without \"type\"") }
        let logicalType = members["logicalType"]?.stringValue
        var properties = members
        properties["type"] = nil
        if logicalType != nil { properties["logicalType"] = nil }

        guard case .string(let typeName) = typeValue else {
            // {"type": {...}} or {"type": [...]}: the nested schema, with this object's logical type.
            var nested = try parse(typeValue, namespace: namespace, depth: depth + 1)
            if let logicalType { nested.logicalType = logicalType }
            return nested
        }
        if let primitive = Self.primitives[typeName] {
            return AvroSchema(primitive, logicalType: logicalType, properties: properties)
        }
        switch typeName {
        case "record", "error":
            return try record(members, properties: properties, logicalType: logicalType, namespace: namespace, depth: depth)
        case "enum":
            let (fullName, _) = try Self.name(members, namespace: namespace)
            guard case .array(let symbolValues)? = members["symbols"] else { throw .invalidSchema("enum \(fullName) without symbols") }
            var symbols: [String] = []
            var seen: Set<String> = []
            for value in symbolValues {
                guard let symbol = value.stringValue, seen.insert(symbol).inserted else {
                    throw .invalidSchema("enum \(fullName) has an invalid or repeated symbol")
                }
                symbols.append(symbol)
            }
            properties["name"] = nil
            properties["namespace"] = nil
            properties["symbols"] = nil
            return try define(fullName, AvroSchema(.enumeration(name: fullName, symbols: symbols), logicalType: logicalType, properties: properties))
        case "fixed":
            let (fullName, _) = try Self.name(members, namespace: namespace)
            guard let size = members["size"]?.intValue, size >= 0, size <= Int64(Int32.max) else {
                throw .invalidSchema("fixed \(fullName) without a valid size")
            }
            properties["name"] = nil
            properties["namespace"] = nil
            properties["size"] = nil
            return try define(fullName, AvroSchema(.fixed(name: fullName, size: Int(size)), logicalType: logicalType, properties: properties))
        case "array":
            guard let items = members["items"] else { throw .invalidSchema("array without items") }
            properties["items"] = nil
            return AvroSchema(.array(try parse(items, namespace: namespace, depth: depth + 1)), logicalType: logicalType, properties: properties)
        case "map":
            guard let values = members["values"] else { throw .invalidSchema("map without values") }
            properties["values"] = nil
            return AvroSchema(.map(try parse(values, namespace: namespace, depth: depth + 1)), logicalType: logicalType, properties: properties)
        default:
            return try reference(typeName, namespace: namespace)
        }
    }

    private mutating func record(
        _ members: [String: JSONValue], properties: [String: JSONValue], logicalType: String?, namespace: String?, depth: Int
    ) throws(AvroError) -> AvroSchema {
        let (fullName, recordNamespace) = try Self.name(members, namespace: namespace)
        guard case .array(let fieldValues)? = members["fields"] else { throw .invalidSchema("record \(fullName) without fields") }
        guard defined[fullName] == nil, !inProgress.contains(fullName) else { throw .invalidSchema("type \(fullName) is defined twice") }
        inProgress.insert(fullName)
        var fields: [AvroField] = []
        fields.reserveCapacity(fieldValues.count)
        var names: Set<String> = []
        for fieldValue in fieldValues {
            guard case .object(var attributes) = fieldValue else { throw .invalidSchema("record \(fullName) has a field that is not an object") }
            guard let name = attributes["name"]?.stringValue, !name.isEmpty else { throw .invalidSchema("record \(fullName) has a field without a name") }
            guard names.insert(name).inserted else { throw .invalidSchema("record \(fullName) has two fields named \(name)") }
            guard let typeValue = attributes["type"] else { throw .invalidSchema("field \(name) without a type") }
            let schema = try parse(typeValue, namespace: recordNamespace, depth: depth + 1)
            let defaultValue = attributes["default"]
            var fieldID: Int?
            if let id = attributes["field-id"]?.intValue, let asInt = Int(exactly: id) {
                fieldID = asInt
                attributes["field-id"] = nil
            }
            attributes["name"] = nil
            attributes["type"] = nil
            attributes["default"] = nil
            fields.append(AvroField(name: name, schema: schema, fieldID: fieldID, defaultValue: defaultValue, properties: attributes))
        }
        inProgress.remove(fullName)
        var rest = properties
        rest["name"] = nil
        rest["namespace"] = nil
        rest["fields"] = nil
        let shortName = fullName.split(separator: ".").last.map(String.init) ?? fullName
        let record = AvroRecordSchema(name: shortName, namespace: recordNamespace, fields: fields)
        return try define(fullName, AvroSchema(.record(record), logicalType: logicalType, properties: rest))
    }

    private mutating func define(_ fullName: String, _ schema: AvroSchema) throws(AvroError) -> AvroSchema {
        guard defined[fullName] == nil else { throw .invalidSchema("type \(fullName) is defined twice") }
        defined[fullName] = schema
        return schema
    }

    /// The full name of a named type and the namespace its nested types inherit.
    static func name(_ members: [String: JSONValue], namespace: String?) throws(AvroError) -> (String, String?) {
        guard let name = members["name"]?.stringValue, !name.isEmpty, !name.hasPrefix("."), !name.hasSuffix(".") else {
            throw .invalidSchema("named type without a valid name")
        }
        if let dot = name.lastIndex(of: ".") {
            return (name, String(name[..<dot]))
        }
        var space = namespace
        if let explicit = members["namespace"] {
            switch explicit {
            case .string(let value): space = value
            case .null: space = nil
            default: throw .invalidSchema("namespace of \(name) is not a string")
            }
        }
        if let space, !space.isEmpty { return (space + "." + name, space) }
        return (name, nil)
    }
}

extension AvroSchema {
    /// What makes two union branches indistinguishable: the kind, or the full name for named types.
    var unionKey: String {
        switch type {
        case .null: "null"
        case .boolean: "boolean"
        case .int: "int"
        case .long: "long"
        case .float: "float"
        case .double: "double"
        case .bytes: "bytes"
        case .string: "string"
        case .array: "array"
        case .map: "map"
        case .union: "union"
        case .record(let record): record.fullName
        case .enumeration(let name, _): name
        case .fixed(let name, _): name
        }
    }
}
