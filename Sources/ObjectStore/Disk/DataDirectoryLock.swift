#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive lock on a data directory, held for the life of the process: a second server on
/// the same directory (an overlapping restart) would sweep the first one's temporary files and
/// blobs. The kernel drops the lock when the process ends, however it ends.
public final class DataDirectoryLock: Sendable {
    public struct InUse: Error, CustomStringConvertible {
        public let directory: String
        public let holder: String
        public var description: String {
            "the data directory \(directory) is in use by another floe server\(holder.isEmpty ? "" : " (pid \(holder))"); stop it first or choose another --data directory"
        }
    }

    private let fd: Int32

    /// Takes the lock on `<directory>/floe.lock` (created if needed) or throws `InUse` at once.
    public init(directory: String) throws {
        let path = directory + "/floe.lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Posix.Failure(call: "open", path: path, errno: errno) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let lockErrno = errno
            var buffer = [UInt8](repeating: 0, count: 32)
            let count = pread(fd, &buffer, 31, 0)
            Posix.close(fd)
            guard lockErrno == EWOULDBLOCK else { throw Posix.Failure(call: "flock", path: path, errno: lockErrno) }
            let holder = String(decoding: buffer.prefix(max(count, 0)).filter { $0 >= 0x30 && $0 <= 0x39 }, as: UTF8.self)
            throw InUse(directory: directory, holder: holder)
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        self.fd = fd
    }

    deinit { Posix.close(fd) }
}
