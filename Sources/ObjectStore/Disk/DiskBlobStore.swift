import CSystemCalls
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// Object bytes on local disk. A blob is written into a prepared empty file already at its place,
/// `objects/<aa>/<bb>/<id>`, whose name is durable (`PreparedBlobFiles`), and made durable
/// (fsync); when none is ready, it is written to `tmp/<id>`, made durable, then renamed into place
/// and the directory fsynced. Either way the index names it only once it is whole and durable, so
/// a crash leaves no blob the index names torn. Blob files are named by random ids, never by keys.
///
/// New ids have `0` as their first and third digits, so new blobs fall into 256 directories
/// (`objects/0x/0y`), made once when the store opens: a write never creates a directory, whose
/// creation costs two more fsyncs (the directory's parent, and its parent's when that is new
/// too), and a store does not grow 65,536 directories of 4 KiB each. Blobs of older ids stay
/// where they are; their directories are made on demand as before.
public final class DiskBlobStore: Sendable {
    public let root: String
    let threadPool: NIOThreadPool
    let reclaimer: BlobReclaimer
    /// Blobs resolved by readers and not yet opened, kept until they let go (`ObjectBody`).
    let pins: BlobPins
    /// Pool threads that cold reads may take at once (`BlobReader.loadIntoPageCache`), so that
    /// uploads' writes and fsyncs and every GET's `open` always find threads free.
    let coldReads: SlotLimit
    let prepared: PreparedBlobFiles
    /// Buffers for the writes that go straight to the device (`BlobFileOutput`); nil: none do.
    public let directWrites: DirectWriteBuffers?
    /// Bytes gathered before each write(2).
    public static let writeChunk = 1 << 20

    var tempDirectory: String { root + "/tmp" }
    var objectsDirectory: String { root + "/objects" }

    /// - Parameters:
    ///   - reclaimLimit: how many replaced blobs may wait to be unlinked in the background.
    ///   - coldReadThreads: how many of `threadPool`'s threads cold reads may take at once; half
    ///     of the server's blob pool.
    ///   - preparedFiles: how many empty blob files to keep ready (`PreparedBlobFiles`); 0 writes
    ///     every blob through `tmp/`.
    ///   - directWrites: buffers for writing long stretches of blobs straight to the device; nil
    ///     writes every byte through the page cache, as does a store in memory (tmpfs).
    ///   - logger: where the store tells what it could not do in the background.
    public init(
        root: String, threadPool: NIOThreadPool = .singleton, reclaimLimit: Int = 4096, coldReadThreads: Int = 4, preparedFiles: Int = 0,
        directWrites: DirectWriteBuffers? = DirectWriteBuffers(), logger: Logger? = nil
    ) throws {
        self.root = root
        self.threadPool = threadPool
        self.coldReads = SlotLimit(slots: coldReadThreads)
        self.prepared = PreparedBlobFiles(target: preparedFiles, logger: logger)
        let pins = BlobPins()
        self.pins = pins
        self.reclaimer = BlobReclaimer(threadPool: threadPool, limit: reclaimLimit) { path in
            try? Posix.unlinkIfPresent(path)
            pins.unlinked(CollectionOfOne(path))
        }
        do {
            try Posix.makeDirectories(root + "/tmp")
            try Posix.makeDirectories(root + "/objects")
            try Self.makeBlobDirectories(objects: root + "/objects")
        } catch {
            throw StoreError.internalFailure("cannot create data directories under \(root): \(error)")
        }
        self.directWrites = floe_is_in_memory_file_system(root) == 1 ? nil : directWrites
    }

    static let hexDigits = Array("0123456789abcdef")

    /// `objects/0x/0y` for every hex x and y; what is new is made durable before a blob goes in.
    static func makeBlobDirectories(objects: String) throws(Posix.Failure) {
        var createdTop = false
        for x in hexDigits {
            let parent = "\(objects)/0\(x)"
            let createdParent = try Posix.makeDirectory(parent)
            createdTop = createdTop || createdParent
            var createdLeaf = false
            for y in hexDigits { createdLeaf = try Posix.makeDirectory("\(parent)/0\(y)") || createdLeaf }
            if createdLeaf { try Posix.fsyncDirectory(parent) }
        }
        if createdTop { try Posix.fsyncDirectory(objects) }
    }

    /// A random id (120 random bits) whose blob goes into one of the directories made at start.
    static func newBlobID() -> String {
        var digits = Array(RandomID.make().utf8)
        digits[0] = UInt8(ascii: "0")
        digits[2] = UInt8(ascii: "0")
        return String(decoding: digits, as: UTF8.self)
    }

