import Crypto
import NIOCore
import SigV4

/// Which digests to compute while the body streams in. MD5 is always computed (it is the ETag).
public struct HashingPlan: Sendable {
    public var sha256: Bool
    public var checksums: Set<ChecksumAlgorithm>

    public init(sha256: Bool = false, checksums: Set<ChecksumAlgorithm> = []) {
        self.sha256 = sha256
        self.checksums = checksums
    }
}

/// What the client promised about the body; checked once it has been received.
public struct UploadExpectations: Sendable {
    /// Exact number of payload bytes (Content-Length or x-amz-decoded-content-length).
    public var length: Int64?
    /// Decoded Content-MD5.
    public var md5: [UInt8]?
    /// Lower-case hex from x-amz-content-sha256.
    public var sha256Hex: String?
    /// Base64 checksum values from headers or trailers.
    public var checksums: [ChecksumAlgorithm: String]

    public init(length: Int64? = nil, md5: [UInt8]? = nil, sha256Hex: String? = nil, checksums: [ChecksumAlgorithm: String] = [:]) {
        self.length = length
        self.md5 = md5
        self.sha256Hex = sha256Hex
        self.checksums = checksums
    }
}

/// A body received, with its digests, not yet visible to anyone: in memory when it is small
/// enough to live in the index (`ObjectStore.inlineLimit`), else in a temporary blob.
public final class StagedUpload: Sendable {
    enum Storage {
        case blob(BlobWriter)
        case inline(ByteBuffer)
    }
    let storage: Storage
    public let size: Int64
    public let md5: [UInt8]
    public let sha256: [UInt8]?
    /// Base64 digests for every checksum in the plan.
    public let checksums: [ChecksumAlgorithm: String]
    /// The MD5 keyed with the data key (HMAC), when the bytes are sealed: the ETag of SSE-KMS and
    /// SSE-C objects and parts, which must not let anyone without the key test a guess of the data.
    public let keyedMD5: [UInt8]?

    init(storage: Storage, size: Int64, md5: [UInt8], sha256: [UInt8]?, checksums: [ChecksumAlgorithm: String], keyedMD5: [UInt8]? = nil) {
        self.keyedMD5 = keyedMD5
        self.storage = storage
        self.size = size
        self.md5 = md5
        self.sha256 = sha256
        self.checksums = checksums
    }

    /// The single-part ETag: the quoted hex MD5.
    public var etag: String { ETag.quoted(md5: md5) }

    /// The ETag of the version it becomes: the plaintext's MD5, except for SSE-KMS and SSE-C, whose
    /// ETag S3 documents as not the MD5 of the data (here: the MD5 keyed with the data key, the
    /// same for the same bytes under one key, so a re-sent part keeps its ETag).
    public func etag(for encryption: EncryptionInfo?) -> String {
        guard let encryption, !encryption.etagIsPlaintextMD5, let keyedMD5 else { return etag }
        return ETag.quoted(md5: keyedMD5)
    }

    /// Checks every promise; throws the first that does not hold.
    public func verify(_ expected: UploadExpectations) throws(StoreError) {
        if let length = expected.length, length != size {
            throw .incompleteBody(expected: length, received: size)
        }
        if let md5 = expected.md5, md5 != self.md5 { throw .badDigest }
        if let hex = expected.sha256Hex, let sha256, hex != Hex.encode(sha256) {
            throw .contentSHA256Mismatch
        }
        for (algorithm, value) in expected.checksums where checksums[algorithm] != value {
            throw .checksumMismatch(algorithm)
        }
    }
}

