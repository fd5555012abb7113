import Synchronization

/// Zstandard through libzstd.so.1, resolved at run time.
enum Zstd {
    /// `ZSTD_inBuffer` and `ZSTD_outBuffer` are { pointer, size_t size, size_t pos }: a homogeneous tuple of words
    /// has exactly that C layout (a Swift struct's layout is not guaranteed).
    typealias StreamBuffer = (pointer: Int, size: Int, pos: Int)

    struct API: @unchecked Sendable {
        let decompressDCtx: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, Int, UnsafeRawPointer?, Int) -> Int
        let compress: @convention(c) (UnsafeMutableRawPointer?, Int, UnsafeRawPointer?, Int, Int32) -> Int
        let compressBound: @convention(c) (Int) -> Int
        let isError: @convention(c) (Int) -> UInt32
        let errorName: @convention(c) (Int) -> UnsafePointer<CChar>?
        let frameContentSize: @convention(c) (UnsafeRawPointer?, Int) -> UInt64
        let createDCtx: @convention(c) () -> OpaquePointer?
        let freeDCtx: @convention(c) (OpaquePointer?) -> Int
        let decompressStream: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer, UnsafeMutableRawPointer) -> Int

        func message(_ code: Int) -> String { errorName(code)?.string ?? "error \(code)" }
    }

    static let library: API? = {
        guard let lib = DynamicLibrary.open(["libzstd.so.1", "libzstd.1.dylib"]),
            let decompressDCtx = lib.symbol(
                "ZSTD_decompressDCtx", as: (@convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, Int, UnsafeRawPointer?, Int) -> Int).self),
            let compress = lib.symbol("ZSTD_compress", as: (@convention(c) (UnsafeMutableRawPointer?, Int, UnsafeRawPointer?, Int, Int32) -> Int).self),
            let compressBound = lib.symbol("ZSTD_compressBound", as: (@convention(c) (Int) -> Int).self),
            let isError = lib.symbol("ZSTD_isError", as: (@convention(c) (Int) -> UInt32).self),
            let errorName = lib.symbol("ZSTD_getErrorName", as: (@convention(c) (Int) -> UnsafePointer<CChar>?).self),
            let frameContentSize = lib.symbol("ZSTD_getFrameContentSize", as: (@convention(c) (UnsafeRawPointer?, Int) -> UInt64).self),
            let createDCtx = lib.symbol("ZSTD_createDCtx", as: (@convention(c) () -> OpaquePointer?).self),
            let freeDCtx = lib.symbol("ZSTD_freeDCtx", as: (@convention(c) (OpaquePointer?) -> Int).self),
            let decompressStream = lib.symbol(
                "ZSTD_decompressStream",
                as: (@convention(c) (OpaquePointer?, UnsafeMutableRawPointer, UnsafeMutableRawPointer) -> Int).self)
        else { return nil }
        return API(
            decompressDCtx: decompressDCtx, compress: compress, compressBound: compressBound, isError: isError, errorName: errorName,
            frameContentSize: frameContentSize, createDCtx: createDCtx, freeDCtx: freeDCtx, decompressStream: decompressStream)
    }()

    static let defaultLevel: Int32 = 3
    private static let contentSizeUnknown = UInt64.max
    private static let contentSizeError = UInt64.max - 1

    private static func api() throws(CodecError) -> API {
        guard let library else { throw .unavailable("libzstd.so.1 not found: install Debian's libzstd1") }
        return library
    }

    static func decompress(_ input: UnsafeRawBufferPointer, bound: OutputBound) throws(CodecError) -> [UInt8] {
        let zstd = try api()
        guard input.count > 0 else { throw .corrupt("empty zstd stream") }
        guard let expected = bound.expectedSize else { return try decompressStreaming(zstd, input, bound: bound) }
        // Known size: one call, which also walks concatenated frames and fails if they need more room.
        guard let context = contexts.take(zstd) else { throw .corrupt("ZSTD_createDCtx failed") }
        defer { contexts.give(context, zstd) }
        return try [UInt8](unsafeUninitializedCapacity: expected) { buffer, initialized throws(CodecError) in
            let result = zstd.decompressDCtx(context, buffer.baseAddress, expected, input.baseAddress, input.count)
            if zstd.isError(result) != 0 { throw .corrupt("zstd: \(zstd.message(result))") }
            guard result == expected else { throw .corrupt("zstd decompressed to \(result) bytes, expected \(expected)") }
            initialized = result
        }
    }

    private static func decompressStreaming(_ zstd: API, _ input: UnsafeRawBufferPointer, bound: OutputBound) throws(CodecError) -> [UInt8] {
        var initial = bound.initialCapacity(inputCount: input.count)
        let declared = zstd.frameContentSize(input.baseAddress, input.count)
        if declared != contentSizeUnknown && declared != contentSizeError {
            guard declared <= UInt64(bound.limit) else { throw .tooLarge(limit: bound.limit) }
            initial = Int(declared)
        }
        guard let context = zstd.createDCtx() else { throw .corrupt("ZSTD_createDCtx failed") }
        defer { _ = zstd.freeDCtx(context) }

        var out = OutputBuffer(capacity: initial)
        var inBuffer: StreamBuffer = (Int(bitPattern: input.baseAddress), input.count, 0)
        var scratch: UInt8 = 0
        var frameOpen = true
        while true {
            if out.isFull, let next = bound.grow(out.capacity) { out.grow(to: next) }
            let atCap = out.isFull
            let consumedBefore = inBuffer.pos
            var outBuffer: StreamBuffer = (Int(bitPattern: out.end), atCap ? 1 : out.free, 0)
            let result = withUnsafeMutablePointer(to: &scratch) { scratchPointer in
                if atCap { outBuffer.pointer = Int(bitPattern: scratchPointer) }
                return withUnsafeMutableBytes(of: &outBuffer) { outRaw in
                    withUnsafeMutableBytes(of: &inBuffer) { inRaw in
                        zstd.decompressStream(context, outRaw.baseAddress!, inRaw.baseAddress!)
                    }
                }
            }
            if zstd.isError(result) != 0 { throw .corrupt("zstd: \(zstd.message(result))") }
            if outBuffer.pos > 0 {
                if atCap { throw bound.exceededError }
                out.count += outBuffer.pos
            }
            frameOpen = result != 0
            let inputDone = inBuffer.pos >= inBuffer.size
            if !frameOpen && inputDone { return out.finish() }
            // Stuck: the input is spent (or not moving) while the output still had room.
            if outBuffer.pos < outBuffer.size && (inputDone || inBuffer.pos == consumedBefore) && outBuffer.pos == 0 {
                throw .corrupt("truncated zstd stream")
            }
        }
    }

    /// Decompression contexts are large (~100 KiB) and costly to set up, and every Parquet page needs one: keep a few.
    private static let contexts = ContextPool()

    final class ContextPool: Sendable {
        private let idle = Mutex<[UInt]>([])
        private let capacity = 16

        func take(_ zstd: API) -> OpaquePointer? {
            if let bits = idle.withLock({ $0.popLast() }) { return OpaquePointer(bitPattern: bits) }
            return zstd.createDCtx()
        }

        /// `ZSTD_decompressDCtx` starts every call from a clean frame state, so a context that saw an error is reusable.
        func give(_ context: OpaquePointer, _ zstd: API) {
            let bits = UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(context)))
            let kept = idle.withLock { list -> Bool in
                guard list.count < capacity else { return false }
                list.append(bits)
                return true
            }
            if !kept { _ = zstd.freeDCtx(context) }
        }
    }

    static func compress(_ input: UnsafeRawBufferPointer, level: Int32 = defaultLevel) throws(CodecError) -> [UInt8] {
        let zstd = try api()
        let capacity = zstd.compressBound(input.count)
        if zstd.isError(capacity) != 0 { throw .tooLarge(limit: input.count) }
        return try [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized throws(CodecError) in
            let result = zstd.compress(buffer.baseAddress, capacity, input.baseAddress, input.count, level)
            if zstd.isError(result) != 0 { throw .corrupt("zstd: \(zstd.message(result))") }
            initialized = result
        }
    }
}
