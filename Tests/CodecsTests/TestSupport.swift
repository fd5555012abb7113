import Codecs

extension Array where Element == UInt8 {
    init(hex: String) {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            bytes.append(UInt8(hex[index..<next], radix: 16) ?? 0)
            index = next
        }
        self = bytes
    }
}

/// Deterministic pseudo-random bytes (SplitMix64), so failures reproduce.
func pseudoRandomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var state = seed
    var out: [UInt8] = []
    out.reserveCapacity(count)
    while out.count < count {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        for shift in stride(from: 0, to: 64, by: 8) where out.count < count { out.append(UInt8(truncatingIfNeeded: z >> UInt64(shift))) }
    }
    return out
}

let allCodecs: [CompressionCodec] = [.uncompressed, .snappy, .gzip, .deflate, .zstd, .lz4Raw, .lz4Hadoop, .brotli]
let compressedCodecs: [CompressionCodec] = allCodecs.filter { $0 != .uncompressed }

/// The codecs this machine can run (the dynamically loaded ones may be missing).
let availableCodecs: [CompressionCodec] = allCodecs.filter { Codec.isAvailable($0) }
let availableCompressedCodecs: [CompressionCodec] = compressedCodecs.filter { Codec.isAvailable($0) }
