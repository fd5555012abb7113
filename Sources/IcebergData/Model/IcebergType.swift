public import IcebergModel

/// An Iceberg data type (spec "Schemas and Data Types"), v1–v3 without variant/geometry.
public indirect enum IcebergType: Sendable, Hashable {
    case boolean, int, long, float, double, date, time, timestamp, timestamptz, timestampNs, timestamptzNs, string, uuid, binary, unknown
    case decimal(precision: Int, scale: Int), fixed(Int)
    case structType([IcebergField])
    case list(elementID: Int, elementRequired: Bool, element: IcebergType)
    case map(keyID: Int, key: IcebergType, valueID: Int, valueRequired: Bool, value: IcebergType)

    /// Deepest nesting of struct/list/map accepted from JSON.
    public static let maxDepth = 64

    public var isPrimitive: Bool {
        switch self {
        case .structType, .list, .map: return false
        default: return true
        }
    }

    public var isNested: Bool { !isPrimitive }

    /// The primitive type's name as written in JSON ("long", "decimal(9,2)", "fixed[16]").
    public var primitiveName: String? {
        switch self {
        case .boolean: return "boolean"
        case .int: return "int"
        case .long: return "long"
        case .float: return "float"
        case .double: return "double"
        case .date: return "date"
        case .time: return "time"
        case .timestamp: return "timestamp"
        case .timestamptz: return "timestamptz"
        case .timestampNs: return "timestamp_ns"
        case .timestamptzNs: return "timestamptz_ns"
        case .string: return "string"
        case .uuid: return "uuid"
        case .binary: return "binary"
        case .unknown: return "unknown"
        case .decimal(let p, let s): return "decimal(\(p), \(s))"
        case .fixed(let n): return "fixed[\(n)]"
        case .structType, .list, .map: return nil
        }
    }

    public init(json: JSONValue) throws(IcebergDataError) {
        self = try IcebergType.parse(json, depth: 0)
    }

    static func parse(_ json: JSONValue, depth: Int) throws(IcebergDataError) -> IcebergType {
        guard depth <= maxDepth else { throw .malformed("type nested deeper than \(maxDepth)") }
        switch json {
        case .string(let name): return try parsePrimitive(name)
        case .object:
            guard let kind = json["type"]?.stringValue else { throw .malformed("nested type without a \"type\"") }
            switch kind {
            case "struct":
                guard let fieldsJSON = json["fields"]?.arrayValue else { throw .malformed("struct without \"fields\"") }
                var fields: [IcebergField] = []
                fields.reserveCapacity(fieldsJSON.count)
                for f in fieldsJSON { fields.append(try IcebergField.parse(f, depth: depth + 1)) }
                return .structType(fields)
            case "list":
                guard let id = json["element-id"]?.intValue, let element = json["element"] else { throw .malformed("list without element-id/element") }
                let required = json["element-required"]?.boolValue ?? false
                return .list(elementID: Int(id), elementRequired: required, element: try parse(element, depth: depth + 1))
            case "map":
                guard let keyID = json["key-id"]?.intValue, let key = json["key"], let valueID = json["value-id"]?.intValue, let value = json["value"] else {
                    throw .malformed("map without key-id/key/value-id/value")
                }
                let required = json["value-required"]?.boolValue ?? false
                return .map(
                    keyID: Int(keyID), key: try parse(key, depth: depth + 1), valueID: Int(valueID), valueRequired: required,
                    value: try parse(value, depth: depth + 1))
            default: throw .unsupported("type \(kind)")
            }
        default: throw .malformed("a type is a string or an object")
        }
    }

    static func parsePrimitive(_ raw: String) throws(IcebergDataError) -> IcebergType {
        let name = raw.lowercased()
        switch name {
        case "boolean": return .boolean
        case "int", "integer": return .int
        case "long": return .long
        case "float": return .float
        case "double": return .double
        case "date": return .date
        case "time": return .time
        case "timestamp": return .timestamp
        case "timestamptz": return .timestamptz
        case "timestamp_ns": return .timestampNs
        case "timestamptz_ns": return .timestamptzNs
        case "string": return .string
        case "uuid": return .uuid
        case "binary": return .binary
        case "unknown": return .unknown
        default: break
        }
        let compact = name.filter { $0 != " " }
        if compact.hasPrefix("decimal("), compact.hasSuffix(")") {
            let inner = compact.dropFirst("decimal(".count).dropLast()
            let parts = inner.split(separator: ",", omittingEmptySubsequences: false)
            if parts.count == 2, let p = Int(parts[0]), let s = Int(parts[1]), p >= 1, p <= 38, s >= 0, s <= p {
                return .decimal(precision: p, scale: s)
            }
            throw .malformed("bad decimal type \(raw)")
        }
        if compact.hasPrefix("fixed["), compact.hasSuffix("]") {
            if let n = Int(compact.dropFirst("fixed[".count).dropLast()), n >= 0, n <= 1 << 24 { return .fixed(n) }
            throw .malformed("bad fixed type \(raw)")
        }
        throw .unsupported("type \(raw)")
    }

    public var json: JSONValue {
        switch self {
        case .structType(let fields):
            return ["type": "struct", "fields": .array(fields.map(\.json))]
        case .list(let id, let required, let element):
            return ["type": "list", "element-id": .int(Int64(id)), "element-required": .bool(required), "element": element.json]
        case .map(let keyID, let key, let valueID, let required, let value):
            return [
                "type": "map", "key-id": .int(Int64(keyID)), "key": key.json, "value-id": .int(Int64(valueID)),
                "value-required": .bool(required), "value": value.json,
            ]
        default:
            return .string(primitiveName ?? "unknown")
        }
    }

    /// Whether a column of type `self` may be read as `target` (spec "Schema Evolution", type promotion).
    public func canPromote(to target: IcebergType) -> Bool {
        if self == target { return true }
        switch (self, target) {
        case (.int, .long), (.float, .double), (.date, .timestamp), (.date, .timestampNs), (.unknown, _): return true
        case (.decimal(let p1, let s1), .decimal(let p2, let s2)): return s1 == s2 && p2 >= p1
        default: return false
        }
    }
}

extension IcebergType: CustomStringConvertible {
    /// `long`, `decimal(9,2)`, `struct<a: int, b: string>`, `list<string>`, `map<string, long>`.
    public var description: String {
        switch self {
        case .structType(let fields): return "struct<" + fields.map { "\($0.name): \($0.type)" }.joined(separator: ", ") + ">"
        case .list(_, _, let element): return "list<\(element)>"
        case .map(_, let key, _, _, let value): return "map<\(key), \(value)>"
        default: return primitiveName ?? "unknown"
        }
    }
}
