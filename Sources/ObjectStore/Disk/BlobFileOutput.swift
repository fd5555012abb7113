import CSystemCalls
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A blob file being written, from a pool thread: long aligned stretches go straight to the
/// device (`O_DIRECT`, from a reused aligned buffer), the rest through the page cache.
///
/// An upload is made durable (fsync) before it is acknowledged, so the page cache saves it no
/// wait; what a buffered write costs is the copy into new page-cache pages. On the benchmark
/// machine that copy took 2.0–2.4 s of CPU per GiB when the cache grew (pages the VM had not
/// touched lately) and 0.17 s when it reused pages just freed; a direct write of the same GiB took
/// 0.08 s (docs/benchmarks.md). A new object's first GET then reads it from the disk, through the
/// cold-read path. Where the file system refuses direct I/O, every write goes through the page
/// cache as before.
struct BlobFileOutput {
    let fd: Int32
    let path: String
    /// Aligned buffers to write from; nil: never direct.
    let buffers: DirectWriteBuffers?
    /// Bytes in the file so far: the offset of the next write.
    private(set) var offset: Int64 = 0
    /// Of those, bytes written straight to the device.
    private(set) var directBytes: Int64 = 0
    /// `O_DIRECT` is set on `fd`.
    private var flagSet = false
    /// Fewer than `alignment` bytes held back after a direct write, so that the next write starts
    /// aligned too (a sealed upload comes in frames of 64 KiB + 16 bytes); written by the next
    /// write or by `finish`. Held only while the file's length is aligned.
    private var carry: [UInt8] = []

    init(fd: Int32, path: String, buffers: DirectWriteBuffers?) {
        self.fd = fd
        self.path = path
        self.buffers = buffers
    }

    mutating func write(_ bytes: UnsafeRawBufferPointer) throws(Posix.Failure) {
        guard !bytes.isEmpty else { return }
        if let buffers, !buffers.refusedByFileSystem {
            let total = carry.count + bytes.count
            let straight = DirectWritePlan.directLength(offset: offset, count: total, alignment: buffers.alignment, minimum: buffers.minimum)
            if straight > 0, setDirect(true) {
                let held = carry
                // Emptied first: a write that throws must not leave bytes it wrote held back too.
                carry = []
                let written = try writeDirect(held, bytes, count: straight, from: buffers)
                if written == straight {
                    // Fewer than `alignment` bytes left, all of them `bytes`' (what was held is shorter than `straight`).
                    carry = Array(UnsafeRawBufferPointer(rebasing: bytes[(straight - held.count)...]))
                    return
                }
                // Refused, or a short write left the offset unaligned: the rest goes buffered.
                if written < held.count { try writeBuffered(held[written...]) }
                return try writeBuffered(bytes, from: max(0, written - held.count))
            }
        }
        try finish()
        try writeBuffered(bytes, from: 0)
    }

    /// Writes what is held back; the file then holds every byte given.
    mutating func finish() throws(Posix.Failure) {
        guard !carry.isEmpty else { return }
        let held = carry
        carry = []
        try writeBuffered(held[...])
    }

