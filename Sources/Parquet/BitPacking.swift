/// Little-endian (LSB-first) bit unpacking as used by the RLE/bit-packed hybrid and DELTA_BINARY_PACKED.
enum BitPacking {
    /// Unpacks `count` values of `width` bits (0...64) starting at byte `start`; the caller checks that
    /// `start + (count * width + 7) / 8 <= bytes.count`.
    @inline(__always)
    static func unpack(_ bytes: UnsafeRawBufferPointer, start: Int, count: Int, width: Int, into out: inout [UInt64]) {
        if width == 0 {
            out.append(contentsOf: repeatElement(0, count: count))
            return
        }
        if width <= 56 {
            let mask: UInt64 = (1 << UInt64(width)) &- 1
            var acc: UInt64 = 0
            var bits = 0
            var p = start
            for _ in 0..<count {
                while bits < width {
                    acc |= UInt64(bytes[p]) << UInt64(bits)
                    p += 1
                    bits += 8
                }
                out.append(acc & mask)
                acc >>= UInt64(width)
                bits -= width
            }
            return
        }
        var bitPos = start * 8
        for _ in 0..<count {
            var v: UInt64 = 0
            var got = 0
            while got < width {
                let byte = UInt64(bytes[bitPos >> 3]) >> UInt64(bitPos & 7)
                let take = min(8 - (bitPos & 7), width - got)
                v |= (byte & ((1 << UInt64(take)) - 1)) << UInt64(got)
                got += take
                bitPos += take
            }
            out.append(v)
        }
    }

    /// Packs values LSB-first, `width` bits each.
    static func pack(_ values: ArraySlice<UInt32>, width: Int, into out: inout [UInt8]) {
        var acc: UInt64 = 0
        var bits = 0
        for v in values {
            acc |= UInt64(v) << UInt64(bits)
            bits += width
            while bits >= 8 {
                out.append(UInt8(truncatingIfNeeded: acc))
                acc >>= 8
                bits -= 8
            }
        }
        if bits > 0 { out.append(UInt8(truncatingIfNeeded: acc)) }
    }

    static func width(forMax value: UInt64) -> Int { value == 0 ? 0 : 64 - value.leadingZeroBitCount }
}

/// Reads unsigned LEB128 varints and zigzag from a buffer region.
@inline(__always)
func readULEB(_ b: UnsafeRawBufferPointer, _ pos: inout Int, _ end: Int) throws(ParquetError) -> UInt64 {
    var result: UInt64 = 0
    var shift: UInt64 = 0
    while true {
        guard pos < end else { throw .malformed("truncated varint") }
        let byte = b[pos]
        pos += 1
        if shift == 63 && byte > 1 { throw .malformed("varint overflow") }
        result |= UInt64(byte & 0x7F) << shift
        if byte & 0x80 == 0 { return result }
        shift += 7
        if shift > 63 { throw .malformed("varint too long") }
    }
}

@inline(__always)
func readZigZag(_ b: UnsafeRawBufferPointer, _ pos: inout Int, _ end: Int) throws(ParquetError) -> Int64 {
    let v = try readULEB(b, &pos, end)
    return Int64(bitPattern: (v >> 1) ^ (0 &- (v & 1)))
}

/// `Array.withUnsafeBytes` with a typed-throwing body.
@inline(__always)
func withBytes<R>(_ a: [UInt8], _ body: (UnsafeRawBufferPointer) throws(ParquetError) -> R) throws(ParquetError) -> R {
    let result: Result<R, ParquetError> = a.withUnsafeBytes { p in
        Result { () throws(ParquetError) -> R in try body(p) }
    }
    return try result.get()
}