    func finalPath(_ blobID: String) -> (directory: String, file: String) {
        let a = blobID.prefix(2)
        let b = blobID.dropFirst(2).prefix(2)
        let directory = "\(objectsDirectory)/\(a)/\(b)"
        return (directory, "\(directory)/\(blobID)")
    }

    public func beginWrite() async throws(StoreError) -> BlobWriter {
        if let id = prepared.take(store: self) {
            let path = finalPath(id).file
            if let fd = try? await threadPool.runIfActive({ try Posix.openExistingForWriting(path, mode: PreparedBlobFiles.blobMode) }) {
                return BlobWriter(store: self, blobID: id, path: path, inPlace: true, fd: fd)
            }
            _ = try? await threadPool.runIfActive { try? Posix.unlinkIfPresent(path) }
            prepared.release(id)
        }
        let id = Self.newBlobID()
        let path = "\(tempDirectory)/\(id)"
        do {
            let fd = try await threadPool.runIfActive { try Posix.openForWriting(path) }
            return BlobWriter(store: self, blobID: id, path: path, inPlace: false, fd: fd)
        } catch {
            throw .internalFailure("cannot create temporary file: \(error)")
        }
    }

    /// Runs `body` on the thread pool, or on the caller when the pool will not (stopped, or the
    /// task cancelled while it waited): for what must happen whatever the pool does, such as
    /// closing a descriptor.
    func onPoolOrHere(_ body: @escaping @Sendable () -> Void) async {
        let closure = PoolClosureRan()
        _ = try? await threadPool.runIfActive {
            closure.ran = true
            body()
        }
        if !closure.ran { body() }
    }

    /// Opens a blob for reading; nil when it no longer exists (replaced and deleted meanwhile).
    public func open(_ blobID: String) async throws(StoreError) -> BlobReader? {
        try await open(path: finalPath(blobID).file)
    }

    func open(path: String) async throws(StoreError) -> BlobReader? {
        do {
            return try await threadPool.runIfActive { () throws -> BlobReader? in
                guard let fd = try Posix.openForReading(path) else { return nil }
                return BlobReader(fd: fd, path: path, size: try Posix.fileSize(fd, path: path), threadPool: self.threadPool, coldReads: self.coldReads)
            }
        } catch {
            throw .internalFailure("cannot open blob: \(error)")
        }
    }

    /// Pins blobs (`BlobPins`) against unlinking until `unpin`; false, pinning none, when one of
    /// them is being unlinked (its version replaced meanwhile).
    func pin(paths: [String]) -> Bool {
        pins.pin(paths)
    }

    /// The sizes of blob files; nil when one of them is gone.
    func sizes(of paths: some Collection<String> & Sendable) async throws(StoreError) -> [Int64]? {
        let sizes: [Int64?]
        do {
            sizes = try await threadPool.runIfActive { try paths.map { path throws(Posix.Failure) in try Posix.fileSize(path: path) } }
        } catch {
            throw .internalFailure("cannot look up blobs: \(error)")
        }
        guard !sizes.contains(nil) else { return nil }
        return sizes.map { $0! }
    }

    /// Lets go of pinned blobs; those deleted meanwhile are unlinked now, in the background.
    func unpin(paths: [String]) {
        let released = pins.unpin(paths)
        guard !released.isEmpty, !reclaimer.offer(released) else { return }
        Task { await unlinkClaimed(released) }
    }

    /// Deletes blobs that no version references any more; those that readers have pinned, once
    /// the readers let go. Failures are left for the startup sweep.
    public func delete(_ blobIDs: [String]) async {
        guard !blobIDs.isEmpty else { return }
        await unlinkClaimed(pins.claim(blobIDs.map { finalPath($0).file }))
    }

    private func unlinkClaimed(_ paths: [String]) async {
        guard !paths.isEmpty else { return }
        _ = try? await threadPool.runIfActive {
            for path in paths { try? Posix.unlinkIfPresent(path) }
        }
        pins.unlinked(paths)
    }

    /// Deletes blobs that no version references any more in the background (`BlobReclaimer`), so
    /// that the caller need not wait for the file system; past the reclaimer's bound, before
    /// returning, as `delete` does.
    public func deleteLater(_ blobIDs: [String]) async {
        guard !blobIDs.isEmpty else { return }
        let claimed = pins.claim(blobIDs.map { finalPath($0).file })
        if claimed.isEmpty || reclaimer.offer(claimed) { return }
        await unlinkClaimed(claimed)
    }