extension ObjectStore {
    /// Streams `body` into memory while it fits `inlineLimit`, else into a temporary blob,
    /// hashing in the same pass. Memory stays at a few write chunks however large the body is.
    /// With `key`, what is stored is sealed (`SealedChunks`); the digests are of the plaintext.
    /// Any error discards the partial blob.
    ///
    /// The body is gathered into chunks of `DiskBlobStore.writeChunk`; each chunk's MD5 is taken on
    /// `MD5Lanes` (with other uploads' chunks), up to two chunks behind (`LaggingMD5`), while the
    /// chunk goes to disk as it is; the last chunk is written and the blob made durable and put
    /// in place while its hash is taken, so the blob's commit has nothing left to do. A body
    /// smaller than `MD5Lanes.smallest` is hashed here instead.
    public func stage<Body: AsyncSequence>(_ body: Body, plan: HashingPlan, maxSize: Int64, encryptingWith key: SymmetricKey? = nil) async throws
        -> StagedUpload
    where Body.Element == ByteBuffer {
        var sink = StagingSink(inlineLimit: inlineLimit, blobs: blobs)
        var sealer = key.map { ChunkSealer(key: $0) }
        var md5 = LaggingMD5()
        var sha256 = plan.sha256 ? SHA256() : nil
        var hashers = plan.checksums.map { ChecksumHasher($0) }
        var size: Int64 = 0
        var chunk = ByteBuffer()
        /// Stores a chunk; the last one also ends the sealing and makes a blob durable.
        func store(_ chunk: ByteBuffer, last: Bool) async throws {
            var bytes = sealer != nil && chunk.readableBytes > 0 ? try sealer!.feed(chunk) : chunk
            guard last else { return try await sink.append(bytes) }
            if sealer != nil {
                try await sink.append(bytes)
                bytes = try sealer!.finish()
            }
            try await sink.finish(with: bytes)
        }
        /// Hands the gathered chunk to the hasher, which may lag behind, and to the sink.
        func pass(_ chunk: inout ByteBuffer, last: Bool) async throws {
            if chunk.readableBytes >= MD5Lanes.smallest {
                await md5.add(chunk)
            } else {
                await md5.update(chunk)
            }
            try await store(chunk, last: last)
            chunk = ByteBuffer()  // the hasher may still hold these bytes: the next chunk takes new memory
        }
        do {
            for try await buffer in body {
                size += Int64(buffer.readableBytes)
                if size > maxSize { throw StoreError.entityTooLarge(limit: maxSize) }
                if sha256 != nil || !hashers.isEmpty {
                    buffer.withUnsafeReadableBytes { bytes in
                        sha256?.update(bufferPointer: bytes)
                        for i in hashers.indices { hashers[i].update(bytes) }
                    }
                }
                var buffer = buffer
                while buffer.readableBytes > 0 {
                    // A full chunk waits for more bytes: if none come it is the last, synced as it is written.
                    if chunk.readableBytes == DiskBlobStore.writeChunk { try await pass(&chunk, last: false) }
                    var part = buffer.readSlice(length: min(buffer.readableBytes, DiskBlobStore.writeChunk - chunk.readableBytes))!
                    if chunk.readableBytes == 0 {
                        chunk = part  // no copy while the body is one buffer
                    } else {
                        // Grown once to a whole chunk past the small sizes, not by doubling.
                        let needed = chunk.readableBytes + part.readableBytes
                        if needed > chunk.capacity, needed > MD5Lanes.smallest { chunk.reserveCapacity(DiskBlobStore.writeChunk) }
                        chunk.writeBuffer(&part)
                    }
                }
            }
            try await pass(&chunk, last: true)
        } catch {
            await md5.abandon()
            await sink.writer?.discard()
            throw error
        }
        var checksums: [ChecksumAlgorithm: String] = [:]
        for hasher in hashers { checksums[hasher.algorithm] = hasher.base64Digest() }
        let storage: StagedUpload.Storage
        if let writer = sink.writer {
            storage = .blob(writer)
        } else {
            storage = .inline(sink.inline ?? ByteBuffer())
        }
        let digest = await md5.current().finalize()
        return StagedUpload(
            storage: storage,
            size: size,
            md5: digest,
            sha256: sha256.map { Array($0.finalize()) },
            checksums: checksums,
            keyedMD5: key.map { Array(HMAC<SHA256>.authenticationCode(for: digest, using: $0).prefix(16)) }
        )
    }

    public func discard(_ staged: StagedUpload) async {
        if case .blob(let writer) = staged.storage { await writer.discard() }
    }

    /// The staged bytes as a durable blob in place (multipart parts always live in blobs).
    func commitBlob(_ staged: StagedUpload) async throws(StoreError) -> String {
        switch staged.storage {
        case .blob(let writer):
            try await writer.commit()
            return writer.blobID
        case .inline(let bytes):
            let writer = try await blobs.beginWrite()
            do {
                try await writer.append(bytes)
                try await writer.commit()
            } catch {
                await writer.discard()
                throw error
            }
            return writer.blobID
        }
    }
}

/// Where staged bytes go: memory while they fit the inline limit, then a temporary blob.
struct StagingSink {
    let inlineLimit: Int
    let blobs: DiskBlobStore
    var inline: ByteBuffer? = ByteBuffer()
    var writer: BlobWriter?

    init(inlineLimit: Int, blobs: DiskBlobStore) {
        self.inlineLimit = inlineLimit
        self.blobs = blobs
    }

    /// Takes the last bytes; a blob is then durable and in place (`BlobWriter.finish`).
    mutating func finish(with last: ByteBuffer) async throws {
        if let writer { return try await writer.finish(appending: last) }
        try await append(last)
        try await writer?.finish()
    }

    mutating func append(_ buffer: ByteBuffer) async throws {
        guard buffer.readableBytes > 0 else { return }
        if var small = inline {
            if small.readableBytes + buffer.readableBytes <= inlineLimit {
                inline = nil  // keeps `small` uniquely referenced while it grows
                var buffer = buffer
                small.writeBuffer(&buffer)
                inline = small
                return
            }
            inline = nil
            writer = try await blobs.beginWrite()
            try await writer!.append(small)
        }
        try await writer!.append(buffer)
    }
}
