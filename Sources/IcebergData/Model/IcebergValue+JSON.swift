public import IcebergModel

/// The spec's JSON single-value serialization (Appendix D "JSON single-value serialization"),
/// used by initial-default / write-default and partition values in metadata.
extension IcebergValue {
    public init(json: JSONValue, as type: IcebergType) throws(IcebergDataError) {
        self = try Self.fromJSON(json, type, depth: 0)
    }

    static func fromJSON(_ j: JSONValue, _ type: IcebergType, depth: Int) throws(IcebergDataError) -> IcebergValue {
        guard depth <= IcebergType.maxDepth else { throw .malformed("value nested deeper than \(IcebergType.maxDepth)") }
        if j.isNull { return .null }
        func bad() -> IcebergDataError { .invalid("JSON value cannot be read as \(type.primitiveName ?? "a nested type")") }
        func text() throws(IcebergDataError) -> String {
            guard let s = j.stringValue else { throw bad() }
            return s
        }
        switch type {
        case .unknown: return .null
        case .boolean:
            guard let b = j.boolValue else { throw bad() }
            return .boolean(b)
        case .int:
            guard let v = j.intValue, let n = Int32(exactly: v) else { throw bad() }
            return .int(n)
        case .long:
            guard let v = j.intValue else { throw bad() }
            return .long(v)
        case .float, .double:
            let d: Double
            switch j {
            case .int(let v): d = Double(v)
            case .double(let v): d = v
            default: throw bad()
            }
            return type == .float ? .float(Float(d)) : .double(d)
        case .decimal(_, let scale):
            let s: String
            switch j {
            case .string(let v): s = v
            case .int(let v): s = String(v)
            case .double(let v): s = String(v)
            default: throw bad()
            }
            guard case .value(let v) = try LiteralConversion.convert(.string(s), to: type, column: "value") else { throw bad() }
            _ = scale
            return v
        case .date, .time, .timestamp, .timestamptz, .timestampNs, .timestamptzNs, .uuid:
            guard case .value(let v) = try LiteralConversion.convert(.string(try text()), to: type, column: "value") else { throw bad() }
            return v
        case .string: return .string(try text())
        case .fixed, .binary:
            let s = Array(try text().utf8)
            guard s.count % 2 == 0 else { throw bad() }
            var out: [UInt8] = []
            out.reserveCapacity(s.count / 2)
            var i = 0
            while i < s.count {
                guard let hi = LiteralText.nibble(s[i]), let lo = LiteralText.nibble(s[i + 1]) else { throw bad() }
                out.append(hi << 4 | lo)
                i += 2
            }
            if case .fixed(let n) = type {
                guard out.count == n else { throw bad() }
                return .fixed(out)
            }
            return .binary(out)
        case .structType(let fields):
            guard let object = j.objectValue else { throw bad() }
            var values: [IcebergValue] = []
            values.reserveCapacity(fields.count)
            for f in fields {
                if let v = object[String(f.id)] {
                    values.append(try fromJSON(v, f.type, depth: depth + 1))
                } else if let d = f.initialDefault {
                    values.append(try fromJSON(d, f.type, depth: depth + 1))
                } else {
                    values.append(.null)
                }
            }
            return .structValue(values)
        case .list(_, _, let element):
            guard let array = j.arrayValue else { throw bad() }
            var out: [IcebergValue] = []
            out.reserveCapacity(array.count)
            for v in array { out.append(try fromJSON(v, element, depth: depth + 1)) }
            return .list(out)
        case .map(_, let keyType, _, _, let valueType):
            guard let keys = j["keys"]?.arrayValue, let values = j["values"]?.arrayValue, keys.count == values.count else { throw bad() }
            var out: [IcebergMapEntry] = []
            out.reserveCapacity(keys.count)
            for (k, v) in zip(keys, values) {
                out.append(IcebergMapEntry(key: try fromJSON(k, keyType, depth: depth + 1), value: try fromJSON(v, valueType, depth: depth + 1)))
            }
            return .map(out)
        }
    }

    /// The JSON single-value serialization of this value of `type`.
    public func jsonValue(as type: IcebergType) -> JSONValue { toJSON(type, depth: 0) }

    private func toJSON(_ type: IcebergType, depth: Int) -> JSONValue {
        guard depth <= IcebergType.maxDepth else { return .null }
        let hex = Array("0123456789ABCDEF".utf8)
        func unquoted(_ s: String) -> String { String(s.dropFirst().dropLast()) }
        switch self {
        case .null: return .null
        case .boolean(let v): return .bool(v)
        case .int(let v): return .int(Int64(v))
        case .long(let v): return .int(v)
        case .float(let v): return .double(Double(v))
        case .double(let v): return .double(v)
        case .decimal(let u, let s): return .string(Decimal128.text(u, scale: s))
        case .date, .time, .timestamp, .timestamptz, .timestampNs, .timestamptzNs, .uuid: return .string(unquoted(jsonText))
        case .string(let s): return .string(s)
        case .fixed(let b), .binary(let b):
            var out: [UInt8] = []
            out.reserveCapacity(b.count * 2)
            for byte in b { out += [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]] }
            return .string(String(decoding: out, as: UTF8.self))
        case .structValue(let values):
            guard case .structType(let fields) = type else { return .null }
            var object: [String: JSONValue] = [:]
            for (f, v) in zip(fields, values) where !v.isNull { object[String(f.id)] = v.toJSON(f.type, depth: depth + 1) }
            return .object(object)
        case .list(let values):
            guard case .list(_, _, let element) = type else { return .null }
            return .array(values.map { $0.toJSON(element, depth: depth + 1) })
        case .map(let entries):
            guard case .map(_, let k, _, _, let v) = type else { return .null }
            return ["keys": .array(entries.map { $0.key.toJSON(k, depth: depth + 1) }), "values": .array(entries.map { $0.value.toJSON(v, depth: depth + 1) })]
        }
    }
}
