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

/// Combining the CRCs of two adjacent byte runs into the CRC of both, without the bytes
/// (zlib's crc32_combine method, for any reflected CRC up to 64 bits). A FULL_OBJECT multipart
/// checksum is built from the parts' CRCs this way.
enum CRCCombine {
    struct Parameters {
        let poly: UInt64
        let width: Int
        var top: UInt64 { 1 << UInt64(width - 1) }
    }

    static func parameters(_ algorithm: ChecksumAlgorithm) -> Parameters? {
        switch algorithm {
        case .crc32: return Parameters(poly: 0xEDB8_8320, width: 32)
        case .crc32c: return Parameters(poly: 0x82F6_3B78, width: 32)
        case .crc64nvme: return Parameters(poly: 0x9A6C_9329_AC4B_C9B5, width: 64)
        case .sha1, .sha256: return nil
        }
    }

    /// a * b modulo the polynomial, in the reflected representation.
    static func multiply(_ a: UInt64, _ b: UInt64, _ p: Parameters) -> UInt64 {
        var b = b, product: UInt64 = 0
        var m = p.top
        while true {
            if a & m != 0 {
                product ^= b
                if a & (m - 1) == 0 { break }
            }
            m >>= 1
            if m == 0 { break }
            b = b & 1 != 0 ? (b >> 1) ^ p.poly : b >> 1
        }
        return product
    }

    /// x^(8 * byteCount) modulo the polynomial.
    static func xPower8n(_ byteCount: Int64, _ p: Parameters) -> UInt64 {
        var result = p.top  // x^0
        var square = p.top >> 1  // x^1
        // Square x up to x^8 first (one byte is eight bit shifts).
        for _ in 0..<3 { square = multiply(square, square, p) }
        var n = byteCount
        while n > 0 {
            if n & 1 != 0 { result = multiply(square, result, p) }
            square = multiply(square, square, p)
            n >>= 1
        }
        return result
    }

    /// The CRC of A followed by B, from crc(A), crc(B) and the length of B.
    static func combine(_ crcA: UInt64, _ crcB: UInt64, lengthB: Int64, _ p: Parameters) -> UInt64 {
        multiply(xPower8n(lengthB, p), crcA, p) ^ crcB
    }

    /// Big-endian digest bytes to an integer and back.
    static func value(_ bytes: [UInt8]) -> UInt64 { bytes.reduce(0) { $0 << 8 | UInt64($1) } }
    static func bytes(_ value: UInt64, width: Int) -> [UInt8] {
        (0..<(width / 8)).map { UInt8(value >> UInt64(width - 8 - 8 * $0) & 0xFF) }
    }
}

extension ChecksumAlgorithm {
    /// Whether a FULL_OBJECT checksum can be derived from part checksums (the CRCs).
    public var supportsFullObject: Bool { CRCCombine.parameters(self) != nil }

    /// The whole-object checksum from the parts' checksums and sizes: FULL_OBJECT combines the
    /// CRCs into the CRC of all bytes; COMPOSITE hashes the concatenated part digests (suffix `-N`).
    public func multipartChecksum(parts: [(checksum: [UInt8], size: Int64)], fullObject: Bool) -> String? {
        if fullObject {
            guard let p = CRCCombine.parameters(self), var combined = parts.first.map({ CRCCombine.value($0.checksum) }) else { return nil }
            for part in parts.dropFirst() {
                combined = CRCCombine.combine(combined, CRCCombine.value(part.checksum), lengthB: part.size, p)
            }
            return Base64.encode(CRCCombine.bytes(combined, width: p.width))
        }
        var hasher = ChecksumHasher(self)
        for part in parts { hasher.update(part.checksum) }
        return "\(hasher.base64Digest())-\(parts.count)"
    }
}
