/// The raw Snappy block format (no framing): a varint of the uncompressed length, then literal and copy elements.
enum Snappy {
    static func decompress(_ input: UnsafeRawBufferPointer, bound: OutputBound) throws(CodecError) -> [UInt8] {
        guard let src = input.baseAddress?.assumingMemoryBound(to: UInt8.self), input.count > 0 else {
            throw .corrupt("empty snappy stream")
        }
        let n = input.count
        var ip = 0
        let declared = try readLengthPreamble(src, n, &ip)
        try bound.checkDeclared(declared)
        if declared == 0 {
            guard ip == n else { throw .corrupt("snappy stream has data after an empty preamble") }
            return []
        }
        return try [UInt8](unsafeUninitializedCapacity: declared) { buffer, initialized throws(CodecError) in
            guard let dst = buffer.baseAddress else { throw .corrupt("allocation failed") }
            let op = try decodeElements(src, n, ip, dst, declared)
            guard op == declared else { throw .corrupt("snappy stream ends after \(op) of \(declared) bytes") }
            initialized = declared
        }
    }

    /// A little-endian base-128 varint that must fit in 32 bits.
    private static func readLengthPreamble(_ src: UnsafePointer<UInt8>, _ n: Int, _ ip: inout Int) throws(CodecError) -> Int {
        var value: UInt32 = 0
        var shift: UInt32 = 0
        while true {
            guard ip < n else { throw .corrupt("truncated snappy length") }
            let byte = src[ip]
            ip += 1
            if shift == 28 && byte > 0x0F { throw .corrupt("snappy length exceeds 32 bits") }
            value |= UInt32(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return Int(value) }
            shift += 7
        }
    }

    /// Decodes elements from `ip` until the input ends; returns how many output bytes were written.
    private static func decodeElements(
        _ src: UnsafePointer<UInt8>, _ n: Int, _ start: Int, _ dst: UnsafeMutablePointer<UInt8>, _ outLen: Int
    ) throws(CodecError) -> Int {
        var ip = start
        var op = 0
        while ip < n {
            let tag = src[ip]
            ip += 1
            let length: Int
            let offset: Int
            switch tag & 3 {
            case 0:
                var literal = Int(tag >> 2)
                if literal >= 60 {
                    let extra = literal - 59
                    guard n - ip >= extra else { throw .corrupt("truncated snappy literal length") }
                    literal = 0
                    for i in 0..<extra { literal |= Int(src[ip + i]) << (8 * i) }
                    ip += extra
                }
                literal += 1
                guard literal <= n - ip else { throw .corrupt("snappy literal runs past the input") }
                guard literal <= outLen - op else { throw .corrupt("snappy literal runs past the declared length") }
                (dst + op).update(from: src + ip, count: literal)
                op += literal
                ip += literal
                continue
            case 1:
                guard ip < n else { throw .corrupt("truncated snappy copy") }
                length = Int((tag >> 2) & 7) + 4
                offset = Int(tag >> 5) << 8 | Int(src[ip])
                ip += 1
            case 2:
                guard n - ip >= 2 else { throw .corrupt("truncated snappy copy") }
                length = Int(tag >> 2) + 1
                offset = Int(src[ip]) | Int(src[ip + 1]) << 8
                ip += 2
            default:
                guard n - ip >= 4 else { throw .corrupt("truncated snappy copy") }
                length = Int(tag >> 2) + 1
                offset = Int(src[ip]) | Int(src[ip + 1]) << 8 | Int(src[ip + 2]) << 16 | Int(src[ip + 3]) << 24
                ip += 4
            }
            guard offset > 0, offset <= op else { throw .corrupt("snappy copy offset \(offset) out of range at \(op)") }
            guard length <= outLen - op else { throw .corrupt("snappy copy runs past the declared length") }
            copyMatch(dst, at: op, offset: offset, length: length)
            op += length
        }
        return op
    }

    /// Copies `length` bytes from `offset` back; an overlapping copy repeats the pattern, doubling the chunk each round.
    @inline(__always)
    static func copyMatch(_ dst: UnsafeMutablePointer<UInt8>, at op: Int, offset: Int, length: Int) {
        let from = op - offset
        if offset >= length {
            (dst + op).update(from: dst + from, count: length)
            return
        }
        var written = 0
        while written < length {
            let chunk = min(length - written, op + written - from)
            (dst + op + written).update(from: dst + from, count: chunk)
            written += chunk
        }
    }
}
