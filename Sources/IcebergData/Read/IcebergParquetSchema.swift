import Parquet

/// Iceberg types as Parquet schema nodes, the way Iceberg's writers lay them out: field ids on
/// every node, three-level lists, `key_value` maps, decimals in the smallest physical type.
public enum IcebergParquetSchema {
    public static func message(_ fields: [IcebergField], name: String = "table") -> ParquetSchemaNode {
        group(name, .required, fieldID: nil, logical: nil, fields.map(node))
    }

    public static func node(_ field: IcebergField) -> ParquetSchemaNode {
        node(name: field.name, id: field.id, required: field.required, type: field.type)
    }

    static func group(_ name: String, _ repetition: Repetition, fieldID: Int?, logical: LogicalType?, _ children: [ParquetSchemaNode]) -> ParquetSchemaNode {
        ParquetSchemaNode(
            name: name, repetition: repetition, physicalType: nil, typeLength: nil, logicalType: logical, convertedType: nil,
            precision: nil, scale: nil, fieldID: fieldID.map(Int32.init), children: children)
    }

    static func leaf(_ name: String, _ repetition: Repetition, _ id: Int, _ physical: PhysicalType, _ logical: LogicalType? = nil, length: Int32? = nil) -> ParquetSchemaNode {
        var precision: Int32?
        var scale: Int32?
        if case .decimal(let p, let s) = logical {
            precision = p
            scale = s
        }
        return ParquetSchemaNode(
            name: name, repetition: repetition, physicalType: physical, typeLength: length, logicalType: logical, convertedType: nil,
            precision: precision, scale: scale, fieldID: Int32(id), children: [])
    }

    /// Bytes of the smallest two's-complement integer that holds `precision` decimal digits.
    static func decimalBytes(_ precision: Int) -> Int32 {
        var bytes: Int32 = 1
        while bytes < 16 {
            // 2^(8·bytes−1) > 10^precision ⇔ (8·bytes−1)·log10(2) > precision
            if Double(8 * bytes - 1) * 0.301_029_995_663_981_2 > Double(precision) { break }
            bytes += 1
        }
        return bytes
    }

    static func node(name: String, id: Int, required: Bool, type: IcebergType) -> ParquetSchemaNode {
        let repetition: Repetition = required ? .required : .optional
        switch type {
        case .boolean: return leaf(name, repetition, id, .boolean)
        case .int: return leaf(name, repetition, id, .int32)
        case .long: return leaf(name, repetition, id, .int64)
        case .float: return leaf(name, repetition, id, .float)
        case .double: return leaf(name, repetition, id, .double)
        case .date: return leaf(name, repetition, id, .int32, .date)
        case .time: return leaf(name, repetition, id, .int64, .time(utc: false, unit: .micros))
        case .timestamp: return leaf(name, repetition, id, .int64, .timestamp(utc: false, unit: .micros))
        case .timestamptz: return leaf(name, repetition, id, .int64, .timestamp(utc: true, unit: .micros))
        case .timestampNs: return leaf(name, repetition, id, .int64, .timestamp(utc: false, unit: .nanos))
        case .timestamptzNs: return leaf(name, repetition, id, .int64, .timestamp(utc: true, unit: .nanos))
        case .string: return leaf(name, repetition, id, .byteArray, .string)
        case .uuid: return leaf(name, repetition, id, .fixedLenByteArray, .uuid, length: 16)
        case .binary, .unknown: return leaf(name, repetition, id, .byteArray)
        case .fixed(let length): return leaf(name, repetition, id, .fixedLenByteArray, length: Int32(length))
        case .decimal(let precision, let scale):
            let logical = LogicalType.decimal(precision: Int32(precision), scale: Int32(scale))
            if precision <= 9 { return leaf(name, repetition, id, .int32, logical) }
            if precision <= 18 { return leaf(name, repetition, id, .int64, logical) }
            return leaf(name, repetition, id, .fixedLenByteArray, logical, length: decimalBytes(precision))
        case .structType(let fields):
            return group(name, repetition, fieldID: id, logical: nil, fields.map(node))
        case .list(let elementID, let elementRequired, let element):
            let item = node(name: "element", id: elementID, required: elementRequired, type: element)
            return group(name, repetition, fieldID: id, logical: .list, [group("list", .repeated, fieldID: nil, logical: nil, [item])])
        case .map(let keyID, let key, let valueID, let valueRequired, let value):
            let entry = group(
                "key_value", .repeated, fieldID: nil, logical: nil,
                [node(name: "key", id: keyID, required: true, type: key), node(name: "value", id: valueID, required: valueRequired, type: value)])
            return group(name, repetition, fieldID: id, logical: .map, [entry])
        }
    }
}
