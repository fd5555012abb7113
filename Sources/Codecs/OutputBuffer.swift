#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A growable byte buffer for decoders that cannot know their output size up front; `finish()` copies it into an array once.
struct OutputBuffer: ~Copyable {
    private(set) var base: UnsafeMutablePointer<UInt8>
    private(set) var capacity: Int
    var count = 0

    init(capacity: Int) {
        self.capacity = max(0, capacity)
        base = UnsafeMutablePointer<UInt8>.allocate(capacity: max(1, capacity))
    }

    deinit { base.deallocate() }

    var isFull: Bool { count >= capacity }
    var free: Int { capacity - count }
    var end: UnsafeMutablePointer<UInt8> { base + count }

    mutating func grow(to newCapacity: Int) {
        guard newCapacity > capacity else { return }
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.update(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    consuming func finish() -> [UInt8] {
        [UInt8](UnsafeBufferPointer(start: base, count: count))
    }
}

extension OutputBound {
    /// The error for a stream that still has output once the cap is reached.
    var exceededError: CodecError {
        if let expectedSize { return .corrupt("stream decompresses to more than the expected \(expectedSize) bytes") }
        return .tooLarge(limit: limit)
    }
}
