#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Thin blocking wrappers over the system calls the disk store needs. Callers run them on a
/// thread pool, never on an event loop.
enum Posix {
    struct Failure: Error, CustomStringConvertible {
        let call: String
        let path: String
        let errno: Int32
        var description: String { "\(call)(\(path)) failed: \(String(cString: strerror(errno)))" }
    }

    static func check(_ result: Int32, _ call: String, _ path: String) throws(Failure) -> Int32 {
        if result < 0 { throw Failure(call: call, path: path, errno: errno) }
        return result
    }

    static func openForWriting(_ path: String, mode: mode_t = 0o644) throws(Failure) -> Int32 {
        var fd: Int32
        repeat { fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode) } while fd < 0 && errno == EINTR
        return try check(fd, "open", path)
    }

    /// An existing file (a prepared blob file), for writing, its mode made `mode`.
    static func openExistingForWriting(_ path: String, mode: mode_t) throws(Failure) -> Int32 {
        var fd: Int32
        repeat { fd = open(path, O_WRONLY | O_CLOEXEC) } while fd < 0 && errno == EINTR
        fd = try check(fd, "open", path)
        if fchmod(fd, mode) != 0 {
            let failure = Failure(call: "fchmod", path: path, errno: errno)
            close(fd)
            throw failure
        }
        return fd
    }

    /// nil when the file does not exist.
    static func openForReading(_ path: String) throws(Failure) -> Int32? {
        var fd: Int32
        repeat { fd = open(path, O_RDONLY | O_CLOEXEC) } while fd < 0 && errno == EINTR
        if fd < 0 && errno == ENOENT { return nil }
        return try check(fd, "open", path)
    }

    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(Failure) {
        var offset = 0
        while offset < bytes.count {
            let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure(call: "write", path: path, errno: errno)
            }
            if n == 0 { throw Failure(call: "write", path: path, errno: EIO) }
            offset += n
        }
    }

    /// One write(2): the bytes written, or -1 with errno.
    static func writeOnce(_ fd: Int32, _ pointer: UnsafeRawPointer, _ count: Int) -> Int {
        write(fd, pointer, count)
    }

    /// Reads up to `count` bytes at `offset`; fewer only at end of file.
    static func readFully(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, offset: Int64, path: String) throws(Failure) -> Int {
        var done = 0
        while done < buffer.count {
            let n = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure(call: "pread", path: path, errno: errno)
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    static func fsync(_ fd: Int32, path: String) throws(Failure) {
        _ = try check(Glibc.fsync(fd), "fsync", path)
    }

    static func fsyncDirectory(_ path: String) throws(Failure) {
        let fd = try check(open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), "open", path)
        defer { close(fd) }
        _ = try check(Glibc.fsync(fd), "fsync", path)
    }

    static func rename(_ from: String, _ to: String) throws(Failure) {
        _ = try check(Glibc.rename(from, to), "rename", to)
    }

    /// Removes a file; a missing file is not an error.
    static func unlinkIfPresent(_ path: String) throws(Failure) {
        if unlink(path) < 0 && errno != ENOENT { throw Failure(call: "unlink", path: path, errno: errno) }
    }

    /// Creates a directory; returns true when it was created, false when it already existed.
    @discardableResult
    static func makeDirectory(_ path: String) throws(Failure) -> Bool {
        if mkdir(path, 0o755) == 0 { return true }
        if errno == EEXIST { return false }
        throw Failure(call: "mkdir", path: path, errno: errno)
    }

    static func makeDirectories(_ path: String) throws(Failure) {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            try makeDirectory(current)
        }
    }

    static func fileSize(_ fd: Int32, path: String) throws(Failure) -> Int64 {
        var info = stat()
        _ = try check(fstat(fd, &info), "fstat", path)
        return Int64(info.st_size)
    }

    /// nil when the file does not exist; other failures throw.
    static func fileSize(path: String) throws(Failure) -> Int64? {
        var info = stat()
        if stat(path, &info) != 0 {
            if errno == ENOENT { return nil }
            _ = try check(-1, "stat", path)
        }
        return Int64(info.st_size)
    }

    /// Last modification, nanoseconds since 1970; nil when the file is gone.
    static func modificationTime(_ path: String) -> Int64? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
    }

    /// The wall clock, nanoseconds since 1970 (the clock file times are kept in).
    public static func nowNanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }

    /// A clock that never steps back, nanoseconds.
    static func monotonicNanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }

    /// Names in a directory (without `.` and `..`); empty when it does not exist.
    static func listDirectory(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }
}
