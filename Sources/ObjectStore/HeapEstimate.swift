/// What a value keeps on the heap, for caches that hold themselves to a byte budget.
public enum HeapEstimate {
    /// A string of more than 15 UTF-8 bytes lives in an allocation of its own: 32 bytes of header,
    /// its bytes and a NUL, rounded up to 16 by the allocator, which adds 16 of its own. A 32-byte
    /// hex digest takes 96 bytes, where `32 + count` charged 64 (review finding). Up to 15 bytes
    /// live inline: nothing.
    public static func bytes(of text: String) -> Int {
        let count = text.utf8.count
        guard count > 15 else { return 0 }
        return (32 + count + 1 + 15) / 16 * 16 + 16
    }
}
