import Codecs

/// The `deletion-vector-v1` Puffin blob: 4-byte BE length of magic + vector, magic D1 D3 39 64,
/// the 64-bit portable Roaring bitmap, 4-byte BE CRC-32 of magic + vector.
public enum DeletionVector {
    public static let blobType = "deletion-vector-v1"
    static let magic: [UInt8] = [0xD1, 0xD3, 0x39, 0x64]

    public static func decode(_ blob: [UInt8]) throws(IcebergDataError) -> PositionDeleteIndex {
        PositionDeleteIndex(bitmap: try decodeBitmap(blob))
    }

    public static func decodeBitmap(_ blob: [UInt8]) throws(IcebergDataError) -> RoaringBitmap64 {
        guard blob.count >= 12 else { throw .malformed("deletion vector: \(blob.count) bytes") }
        let length = Int(UInt32(blob[0]) << 24 | UInt32(blob[1]) << 16 | UInt32(blob[2]) << 8 | UInt32(blob[3]))
        guard length >= 4, length == blob.count - 8 else { throw .malformed("deletion vector: length \(length) in a \(blob.count)-byte blob") }
        guard Array(blob[4..<8]) == magic else { throw .malformed("deletion vector: bad magic") }
        let body = Array(blob[4..<(4 + length)])
        let n = blob.count
        let stored = UInt32(blob[n - 4]) << 24 | UInt32(blob[n - 3]) << 16 | UInt32(blob[n - 2]) << 8 | UInt32(blob[n - 1])
        guard CRC32.checksum(body) == stored else { throw .malformed("deletion vector: CRC mismatch") }
        return try RoaringBitmap64.deserialize(Array(body[4...]))
    }

    public static func encode(_ bitmap: RoaringBitmap64) -> [UInt8] {
        let body = magic + bitmap.serialized()
        func be(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
        return be(UInt32(body.count)) + body + be(CRC32.checksum(body))
    }
}
