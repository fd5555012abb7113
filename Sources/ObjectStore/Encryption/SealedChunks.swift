import Crypto
import Foundation
import NIOCore

/// The at-rest format of an encrypted blob (or inline object): a 16-byte header, then the
/// plaintext in 64 KiB chunks, each sealed with AES-256-GCM under the object's data key.
///
///     header:  "FLE1" | 8 random bytes (nonce prefix) | 4 zero bytes
///     chunk i: ciphertext (≤ 64 KiB) | 16-byte tag
///
/// Chunk i's nonce is the prefix followed by i (big-endian), and its authenticated data is i and
/// whether it is the last chunk: chunks cannot be reordered, dropped or cut short unnoticed, and
/// a range of the plaintext is read by opening only the chunks it overlaps. A fresh prefix per
/// blob keeps nonces unique under one data key (several parts of an upload, re-sent parts).
public enum SealedChunks {
    public static let chunkSize = 64 * 1024
    public static let tagSize = 16
    public static let headerSize = 16
    static let magic: [UInt8] = Array("FLE1".utf8)

    /// How many chunks a plaintext of `size` bytes takes (an empty one still has its final chunk).
    public static func chunkCount(plaintextSize size: Int64) -> Int64 {
        max(1, (size + Int64(chunkSize) - 1) / Int64(chunkSize))
    }

    public static func sealedSize(plaintextSize size: Int64) -> Int64 {
        Int64(headerSize) + size + chunkCount(plaintextSize: size) * Int64(tagSize)
    }

    /// Where chunk `index` starts in the sealed bytes.
    public static func sealedOffset(ofChunk index: Int64) -> Int64 {
        Int64(headerSize) + index * Int64(chunkSize + tagSize)
    }

    static func nonce(prefix: ArraySlice<UInt8>, index: Int64) throws -> AES.GCM.Nonce {
        var bytes = Array(prefix)
        let counter = UInt32(truncatingIfNeeded: index)
        bytes += [UInt8(counter >> 24), UInt8(truncatingIfNeeded: counter >> 16), UInt8(truncatingIfNeeded: counter >> 8), UInt8(truncatingIfNeeded: counter)]
        return try AES.GCM.Nonce(data: bytes)
    }

    static func additionalData(index: Int64, final: Bool) -> [UInt8] {
        let counter = UInt64(index)
        return (0..<8).map { UInt8(truncatingIfNeeded: counter >> (56 - 8 * $0)) } + [final ? 1 : 0]
    }

    /// The nonce prefix of a sealed blob, from its header.
    static func prefix(fromHeader header: [UInt8]) throws(StoreError) -> ArraySlice<UInt8> {
        guard header.count == headerSize, Array(header[0..<4]) == magic else { throw .internalFailure("an encrypted blob has no valid header") }
        return header[4..<12]
    }

    /// Opens chunk `index` (its ciphertext and tag, `sealed`) of a blob whose plaintext is `plaintextSize` bytes.
    static func open(_ sealed: ByteBuffer, index: Int64, prefix: ArraySlice<UInt8>, plaintextSize: Int64, key: SymmetricKey) throws(StoreError) -> [UInt8] {
        guard sealed.readableBytes >= tagSize else { throw .internalFailure("an encrypted chunk is cut short") }
        let final = index == chunkCount(plaintextSize: plaintextSize) - 1
        do {
            let nonce = try nonce(prefix: prefix, index: index)
            return try sealed.withUnsafeReadableBytes { bytes in
                let split = bytes.count - tagSize
                let box = try AES.GCM.SealedBox(
                    nonce: nonce, ciphertext: UnsafeRawBufferPointer(rebasing: bytes[..<split]), tag: UnsafeRawBufferPointer(rebasing: bytes[split...]))
                return Array(try AES.GCM.open(box, using: key, authenticating: additionalData(index: index, final: final)))
            }
        } catch {
            throw .internalFailure("an encrypted chunk failed authentication (wrong key, or the stored bytes were altered)")
        }
    }
}

/// Seals a plaintext stream: feed buffers, take out sealed bytes as they are ready, then finish.
/// Holds back at most one chunk (the last one must be marked final, so it is sealed at the end).
public struct ChunkSealer {
    let key: SymmetricKey
    let prefix: [UInt8]
    var pending = ByteBuffer()
    var index: Int64 = 0
    var headerWritten = false

    public init(key: SymmetricKey) {
        self.key = key
        self.prefix = (0..<8).map { _ in UInt8.random(in: 0...255) }
    }

    /// Sealed bytes for whatever full chunks `plaintext` completes (not the last one: it may be final).
    public mutating func feed(_ plaintext: ByteBuffer) throws -> ByteBuffer {
        var output = ByteBuffer()
        writeHeader(&output)
        var plaintext = plaintext
        while plaintext.readableBytes > 0 {
            if pending.readableBytes == SealedChunks.chunkSize {
                try seal(final: false, into: &output)
            }
            let take = min(plaintext.readableBytes, SealedChunks.chunkSize - pending.readableBytes)
            var slice = plaintext.readSlice(length: take)!
            pending.writeBuffer(&slice)
        }
        return output
    }

    /// The last chunk, sealed as final (and the header, for an empty plaintext).
    public mutating func finish() throws -> ByteBuffer {
        var output = ByteBuffer()
        writeHeader(&output)
        try seal(final: true, into: &output)
        return output
    }

    mutating func writeHeader(_ output: inout ByteBuffer) {
        guard !headerWritten else { return }
        headerWritten = true
        output.writeBytes(SealedChunks.magic + prefix + [0, 0, 0, 0])
    }

    mutating func seal(final: Bool, into output: inout ByteBuffer) throws {
        let box = try pending.withUnsafeReadableBytes { bytes in
            try AES.GCM.seal(
                bytes, using: key, nonce: try SealedChunks.nonce(prefix: prefix[...], index: index),
                authenticating: SealedChunks.additionalData(index: index, final: final))
        }
        box.ciphertext.withUnsafeBytes { output.writeBytes($0) }
        box.tag.withUnsafeBytes { output.writeBytes($0) }
        pending.clear()
        index += 1
    }
}
