import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

@testable import FloeServer

@Suite struct CodeMappingsTests {
    @Test func onlyPrivateExecutableFileMappingsAreNamed() {
        let maps = """
            55f6fa566000-55f6fc34a000 r-xp 00000000 08:01 1234                       /usr/local/bin/floe
            55f6fc34b000-55f6fc41f000 r--p 01de4000 08:01 1234                       /usr/local/bin/floe
            55f6fc41f000-55f6fc614000 rw-p 01eb8000 08:01 1234                       /usr/local/bin/floe
            55f6fe000000-55f6fe100000 rw-p 00000000 00:00 0                          [heap]
            7f0000000000-7f0000021000 r-xp 00000000 00:00 0 
            7f1000000000-7f1000200000 r-xp 00028000 08:01 99                         /opt/lib/with space/libswiftCore.so
            7f2000000000-7f2000001000 r-xs 00000000 08:01 77                         /dev/shm/shared-code
            7ffd1000000-7ffd1002000 r-xp 00000000 00:00 0                            [vdso]
            garbage line
            7f3000000000-7f2000000000 r-xp 00000000 08:01 5                          /backwards
            """
        let ranges = CodeMappings.executableFileRanges(maps[...])
        #expect(ranges == [0x55f6_fa56_6000..<0x55f6_fc34_a000, 0x7f10_0000_0000..<0x7f10_0020_0000])
    }

    /// The release hands back the pages of a code mapping that nothing runs: a file mapped
    /// read-and-execute here, every page touched, has none resident afterwards.
    @Test func releaseEmptiesAnIdleCodeMapping() throws {
        // On the package's own disk: pages of a tmpfs file have no file to go back to.
        let path = FileManager.default.currentDirectoryPath + "/.build/code-mapping-test-\(UInt64.random(in: 0...UInt64.max))"
        let size = 1 << 20
        let descriptor = open(path, O_RDWR | O_CREAT | O_EXCL, 0o600)
        try #require(descriptor >= 0)
        defer { close(descriptor); unlink(path) }
        let bytes = [UInt8](repeating: 0xC3, count: size)
        #expect(bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, size) } == size)
        #expect(fsync(descriptor) == 0)  // clean pages, which reclaim drops without writing
        let mapping = try #require(mmap(nil, size, PROT_READ | PROT_EXEC, MAP_PRIVATE, descriptor, 0))
        try #require(mapping != MAP_FAILED)
        defer { munmap(mapping, size) }
        let address = UInt(bitPattern: mapping)
        var sum = 0
        for offset in stride(from: 0, to: size, by: 4096) { sum &+= Int(mapping.load(fromByteOffset: offset, as: UInt8.self)) }
        #expect(sum == 0xC3 * (size / 4096))
        #expect(try residentKiB(of: address) == size / 1024)

        let released = CodeMappings.release()
        #expect(released.bytes >= UInt(size))
        #expect(try residentKiB(of: address) == 0)
    }

    /// /proc files come in pieces: the whole of the maps file is read, every code mapping named.
    @Test func readsAllOfAProcFile() throws {
        let maps = try #require(CodeMappings.readProcFile("/proc/self/maps"))
        #expect(maps.utf8.count > 8192 && maps.split(separator: "\n").count > 100, "a Swift test process maps more than 100 regions")
        #expect(CodeMappings.executableFileRanges(maps[...]).count > 10)
    }

    /// The `Rss:` of the mapping that starts at `address`, from /proc/self/smaps.
    private func residentKiB(of address: UInt) throws -> Int {
        let smaps = try #require(CodeMappings.readProcFile("/proc/self/smaps"))
        let header = String(address, radix: 16) + "-"
        var inMapping = false
        for line in smaps.split(separator: "\n") {
            if line.first?.isHexDigit == true, line.contains("-") {
                inMapping = line.hasPrefix(header)
            } else if inMapping, line.hasPrefix("Rss:") {
                return try #require(Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]))
            }
        }
        throw MappingNotFound()
    }

    struct MappingNotFound: Error {}
}
