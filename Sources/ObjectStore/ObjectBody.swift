import Crypto
import NIOCore
import Synchronization

/// The bytes of one object version in a byte range, across its blob or its parts' blobs, or
/// from its index row for an inline object. Every blob the range touches is pinned (`BlobPins`),
/// so a concurrent delete cannot tear the read, and the file of a replaced blob is unlinked (its
/// blocks freed) by the store's reclaimer once the body lets go, never by a body's `close` on an
/// event loop. The first blob is opened up front, each of the others when the read reaches it,
/// and each is closed and unpinned when the read has passed it: a body holds one descriptor
/// whatever its number of parts. A later blob that cannot be opened (out of descriptors, a disk
/// error) fails the body after its head was sent: the answer ends short of its length.
public final class ObjectBody: Sendable {
    struct Segment: Sendable {
        let path: String
        /// The blob file's size when the body was opened.
        let blobSize: Int64
        /// Offset in the blob's plaintext and length to read from it.
        let offset: Int64
        let length: Int64
        /// The blob's whole plaintext size when it is sealed (`SealedChunks`); nil when plain.
        var sealedPlaintextSize: Int64? = nil
    }

    private struct OpenBlobs {
        /// The segments' readers open now, by segment.
        var readers: [Int: BlobReader]
        /// The segments whose blobs are pinned: each is unpinned when passed, in order, and the
        /// rest at `close`.
        var pinned: Range<Int>
        var closed = false
    }

    let segments: [Segment]
    /// The data key of sealed segments.
    let key: SymmetricKey?
    /// The whole range, when it is already in memory (inline objects): no blob to open or read.
    public let inMemory: ByteBuffer?
    public let length: Int64
    public static let readChunk = 1 << 20
    /// Where the segments not open yet are opened; nil when all were opened up front.
    private let blobs: DiskBlobStore?
    private let open: Mutex<OpenBlobs>

    init(segments: [Segment], readers: [Int: BlobReader], pinned: Range<Int> = 0..<0, blobs: DiskBlobStore? = nil, key: SymmetricKey? = nil) {
        self.segments = segments
        self.key = key
        self.inMemory = nil
        self.length = segments.reduce(0) { $0 + $1.length }
        self.blobs = blobs
        self.open = Mutex(OpenBlobs(readers: readers, pinned: pinned))
    }

    /// A plain body over blobs already open, all of them read from `offset` for `length` bytes.
    convenience init(opened: [(reader: BlobReader, offset: Int64, length: Int64)]) {
        let segments = opened.map { Segment(path: $0.reader.path, blobSize: $0.reader.size, offset: $0.offset, length: $0.length) }
        var readers: [Int: BlobReader] = [:]
        for (index, part) in opened.enumerated() { readers[index] = part.reader }
        self.init(segments: segments, readers: readers)
    }

    init(bytes: ByteBuffer) {
        self.segments = []
        self.key = nil
        self.inMemory = bytes
        self.length = Int64(bytes.readableBytes)
        self.blobs = nil
        self.open = Mutex(OpenBlobs(readers: [:], pinned: 0..<0))
    }

