/// Decodes values of a schema from Avro's binary encoding.
public enum AvroBinary {
    /// Most items accepted in one array or map whose items may encode to no bytes at all
    /// (nulls, empty records): their count cannot be checked against the input.
    public static let maxEmptyItems = 1 << 20

    /// Decodes one value that must use all of `bytes`.
    public static func decode(_ bytes: [UInt8], as schema: AvroSchema) throws(AvroError) -> AvroValue {
        try bytes.withUnsafeBufferPointer { buffer in
            Result { () throws(AvroError) in
                var cursor = AvroBinaryCursor(buffer)
                let value = try decodeValue(schema, &cursor, depth: 0)
                guard cursor.isAtEnd else { throw AvroError.malformed("\(cursor.remaining) bytes after the value") }
                return value
            }
        }.get()
    }

    static func decodeValue(_ schema: AvroSchema, _ cursor: inout AvroBinaryCursor, depth: Int) throws(AvroError) -> AvroValue {
        switch schema.type {
        case .null: return .null
        case .boolean: return .boolean(try cursor.readBoolean())
        case .int: return .int(try cursor.readInt())
        case .long: return .long(try cursor.readLong())
        case .float: return .float(try cursor.readFloat())
        case .double: return .double(try cursor.readDouble())
        case .bytes: return .bytes(try cursor.readBytes())
        case .string: return .string(try cursor.readString())
        case .fixed(_, let size): return .fixed(try cursor.readRaw(size))
        case .enumeration(_, let symbols):
            let index = try cursor.readLong()
            guard index >= 0, index < Int64(symbols.count) else { throw .malformed("enum index \(index) out of range") }
            return .enumeration(Int(index))
        case .union(let branches):
            let index = try cursor.readLong()
            guard index >= 0, index < Int64(branches.count) else { throw .malformed("union index \(index) out of range") }
            return try decodeValue(branches[Int(index)], &cursor, depth: depth)
        case .record(let record):
            guard depth < AvroSchema.maxDepth else { throw .limitExceeded("values nested too deep") }
            var values: [AvroValue] = []
            values.reserveCapacity(record.fields.count)
            for field in record.fields { values.append(try decodeValue(field.schema, &cursor, depth: depth + 1)) }
            return .record(values)
        case .array(let items):
            guard depth < AvroSchema.maxDepth else { throw .limitExceeded("values nested too deep") }
            let itemsTakeBytes = items.encodesToAtLeastOneByte
            var values: [AvroValue] = []
            while true {
                let count = try cursor.readBlockCount()
                if count == 0 { break }
                try checkCount(count, total: values.count, itemsTakeBytes: itemsTakeBytes, cursor: &cursor)
                values.reserveCapacity(values.count + min(count, 4096))
                for _ in 0..<count { values.append(try decodeValue(items, &cursor, depth: depth + 1)) }
            }
            return .array(values)
        case .map(let valueSchema):
            guard depth < AvroSchema.maxDepth else { throw .limitExceeded("values nested too deep") }
            var values: [String: AvroValue] = [:]
            var total = 0
            while true {
                let count = try cursor.readBlockCount()
                if count == 0 { break }
                // Every entry has at least its key's length byte.
                try checkCount(count, total: total, itemsTakeBytes: true, cursor: &cursor)
                total += count
                values.reserveCapacity(values.count + min(count, 4096))
                for _ in 0..<count {
                    let key = try cursor.readString()
                    values[key] = try decodeValue(valueSchema, &cursor, depth: depth + 1)
                }
            }
            return .map(values)
        }
    }

    private static func checkCount(_ count: Int, total: Int, itemsTakeBytes: Bool, cursor: inout AvroBinaryCursor) throws(AvroError) {
        if itemsTakeBytes {
            guard count <= cursor.remaining else { throw cursor.endOfInput() }
        } else {
            guard count <= maxEmptyItems - total, count <= cursor.emptyItemBudget else { throw .limitExceeded("more than \(maxEmptyItems) empty items") }
            cursor.emptyItemBudget -= count
        }
    }
}

extension AvroSchema {
    /// Whether every value of this schema takes at least one byte, so a count of them can be
    /// checked against the remaining input.
    var encodesToAtLeastOneByte: Bool {
        switch type {
        case .null: return false
        case .fixed(_, let size): return size > 0
        case .record(let record): return record.fields.contains { $0.schema.encodesToAtLeastOneByte }
        default: return true
        }
    }
}