    private mutating func writeBuffered(_ bytes: ArraySlice<UInt8>) throws(Posix.Failure) {
        var failure: Posix.Failure?
        bytes.withUnsafeBytes { raw in
            do throws(Posix.Failure) { try writeBuffered(raw, from: 0) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    private mutating func writeBuffered(_ bytes: UnsafeRawBufferPointer, from start: Int) throws(Posix.Failure) {
        guard start < bytes.count else { return }
        if flagSet, !setDirect(false) { throw Posix.Failure(call: "fcntl", path: path, errno: errno) }
        try Posix.writeAll(fd, UnsafeRawBufferPointer(rebasing: bytes[start...]), path: path)
        offset += Int64(bytes.count - start)
    }

    /// Sets or clears `O_DIRECT`; false when that failed (setting it where the file system will
    /// not take direct I/O also marks the store as refused).
    private mutating func setDirect(_ on: Bool) -> Bool {
        if flagSet == on { return true }
        guard floe_set_direct_io(fd, on ? 1 : 0) == 0 else {
            if on { buffers?.noteRefused() }
            return false
        }
        flagSet = on
        return true
    }

    /// Writes the first `count` bytes of `held` and `bytes` joined (at an aligned offset, an
    /// aligned count) through an aligned buffer, piece by piece; returns how many were written,
    /// fewer when the device refused them (the rest is then the page cache's) or a short write
    /// left the offset unaligned.
    private mutating func writeDirect(_ held: [UInt8], _ bytes: UnsafeRawBufferPointer, count: Int, from buffers: DirectWriteBuffers) throws(Posix.Failure) -> Int {
        guard let staging = buffers.take() else { return 0 }
        defer { buffers.give(staging) }
        var done = 0
        while done < count {
            let piece = min(buffers.size, count - done)
            // The piece's bytes: the rest of what was held back, then `bytes` from where they stand.
            let fromHeld = max(0, min(held.count - done, piece))
            if fromHeld > 0 { held.withUnsafeBytes { staging.copyMemory(from: $0.baseAddress! + done, byteCount: fromHeld) } }
            if piece > fromHeld {
                (staging + fromHeld).copyMemory(from: bytes.baseAddress! + (done + fromHeld - held.count), byteCount: piece - fromHeld)
            }
            var written = 0
            while written < piece {
                let n = Posix.writeOnce(fd, staging + written, piece - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    // Alignment stricter than ours, or a file system that takes the flag and
                    // not the write: nothing of this call was written.
                    if errno == EINVAL {
                        buffers.noteRefused()
                        return done + written
                    }
                    throw Posix.Failure(call: "write", path: path, errno: errno)
                }
                if n == 0 { throw Posix.Failure(call: "write", path: path, errno: EIO) }
                written += n
                offset += Int64(n)
                directBytes += Int64(n)
                if n % buffers.alignment != 0 { return done + written }
            }
            done += piece
        }
        return done
    }
}

/// How much of a write goes straight to the device: the longest aligned prefix, when the write
/// starts aligned and is long enough for it to pay.
enum DirectWritePlan {
    static func directLength(offset: Int64, count: Int, alignment: Int, minimum: Int) -> Int {
        guard alignment > 0, count >= minimum, offset % Int64(alignment) == 0 else { return 0 }
        return count - count % alignment
    }
}

/// Aligned buffers for direct writes, reused: a buffer made afresh for each write would be new
/// memory each time, which costs what the direct write saves. A few are kept between writes, and
/// `releaseIdle` frees them when the server goes quiet.
public final class DirectWriteBuffers: Sendable {
    /// Memory address, file offset and length alignment of a direct write: the largest logical
    /// block size of common devices (a stricter one is refused, and the blob written buffered).
    let alignment: Int
    /// Bytes of each buffer, and the most one direct write call carries.
    let size: Int
    /// Writes shorter than this go through the page cache.
    let minimum: Int
    /// Idle buffers kept for the next writes.
    let keep: Int
    private let idle = Mutex<[Address]>([])
    private let refused = Atomic<Bool>(false)

    private struct Address: @unchecked Sendable {
        let pointer: UnsafeMutableRawPointer
    }

    public init(size: Int = DiskBlobStore.writeChunk, alignment: Int = 4096, minimum: Int = 256 << 10, keep: Int = 4) {
        precondition(alignment >= MemoryLayout<UnsafeRawPointer>.size && alignment & (alignment - 1) == 0, "alignment must be a power of two, at least a pointer's size")
        precondition(size >= alignment && size % alignment == 0, "buffer size must be a multiple of the alignment")
        self.size = size
        self.alignment = alignment
        self.minimum = minimum
        self.keep = keep
    }

    deinit {
        releaseIdle()
    }

    /// A buffer of `size` bytes at an `alignment` address; nil when none can be had.
    func take() -> UnsafeMutableRawPointer? {
        if let kept = idle.withLock({ $0.popLast() }) { return kept.pointer }
        var made: UnsafeMutableRawPointer?
        guard posix_memalign(&made, alignment, size) == 0 else { return nil }
        return made
    }

    func give(_ buffer: UnsafeMutableRawPointer) {
        let kept = idle.withLock { idle in
            guard idle.count < keep else { return false }
            idle.append(Address(pointer: buffer))
            return true
        }
        if !kept { free(buffer) }
    }

    /// Frees the buffers no write holds.
    public func releaseIdle() {
        for address in idle.withLock({ idle in defer { idle.removeAll() }; return idle }) { free(address.pointer) }
    }

    /// The file system took `O_DIRECT` and refused a direct write (or refused the flag): later
    /// blobs do not try again, each paying a copy and two `fcntl`s for nothing.
    var refusedByFileSystem: Bool { refused.load(ordering: .relaxed) }

    func noteRefused() {
        refused.store(true, ordering: .relaxed)
    }

    /// Buffers kept idle now (tests).
    var idleCount: Int { idle.withLock { $0.count } }
}
