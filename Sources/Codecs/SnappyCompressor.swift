extension Snappy {
    /// Snappy matches never reach across a 64 KiB block, so every offset fits a 2-byte copy.
    private static let blockSize = 1 << 16
    private static let maxHashBits = 14

    static func maxCompressedLength(_ count: Int) -> Int { 32 + count + count / 6 }

    static func compress(_ input: UnsafeRawBufferPointer) -> [UInt8] {
        let n = input.count
        let capacity = maxCompressedLength(n)
        return [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
            guard let dst = buffer.baseAddress else { return }
            var op = 0
            var length = UInt32(truncatingIfNeeded: n)
            while length >= 0x80 {
                dst[op] = UInt8(truncatingIfNeeded: length) | 0x80
                length >>= 7
                op += 1
            }
            dst[op] = UInt8(length)
            op += 1
            if let src = input.baseAddress?.assumingMemoryBound(to: UInt8.self), n > 0 {
                let table = UnsafeMutablePointer<Int32>.allocate(capacity: 1 << maxHashBits)
                defer { table.deallocate() }
                var blockStart = 0
                while blockStart < n {
                    let blockEnd = min(n, blockStart + blockSize)
                    op = compressBlock(src, blockStart, blockEnd, dst, op, table)
                    blockStart = blockEnd
                }
            }
            initialized = op
        }
    }

    @inline(__always)
    private static func load32(_ p: UnsafePointer<UInt8>, _ i: Int) -> UInt32 {
        UnsafeRawPointer(p + i).loadUnaligned(as: UInt32.self)
    }

    @inline(__always)
    private static func hash(_ v: UInt32, _ shift: UInt32) -> Int { Int((v &* 0x1E35_A7BD) >> shift) }

    /// Greedy LZ77 over one block with a 4-byte hash table; skips faster through incompressible data.
    private static func compressBlock(
        _ src: UnsafePointer<UInt8>, _ start: Int, _ end: Int, _ dst: UnsafeMutablePointer<UInt8>, _ startOp: Int,
        _ table: UnsafeMutablePointer<Int32>
    ) -> Int {
        var op = startOp
        var nextEmit = start
        // Leave room so 4-byte loads never pass the block end.
        let inputLimit = end - 4
        if end - start >= 15 {
            // A table no bigger than the block keeps small inputs from paying for a full reset.
            var hashBits = 8
            while hashBits < maxHashBits && 1 << hashBits < end - start { hashBits += 1 }
            let shift = UInt32(32 - hashBits)
            table.initialize(repeating: -1, count: 1 << hashBits)
            var ip = start + 1
            var skip = 32
            while ip <= inputLimit {
                let current = load32(src, ip)
                let h = hash(current, shift)
                let candidate = Int(table[h])
                table[h] = Int32(ip)
                guard candidate >= start, load32(src, candidate) == current else {
                    ip += skip >> 5
                    skip += 1
                    continue
                }
                op = emitLiteral(src, nextEmit, ip - nextEmit, dst, op)
                var matchEnd = ip + 4
                var other = candidate + 4
                while matchEnd < end && src[matchEnd] == src[other] {
                    matchEnd += 1
                    other += 1
                }
                op = emitCopy(offset: ip - candidate, length: matchEnd - ip, dst, op)
                if matchEnd <= inputLimit { table[hash(load32(src, matchEnd - 1), shift)] = Int32(matchEnd - 1) }
                ip = matchEnd
                nextEmit = ip
                skip = 32
            }
        }
        return emitLiteral(src, nextEmit, end - nextEmit, dst, op)
    }

    private static func emitLiteral(
        _ src: UnsafePointer<UInt8>, _ from: Int, _ count: Int, _ dst: UnsafeMutablePointer<UInt8>, _ startOp: Int
    ) -> Int {
        guard count > 0 else { return startOp }
        var op = startOp
        let n = count - 1
        if n < 60 {
            dst[op] = UInt8(n << 2)
            op += 1
        } else {
            var bytes = 1
            while bytes < 4 && n >> (8 * bytes) != 0 { bytes += 1 }
            dst[op] = UInt8((59 + bytes) << 2)
            op += 1
            for i in 0..<bytes { dst[op + i] = UInt8(truncatingIfNeeded: n >> (8 * i)) }
            op += bytes
        }
        (dst + op).update(from: src + from, count: count)
        return op + count
    }

    private static func emitCopy(offset: Int, length: Int, _ dst: UnsafeMutablePointer<UInt8>, _ startOp: Int) -> Int {
        var op = startOp
        var remaining = length
        while remaining >= 68 {
            op = emitCopy2(offset: offset, length: 64, dst, op)
            remaining -= 64
        }
        if remaining > 64 {
            op = emitCopy2(offset: offset, length: 60, dst, op)
            remaining -= 60
        }
        if remaining < 12 && offset < 2048 {
            dst[op] = UInt8(1 | ((remaining - 4) << 2) | ((offset >> 8) << 5))
            dst[op + 1] = UInt8(truncatingIfNeeded: offset)
            return op + 2
        }
        return emitCopy2(offset: offset, length: remaining, dst, op)
    }

    @inline(__always)
    private static func emitCopy2(offset: Int, length: Int, _ dst: UnsafeMutablePointer<UInt8>, _ op: Int) -> Int {
        dst[op] = UInt8(2 | ((length - 1) << 2))
        dst[op + 1] = UInt8(truncatingIfNeeded: offset)
        dst[op + 2] = UInt8(truncatingIfNeeded: offset >> 8)
        return op + 3
    }
}
