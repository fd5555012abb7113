import IcebergModel

/// The shape of an Avro schema. Named types (`record`, `enumeration`, `fixed`) carry their name;
/// a later reference to a defined name is resolved to a copy of its definition when parsing.
/// `enumeration` and `fixed` hold the full name (namespace included) in `name`.
public indirect enum AvroType: Sendable, Equatable {
    case null, boolean, int, long, float, double, bytes, string
    case record(AvroRecordSchema)
    case enumeration(name: String, symbols: [String])
    case array(AvroSchema)
    case map(AvroSchema)
    case union([AvroSchema])
    case fixed(name: String, size: Int)
}

public struct AvroSchema: Sendable, Equatable {
    public var type: AvroType
    /// "decimal", "date", "time-micros", "timestamp-micros", "uuid", Iceberg's "map", ...
    public var logicalType: String?
    /// Every other attribute: "element-id", "key-id", "value-id", "precision", "scale", "adjust-to-utc",
    /// and for named types "doc", "aliases" and an enum's "default".
    public var properties: [String: JSONValue]

    public init(_ type: AvroType, logicalType: String? = nil, properties: [String: JSONValue] = [:]) {
        self.type = type
        self.logicalType = logicalType
        self.properties = properties
    }

    /// The union of null and this schema, as Iceberg writes optional fields.
    public static func optional(_ schema: AvroSchema) -> AvroSchema {
        AvroSchema(.union([AvroSchema(.null), schema]))
    }

    /// Whether this schema is a union with a null branch.
    public var isNullable: Bool {
        if case .union(let branches) = type { return branches.contains { $0.type == .null } }
        return type == .null
    }
}

public struct AvroRecordSchema: Sendable, Equatable {
    public var name: String
    public var namespace: String?
    public var fields: [AvroField]

    public init(name: String, namespace: String? = nil, fields: [AvroField]) {
        self.name = name
        self.namespace = namespace
        self.fields = fields
    }

    public var fullName: String {
        if let namespace, !namespace.isEmpty { return namespace + "." + name }
        return name
    }
}

public struct AvroField: Sendable, Equatable {
    public var name: String
    public var schema: AvroSchema
    public var defaultValue: JSONValue?
    /// Iceberg's "field-id".
    public var fieldID: Int?
    /// Other field attributes, "doc" and "aliases" included.
    public var properties: [String: JSONValue]

    public init(name: String, schema: AvroSchema, fieldID: Int? = nil, defaultValue: JSONValue? = nil, properties: [String: JSONValue] = [:]) {
        self.name = name
        self.schema = schema
        self.fieldID = fieldID
        self.defaultValue = defaultValue
        self.properties = properties
    }

    public var doc: String? { properties["doc"]?.stringValue }
    public var aliases: [String] { properties["aliases"]?.arrayValue?.compactMap(\.stringValue) ?? [] }
}

/// Decoded values. Unions decode to the chosen branch's value directly (`.null` for the null branch);
/// the encoder picks the first union branch that fits the value.
public indirect enum AvroValue: Sendable, Equatable {
    case null, boolean(Bool), int(Int32), long(Int64), float(Float), double(Double)
    case bytes([UInt8]), string(String), fixed([UInt8]), enumeration(Int)
    case array([AvroValue]), map([String: AvroValue]), record([AvroValue])
}

public enum AvroError: Error, Sendable, Equatable {
    case invalidSchema(String), malformed(String), unsupportedCodec(String), limitExceeded(String), mismatch(String)
}
