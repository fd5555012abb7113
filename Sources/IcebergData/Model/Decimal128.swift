/// Helpers for decimals held as an `Int128` unscaled value with a scale.
enum Decimal128 {
    /// 10^n for n in 0...38.
    static func pow10(_ n: Int) -> Int128? {
        guard n >= 0, n <= 38 else { return nil }
        var v: Int128 = 1
        for _ in 0..<n { v = v &* 10 }
        return v
    }

    /// The unscaled value at a larger scale; nil on overflow or when the scale would shrink.
    static func rescale(_ unscaled: Int128, from: Int, to: Int) -> Int128? {
        if from == to { return unscaled }
        guard to > from, let factor = pow10(to - from) else { return nil }
        let (r, o) = unscaled.multipliedReportingOverflow(by: factor)
        return o ? nil : r
    }

    static func compare(_ u1: Int128, _ s1: Int, _ u2: Int128, _ s2: Int) -> Int {
        if s1 == s2 { return IcebergValue.order(u1, u2) }
        if s1 < s2 {
            if let r = rescale(u1, from: s1, to: s2) { return IcebergValue.order(r, u2) }
            return u1 < 0 ? -1 : 1  // |u1| scaled up overflowed: it dominates
        }
        if let r = rescale(u2, from: s2, to: s1) { return IcebergValue.order(u1, r) }
        return u2 < 0 ? 1 : -1
    }

    /// Number of digits of |v| (0 has 1 digit).
    static func digits(_ v: Int128) -> Int {
        var m = v.magnitude
        var n = 1
        while m >= 10 { m /= 10; n += 1 }
        return n
    }

    /// Minimal big-endian two's complement bytes (at least one byte).
    static func minimalBytes(_ v: Int128) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        var x = v
        for _ in 0..<16 {
            bytes.append(UInt8(truncatingIfNeeded: x))
            x >>= 8
        }
        bytes.reverse()
        var start = 0
        while start < 15 {
            let b = bytes[start], next = bytes[start + 1]
            if (b == 0 && next & 0x80 == 0) || (b == 0xFF && next & 0x80 != 0) { start += 1 } else { break }
        }
        return Array(bytes[start...])
    }

    /// Big-endian two's complement bytes padded (sign-extended) to `size`; nil if it does not fit.
    static func fixedBytes(_ v: Int128, size: Int) -> [UInt8]? {
        let minimal = minimalBytes(v)
        guard minimal.count <= size else { return nil }
        let pad: UInt8 = v < 0 ? 0xFF : 0
        return [UInt8](repeating: pad, count: size - minimal.count) + minimal
    }

    /// Reads big-endian two's complement bytes (at most 16).
    static func fromBytes(_ bytes: [UInt8]) -> Int128? {
        guard !bytes.isEmpty else { return 0 }
        guard bytes.count <= 16 else {
            // Allow redundant sign extension beyond 16 bytes.
            let extra = bytes.count - 16
            let pad: UInt8 = bytes[extra] & 0x80 != 0 ? 0xFF : 0
            guard bytes[0..<extra].allSatisfy({ $0 == pad }) else { return nil }
            return fromBytes(Array(bytes[extra...]))
        }
        var v: Int128 = bytes[0] & 0x80 != 0 ? -1 : 0
        for b in bytes { v = (v << 8) | Int128(b) }
        return v
    }

    /// Bytes Iceberg uses for a fixed-size decimal of this precision (Avro/Parquet FIXED).
    static func byteSize(precision: Int) -> Int {
        var size = 1
        while size < 16 {
            // Largest magnitude representable in `size` bytes: 2^(8*size-1) - 1
            let maxValue = (Int128(1) << (8 * size - 1)) - 1
            if let p = pow10(precision), maxValue >= p - 1 { return size }
            size += 1
        }
        return 16
    }

    /// Plain text of an unscaled value with a scale: 1420, 2 → "14.20".
    static func text(_ unscaled: Int128, scale: Int) -> String {
        let negative = unscaled < 0
        var digits = String(unscaled.magnitude)
        if scale > 0 {
            if digits.count <= scale { digits = String(repeating: "0", count: scale - digits.count + 1) + digits }
            let split = digits.index(digits.endIndex, offsetBy: -scale)
            digits = digits[..<split] + "." + digits[split...]
        } else if scale < 0 {
            digits += String(repeating: "0", count: min(-scale, 64))
        }
        return negative ? "-" + digits : digits
    }
}