    /// nil when a blob is gone (the version was replaced meanwhile).
    /// - Parameter key: the data key, for a version stored sealed (`attributes.encryption`).
    static func open(_ version: ObjectVersion, range: ClosedRange<Int64>, blobs: DiskBlobStore, key: SymmetricKey? = nil) async throws(StoreError)
        -> ObjectBody?
    {
        let sealed = version.attributes.encryption != nil
        if sealed && key == nil { throw .internalFailure("an encrypted version opened without its data key") }
        if let inline = version.inlineData {
            guard range.lowerBound >= 0, range.upperBound < version.size, !range.isEmpty else {
                throw .internalFailure("range \(range) outside an inline object of \(version.size) bytes")
            }
            if let key, sealed {
                let plaintext = try Self.openChunks(of: inline, plaintextSize: version.size, range: range, key: key)
                return ObjectBody(bytes: plaintext)
            }
            guard let slice = inline.getSlice(at: inline.readerIndex + Int(range.lowerBound), length: range.count) else {
                throw .internalFailure("an inline object shorter than its size")
            }
            return ObjectBody(bytes: slice)
        }
        let layout: [(blobID: String, size: Int64)]
        if let parts = version.parts {
            layout = parts.map { ($0.blobID, $0.size) }
        } else if let blobID = version.blobID {
            layout = [(blobID, version.size)]
        } else {
            return nil
        }
        var touched: [(path: String, offset: Int64, length: Int64, plaintextSize: Int64)] = []
        var start: Int64 = 0
        for (blobID, size) in layout {
            let end = start + size - 1
            defer { start += size }
            guard size > 0, end >= range.lowerBound, start <= range.upperBound else { continue }
            let from = max(range.lowerBound, start) - start
            let to = min(range.upperBound, end) - start
            touched.append((blobs.finalPath(blobID).file, from, to - from + 1, size))
        }
        guard !touched.isEmpty else { return ObjectBody(segments: [], readers: [:], key: sealed ? key : nil) }
        let paths = touched.map(\.path)
        guard blobs.pin(paths: paths) else { return nil }
        var handedOver = false
        defer { if !handedOver { blobs.unpin(paths: paths) } }
        guard let reader = try await blobs.open(path: paths[0]) else { return nil }
        var sizes = [reader.size]
        if paths.count > 1 {
            let later: [Int64]?
            do {
                later = try await blobs.sizes(of: paths.dropFirst())
            } catch {
                reader.close()
                throw error
            }
            guard let later else {
                reader.close()
                return nil
            }
            sizes += later
        }
        let segments = zip(touched, sizes).map { blob, size in
            Segment(path: blob.path, blobSize: size, offset: blob.offset, length: blob.length, sealedPlaintextSize: sealed ? blob.plaintextSize : nil)
        }
        handedOver = true
        return ObjectBody(segments: segments, readers: [0: reader], pinned: 0..<segments.count, blobs: blobs, key: sealed ? key : nil)
    }

    /// The reader of segment `index`, opened now if it is not open yet.
    func reader(forSegment index: Int) async throws(StoreError) -> BlobReader {
        if let reader = open.withLock({ $0.readers[index] }) { return reader }
        guard let blobs else { throw .internalFailure("a body's blob was not opened") }
        // Pinned: it cannot have been unlinked since the body was opened.
        guard let reader = try await blobs.open(path: segments[index].path) else { throw .internalFailure("a pinned blob is gone") }
        let kept = open.withLock { open in
            guard !open.closed else { return false }
            open.readers[index] = reader
            return true
        }
        guard kept else {
            reader.close()
            throw .internalFailure("a body's blob opened after the body was closed")
        }
        return reader
    }

    /// Closes and unpins segment `index`'s blob once the read has passed it.
    func passed(segment index: Int) {
        let (reader, unpin) = open.withLock { open -> (BlobReader?, Bool) in
            let unpin = open.pinned.first == index
            if unpin { open.pinned = (index + 1)..<open.pinned.upperBound }
            return (open.readers.removeValue(forKey: index), unpin)
        }
        reader?.close()
        if unpin { blobs?.unpin(paths: [segments[index].path]) }
    }

    /// How many of the body's blobs are open now.
    var openBlobCount: Int { open.withLock { $0.readers.count } }

    /// The plaintext in `range` of sealed bytes held in memory (an inline object).
    static func openChunks(of sealed: ByteBuffer, plaintextSize: Int64, range: ClosedRange<Int64>, key: SymmetricKey) throws(StoreError) -> ByteBuffer {
        guard let header = sealed.getBytes(at: sealed.readerIndex, length: SealedChunks.headerSize) else { throw .internalFailure("a sealed object is cut short") }
        let prefix = try SealedChunks.prefix(fromHeader: header)
        guard range.lowerBound >= 0, range.upperBound < plaintextSize else { throw .internalFailure("range \(range) outside \(plaintextSize) bytes") }
        let first = range.lowerBound / Int64(SealedChunks.chunkSize)
        let last = range.upperBound / Int64(SealedChunks.chunkSize)
        var output = ByteBuffer()
        for index in first...last {
            let plainLength = min(Int64(SealedChunks.chunkSize), plaintextSize - index * Int64(SealedChunks.chunkSize))
            let start = sealed.readerIndex + Int(SealedChunks.sealedOffset(ofChunk: index))
            guard let chunk = sealed.getSlice(at: start, length: Int(plainLength) + SealedChunks.tagSize) else {
                throw .internalFailure("a sealed object is cut short")
            }
            output.writeBytes(try SealedChunks.open(chunk, index: index, prefix: prefix, plaintextSize: plaintextSize, key: key))
        }
        let skip = Int(range.lowerBound - first * Int64(SealedChunks.chunkSize))
        return output.getSlice(at: output.readerIndex + skip, length: Int(range.upperBound - range.lowerBound + 1))!
    }

