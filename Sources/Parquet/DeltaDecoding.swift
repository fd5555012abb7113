/// DELTA_BINARY_PACKED and the byte-array encodings built on it.
enum DeltaDecoding {
    /// Decodes one DELTA_BINARY_PACKED stream (all of its values, at most `maxCount`); `pos` ends after the last miniblock used.
    static func binaryPacked(_ b: UnsafeRawBufferPointer, _ pos: inout Int, _ end: Int, maxCount: Int) throws(ParquetError) -> [Int64] {
        let blockSize = try readULEB(b, &pos, end)
        let miniblocks = try readULEB(b, &pos, end)
        let total = try readULEB(b, &pos, end)
        var current = try readZigZag(b, &pos, end)
        guard blockSize > 0, blockSize % 128 == 0, blockSize <= 1 << 20 else { throw .malformed("DELTA block size \(blockSize)") }
        guard miniblocks > 0, blockSize % miniblocks == 0, (blockSize / miniblocks) % 32 == 0 else { throw .malformed("DELTA miniblock count \(miniblocks)") }
        guard total <= UInt64(maxCount) else { throw .malformed("DELTA value count \(total) exceeds \(maxCount)") }
        let count = Int(total)
        var values: [Int64] = []
        values.reserveCapacity(min(count, 1 << 16))
        if count == 0 { return values }
        values.append(current)
        let perMini = Int(blockSize / miniblocks)
        let miniCount = Int(miniblocks)
        var deltas: [UInt64] = []
        deltas.reserveCapacity(perMini)
        while values.count < count {
            let minDelta = try readZigZag(b, &pos, end)
            guard end - pos >= miniCount else { throw .malformed("truncated DELTA bit widths") }
            let widthsAt = pos
            pos += miniCount
            for m in 0..<miniCount where values.count < count {
                let width = Int(b[widthsAt + m])
                guard width <= 64 else { throw .malformed("DELTA bit width \(width)") }
                let bytes = perMini * width / 8
                guard bytes <= end - pos else { throw .malformed("truncated DELTA miniblock") }
                deltas.removeAll(keepingCapacity: true)
                BitPacking.unpack(b, start: pos, count: perMini, width: width, into: &deltas)
                pos += bytes
                let take = min(perMini, count - values.count)
                for i in 0..<take {
                    current = current &+ minDelta &+ Int64(bitPattern: deltas[i])
                    values.append(current)
                }
            }
        }
        return values
    }

    static func lengths(_ b: UnsafeRawBufferPointer, _ pos: inout Int, _ end: Int, count: Int) throws(ParquetError) -> [Int] {
        let raw = try binaryPacked(b, &pos, end, maxCount: count)
        guard raw.count == count else { throw .malformed("DELTA length count mismatch") }
        var r: [Int] = []
        r.reserveCapacity(count)
        for v in raw {
            guard v >= 0, v <= Int64(Int32.max) else { throw .malformed("negative DELTA length") }
            r.append(Int(v))
        }
        return r
    }

    static func lengthByteArray(_ b: UnsafeRawBufferPointer, _ pos: inout Int, _ end: Int, count: Int, type: ColumnType, into out: inout [ParquetValue]) throws(ParquetError) {
        let lens = try lengths(b, &pos, end, count: count)
        out.reserveCapacity(out.count + count)
        for length in lens {
            guard length <= end - pos else { throw .malformed("DELTA_LENGTH_BYTE_ARRAY data past page") }
            out.append(try type.converter.bytes(UnsafeRawBufferPointer(rebasing: b[pos..<pos + length])))
            pos += length
        }
    }

    static let maxExpandedPageBytes = 256 << 20

    static func byteArray(_ b: UnsafeRawBufferPointer, _ start: Int, _ end: Int, count: Int, type: ColumnType, into out: inout [ParquetValue]) throws(ParquetError) {
        var pos = start
        let prefixes = try lengths(b, &pos, end, count: count)
        let suffixes = try lengths(b, &pos, end, count: count)
        var previous: [UInt8] = []
        var current: [UInt8] = []
        out.reserveCapacity(out.count + count)
        // Shared prefixes let a small page stand for a large amount of values: bound what it yields.
        var produced = 0
        for i in 0..<count {
            let p = prefixes[i]
            let s = suffixes[i]
            guard p <= previous.count else { throw .malformed("DELTA_BYTE_ARRAY prefix longer than previous value") }
            produced += p + s
            guard produced <= maxExpandedPageBytes else { throw .limitExceeded("DELTA_BYTE_ARRAY page expands past \(maxExpandedPageBytes) bytes") }
            guard s <= end - pos else { throw .malformed("DELTA_BYTE_ARRAY suffix past page") }
            current.removeAll(keepingCapacity: true)
            current.append(contentsOf: previous[0..<p])
            current.append(contentsOf: UnsafeRawBufferPointer(rebasing: b[pos..<pos + s]))
            pos += s
            if type.physical == .fixedLenByteArray && current.count != type.typeLength { throw .malformed("DELTA_BYTE_ARRAY fixed length mismatch") }
            let v = try withBytes(current) { (c) throws(ParquetError) in try type.converter.bytes(c) }
            out.append(v)
            swap(&previous, &current)
        }
    }
}
