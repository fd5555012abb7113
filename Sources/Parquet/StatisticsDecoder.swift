/// Footer statistics → `ParquetValue`s, trusting the deprecated min/max only where their (signed) order was right:
/// booleans and signed INT32/INT64 (decimals on ints included), never byte arrays or unsigned ints.
enum StatisticsDecoder {
    static func decode(_ raw: RawStatistics, _ node: ParquetSchemaNode) -> ParquetStatistics {
        var stats = ParquetStatistics(nullCount: raw.nullCount, distinctCount: raw.distinctCount)
        var minBytes = raw.minValue
        var maxBytes = raw.maxValue
        if minBytes == nil && maxBytes == nil && legacyOrderIsCorrect(node) {
            minBytes = raw.min
            maxBytes = raw.max
        }
        stats.min = minBytes.flatMap { value($0, node) }
        stats.max = maxBytes.flatMap { value($0, node) }
        return stats
    }

    static func legacyOrderIsCorrect(_ node: ParquetSchemaNode) -> Bool {
        switch node.physicalType {
        case .boolean?: return true
        case .int32?, .int64?:
            // Legacy statistics were ordered as signed integers: right for everything but unsigned annotations.
            if case .integer(_, false)? = node.logicalType { return false }
            return true
        default: return false
        }
    }

    /// One PLAIN-encoded value (byte arrays without their length prefix).
    static func value(_ bytes: [UInt8], _ node: ParquetSchemaNode) -> ParquetValue? {
        let conv = ValueConverter(node)
        return bytes.withUnsafeBytes { b -> ParquetValue? in
            switch node.physicalType {
            case .boolean?: return b.count >= 1 ? .boolean(b[0] != 0) : nil
            case .int32?: return b.count == 4 ? conv.int32(Int32(bitPattern: le32(b, 0))) : nil
            case .int64?: return b.count == 8 ? conv.int64(Int64(bitPattern: le64(b, 0))) : nil
            case .float?: return b.count == 4 ? .float(Float(bitPattern: le32(b, 0))) : nil
            case .double?: return b.count == 8 ? .double(Double(bitPattern: le64(b, 0))) : nil
            case .byteArray?, .fixedLenByteArray?: return try? conv.bytes(b)
            default: return nil
            }
        }
    }
}

@inline(__always)
func le32(_ b: UnsafeRawBufferPointer, _ at: Int) -> UInt32 {
    UInt32(b[at]) | UInt32(b[at + 1]) << 8 | UInt32(b[at + 2]) << 16 | UInt32(b[at + 3]) << 24
}

@inline(__always)
func le64(_ b: UnsafeRawBufferPointer, _ at: Int) -> UInt64 {
    UInt64(le32(b, at)) | UInt64(le32(b, at + 4)) << 32
}