    /// A range of an open blob file, to be sent without reading it (`sendfile`).
    public struct FileSlice: Sendable {
        public let descriptor: Int32
        public let offset: Int64
        public let length: Int64
    }

    /// The body as ranges of its blob files, in order, each in the page cache by the time it is
    /// handed out; nil when its bytes must pass through memory: held inline, or sealed (the
    /// plaintext is not in the file), or a blob shorter than the range (read instead, which
    /// reports it: `sendfile` would find no end). A range's descriptor is valid until the next
    /// range is asked for (its blob is closed once passed) or the body is closed.
    public func cachedSlices() -> CachedSlices? {
        guard inMemory == nil, key == nil else { return nil }
        for segment in segments {
            guard segment.sealedPlaintextSize == nil, segment.offset + segment.length <= segment.blobSize else { return nil }
        }
        return CachedSlices(body: self)
    }

    /// A plain body's file ranges, each window of up to 4 MiB looked up in the page cache just
    /// before it is due and, when any page is missing, read in on the thread pool first: the
    /// wait for the disk blocks a pool thread, not the event loop that sends the range. Once a
    /// body is found cold, each window is read in while the one before it is sent, so the disk
    /// and the socket work at once and the loop seldom waits for the pool.
    public struct CachedSlices {
        static let window: Int64 = 4 << 20
        let body: ObjectBody
        var cursor = SegmentCursor()
        /// The next byte to send of the current segment; nil at its start.
        var position: Int64?
        /// The window being read in ahead, by its offset in the current segment's blob: always
        /// the next window of that segment, so it is taken (and cleared) before the segment ends.
        var readingAhead: (offset: Int64, done: Task<Void, Never>)?
        /// Whether a window has been handed out.
        var handedOut = false

        /// The next range, or nil at the body's end or once `wanted` says no (the client gone),
        /// which is asked again after any wait for the disk. Throws when a blob cannot be opened.
        public mutating func next(while wanted: () -> Bool = { true }) async throws(StoreError) -> FileSlice? {
            while cursor.index < body.segments.count {
                let current = body.segments[cursor.index]
                let from = position ?? current.offset
                let end = current.offset + current.length
                guard from < end else {
                    cursor.pass(body)
                    position = nil
                    continue
                }
                let reader = try await cursor.reader(of: body)
                let length = Swift.min(Self.window, end - from)
                var cold = false
                if let ahead = readingAhead, ahead.offset == from {
                    await ahead.done.value
                    readingAhead = nil
                    cold = true
                    guard wanted() else { return nil }
                }
                if !PageCache.holds(descriptor: reader.fd, offset: from, length: length) {
                    guard await reader.loadIntoPageCache(offset: from, length: length, while: wanted) else { return nil }
                    cold = true
                }
                position = from + length
                // Not with the body's first window: until a write has gone out, the client may
                // already be gone, and a GET dropped at once would have two windows read for it.
                if cold, handedOut, from + length < end {
                    let next = from + length
                    readingAhead = reader.startLoadingIntoPageCache(offset: next, length: Swift.min(Self.window, end - next)).map { (next, $0) }
                }
                handedOut = true
                return FileSlice(descriptor: reader.fd, offset: from, length: length)
            }
            return nil
        }

        /// Drops the window being read in ahead, if its read has not started: for a body left
        /// unsent (the client gone), so that dropped requests do not queue disk reads.
        public func cancel() {
            readingAhead?.done.cancel()
        }
    }

    /// Calls `write` with consecutive chunks of at most 1 MiB, then closes the blobs.
    public func stream(_ write: (ByteBuffer) async throws -> Void) async throws {
        defer { close() }
        for try await buffer in ObjectBodySequence(self) { try await write(buffer) }
    }

    /// A body dropped unclosed (an answer never sent) lets go of its blobs all the same.
    deinit { close() }

    /// Closes the blobs open and lets go of the pinned ones. Once only: later calls do nothing.
    public func close() {
        let (readers, pinned) = open.withLock { open -> ([BlobReader], Range<Int>) in
            guard !open.closed else { return ([], 0..<0) }
            open.closed = true
            defer { (open.readers, open.pinned) = ([:], 0..<0) }
            return (Array(open.readers.values), open.pinned)
        }
        for reader in readers { reader.close() }
        if !pinned.isEmpty { blobs?.unpin(paths: segments[pinned].map(\.path)) }
    }
}

