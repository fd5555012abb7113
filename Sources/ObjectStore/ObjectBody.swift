import NIOCore

/// The bytes of one object version in a byte range, across its blob or its parts' blobs, or
/// from its index row for an inline object. Every blob the range touches is opened up front,
/// so a concurrent delete cannot tear the read.
public final class ObjectBody: Sendable {
    struct Segment: Sendable {
        let reader: BlobReader
        /// Offset in the blob and length to read from it.
        let offset: Int64
        let length: Int64
    }

    let segments: [Segment]
    /// The whole range, when it is already in memory (inline objects): no blob to open or read.
    public let inMemory: ByteBuffer?
    public let length: Int64
    public static let readChunk = 1 << 20

    init(segments: [Segment]) {
        self.segments = segments
        self.inMemory = nil
        self.length = segments.reduce(0) { $0 + $1.length }
    }

    init(bytes: ByteBuffer) {
        self.segments = []
        self.inMemory = bytes
        self.length = Int64(bytes.readableBytes)
    }

    /// nil when a blob is gone (the version was replaced meanwhile).
    static func open(_ version: ObjectVersion, range: ClosedRange<Int64>, blobs: DiskBlobStore) async throws(StoreError) -> ObjectBody? {
        if let inline = version.inlineData {
            guard range.lowerBound >= 0, range.upperBound < Int64(inline.count), !range.isEmpty else {
                throw .internalFailure("range \(range) outside an inline object of \(inline.count) bytes")
            }
            return ObjectBody(bytes: ByteBuffer(bytes: inline[Int(range.lowerBound)...Int(range.upperBound)]))
        }
        let layout: [(blobID: String, size: Int64)]
        if let parts = version.parts {
            layout = parts.map { ($0.blobID, $0.size) }
        } else if let blobID = version.blobID {
            layout = [(blobID, version.size)]
        } else {
            return nil
        }
        var segments: [Segment] = []
        var start: Int64 = 0
        for (blobID, size) in layout {
            let end = start + size - 1
            defer { start += size }
            guard size > 0, end >= range.lowerBound, start <= range.upperBound else { continue }
            guard let reader = try await blobs.open(blobID) else {
                for segment in segments { segment.reader.close() }
                return nil
            }
            let from = max(range.lowerBound, start) - start
            let to = min(range.upperBound, end) - start
            segments.append(Segment(reader: reader, offset: from, length: to - from + 1))
        }
        return ObjectBody(segments: segments)
    }

    /// Calls `write` with consecutive chunks of at most 1 MiB, then closes the blobs.
    public func stream(_ write: (ByteBuffer) async throws -> Void) async throws {
        defer { close() }
        for try await buffer in ObjectBodySequence(self) { try await write(buffer) }
    }

    public func close() {
        for segment in segments { segment.reader.close() }
    }
}

/// An object body as an async sequence of buffers, for copying through the upload pipeline.
public struct ObjectBodySequence: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer
    let body: ObjectBody

    public init(_ body: ObjectBody) { self.body = body }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let body: ObjectBody
        var segment = 0
        var offset: Int64 = 0
        var started = false
        /// Two read buffers used in turn: by the time one is read into again, the chunk it held
        /// has normally been sent, so a long GET reuses the same memory instead of allocating
        /// (and leaving in malloc's arenas) a fresh megabyte per chunk.
        var buffers: [ByteBuffer?] = [nil, nil]
        var turn = 0

        public mutating func next() async throws -> ByteBuffer? {
            if let bytes = body.inMemory {
                guard !started else { return nil }
                started = true
                return bytes
            }
            while segment < body.segments.count {
                let current = body.segments[segment]
                if !started {
                    offset = current.offset
                    started = true
                }
                let end = current.offset + current.length
                if offset >= end {
                    segment += 1
                    started = false
                    continue
                }
                let want = Int(Swift.min(Int64(ObjectBody.readChunk), end - offset))
                turn ^= 1
                let buffer = try await current.reader.read(offset: offset, length: want, reuse: buffers[turn].take())
                buffers[turn] = buffer
                guard buffer.readableBytes == want else { throw StoreError.internalFailure("blob shorter than its index entry") }
                offset += Int64(want)
                return buffer
            }
            return nil
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(body: body) }
}