    /// Waits, at most `timeout`, until every blob handed to `deleteLater` before the call is
    /// deleted; returns how many of them are left.
    @discardableResult
    public func settle(within timeout: Duration = .seconds(60)) async -> Int {
        await reclaimer.settle(within: timeout)
    }

    /// Removes every temporary file: run at startup, under the data directory's lock and before
    /// the listener opens, so no upload is in flight. Costs one pass over `tmp/`, nothing per object.
    /// The cutoff for `sweepOrphans` when this process starts now: file times come from a coarse
    /// kernel clock that may lag the wall clock by a tick, so the cutoff lies 100 ms earlier.
    public static func orphanCutoff() -> Int64 { Posix.nowNanoseconds() - 100_000_000 }

    public func sweepTemporary() -> Int {
        let tmp = tempDirectory
        let temporary = Posix.listDirectory(tmp)
        for name in temporary { try? Posix.unlinkIfPresent("\(tmp)/\(name)") }
        return temporary.count
    }

    /// Removes blobs that `referenced` does not name and that were last written before
    /// `writtenBefore` (nanoseconds since 1970): the leftovers of a crash between a blob's rename
    /// and its index commit. Run in the background after startup: a blob this process is writing
    /// is newer than its start, so it is never taken. Asks `referenced` about 500 blobs at a time.
    public func sweepOrphans(
        writtenBefore: Int64, referenced: ([String]) async throws(StoreError) -> Set<String>
    ) async throws(StoreError) -> Int {
        // Directory reads, stats and unlinks run on the blob thread pool, never on the caller's
        // thread: tasks run on the event loops, and a cold tree of 65,536 directories is slow.
        let pool = threadPool
        func onPool<T: Sendable>(_ body: @escaping @Sendable () -> T) async throws(StoreError) -> T {
            do {
                return try await pool.runIfActive(body)
            } catch {
                throw .internalFailure("orphan sweep: \(error)")
            }
        }
        let (root, pins, prepared) = (objectsDirectory, pins, prepared)
        var orphans = 0
        for a in try await onPool({ Posix.listDirectory(root) }) {
            for b in try await onPool({ Posix.listDirectory("\(root)/\(a)") }) {
                let directory = "\(root)/\(a)/\(b)"
                let names = try await onPool { Posix.listDirectory(directory) }
                var start = 0
                while start < names.count {
                    let batch = Array(names[start..<min(start + 500, names.count)])
                    start += 500
                    let known = try await referenced(batch)
                    // A file this process prepared or is writing is never an orphan, whatever
                    // its time says (the wall clock may have stepped back since the start).
                    let unknown = batch.filter { !known.contains($0) && !prepared.isOutstanding($0) }
                    orphans += try await onPool {
                        var removed = 0
                        for name in unknown {
                            let path = "\(directory)/\(name)"
                            guard let written = Posix.modificationTime(path), written < writtenBefore else { continue }
                            // A blob a reader has pinned belongs to a version replaced meanwhile,
                            // whose own delete unlinks it when the reader lets go.
                            guard !pins.claim([path], waitForPins: false).isEmpty else { continue }
                            try? Posix.unlinkIfPresent(path)
                            pins.unlinked(CollectionOfOne(path))
                            removed += 1
                        }
                        return removed
                    }
                }
            }
        }
        return orphans
    }
}

/// One blob being written. Owned by a single task; call `commit` or `discard` exactly once.
public final class BlobWriter: @unchecked Sendable {
    let store: DiskBlobStore
    public let blobID: String
    /// The file written: a prepared one at the blob's place, or `tmp/<id>`.
    let path: String
    /// Written into a prepared file at its place: nothing to rename when done.
    let inPlace: Bool
    private(set) var fd: Int32?
    /// Where the bytes go; used only on pool threads, one call at a time (the owning task awaits each).
    private var output: BlobFileOutput
    private var pending: ByteBuffer
    /// The blob is durable and in place (`finish`): `commit` has nothing left to do.
    private(set) var isPlaced = false

    init(store: DiskBlobStore, blobID: String, path: String, inPlace: Bool, fd: Int32) {
        self.store = store
        self.blobID = blobID
        self.path = path
        self.inPlace = inPlace
        self.fd = fd
        self.output = BlobFileOutput(fd: fd, path: path, buffers: store.directWrites)
        self.pending = ByteBuffer()
    }

    /// Bytes of the blob written straight to the device so far (tests).
    var directBytes: Int64 { output.directBytes }

