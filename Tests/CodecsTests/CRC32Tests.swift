import Codecs
import Testing

@Suite struct CRC32Tests {
    @Test(arguments: [
        ("", UInt32(0)),
        ("a", 0xE8B7_BE43),
        ("abc", 0x3524_41C2),
        ("123456789", 0xCBF4_3926),
        ("The quick brown fox jumps over the lazy dog", 0x414F_A339),
    ])
    func publishedVectors(input: String, expected: UInt32) {
        #expect(CRC32.checksum(Array(input.utf8)) == expected)
    }

    @Test func matchesBytewiseReferenceAcrossLengthsAndAlignments() {
        let data = pseudoRandomBytes(1000, seed: 7)
        for length in [0, 1, 3, 7, 8, 9, 15, 16, 17, 63, 64, 65, 999, 1000] {
            for start in [0, 1, 3] where start + length <= data.count {
                let slice = Array(data[start..<(start + length)])
                #expect(CRC32.checksum(slice) == referenceCRC(slice), "length \(length) start \(start)")
            }
        }
    }

    @Test func updateContinuesARunningChecksum() {
        let data = pseudoRandomBytes(333, seed: 11)
        let head = Array(data[..<100])
        let tail = Array(data[100...])
        let running = tail.withUnsafeBytes { CRC32.update(CRC32.checksum(head), $0) }
        #expect(running == CRC32.checksum(data))
    }

    /// The textbook bit-at-a-time definition.
    private func referenceCRC(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}
