/// The physical shape of a leaf column plus its logical conversion.
struct ColumnType {
    let physical: PhysicalType
    let typeLength: Int
    let converter: ValueConverter

    init(_ node: ParquetSchemaNode) {
        physical = node.physicalType ?? .byteArray
        typeLength = Int(node.typeLength ?? 0)
        converter = ValueConverter(node)
    }

    /// Bytes per value for fixed-width physical types (nil for BYTE_ARRAY, booleans).
    var fixedWidth: Int? {
        switch physical {
        case .int32, .float: return 4
        case .int64, .double: return 8
        case .int96: return 12
        case .fixedLenByteArray: return typeLength
        case .boolean, .byteArray: return nil
        }
    }
}

/// Decodes `count` non-null values of one page into `ParquetValue`s.
enum ValueDecoding {
    static func decode(
        _ encoding: Int32, _ b: UnsafeRawBufferPointer, start: Int, end: Int, count: Int, type: ColumnType,
        dictionary: [ParquetValue]?, into out: inout [ParquetValue]
    ) throws(ParquetError) {
        guard start <= end, end <= b.count else { throw .malformed("page values out of range") }
        if count == 0 { return }
        switch Encoding(rawValue: encoding) {
        case .plain?:
            _ = try plain(b, start: start, end: end, count: count, type: type, into: &out)
        case .plainDictionary?, .rleDictionary?:
            guard let dictionary else { throw .malformed("dictionary-encoded page without a dictionary") }
            guard start < end else { throw .malformed("missing dictionary index bit width") }
            let width = Int(b[start])
            var indices: [UInt32] = []
            try RleHybrid.decode(b, start: start + 1, end: end, width: width, count: count, into: &indices)
            out.reserveCapacity(out.count + count)
            for i in indices {
                guard Int(i) < dictionary.count else { throw .malformed("dictionary index out of range") }
                out.append(dictionary[Int(i)])
            }
        case .rle?:
            guard type.physical == .boolean else { throw .unsupported("RLE value encoding for \(type.physical)") }
            guard end - start >= 4 else { throw .malformed("truncated RLE boolean length") }
            let length = Int(le32(b, start))
            guard length <= end - start - 4 else { throw .malformed("RLE boolean length past page") }
            var bits: [UInt32] = []
            try RleHybrid.decode(b, start: start + 4, end: start + 4 + length, width: 1, count: count, into: &bits)
            out.reserveCapacity(out.count + count)
            for v in bits { out.append(.boolean(v != 0)) }
        case .deltaBinaryPacked?:
            var pos = start
            let values = try DeltaDecoding.binaryPacked(b, &pos, end, maxCount: count)
            guard values.count == count else { throw .malformed("DELTA_BINARY_PACKED count mismatch") }
            out.reserveCapacity(out.count + count)
            switch type.physical {
            case .int32: for v in values { out.append(type.converter.int32(Int32(truncatingIfNeeded: v))) }
            case .int64: for v in values { out.append(type.converter.int64(v)) }
            default: throw .malformed("DELTA_BINARY_PACKED for \(type.physical)")
            }
        case .deltaLengthByteArray?:
            guard type.physical == .byteArray else { throw .malformed("DELTA_LENGTH_BYTE_ARRAY for \(type.physical)") }
            var pos = start
            try DeltaDecoding.lengthByteArray(b, &pos, end, count: count, type: type, into: &out)
        case .deltaByteArray?:
            guard type.physical == .byteArray || type.physical == .fixedLenByteArray else { throw .malformed("DELTA_BYTE_ARRAY for \(type.physical)") }
            try DeltaDecoding.byteArray(b, start, end, count: count, type: type, into: &out)
        case .byteStreamSplit?:
            guard let width = type.fixedWidth, type.physical != .int96, width > 0 else { throw .malformed("BYTE_STREAM_SPLIT for \(type.physical)") }
            let (total, o) = count.multipliedReportingOverflow(by: width)
            guard !o, total <= end - start else { throw .malformed("truncated BYTE_STREAM_SPLIT data") }
            var joined = [UInt8](repeating: 0, count: total)
            for k in 0..<width {
                let stream = start + k * count
                for i in 0..<count { joined[i * width + k] = b[stream + i] }
            }
            try withBytes(joined) { (j) throws(ParquetError) in
                _ = try plain(j, start: 0, end: total, count: count, type: type, into: &out)
            }
        default:
            throw .unsupported("value encoding \(encoding)")
        }
    }

    /// PLAIN; returns the position after the last value.
    static func plain(_ b: UnsafeRawBufferPointer, start: Int, end: Int, count: Int, type: ColumnType, into out: inout [ParquetValue]) throws(ParquetError) -> Int {
        let conv = type.converter
        if type.physical == .boolean {
            guard (count + 7) / 8 <= end - start else { throw .malformed("truncated PLAIN booleans") }
            out.reserveCapacity(out.count + count)
            for i in 0..<count { out.append(.boolean(b[start + i >> 3] >> UInt8(i & 7) & 1 != 0)) }
            return start + (count + 7) / 8
        }
        if type.physical == .byteArray {
            var pos = start
            out.reserveCapacity(out.count + min(count, (end - start) / 4))
            for _ in 0..<count {
                guard end - pos >= 4 else { throw .malformed("truncated PLAIN byte array length") }
                let length = Int(le32(b, pos))
                pos += 4
                guard length <= end - pos else { throw .malformed("PLAIN byte array past page") }
                out.append(try conv.bytes(UnsafeRawBufferPointer(rebasing: b[pos..<pos + length])))
                pos += length
            }
            return pos
        }
        guard let width = type.fixedWidth else { throw .malformed("no width") }
        let (total, o) = count.multipliedReportingOverflow(by: width)
        guard !o, total <= end - start else { throw .malformed("truncated PLAIN values") }
        out.reserveCapacity(out.count + count)
        var pos = start
        switch type.physical {
        case .int32:
            for _ in 0..<count {
                out.append(conv.int32(Int32(bitPattern: le32(b, pos))))
                pos += 4
            }
        case .int64:
            for _ in 0..<count {
                out.append(conv.int64(Int64(bitPattern: le64(b, pos))))
                pos += 8
            }
        case .float:
            for _ in 0..<count {
                out.append(.float(Float(bitPattern: le32(b, pos))))
                pos += 4
            }
        case .double:
            for _ in 0..<count {
                out.append(.double(Double(bitPattern: le64(b, pos))))
                pos += 8
            }
        case .int96:
            for _ in 0..<count {
                out.append(conv.int96(b, pos))
                pos += 12
            }
        default:
            for _ in 0..<count {
                out.append(try conv.bytes(UnsafeRawBufferPointer(rebasing: b[pos..<pos + width])))
                pos += width
            }
        }
        return pos
    }
}
