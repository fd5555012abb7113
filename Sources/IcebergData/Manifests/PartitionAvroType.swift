import Avro
import IcebergModel

/// Avro schemas of partition values (Appendix A) and the reverse mapping used when a manifest's
/// partition spec is not in the table metadata.
enum PartitionAvroType {
    static func schema(_ type: IcebergType) -> AvroSchema {
        switch type {
        case .boolean: return AvroSchema(.boolean)
        case .int: return AvroSchema(.int)
        case .long: return AvroSchema(.long)
        case .float: return AvroSchema(.float)
        case .double: return AvroSchema(.double)
        case .date: return AvroSchema(.int, logicalType: "date")
        case .time: return AvroSchema(.long, logicalType: "time-micros")
        case .timestamp: return AvroSchema(.long, logicalType: "timestamp-micros", properties: ["adjust-to-utc": false])
        case .timestamptz: return AvroSchema(.long, logicalType: "timestamp-micros", properties: ["adjust-to-utc": true])
        case .timestampNs: return AvroSchema(.long, logicalType: "timestamp-nanos", properties: ["adjust-to-utc": false])
        case .timestamptzNs: return AvroSchema(.long, logicalType: "timestamp-nanos", properties: ["adjust-to-utc": true])
        case .string: return AvroSchema(.string)
        case .uuid: return AvroSchema(.fixed(name: "uuid_fixed", size: 16), logicalType: "uuid")
        case .fixed(let n): return AvroSchema(.fixed(name: "fixed_\(n)", size: n))
        case .binary, .unknown: return AvroSchema(.bytes)
        case .decimal(let p, let s):
            return AvroSchema(.fixed(name: "decimal_\(p)_\(s)", size: decimalBytes(p)), logicalType: "decimal",
                              properties: ["precision": .int(Int64(p)), "scale": .int(Int64(s))])
        case .structType, .list, .map: return AvroSchema(.bytes)   // not a partition type
        }
    }

    /// Minimum bytes holding a signed unscaled value of `precision` digits.
    static func decimalBytes(_ precision: Int) -> Int {
        var bytes = 1
        while bytes < 16 {
            // 2^(8*bytes-1) > 10^precision - 1  ⇔  8*bytes-1 > precision*log2(10)
            if Double(8 * bytes - 1) >= Double(precision) * 3.321928094887362 { break }
            bytes += 1
        }
        return bytes
    }

    static func icebergType(_ schema: AvroSchema) -> IcebergType {
        let s = schema.unwrappingOptional
        switch (s.type, s.logicalType) {
        case (.boolean, _): return .boolean
        case (.int, "date"): return .date
        case (.int, _): return .int
        case (.long, "time-micros"): return .time
        case (.long, "timestamp-micros"): return s.properties["adjust-to-utc"]?.boolValue == true ? .timestamptz : .timestamp
        case (.long, "timestamp-nanos"): return s.properties["adjust-to-utc"]?.boolValue == true ? .timestamptzNs : .timestampNs
        case (.long, _): return .long
        case (.float, _): return .float
        case (.double, _): return .double
        case (.string, _): return .string
        case (.fixed(_, let size), "uuid") where size == 16: return .uuid
        case (.fixed, "decimal"), (.bytes, "decimal"):
            let p = Int(s.properties["precision"]?.intValue ?? 38)
            let sc = Int(s.properties["scale"]?.intValue ?? 0)
            return .decimal(precision: p, scale: sc)
        case (.fixed(_, let size), _): return .fixed(size)
        default: return .binary
        }
    }
}
