/// The RLE / bit-packed hybrid of Encodings.md (levels, dictionary indices, booleans).
enum RleHybrid {
    /// Decodes exactly `count` values of `width` bits (0...32) from `b[start..<end]`.
    static func decode(_ b: UnsafeRawBufferPointer, start: Int, end: Int, width: Int, count: Int, into out: inout [UInt32]) throws(ParquetError) {
        guard width >= 0 && width <= 32 else { throw .malformed("RLE bit width \(width)") }
        // Runs can expand a few bytes into many values, so reserve by what the input could hold bit-packed.
        out.reserveCapacity(out.count + min(count, (end - start) * 8 + 1024))
        var pos = start
        var produced = 0
        let valueBytes = (width + 7) / 8
        var scratch: [UInt64] = []
        while produced < count {
            let header = try readULEB(b, &pos, end)
            if header & 1 == 0 {
                let run = header >> 1
                guard end - pos >= valueBytes else { throw .malformed("truncated RLE run") }
                var v: UInt32 = 0
                for i in 0..<valueBytes { v |= UInt32(b[pos + i]) << (8 * UInt32(i)) }
                pos += valueBytes
                if width < 32 && v >> UInt32(width) != 0 { throw .malformed("RLE value wider than bit width") }
                let take = Int(min(run, UInt64(count - produced)))
                out.append(contentsOf: repeatElement(v, count: take))
                produced += take
            } else {
                let groups = header >> 1
                guard groups > 0 else { continue }
                let wanted = min(groups.multipliedReportingOverflow(by: 8).overflow ? UInt64.max : groups * 8, UInt64(count - produced))
                // Bytes of the whole run; writers may truncate the final run to the bytes needed.
                let runBytes = groups.multipliedReportingOverflow(by: UInt64(width)).overflow ? UInt64.max : groups * UInt64(width)
                let available = UInt64(end - pos)
                let usable = width == 0 ? wanted : min(wanted, available * 8 / UInt64(width))
                guard usable > 0 || wanted == 0 else { throw .malformed("truncated bit-packed run") }
                scratch.removeAll(keepingCapacity: true)
                BitPacking.unpack(b, start: pos, count: Int(usable), width: width, into: &scratch)
                for v in scratch { out.append(UInt32(truncatingIfNeeded: v)) }
                produced += Int(usable)
                pos += Int(min(runBytes, available))
                if usable < wanted { throw .malformed("truncated bit-packed run") }
            }
        }
    }

    /// Legacy BIT_PACKED levels: MSB-first, no header.
    static func decodeLegacyBitPacked(_ b: UnsafeRawBufferPointer, start: Int, end: Int, width: Int, count: Int, into out: inout [UInt32]) throws(ParquetError) {
        let (bits, o) = count.multipliedReportingOverflow(by: width)
        guard !o, (bits + 7) / 8 <= end - start else { throw .malformed("truncated BIT_PACKED levels") }
        var bitPos = start * 8
        out.reserveCapacity(out.count + count)
        for _ in 0..<count {
            var v: UInt32 = 0
            for _ in 0..<width {
                let bit = (b[bitPos >> 3] >> UInt8(7 - (bitPos & 7))) & 1
                v = v << 1 | UInt32(bit)
                bitPos += 1
            }
            out.append(v)
        }
    }

    /// Encodes with RLE runs for repeats of 8 or more, bit-packed groups of 8 otherwise.
    static func encode(_ values: [UInt32], width: Int, into out: inout [UInt8]) {
        let valueBytes = (width + 7) / 8
        var literal: [UInt32] = []
        func flushLiteral() {
            guard !literal.isEmpty else { return }
            let groups = (literal.count + 7) / 8
            while literal.count < groups * 8 { literal.append(0) }
            writeULEB(UInt64(groups) << 1 | 1, into: &out)
            BitPacking.pack(literal[...], width: width, into: &out)
            literal.removeAll(keepingCapacity: true)
        }
        var i = 0
        let n = values.count
        while i < n {
            let v = values[i]
            var run = 1
            while i + run < n && values[i + run] == v { run += 1 }
            if run >= 8 {
                flushLiteral()
                writeULEB(UInt64(run) << 1, into: &out)
                var x = v
                for _ in 0..<valueBytes {
                    out.append(UInt8(truncatingIfNeeded: x))
                    x >>= 8
                }
                i += run
            } else {
                let take = min(8, n - i)
                literal.append(contentsOf: values[i..<i + take])
                i += take
            }
        }
        flushLiteral()
    }
}

func writeULEB(_ value: UInt64, into out: inout [UInt8]) {
    var v = value
    while v >= 0x80 {
        out.append(UInt8(truncatingIfNeeded: v) | 0x80)
        v >>= 7
    }
    out.append(UInt8(v))
}
