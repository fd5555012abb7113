public import IcebergData

/// Schema evolution for `--merge-schema`: new top-level (and new nested struct) columns are added with fresh ids after
/// `lastColumnID` (optional), types are widened as Iceberg allows (int → long, float → double, decimal(p,s) →
/// decimal(p',s) with p' ≥ p); an incoming type whose values already fit the table's (int into long/double/a wide
/// enough decimal, float into double, a narrower decimal, date into timestamp/timestamptz) keeps the table's type;
/// anything else that differs throws .invalid naming the column. New columns get ids in visit order (the column,
/// then what it contains), as Iceberg's UpdateSchema.addColumn assigns them. Columns are matched by name (exact, else ignoring case). The result has
/// schema id table.schemaID + 1. Returns nil when nothing changes.
public enum SchemaMerge {
    public static func merge(table: IcebergSchema, incoming: IcebergSchema, lastColumnID: Int) throws(IngestError) -> (schema: IcebergSchema, lastColumnID: Int)? {
        var state = State(next: max(lastColumnID, 0) + 1)
        let fields = try state.mergeFields(table.fields, incoming.fields, prefix: "", depth: 0)
        guard state.changed else { return nil }
        let schema = IcebergSchema(schemaID: table.schemaID + 1, fields: fields, identifierFieldIDs: table.identifierFieldIDs)
        return (schema, state.next - 1)
    }

    private struct State {
        var next: Int
        var changed = false

        mutating func mergeFields(_ table: [IcebergField], _ incoming: [IcebergField], prefix: String, depth: Int) throws(IngestError) -> [IcebergField] {
            guard depth <= IcebergType.maxDepth else { throw .invalid("schema nested deeper than \(IcebergType.maxDepth)") }
            var out = table
            for f in incoming {
                let index = out.firstIndex { $0.name == f.name } ?? out.firstIndex { $0.name.lowercased() == f.name.lowercased() }
                if let index {
                    out[index].type = try mergeType(out[index].type, f.type, column: prefix + out[index].name, depth: depth + 1)
                } else {
                    // As Iceberg's UpdateSchema.addColumn: the column's id, then fresh ids for what it contains, in visit order.
                    changed = true
                    let id = next
                    next += 1
                    out.append(IcebergField(id: id, name: f.name, required: false, type: fresh(f.type), doc: f.doc))
                }
            }
            return out
        }

        mutating func fresh(_ type: IcebergType) -> IcebergType {
            switch type {
            case .structType(let fields):
                let first = next
                next += fields.count
                var out: [IcebergField] = []
                for (i, f) in fields.enumerated() {
                    out.append(IcebergField(id: first + i, name: f.name, required: f.required, type: fresh(f.type), doc: f.doc))
                }
                return .structType(out)
            case .list(_, let required, let element):
                let id = next
                next += 1
                return .list(elementID: id, elementRequired: required, element: fresh(element))
            case .map(_, let key, _, let required, let value):
                let keyID = next, valueID = next + 1
                next += 2
                return .map(keyID: keyID, key: fresh(key), valueID: valueID, valueRequired: required, value: fresh(value))
            default: return type
            }
        }

        mutating func mergeType(_ table: IcebergType, _ incoming: IcebergType, column: String, depth: Int) throws(IngestError) -> IcebergType {
            if table == incoming { return table }
            switch (table, incoming) {
            case (.structType(let a), .structType(let b)):
                return .structType(try mergeFields(a, b, prefix: column + ".", depth: depth))
            case (.list(let id, let required, let a), .list(_, _, let b)):
                return .list(elementID: id, elementRequired: required, element: try mergeType(a, b, column: column + ".element", depth: depth + 1))
            case (.map(let kid, let ka, let vid, let required, let va), .map(_, let kb, _, _, let vb)):
                return .map(
                    keyID: kid, key: try mergeType(ka, kb, column: column + ".key", depth: depth + 1), valueID: vid, valueRequired: required,
                    value: try mergeType(va, vb, column: column + ".value", depth: depth + 1))
            default: break
            }
            if Self.fits(incoming, into: table) { return table }
            if table.canPromote(to: incoming), table.isPrimitive, incoming.isPrimitive, !Self.isDateToTimestamp(table, incoming) {
                changed = true
                return incoming
            }
            throw .invalid("column \(column): cannot change type \(table) to \(incoming)")
        }

        static func isDateToTimestamp(_ a: IcebergType, _ b: IcebergType) -> Bool {
            if case .date = a { return b != .date }
            return false
        }

        /// Whether the incoming (inferred) type's values go into the table's type as they are. An
        /// inferred long or decimal(38, s) says only what kind of number the sample held, not how
        /// large: a long fits an int column and a decimal one of at least its scale; each row is
        /// still checked when it is converted.
        static func fits(_ incoming: IcebergType, into table: IcebergType) -> Bool {
            switch (incoming, table) {
            case (.int, .long), (.long, .int), (.int, .double), (.float, .double), (.date, .timestamp), (.date, .timestamptz): return true
            case (.int, .decimal(let p, let s)): return p - s >= 10
            case (.long, .decimal(let p, let s)): return p - s >= 10
            case (.decimal(_, let s1), .decimal(_, let s2)): return s1 <= s2
            default: return false
            }
        }
    }
}
