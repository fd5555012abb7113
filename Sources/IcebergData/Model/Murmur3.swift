/// MurmurHash3 x86 32-bit with seed 0, as the spec's bucket transform uses it.
enum Murmur3 {
    static func hash<C: Collection>(_ bytes: C) -> Int32 where C.Element == UInt8 {
        let c1: UInt32 = 0xcc9e_2d51
        let c2: UInt32 = 0x1b87_3593
        var h: UInt32 = 0
        var block: UInt32 = 0
        var n = 0
        var length = 0
        for b in bytes {
            block |= UInt32(b) << (8 * UInt32(n))
            n += 1
            length &+= 1
            if n == 4 {
                var k = block
                k = k &* c1
                k = (k << 15) | (k >> 17)
                k = k &* c2
                h ^= k
                h = (h << 13) | (h >> 19)
                h = h &* 5 &+ 0xe654_6b64
                block = 0
                n = 0
            }
        }
        if n > 0 {
            var k = block
            k = k &* c1
            k = (k << 15) | (k >> 17)
            k = k &* c2
            h ^= k
        }
        h ^= UInt32(truncatingIfNeeded: length)
        h ^= h >> 16
        h = h &* 0x85eb_ca6b
        h ^= h >> 13
        h = h &* 0xc2b2_ae35
        h ^= h >> 16
        return Int32(bitPattern: h)
    }

    static func hashLong(_ v: Int64) -> Int32 {
        let u = UInt64(bitPattern: v)
        return hash((0..<8).map { UInt8(truncatingIfNeeded: u >> (8 * UInt64($0))) })
    }
}