/// Where a read of a body stands: its segment, and that segment's blob once opened.
struct SegmentCursor {
    private(set) var index = 0
    private var reader: BlobReader?

    /// The current segment's blob, opened when first asked for.
    mutating func reader(of body: ObjectBody) async throws(StoreError) -> BlobReader {
        if let reader { return reader }
        let opened = try await body.reader(forSegment: index)
        reader = opened
        return opened
    }

    /// Moves to the next segment; the current one's blob is closed and unpinned.
    mutating func pass(_ body: ObjectBody) {
        body.passed(segment: index)
        index += 1
        reader = nil
    }
}

/// An object body as an async sequence of buffers, for copying through the upload pipeline.
public struct ObjectBodySequence: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer
    let body: ObjectBody

    public init(_ body: ObjectBody) { self.body = body }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let body: ObjectBody
        var cursor = SegmentCursor()
        var offset: Int64 = 0
        var started = false
        /// Two read buffers used in turn: by the time one is read into again, the chunk it held
        /// has normally been sent, so a long GET reuses the same memory instead of allocating
        /// (and leaving in malloc's arenas) a fresh megabyte per chunk.
        var buffers: [ByteBuffer?] = [nil, nil]
        var turn = 0
        /// The current sealed segment's nonce prefix, read from its header.
        var prefix: ArraySlice<UInt8>?

        public mutating func next() async throws -> ByteBuffer? {
            if let bytes = body.inMemory {
                guard !started else { return nil }
                started = true
                return bytes
            }
            while cursor.index < body.segments.count {
                let current = body.segments[cursor.index]
                if !started {
                    offset = current.offset
                    started = true
                }
                let end = current.offset + current.length
                if offset >= end {
                    cursor.pass(body)
                    started = false
                    prefix = nil
                    continue
                }
                let reader = try await cursor.reader(of: body)
                if let plaintextSize = current.sealedPlaintextSize, let key = body.key {
                    let buffer = try await readSealed(reader, plaintextSize: plaintextSize, key: key, end: end)
                    offset += Int64(buffer.readableBytes)
                    return buffer
                }
                let want = Int(Swift.min(Int64(ObjectBody.readChunk), end - offset))
                turn ^= 1
                let buffer = try await reader.read(offset: offset, length: want, reuse: buffers[turn].take())
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

extension ObjectBodySequence.AsyncIterator {
    /// Sealed chunks read per step: 16 × 64 KiB, the size of a plain read.
    static let chunksPerRead: Int64 = 16

    /// The next plaintext of a sealed segment from `offset`: reads the chunks it overlaps (up to
    /// a megabyte of them), opens each, and trims to the segment's range.
    mutating func readSealed(_ reader: BlobReader, plaintextSize: Int64, key: SymmetricKey, end: Int64) async throws -> ByteBuffer {
        if prefix == nil {
            let header = try await reader.read(offset: 0, length: SealedChunks.headerSize, reuse: nil)
            prefix = try SealedChunks.prefix(fromHeader: Array(header.readableBytesView))
        }
        let chunk = Int64(SealedChunks.chunkSize)
        let first = offset / chunk
        let last = Swift.min(first + Self.chunksPerRead - 1, (end - 1) / chunk)
        let plainLength = { (index: Int64) in Swift.min(chunk, plaintextSize - index * chunk) }
        let start = SealedChunks.sealedOffset(ofChunk: first)
        let stop = SealedChunks.sealedOffset(ofChunk: last) + plainLength(last) + Int64(SealedChunks.tagSize)
        let sealed = try await reader.read(offset: start, length: Int(stop - start), reuse: nil)
        guard sealed.readableBytes == Int(stop - start) else { throw StoreError.internalFailure("blob shorter than its index entry") }
        var output = ByteBuffer()
        output.reserveCapacity(Int((last - first + 1) * chunk))
        var position = sealed.readerIndex
        for index in first...last {
            let length = Int(plainLength(index)) + SealedChunks.tagSize
            let slice = sealed.getSlice(at: position, length: length)!
            output.writeBytes(try SealedChunks.open(slice, index: index, prefix: prefix!, plaintextSize: plaintextSize, key: key))
            position += length
        }
        let skip = Int(offset - first * chunk)
        let take = Int(Swift.min(end, (last + 1) * chunk) - offset)
        return output.getSlice(at: output.readerIndex + skip, length: Swift.min(take, output.readableBytes - skip))!
    }
}
