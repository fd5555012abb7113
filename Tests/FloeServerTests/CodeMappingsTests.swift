import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

@testable import FloeServer

@Suite struct CodeMappingsTests {
    @Test func onlyUnmodifiedPrivateExecutableFileMappingsAreNamed() {
        let smaps = """
            55f6fa566000-55f6fc34a000 r-xp 00000000 08:01 1234                       /usr/local/bin/floe
            Size:              30608 kB
            Rss:               15040 kB
            Anonymous:             0 kB
            55f6fc34b000-55f6fc41f000 r--p 01de4000 08:01 1234                       /usr/local/bin/floe
            Anonymous:           848 kB
            55f6fc41f000-55f6fc614000 rw-p 01eb8000 08:01 1234                       /usr/local/bin/floe
            Anonymous:             0 kB
            55f6fe000000-55f6fe100000 rw-p 00000000 00:00 0                          [heap]
            Anonymous:            12 kB
            7f0000000000-7f0000021000 r-xp 00000000 00:00 0 
            Anonymous:             0 kB
            7f1000000000-7f1000200000 r-xp 00028000 08:01 99                         /opt/lib/with space/libswiftCore.so
            Rss:                5396 kB
            Anonymous:             0 kB
            7f1100000000-7f1100200000 r-xp 00028000 08:01 98                         /opt/lib/patched.so
            Anonymous:             4 kB
            7f1200000000-7f1200200000 r-xp 00028000 08:01 97                         /opt/lib/no-anonymous-line.so
            Rss:                  64 kB
            7f2000000000-7f2000001000 r-xs 00000000 08:01 77                         /dev/shm/shared-code
            Anonymous:             0 kB
            7ffd1000000-7ffd1002000 r-xp 00000000 00:00 0                            [vdso]
            Anonymous:             0 kB
            7f3000000000-7f2000000000 r-xp 00000000 08:01 5                          /backwards
            Anonymous:             0 kB
            """
        #expect(CodeMappings.unmodifiedCodeRanges(smaps[...]) == [0x55f6_fa56_6000..<0x55f6_fc34_a000, 0x7f10_0000_0000..<0x7f10_0020_0000])
    }

    /// The release unmaps the pages of a code mapping that nothing runs: a file mapped
    /// read-and-execute here, every page touched, has none resident afterwards, and reads the same.
    @Test func releaseEmptiesAnIdleCodeMapping() throws {
        let file = try ScratchFile(size: 1 << 20, byte: 0xC3)
        defer { file.remove() }
        let mapping = try #require(mmap(nil, file.size, PROT_READ | PROT_EXEC, MAP_PRIVATE, file.descriptor, 0))
        try #require(mapping != MAP_FAILED)
        defer { munmap(mapping, file.size) }
        let address = UInt(bitPattern: mapping)
        #expect(Self.sum(mapping, file.size) == 0xC3 * (file.size / 4096))
        #expect(try residentKiB(of: address) == file.size / 1024)

        let released = CodeMappings.release()
        #expect(released.bytes >= UInt(file.size))
        #expect(try residentKiB(of: address) == 0)
        #expect(Self.sum(mapping, file.size) == 0xC3 * (file.size / 4096))
    }

    /// A code page changed in this process (copied on write, as a debugger's breakpoint is) is
    /// not the file's: unmapping it would undo the change, so such a mapping is left whole.
    @Test func aMappingWithAChangedPageIsLeftAlone() throws {
        let file = try ScratchFile(size: 64 << 10, byte: 0x90)
        defer { file.remove() }
        let mapping = try #require(mmap(nil, file.size, PROT_READ | PROT_WRITE, MAP_PRIVATE, file.descriptor, 0))
        try #require(mapping != MAP_FAILED)
        defer { munmap(mapping, file.size) }
        _ = Self.sum(mapping, file.size)
        mapping.storeBytes(of: 0xCC, toByteOffset: 8192, as: UInt8.self)
        #expect(mprotect(mapping, file.size, PROT_READ | PROT_EXEC) == 0)
        let address = UInt(bitPattern: mapping)
        let before = try residentKiB(of: address)

        CodeMappings.release()
        #expect(mapping.load(fromByteOffset: 8192, as: UInt8.self) == 0xCC)
        #expect(try residentKiB(of: address) == before)
    }

    /// /proc files come in pieces: the whole of the smaps file is read, every code mapping named.
    @Test func readsAllOfAProcFile() throws {
        let smaps = try #require(CodeMappings.readProcFile("/proc/self/smaps", limit: 16 << 20))
        #expect(smaps.utf8.count > 65536, "a Swift test process's smaps runs past one read")
        #expect(CodeMappings.unmodifiedCodeRanges(smaps[...]).count > 10)
    }

    static func sum(_ mapping: UnsafeMutableRawPointer, _ size: Int) -> Int {
        stride(from: 0, to: size, by: 4096).reduce(0) { $0 &+ Int(mapping.load(fromByteOffset: $1, as: UInt8.self)) }
    }

    /// A file of one repeated byte, on the package's own disk.
    struct ScratchFile {
        let path: String
        let descriptor: Int32
        let size: Int

        init(size: Int, byte: UInt8) throws {
            self.size = size
            path = FileManager.default.currentDirectoryPath + "/.build/code-mapping-test-\(UInt64.random(in: 0...UInt64.max))"
            descriptor = open(path, O_RDWR | O_CREAT | O_EXCL, 0o600)
            try #require(descriptor >= 0)
            let bytes = [UInt8](repeating: byte, count: size)
            try #require(bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, size) } == size)
        }

        func remove() {
            close(descriptor)
            unlink(path)
        }
    }

    /// The `Rss:` of the mapping that starts at `address`, from /proc/self/smaps.
    private func residentKiB(of address: UInt) throws -> Int {
        let smaps = try #require(CodeMappings.readProcFile("/proc/self/smaps", limit: 16 << 20))
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
