import Crypto
import SigV4

/// The additional checksums S3 supports (`x-amz-checksum-<name>`), values base64 of the big-endian digest.
public enum ChecksumAlgorithm: String, Sendable, CaseIterable, Codable, Hashable {
    case crc32 = "CRC32"
    case crc32c = "CRC32C"
    case crc64nvme = "CRC64NVME"
    case sha1 = "SHA1"
    case sha256 = "SHA256"

    /// The header that carries this checksum, e.g. `x-amz-checksum-crc32c`.
    public var headerName: String { "x-amz-checksum-\(rawValue.lowercased())" }

    public init?(headerName: String) {
        let lower = headerName.lowercased()
        guard lower.hasPrefix("x-amz-checksum-") else { return nil }
        self.init(rawValue: String(lower.dropFirst("x-amz-checksum-".count)).uppercased())
    }

    /// Length in bytes of the decoded digest.
    public var digestLength: Int {
        switch self {
        case .crc32, .crc32c: return 4
        case .crc64nvme: return 8
        case .sha1: return 20
        case .sha256: return 32
        }
    }
}

/// Reflected CRC with slicing-by-8 tables, used for CRC32, CRC32C (32-bit) and CRC64NVME (64-bit).
/// The eight 256-entry tables live in one flat allocation that is never mutated after init.
final class CRCTables: @unchecked Sendable {
    private let table: UnsafeMutablePointer<UInt64>

    init(reflectedPolynomial poly: UInt64) {
        table = .allocate(capacity: 8 * 256)
        for i in 0..<256 {
            var crc = UInt64(i)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ poly : crc >> 1 }
            table[i] = crc
        }
        for t in 1..<8 {
            for i in 0..<256 {
                let previous = table[(t - 1) * 256 + i]
                table[t * 256 + i] = (previous >> 8) ^ table[Int(previous & 0xFF)]
            }
        }
    }

    static let crc32 = CRCTables(reflectedPolynomial: 0xEDB8_8320)
    static let crc32c = CRCTables(reflectedPolynomial: 0x82F6_3B78)
    static let crc64nvme = CRCTables(reflectedPolynomial: 0x9A6C_9329_AC4B_C9B5)

    func update(_ crc: UInt64, _ buffer: UnsafeRawBufferPointer) -> UInt64 {
        var crc = crc
        var index = 0
        let count = buffer.count
        let t = table
        while index + 8 <= count {
            let word = buffer.loadUnaligned(fromByteOffset: index, as: UInt64.self).littleEndian ^ crc
            crc = t[7 * 256 + Int(word & 0xFF)] ^ t[6 * 256 + Int(word >> 8 & 0xFF)]
                ^ t[5 * 256 + Int(word >> 16 & 0xFF)] ^ t[4 * 256 + Int(word >> 24 & 0xFF)]
                ^ t[3 * 256 + Int(word >> 32 & 0xFF)] ^ t[2 * 256 + Int(word >> 40 & 0xFF)]
                ^ t[256 + Int(word >> 48 & 0xFF)] ^ t[Int(word >> 56)]
            index += 8
        }
        while index < count {
            crc = t[Int((crc ^ UInt64(buffer[index])) & 0xFF)] ^ (crc >> 8)
            index += 1
        }
        return crc
    }
}

/// Computes one checksum incrementally.
public struct ChecksumHasher: Sendable {
    enum State: Sendable {
        case crc32(UInt64)
        case crc32c(UInt64)
        case crc64(UInt64)
        case sha1(Insecure.SHA1)
        case sha256(SHA256)
    }

    public let algorithm: ChecksumAlgorithm
    private var state: State

    public init(_ algorithm: ChecksumAlgorithm) {
        self.algorithm = algorithm
        switch algorithm {
        case .crc32: state = .crc32(0xFFFF_FFFF)
        case .crc32c: state = .crc32c(0xFFFF_FFFF)
        case .crc64nvme: state = .crc64(UInt64.max)
        case .sha1: state = .sha1(Insecure.SHA1())
        case .sha256: state = .sha256(SHA256())
        }
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        switch state {
        case .crc32(let crc): state = .crc32(CRCTables.crc32.update(crc, bytes))
        case .crc32c(let crc): state = .crc32c(CRCTables.crc32c.update(crc, bytes))
        case .crc64(let crc): state = .crc64(CRCTables.crc64nvme.update(crc, bytes))
        case .sha1(var h):
            h.update(bufferPointer: bytes)
            state = .sha1(h)
        case .sha256(var h):
            h.update(bufferPointer: bytes)
            state = .sha256(h)
        }
    }

    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The digest's big-endian bytes.
    public func digest() -> [UInt8] {
        switch state {
        case .crc32(let crc), .crc32c(let crc):
            let v = UInt32(truncatingIfNeeded: crc ^ 0xFFFF_FFFF)
            return [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)]
        case .crc64(let crc):
            let v = crc ^ UInt64.max
            return (0..<8).map { UInt8(v >> (56 - 8 * UInt64($0)) & 0xFF) }
        case .sha1(let h): return Array(h.finalize())
        case .sha256(let h): return Array(h.finalize())
        }
    }

    /// The value as sent in `x-amz-checksum-*` headers.
    public func base64Digest() -> String { Base64.encode(digest()) }
}
