import CMD5

/// The four words of MD5's chaining state.
public struct MD5State: Sendable {
    var words: (UInt32, UInt32, UInt32, UInt32) = (0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476)

    /// Runs whole 64-byte blocks through the compression function on this thread.
    mutating func compress(_ blocks: UnsafeRawBufferPointer) {
        guard blocks.count >= 64, let base = blocks.baseAddress else { return }
        withUnsafeMutableBytes(of: &words) { raw in
            floe_md5_blocks(raw.baseAddress!.assumingMemoryBound(to: UInt32.self), base.assumingMemoryBound(to: UInt8.self), blocks.count / 64)
        }
    }
}

/// An MD5 over a stream of bytes: the state after the whole blocks so far, the bytes of the block
/// begun, and the length. Whole blocks may be compressed here or handed to `MD5Lanes`.
public struct MD5Stream: Sendable {
    var state = MD5State()
    /// The block begun (fewer than 64 bytes).
    var partial: [UInt8] = []
    var length: UInt64 = 0

    public init() {}

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        let rest = takePartialBlock(bytes)
        let whole = rest.count & ~63
        state.compress(UnsafeRawBufferPointer(rebasing: rest[rest.startIndex..<rest.startIndex + whole]))
        length += UInt64(whole)
        keep(UnsafeRawBufferPointer(rebasing: rest[(rest.startIndex + whole)...]))
    }

    /// Completes the block begun, if any, from the front of `bytes`; returns what is left of them.
    mutating func takePartialBlock(_ bytes: UnsafeRawBufferPointer) -> Slice<UnsafeRawBufferPointer> {
        guard !partial.isEmpty else { return bytes[...] }
        let taken = min(64 - partial.count, bytes.count)
        partial.append(contentsOf: bytes[0..<taken])
        if partial.count == 64 {
            partial.withUnsafeBytes { state.compress($0) }
            length += 64
            partial.removeAll(keepingCapacity: true)
        }
        return bytes[taken...]
    }

    /// Keeps fewer than 64 bytes as the block begun (which must be empty).
    mutating func keep(_ tail: UnsafeRawBufferPointer) {
        partial.append(contentsOf: tail)
    }

    /// The digest: pads with 0x80, zeros and the bit length (little-endian), as RFC 1321 says.
    public func finalize() -> [UInt8] {
        var state = state
        let total = length + UInt64(partial.count)
        var tail = partial
        tail.append(0x80)
        while tail.count % 64 != 56 { tail.append(0) }
        withUnsafeBytes(of: (total &* 8).littleEndian) { tail.append(contentsOf: $0) }
        tail.withUnsafeBytes { state.compress($0) }
        return withUnsafeBytes(of: state.words) { raw in
            stride(from: 0, to: 16, by: 4).flatMap { offset -> [UInt8] in
                let word = raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian
                return withUnsafeBytes(of: word) { Array($0) }
            }
        }
    }
}
