import CZlib

/// gzip (RFC 1952) and raw deflate (RFC 1951) through the system zlib.
enum Zlib {
    enum Format {
        /// gzip members, possibly concatenated; a zlib (RFC 1950) stream is accepted too.
        case gzip
        /// Raw deflate without header or trailer.
        case raw

        var inflateWindowBits: Int32 { self == .gzip ? MAX_WBITS + 32 : -MAX_WBITS }
        var deflateWindowBits: Int32 { self == .gzip ? MAX_WBITS + 16 : -MAX_WBITS }
    }

    /// zlib counts in 32 bits: feed and drain at most this much per call.
    private static let maxStep = 1 << 30

    static func inflate(_ input: UnsafeRawBufferPointer, format: Format, bound: OutputBound) throws(CodecError) -> [UInt8] {
        guard let inBase = input.baseAddress, input.count > 0 else { throw .corrupt("empty \(format) stream") }
        var stream = z_stream()
        guard inflateInit2_(&stream, format.inflateWindowBits, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw .corrupt("inflateInit failed")
        }
        defer { inflateEnd(&stream) }

        let inPointer = UnsafeMutablePointer(mutating: inBase.assumingMemoryBound(to: UInt8.self))
        var fed = 0
        var out = OutputBuffer(capacity: bound.initialCapacity(inputCount: input.count))
        var scratch: UInt8 = 0

        while true {
            if stream.avail_in == 0 && fed < input.count {
                let step = min(maxStep, input.count - fed)
                stream.next_in = inPointer + fed
                stream.avail_in = UInt32(step)
                fed += step
            }
            if out.isFull, let next = bound.grow(out.capacity) { out.grow(to: next) }
            let atCap = out.isFull
            let room = atCap ? 1 : min(maxStep, out.free)
            let rc: Int32 = withUnsafeMutablePointer(to: &scratch) { scratchPointer in
                stream.next_out = atCap ? scratchPointer : out.end
                stream.avail_out = UInt32(room)
                return CZlib.inflate(&stream, Z_NO_FLUSH)
            }
            let produced = room - Int(stream.avail_out)
            if atCap && produced > 0 { throw bound.exceededError }
            if !atCap { out.count += produced }

            switch rc {
            case Z_OK:
                continue
            case Z_STREAM_END:
                let remaining = Int(stream.avail_in) + (input.count - fed)
                guard format == .gzip, remaining >= 2 else { return out.finish() }
                // Another gzip member follows only if its magic does; anything else is trailing garbage, ignored like gzip(1) does.
                let next = input.count - remaining
                guard input[next] == 0x1F, input[next + 1] == 0x8B else { return out.finish() }
                guard inflateReset(&stream) == Z_OK else { throw .corrupt("inflateReset failed") }
            case Z_BUF_ERROR:
                // No progress: either the output needs room (handled on the next turn) or the input ended early.
                if stream.avail_out == 0 { continue }
                throw .corrupt("truncated \(format) stream")
            default:
                let message = stream.msg.map { String(cString: $0) } ?? "error \(rc)"
                throw .corrupt("invalid \(format) stream: \(message)")
            }
        }
    }

    static func deflate(_ input: UnsafeRawBufferPointer, format: Format, level: Int32 = Z_DEFAULT_COMPRESSION) throws(CodecError) -> [UInt8] {
        var stream = z_stream()
        guard deflateInit2_(&stream, level, Z_DEFLATED, format.deflateWindowBits, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw .corrupt("deflateInit failed")
        }
        defer { deflateEnd(&stream) }
        // deflateBound is per call; generous slack covers the per-chunk block overhead when the input is fed in steps.
        let bound = Int(deflateBound(&stream, UInt(input.count))) + 64 * (input.count / maxStep + 1)
        var out = OutputBuffer(capacity: bound)
        let inPointer = input.baseAddress.map { UnsafeMutablePointer(mutating: $0.assumingMemoryBound(to: UInt8.self)) }
        var fed = 0
        while true {
            if stream.avail_in == 0 && fed < input.count, let inPointer {
                let step = min(maxStep, input.count - fed)
                stream.next_in = inPointer + fed
                stream.avail_in = UInt32(step)
                fed += step
            }
            let finishing = fed == input.count
            if out.isFull { out.grow(to: out.capacity * 2) }
            let room = min(maxStep, out.free)
            stream.next_out = out.end
            stream.avail_out = UInt32(room)
            let rc = CZlib.deflate(&stream, finishing ? Z_FINISH : Z_NO_FLUSH)
            out.count += room - Int(stream.avail_out)
            switch rc {
            case Z_STREAM_END: return out.finish()
            case Z_OK, Z_BUF_ERROR: continue
            default: throw .corrupt("deflate failed: \(rc)")
            }
        }
    }
}