    /// Writes `buffer` when it fills a chunk (as it is, when nothing is pending before it), else
    /// keeps it until the pending bytes do. Returns once nothing still refers to `buffer`.
    public func append(_ buffer: ByteBuffer) async throws(StoreError) {
        guard fd != nil else { throw .internalFailure("blob already finished") }
        guard buffer.readableBytes > 0 else { return }
        if pending.readableBytes == 0, buffer.readableBytes >= DiskBlobStore.writeChunk {
            return try await write(buffer)
        }
        var buffer = buffer
        if pending.capacity == 0 { pending.reserveCapacity(DiskBlobStore.writeChunk) }
        pending.writeBuffer(&buffer)
        if pending.readableBytes >= DiskBlobStore.writeChunk {
            try await flush()
        }
    }

    private func flush() async throws(StoreError) {
        guard pending.readableBytes > 0 else { return }
        try await write(pending)
        pending.clear()
    }

    private func write(_ chunk: ByteBuffer) async throws(StoreError) {
        guard fd != nil else { return }
        do {
            try await store.threadPool.runIfActive { [self] in
                try chunk.withUnsafeReadableBytes { bytes throws(Posix.Failure) in try output.write(bytes) }
            }
        } catch {
            throw .internalFailure("write failed: \(error)")
        }
    }

    /// Writes what is pending and then `last`, makes the blob durable and moves it into place, in
    /// one trip to the thread pool. Given an upload's last bytes while their MD5 is still being
    /// taken, so that the fsyncs and the rename overlap the hashing instead of following it. A
    /// blob in place that the index never names is removed by `discard`, or after a crash by the
    /// startup's orphan sweep.
    public func finish(appending last: ByteBuffer = ByteBuffer()) async throws(StoreError) {
        guard let fd else { throw .internalFailure("blob already finished") }
        self.fd = nil
        defer { if inPlace { store.prepared.release(blobID) } }
        let closure = PoolClosureRan()
        do {
            try await store.threadPool.runIfActive { [pending, self] in
                closure.ran = true
                // Closed however this ends: a descriptor left open keeps an unlinked file's blocks.
                defer { Posix.close(fd) }
                for chunk in [pending, last] where chunk.readableBytes > 0 {
                    try chunk.withUnsafeReadableBytes { bytes throws(Posix.Failure) in try output.write(bytes) }
                }
                try output.finish()
                try place(fd)
            }
        } catch {
            if !closure.ran { Posix.close(fd) }
            // A failure after the rename (a directory's fsync) leaves the file in place, where
            // no one would look for it: neither name is kept.
            try? Posix.unlinkIfPresent(path)
            try? Posix.unlinkIfPresent(store.finalPath(blobID).file)
            throw .internalFailure("cannot commit blob: \(error)")
        }
        pending.clear()
        isPlaced = true
    }

    /// Makes the blob durable and moves it into place. After this returns the blob survives a crash.
    public func commit() async throws(StoreError) {
        if isPlaced { return }
        try await finish()
    }

    /// On a pool thread: fsync, and for a temporary file rename into place and fsync the
    /// directory (and what was made).
    private func place(_ fd: Int32) throws(Posix.Failure) {
        try Posix.fsync(fd, path: path)
        if inPlace { return }
        let (directory, file) = store.finalPath(blobID)
        let parent = String(directory[..<directory.lastIndex(of: "/")!])
        let createdParent = try Posix.makeDirectory(parent)
        let created = try Posix.makeDirectory(directory)
        try Posix.rename(path, file)
        try Posix.fsyncDirectory(directory)
        if created { try Posix.fsyncDirectory(parent) }
        if createdParent { try Posix.fsyncDirectory(store.objectsDirectory) }
    }

    /// Throws the bytes away, in place or not.
    public func discard() async {
        if isPlaced { return await store.delete([blobID]) }
        let fd = self.fd
        self.fd = nil
        let path = path
        await store.onPoolOrHere {
            if let fd { Posix.close(fd) }
            try? Posix.unlinkIfPresent(path)
        }
        if inPlace { store.prepared.release(blobID) }
    }
}

/// Whether a closure handed to the thread pool ran: the pool skips it once it has stopped, or when
/// the task awaiting it is cancelled while it waits, and what it would have closed is then the
/// caller's to close. Read only after the pool call returned.
final class PoolClosureRan: @unchecked Sendable {
    var ran = false
}

/// A buffer passed to the thread that reads into it, without a second reference staying behind.
final class SpareBuffer: @unchecked Sendable {
    var buffer: ByteBuffer?
    init(_ buffer: ByteBuffer?) { self.buffer = buffer }
}

