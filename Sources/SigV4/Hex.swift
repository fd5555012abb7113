import Crypto

/// Lower-case hexadecimal encoding and constant-time comparison.
public enum Hex {
    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    /// A sequence that is not a collection (a digest) is counted first.
    public static func encode<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        encode(Array(bytes))
    }

    public static func encode<Bytes: Collection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        String(unsafeUninitializedCapacity: bytes.count * 2) { out in
            var count = 0
            for byte in bytes {
                out[count] = digits[Int(byte >> 4)]
                out[count + 1] = digits[Int(byte & 0x0F)]
                count += 2
            }
            return count
        }
    }

    /// Appends the lower-case hex of a digest's bytes, read in place (iterating a digest as a
    /// sequence copies it into an array first) and appended at once (two appends per byte, each
    /// checking the capacity, cost four times the encoding).
    public static func append(bytesOf digest: SHA256Digest, to out: inout [UInt8]) {
        withHex(of: digest) { out.append(contentsOf: $0) }
    }

    /// Writes the lower-case hex of a digest's bytes over `out`, which holds exactly that many.
    static func write(bytesOf digest: SHA256Digest, into out: UnsafeMutableBufferPointer<UInt8>) {
        withHex(of: digest) { hex in
            precondition(hex.count == out.count)
            _ = out.initialize(from: hex)
        }
    }

    /// Whether `claimed` is the lower-case hex of `digest`, compared in constant time.
    public static func matches(_ digest: SHA256Digest, _ claimed: String) -> Bool {
        var claimed = claimed
        return withHex(of: digest) { hex in claimed.withUTF8 { constantTimeEquals(hex, $0) } }
    }

    /// Calls `body` with the lower-case hex of a digest, made on the stack.
    private static func withHex<T>(of digest: SHA256Digest, _ body: (UnsafeBufferPointer<UInt8>) -> T) -> T {
        digest.withUnsafeBytes { bytes in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: bytes.count * 2) { hex in
                for index in 0..<bytes.count {
                    hex[2 * index] = digit(bytes[index] >> 4)
                    hex[2 * index + 1] = digit(bytes[index] & 0x0F)
                }
                return body(UnsafeBufferPointer(hex))
            }
        }
    }

    /// The lower-case hex digit of a nibble, computed rather than looked up in `digits`.
    @inline(__always)
    static func digit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") - 10 + nibble
    }

    /// Decodes hex (either case); nil when the input is not an even-length hex string.
    public static func decode(_ string: some StringProtocol) -> [UInt8]? {
        let utf8 = Array(string.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

/// Compares two strings in time that depends only on their lengths, so a signature
/// cannot be guessed byte by byte from response timing.
public func constantTimeEquals(_ a: some StringProtocol, _ b: some StringProtocol) -> Bool {
    constantTimeEquals(Array(a.utf8), Array(b.utf8))
}

/// `constantTimeEquals` over bytes.
public func constantTimeEquals(_ lhs: [UInt8], _ b: some Sequence<UInt8>) -> Bool {
    if let equal = b.withContiguousStorageIfAvailable({ bytes in
        lhs.withUnsafeBufferPointer { constantTimeEquals($0, bytes) }
    }) {
        return equal
    }
    // One pass over `b`, whatever its bytes: the time depends on the lengths alone.
    var difference: UInt8 = 0
    var count = 0
    for y in b {
        difference |= (count < lhs.count ? lhs[count] : 0) ^ y
        count += 1
    }
    if count != lhs.count { difference |= 1 }
    return difference == 0
}

/// `constantTimeEquals` over two buffers: one pass over `b`, whatever its bytes.
func constantTimeEquals(_ lhs: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
    var difference: UInt8 = lhs.count == b.count ? 0 : 1
    for index in 0..<b.count {
        difference |= (index < lhs.count ? lhs[index] : 0) ^ b[index]
    }
    return difference == 0
}
