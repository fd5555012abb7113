public import IcebergData
public import IcebergModel

/// Infers an Iceberg schema over a sample with safe widening:
/// null → boolean | int → long → decimal(p,s) (when every non-integer number is a plain decimal fitting precision 38)
/// → double; date ("2026-11-30"), timestamp ("2026-11-30T12:00:00[.ffffff]" or with a space), timestamptz (with Z or
/// ±hh:mm offset), and anything else (or conflicting kinds) → string; a date column that also holds timestamps
/// becomes timestamp. Integers written with leading zeros ("007") stay strings. CSV text is typed by its content;
/// JSON values by their JSON kind (strings may still be dates/timestamps), nested objects → struct, arrays → list
/// (element type widened over all elements), null-only columns (and empty objects) → string. Columns are optional.
/// Field ids are assigned 1… in first-seen order, nested ids after all top-level ones (as Iceberg assigns fresh ids).
public struct SchemaInference: Sendable {
    private var root = InferredStruct()

    public init() {}

    /// A CSV record: fields past the header's length are ignored.
    public mutating func observe(header: [String], record: TextRecord) {
        for (i, name) in header.enumerated() {
            let text = i < record.fields.count ? record.fields[i] : nil
            root.observe(name, text.map { InferredType.of(text: $0) } ?? .empty)
        }
    }

    public mutating func observe(_ object: [String: JSONValue]) {
        root.observe(object, depth: 0)
    }

    public func schema() -> IcebergSchema {
        var next = 1
        return IcebergSchema(schemaID: 0, fields: Self.fields(root, next: &next))
    }

    private static func fields(_ s: InferredStruct, next: inout Int) -> [IcebergField] {
        let first = next
        next += s.names.count
        var out: [IcebergField] = []
        out.reserveCapacity(s.names.count)
        for (i, name) in s.names.enumerated() {
            out.append(IcebergField(id: first + i, name: name, required: false, type: type(s.members[name] ?? .empty, next: &next)))
        }
        return out
    }

    private static func type(_ t: InferredType, next: inout Int) -> IcebergType {
        switch t {
        case .empty, .string: return .string
        case .boolean: return .boolean
        case .number(let stats): return stats.type
        case .date: return .date
        case .timestamp: return .timestamp
        case .timestamptz: return .timestamptz
        case .structure(let s):
            if s.names.isEmpty { return .string }
            return .structType(fields(s, next: &next))
        case .list(let element):
            let id = next
            next += 1
            return .list(elementID: id, elementRequired: false, element: type(element, next: &next))
        }
    }
}
