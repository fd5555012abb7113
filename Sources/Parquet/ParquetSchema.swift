public enum PhysicalType: Int32, Sendable { case boolean = 0, int32, int64, int96, float, double, byteArray, fixedLenByteArray }

public enum Repetition: Int32, Sendable { case required = 0, optional, repeated }

public indirect enum LogicalType: Sendable, Hashable {
    case string, map, list, enumeration, decimal(precision: Int32, scale: Int32), date
    case time(utc: Bool, unit: TimeUnit), timestamp(utc: Bool, unit: TimeUnit), integer(bitWidth: Int8, signed: Bool)
    case unknown, json, bson, uuid, float16
}

/// A field of the schema tree (the root is a group).
public struct ParquetSchemaNode: Sendable, Hashable {
    public var name: String
    public var repetition: Repetition
    /// nil for groups
    public var physicalType: PhysicalType?
    public var typeLength: Int32?
    public var logicalType: LogicalType?
    /// Raw legacy ConvertedType id, when the file has one (or the writer should emit an explicit one).
    public var convertedType: Int32?
    public var precision: Int32?
    public var scale: Int32?
    public var fieldID: Int32?
    public var children: [ParquetSchemaNode]

    public init(
        name: String, repetition: Repetition = .required, physicalType: PhysicalType? = nil, typeLength: Int32? = nil,
        logicalType: LogicalType? = nil, convertedType: Int32? = nil, precision: Int32? = nil, scale: Int32? = nil,
        fieldID: Int32? = nil, children: [ParquetSchemaNode] = []
    ) {
        self.name = name
        self.repetition = repetition
        self.physicalType = physicalType
        self.typeLength = typeLength
        self.logicalType = logicalType
        self.convertedType = convertedType
        self.precision = precision
        self.scale = scale
        self.fieldID = fieldID
        self.children = children
    }

    /// A primitive leaf.
    public static func primitive(
        _ name: String, _ type: PhysicalType, _ repetition: Repetition = .optional, logicalType: LogicalType? = nil,
        typeLength: Int32? = nil, fieldID: Int32? = nil
    ) -> ParquetSchemaNode {
        ParquetSchemaNode(name: name, repetition: repetition, physicalType: type, typeLength: typeLength, logicalType: logicalType, fieldID: fieldID)
    }

    /// A struct.
    public static func group(_ name: String, _ repetition: Repetition = .optional, fieldID: Int32? = nil, _ children: [ParquetSchemaNode]) -> ParquetSchemaNode {
        ParquetSchemaNode(name: name, repetition: repetition, fieldID: fieldID, children: children)
    }

    /// The standard three-level LIST: `<name> (LIST) { repeated group list { <element named "element"> } }`.
    public static func list(_ name: String, _ repetition: Repetition = .optional, fieldID: Int32? = nil, element: ParquetSchemaNode) -> ParquetSchemaNode {
        var element = element
        element.name = "element"
        return ParquetSchemaNode(
            name: name, repetition: repetition, logicalType: .list, fieldID: fieldID,
            children: [ParquetSchemaNode(name: "list", repetition: .repeated, children: [element])])
    }

    /// The standard MAP: `<name> (MAP) { repeated group key_value { required key; value } }`.
    public static func map(_ name: String, _ repetition: Repetition = .optional, fieldID: Int32? = nil, key: ParquetSchemaNode, value: ParquetSchemaNode) -> ParquetSchemaNode {
        var key = key
        key.name = "key"
        key.repetition = .required
        var value = value
        value.name = "value"
        return ParquetSchemaNode(
            name: name, repetition: repetition, logicalType: .map, fieldID: fieldID,
            children: [ParquetSchemaNode(name: "key_value", repetition: .repeated, children: [key, value])])
    }

    var isGroup: Bool { physicalType == nil }
}

public struct ParquetColumnDescriptor: Sendable {
    public var path: [String]
    public var node: ParquetSchemaNode
    public var maxDefinitionLevel: Int
    public var maxRepetitionLevel: Int
    public init(path: [String], node: ParquetSchemaNode, maxDefinitionLevel: Int, maxRepetitionLevel: Int) {
        self.path = path
        self.node = node
        self.maxDefinitionLevel = maxDefinitionLevel
        self.maxRepetitionLevel = maxRepetitionLevel
    }
}

enum SchemaLimits {
    /// Nesting bound for schemas (recursion in assembly and shredding follows the schema).
    static let maxDepth = 64
}

extension ParquetSchemaNode {
    /// Leaves in schema order with their level maxima.
    func collectLeaves(path: [String], def: Int, rep: Int, into leaves: inout [ParquetColumnDescriptor]) {
        for child in children {
            let d = def + (child.repetition == .required ? 0 : 1)
            let r = rep + (child.repetition == .repeated ? 1 : 0)
            let p = path + [child.name]
            if child.isGroup {
                child.collectLeaves(path: p, def: d, rep: r, into: &leaves)
            } else {
                leaves.append(ParquetColumnDescriptor(path: p, node: child, maxDefinitionLevel: d, maxRepetitionLevel: r))
            }
        }
    }

    var leafCount: Int {
        isGroup ? children.reduce(0) { $0 + $1.leafCount } : 1
    }

    var depth: Int {
        1 + (children.map(\.depth).max() ?? 0)
    }
}

extension LogicalType {
    /// The LogicalType implied by a legacy ConvertedType.
    static func fromConverted(_ converted: Int32, precision: Int32?, scale: Int32?) -> LogicalType? {
        switch converted {
        case 0: return .string
        case 1: return .map
        case 3: return .list
        case 4: return .enumeration
        case 5: return .decimal(precision: precision ?? 0, scale: scale ?? 0)
        case 6: return .date
        case 7: return .time(utc: true, unit: .millis)
        case 8: return .time(utc: true, unit: .micros)
        case 9: return .timestamp(utc: true, unit: .millis)
        case 10: return .timestamp(utc: true, unit: .micros)
        case 11: return .integer(bitWidth: 8, signed: false)
        case 12: return .integer(bitWidth: 16, signed: false)
        case 13: return .integer(bitWidth: 32, signed: false)
        case 14: return .integer(bitWidth: 64, signed: false)
        case 15: return .integer(bitWidth: 8, signed: true)
        case 16: return .integer(bitWidth: 16, signed: true)
        case 17: return .integer(bitWidth: 32, signed: true)
        case 18: return .integer(bitWidth: 64, signed: true)
        case 19: return .json
        case 20: return .bson
        default: return nil
        }
    }

    /// The legacy ConvertedType a writer emits next to this LogicalType, if any.
    var convertedType: Int32? {
        switch self {
        case .string: return 0
        case .map: return 1
        case .list: return 3
        case .enumeration: return 4
        case .decimal: return 5
        case .date: return 6
        // LogicalTypes.md: local times and timestamps carry the legacy annotation too.
        case .time(_, .millis): return 7
        case .time(_, .micros): return 8
        case .timestamp(_, .millis): return 9
        case .timestamp(_, .micros): return 10
        case .integer(let bits, let signed):
            let base: Int32 = signed ? 15 : 11
            switch bits {
            case 8: return base
            case 16: return base + 1
            case 32: return base + 2
            case 64: return base + 3
            default: return nil
            }
        case .json: return 19
        case .bson: return 20
        default: return nil
        }
    }
}
