import FoundationEssentials
import IcebergModel

extension IcebergSchema {
    /// The fields from the top level down to a field reachable through structs only.
    func structPath(to id: Int) -> [IcebergField]? {
        func search(_ fields: [IcebergField]) -> [IcebergField]? {
            for field in fields {
                if field.id == id { return [field] }
                if case .structType(let children) = field.type, let rest = search(children) { return [field] + rest }
            }
            return nil
        }
        return search(fields)
    }

    /// The value of the last field of `path` (from `structPath`) inside `top`, the value of its first.
    static func descend(_ top: IcebergValue, along path: [IcebergField]) -> IcebergValue {
        var current = top
        for (depth, field) in path.enumerated().dropFirst() {
            guard case .structValue(let members) = current, case .structType(let fields) = path[depth - 1].type,
                let index = fields.firstIndex(where: { $0.id == field.id }), index < members.count
            else { return .null }
            current = members[index]
        }
        return current
    }

    /// The top-level field that holds field `id` (itself when it is top-level), through structs, lists and maps.
    func topLevelAncestor(of id: Int) -> Int? {
        func contains(_ type: IcebergType) -> Bool {
            switch type {
            case .structType(let fields): return fields.contains { $0.id == id || contains($0.type) }
            case .list(let elementID, _, let element): return elementID == id || contains(element)
            case .map(let keyID, let key, let valueID, _, let value): return keyID == id || valueID == id || contains(key) || contains(value)
            default: return false
            }
        }
        return fields.first { $0.id == id || contains($0.type) }?.id
    }
}

/// JSON text → JSONValue (table properties hold JSON documents such as the name mapping).
enum JSONText {
    static func parse(_ text: String) throws -> JSONValue {
        try JSONValue(parsing: text)
    }
}
