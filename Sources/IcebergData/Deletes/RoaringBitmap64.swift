/// 64-bit positions as 32-bit Roaring bitmaps keyed by the high 32 bits, in the portable 64-bit
/// form deletion vectors use: 8-byte LE bucket count, then per bucket a 4-byte LE key and a
/// 32-bit portable bitmap, keys ascending.
public struct RoaringBitmap64: Sendable, Hashable {
    public internal(set) var buckets: [(high: UInt32, bitmap: RoaringBitmap)] = []

    public init() {}

    public init(_ positions: some Sequence<Int64>) {
        var grouped: [UInt32: [UInt32]] = [:]
        for p in positions where p >= 0 {
            grouped[UInt32(truncatingIfNeeded: p >> 32), default: []].append(UInt32(truncatingIfNeeded: p))
        }
        buckets = grouped.keys.sorted().map { ($0, RoaringBitmap(grouped[$0] ?? [])) }
    }

    public static func == (a: RoaringBitmap64, b: RoaringBitmap64) -> Bool {
        a.buckets.count == b.buckets.count && zip(a.buckets, b.buckets).allSatisfy { $0.high == $1.high && $0.bitmap == $1.bitmap }
    }

    public func hash(into hasher: inout Hasher) {
        for b in buckets { hasher.combine(b.high); hasher.combine(b.bitmap) }
    }

    public func contains(_ position: Int64) -> Bool {
        guard position >= 0 else { return false }
        let high = UInt32(truncatingIfNeeded: position >> 32)
        var lo = 0, hi = buckets.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if buckets[mid].high < high { lo = mid + 1 } else { hi = mid }
        }
        guard lo < buckets.count, buckets[lo].high == high else { return false }
        return buckets[lo].bitmap.contains(UInt32(truncatingIfNeeded: position))
    }

    public var cardinality: Int { buckets.reduce(0) { $0 + $1.bitmap.cardinality } }

    public func forEach(_ body: (Int64) -> Void) {
        for b in buckets {
            let high = Int64(b.high) << 32
            b.bitmap.forEach { body(high | Int64($0)) }
        }
    }

    public static func deserialize(_ bytes: [UInt8]) throws(IcebergDataError) -> RoaringBitmap64 {
        var r = ByteReader(bytes: bytes, offset: 0)
        let count = try r.u64()
        // Each bucket takes at least 12 bytes (key + cookie + container count).
        guard count <= UInt64(r.remaining / 12) else { throw .malformed("roaring64: \(count) buckets in \(bytes.count) bytes") }
        var out = RoaringBitmap64()
        out.buckets.reserveCapacity(Int(count))
        for _ in 0..<Int(count) {
            let high = try r.u32()
            guard high <= UInt32(Int32.max) else { throw .malformed("roaring64: negative position") }
            if let last = out.buckets.last, high <= last.high { throw .malformed("roaring64: keys not ascending") }
            var offset = r.offset
            let bitmap = try RoaringBitmap.deserialize(bytes, offset: &offset)
            r.offset = offset
            out.buckets.append((high, bitmap))
        }
        guard r.remaining == 0 else { throw .malformed("roaring64: \(r.remaining) trailing bytes") }
        return out
    }

    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        let n = UInt64(buckets.count)
        for i in 0..<8 { out.append(UInt8((n >> UInt64(8 * i)) & 0xFF)) }
        for b in buckets {
            for i in 0..<4 { out.append(UInt8((b.high >> UInt32(8 * i)) & 0xFF)) }
            out += b.bitmap.serialized()
        }
        return out
    }
}