/// An open blob. Reads run on the thread pool; close when done.
public final class BlobReader: Sendable {
    let fd: Int32
    let path: String
    public let size: Int64
    let threadPool: NIOThreadPool
    let coldReads: SlotLimit
    /// A read through memory (`read`) has found its range not in the page cache.
    private let foundCold = Atomic<Bool>(false)
    /// Counts the cold reads running on the pool for the task it is set on (tests).
    @TaskLocal static var coldReadTracker: RunningCount?

    init(fd: Int32, path: String, size: Int64, threadPool: NIOThreadPool, coldReads: SlotLimit) {
        self.fd = fd
        self.path = path
        self.size = size
        self.threadPool = threadPool
        self.coldReads = coldReads
    }

    /// Reads `length` bytes at `offset` (fewer only at end of file) into `reuse` when given and no
    /// longer shared (its memory is written over), else into a new buffer.
    /// A range not in the page cache is read once one of the store's `coldReads` slots is free,
    /// as `loadIntoPageCache` does: sealed bodies, copies' sources and bodies sent over TLS come
    /// this way, and without it sixteen such readers filled the pool (helper-97).
    public func read(offset: Int64, length: Int, reuse: consuming ByteBuffer? = nil) async throws(StoreError) -> ByteBuffer {
        let fd = self.fd
        let path = self.path
        // Handed over in a box so the reading thread holds the only reference to it.
        let spare = SpareBuffer(reuse.take())
        // Once one read found its range cold, every later one takes a slot: the kernel's
        // readahead makes the next range look cached while its pages are still being read, and a
        // read of those waits for the disk as long (helper-97's SSE-C readers, sampled in D).
        let cold = foundCold.load(ordering: .relaxed) || !PageCache.holds(descriptor: fd, offset: offset, length: Swift.min(Int64(length), size - offset))
        if cold { foundCold.store(true, ordering: .relaxed) }
        let slot = cold ? await coldReads.acquire() : false
        defer { if slot { coldReads.release() } }
        let tracker = slot ? Self.coldReadTracker : nil
        do {
            return try await threadPool.runIfActive {
                tracker?.enter()
                defer { tracker?.leave() }
                var buffer: ByteBuffer
                if var reused = spare.buffer.take(), reused.capacity >= length {
                    reused.clear()  // copy-on-write: allocates only if the last chunk is still being sent
                    buffer = reused
                } else {
                    buffer = ByteBufferAllocator().buffer(capacity: length)
                }
                _ = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { raw throws(Posix.Failure) in
                    try Posix.readFully(fd, into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<length]), offset: offset, path: path)
                }
                return buffer
            }
        } catch {
            throw .internalFailure("read failed: \(error)")
        }
    }

    /// Reads the range into the page cache on the thread pool (`PageCache.load`), once one of the
    /// store's `coldReads` slots is free and if `wanted` still says so then: a GET whose client
    /// left while it waited gives its slot on at once. Returns `wanted()`.
    func loadIntoPageCache(offset: Int64, length: Int64, while wanted: () -> Bool = { true }) async -> Bool {
        await Self.load(descriptor: fd, offset: offset, length: length, threadPool: threadPool, slots: coldReads, while: wanted)
    }

    @discardableResult
    private static func load(
        descriptor: Int32, offset: Int64, length: Int64, threadPool: NIOThreadPool, slots: SlotLimit, while wanted: () -> Bool = { true }
    ) async -> Bool {
        guard await slots.acquire() else { return wanted() }
        defer { slots.release() }
        guard !Task.isCancelled, wanted() else { return wanted() }
        let tracker = coldReadTracker
        _ = try? await threadPool.runIfActive {
            tracker?.enter()
            defer { tracker?.leave() }
            PageCache.load(descriptor: descriptor, offset: offset, length: length)
        }
        return wanted()
    }

    /// Starts reading the range into the page cache on the thread pool, from a duplicate of the
    /// descriptor that the read closes: it may outlive this reader, and then ends on its own
    /// after at most `length` bytes, or at once when cancelled before it starts (a client gone
    /// mid-body: `ObjectBody.CachedSlices.cancel`), or while it waits for a slot. nil when no
    /// duplicate can be made.
    func startLoadingIntoPageCache(offset: Int64, length: Int64) -> Task<Void, Never>? {
        let duplicate = fcntl(fd, F_DUPFD_CLOEXEC, 0)
        guard duplicate >= 0 else { return nil }
        let (threadPool, slots) = (self.threadPool, coldReads)
        return Task {
            await Self.load(descriptor: duplicate, offset: offset, length: length, threadPool: threadPool, slots: slots)
            Posix.close(duplicate)
        }
    }

    public func close() {
        Posix.close(fd)
    }
}
