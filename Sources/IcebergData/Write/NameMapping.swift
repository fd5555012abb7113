import FoundationEssentials
import IcebergModel

/// `schema.name-mapping.default`: how readers find columns in files written without field ids
/// (by their names), nested fields included.
public enum NameMapping {
    public static let property = "schema.name-mapping.default"

    public static func json(for schema: IcebergSchema) -> JSONValue {
        .array(schema.fields.map { entry(id: $0.id, name: $0.name, type: $0.type) })
    }

    static func entry(id: Int, name: String, type: IcebergType) -> JSONValue {
        var entry: [String: JSONValue] = ["field-id": .int(Int64(id)), "names": [.string(name)]]
        let nested = children(of: type)
        if !nested.isEmpty { entry["fields"] = .array(nested) }
        return .object(entry)
    }

    static func children(of type: IcebergType) -> [JSONValue] {
        switch type {
        case .structType(let fields): return fields.map { entry(id: $0.id, name: $0.name, type: $0.type) }
        case .list(let elementID, _, let element): return [entry(id: elementID, name: "element", type: element)]
        case .map(let keyID, let key, let valueID, _, let value): return [entry(id: keyID, name: "key", type: key), entry(id: valueID, name: "value", type: value)]
        default: return []
        }
    }

    public static func text(for schema: IcebergSchema) -> String {
        let data = (try? JSONEncoder().encode(json(for: schema))) ?? Data("[]".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
