import Codecs
import IcebergModel
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One blob described by a Puffin footer.
public struct PuffinBlobMetadata: Sendable, Hashable {
    public var type: String
    public var fields: [Int]
    public var snapshotID: Int64
    public var sequenceNumber: Int64
    public var offset: Int64
    public var length: Int64
    public var compressionCodec: String?
    public var properties: [String: String]
}

public struct PuffinFooter: Sendable, Hashable {
    public var blobs: [PuffinBlobMetadata]
    public var properties: [String: String]
}

/// Puffin files (`Magic Blob₁ … Blobₙ Footer`, footer `Magic Payload PayloadSize Flags Magic`).
public enum Puffin {
    public static let magic: [UInt8] = [0x50, 0x46, 0x41, 0x31]   // "PFA1"
    /// PayloadSize + Flags + Magic.
    public static let trailerLength = 12
    public static let maxFooterBytes = 16 << 20

    /// The footer's total length (both magics included) from the file's last 12 bytes.
    public static func footerLength(trailer: [UInt8]) throws(IcebergDataError) -> Int {
        guard trailer.count >= trailerLength else { throw .malformed("puffin: short trailer") }
        let t = Array(trailer.suffix(trailerLength))
        guard Array(t[8..<12]) == magic else { throw .malformed("puffin: bad trailing magic") }
        let size = Int32(bitPattern: UInt32(t[0]) | UInt32(t[1]) << 8 | UInt32(t[2]) << 16 | UInt32(t[3]) << 24)
        guard size >= 0, Int(size) <= maxFooterBytes else { throw .malformed("puffin: footer payload size \(size)") }
        return 4 + Int(size) + trailerLength
    }

    /// Parses the footer from the end of `bytes` (the whole file, or at least its footer).
    public static func readFooter(_ bytes: [UInt8]) throws(IcebergDataError) -> PuffinFooter {
        let length = try footerLength(trailer: bytes)
        guard length <= bytes.count else { throw .malformed("puffin: footer longer than the input") }
        let footer = Array(bytes.suffix(length))
        guard Array(footer[0..<4]) == magic else { throw .malformed("puffin: bad footer magic") }
        let payloadEnd = length - trailerLength
        var payload = Array(footer[4..<payloadEnd])
        let flags = footer[payloadEnd + 4]
        if flags & 1 != 0 { payload = try LZ4Frame.decode(payload, limit: maxFooterBytes) }
        return try parsePayload(payload)
    }

    static func parsePayload(_ payload: [UInt8]) throws(IcebergDataError) -> PuffinFooter {
        let json: JSONValue
        do { json = try JSONValue(parsing: payload) } catch { throw .malformed("puffin: footer is not JSON") }
        guard let blobs = json["blobs"]?.arrayValue else { throw .malformed("puffin: footer has no blobs") }
        var out: [PuffinBlobMetadata] = []
        for blob in blobs {
            guard let type = blob["type"]?.stringValue, let offset = blob["offset"]?.intValue, let length = blob["length"]?.intValue,
                  offset >= 0, length >= 0 else {
                throw .malformed("puffin: blob metadata lacks type, offset or length")
            }
            out.append(PuffinBlobMetadata(
                type: type,
                fields: (blob["fields"]?.arrayValue ?? []).compactMap { $0.intValue.flatMap { Int(exactly: $0) } },
                snapshotID: blob["snapshot-id"]?.intValue ?? -1,
                sequenceNumber: blob["sequence-number"]?.intValue ?? -1,
                offset: offset, length: length,
                compressionCodec: blob["compression-codec"]?.stringValue,
                properties: blob["properties"]?.stringMap ?? [:]))
        }
        return PuffinFooter(blobs: out, properties: json["properties"]?.stringMap ?? [:])
    }
}

/// The LZ4 frame format (magic 0x184D2204), as Puffin footers use it; blocks decoded with the raw block codec.
enum LZ4Frame {
    static func decode(_ input: [UInt8], limit: Int) throws(IcebergDataError) -> [UInt8] {
        var r = ByteReader(bytes: input, offset: 0)
        guard try r.u32() == 0x184D_2204 else { throw .malformed("lz4 frame: bad magic") }
        let flg = try r.bytes(1)[0]
        _ = try r.bytes(1)   // BD: block maximum size
        guard flg >> 6 == 1 else { throw .malformed("lz4 frame: unsupported version") }
        let blockChecksum = flg & 0x10 != 0
        let contentSize = flg & 0x08 != 0
        let contentChecksum = flg & 0x04 != 0
        let dictionary = flg & 0x01 != 0
        if contentSize { _ = try r.u64() }
        if dictionary { _ = try r.u32() }
        _ = try r.bytes(1)   // header checksum
        var out: [UInt8] = []
        while true {
            let word = try r.u32()
            if word == 0 { break }
            let size = Int(word & 0x7FFF_FFFF)
            let block = try r.bytes(size)
            if blockChecksum { _ = try r.u32() }
            if word & 0x8000_0000 != 0 {
                out += block
            } else {
                do { out += try Codec.decompress(.lz4Raw, block, expectedSize: nil, limit: limit - out.count) } catch {
                    throw .malformed("lz4 frame: \(error)")
                }
            }
            guard out.count <= limit else { throw .malformed("lz4 frame: output over \(limit) bytes") }
        }
        if contentChecksum { _ = try r.u32() }
        return out
    }
}
