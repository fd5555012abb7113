/// LZ4 through liblz4.so.1, resolved at run time: raw blocks, the frame format, and Parquet's legacy Hadoop framing.
enum LZ4 {
    struct API: @unchecked Sendable {
        let decompressSafe: @convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer?, Int32, Int32) -> Int32
        let compressDefault: @convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer?, Int32, Int32) -> Int32
        let compressBound: @convention(c) (Int32) -> Int32
        let createFrameContext: @convention(c) (UnsafeMutablePointer<OpaquePointer?>, UInt32) -> Int
        let freeFrameContext: @convention(c) (OpaquePointer?) -> Int
        let decompressFrame:
            @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int>, UnsafeRawPointer?, UnsafeMutablePointer<Int>, UnsafeRawPointer?) ->
                Int
        let isFrameError: @convention(c) (Int) -> UInt32
        let frameErrorName: @convention(c) (Int) -> UnsafePointer<CChar>?

        func message(_ code: Int) -> String { frameErrorName(code)?.string ?? "error \(code)" }
    }

    static let library: API? = {
        guard let lib = DynamicLibrary.open(["liblz4.so.1", "liblz4.1.dylib"]),
            let decompressSafe = lib.symbol("LZ4_decompress_safe", as: (@convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer?, Int32, Int32) -> Int32).self),
            let compressDefault = lib.symbol("LZ4_compress_default", as: (@convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer?, Int32, Int32) -> Int32).self),
            let compressBound = lib.symbol("LZ4_compressBound", as: (@convention(c) (Int32) -> Int32).self),
            let createFrameContext = lib.symbol(
                "LZ4F_createDecompressionContext", as: (@convention(c) (UnsafeMutablePointer<OpaquePointer?>, UInt32) -> Int).self),
            let freeFrameContext = lib.symbol("LZ4F_freeDecompressionContext", as: (@convention(c) (OpaquePointer?) -> Int).self),
            let decompressFrame = lib.symbol(
                "LZ4F_decompress",
                as: (@convention(c) (
                    OpaquePointer?, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int>, UnsafeRawPointer?, UnsafeMutablePointer<Int>, UnsafeRawPointer?
                ) -> Int).self),
            let isFrameError = lib.symbol("LZ4F_isError", as: (@convention(c) (Int) -> UInt32).self),
            let frameErrorName = lib.symbol("LZ4F_getErrorName", as: (@convention(c) (Int) -> UnsafePointer<CChar>?).self)
        else { return nil }
        return API(
            decompressSafe: decompressSafe, compressDefault: compressDefault, compressBound: compressBound,
            createFrameContext: createFrameContext, freeFrameContext: freeFrameContext, decompressFrame: decompressFrame,
            isFrameError: isFrameError, frameErrorName: frameErrorName)
    }()

    private static let frameVersion: UInt32 = 100
    private static let frameMagic: [UInt8] = [0x04, 0x22, 0x4D, 0x18]
    /// Hadoop's LZ4 codec decompresses into a 256 KiB buffer, so blocks written for it stay below that.
    private static let hadoopBlockSize = 128 << 10
    /// LZ4 cannot expand data more than ~255 times.
    private static let maxRatio = 255

    private static func api() throws(CodecError) -> API {
        guard let library else { throw .unavailable("liblz4.so.1 not found: install Debian's liblz4-1") }
        return library
    }

    // MARK: Raw blocks

    static func decompressBlock(_ input: UnsafeRawBufferPointer, bound: OutputBound) throws(CodecError) -> [UInt8] {
        let lz4 = try api()
        guard input.count > 0 else { throw .corrupt("empty lz4 block") }
        guard input.count <= Int32.max else { throw .corrupt("lz4 block larger than 2 GiB") }
        if let expected = bound.expectedSize {
            guard expected <= Int32.max else { throw .tooLarge(limit: Int(Int32.max)) }
            return try decodeBlock(lz4, input, capacity: expected, exact: true)
        }
        // A raw block does not record its size: retry with more room up to what LZ4 could possibly expand to.
        let (possible, overflow) = input.count.multipliedReportingOverflow(by: maxRatio)
        let ceiling = min(bound.limit, Int(Int32.max), overflow ? Int.max : possible + 64)
        var capacity = min(ceiling, bound.initialCapacity(inputCount: input.count))
        while true {
            do {
                return try decodeBlock(lz4, input, capacity: capacity, exact: false)
            } catch {
                guard capacity < ceiling else {
                    if ceiling == bound.limit && possible > bound.limit { throw .tooLarge(limit: bound.limit) }
                    throw error
                }
                capacity = capacity > ceiling / 2 ? ceiling : capacity * 2
            }
        }
    }

    private static func decodeBlock(_ lz4: API, _ input: UnsafeRawBufferPointer, capacity: Int, exact: Bool) throws(CodecError) -> [UInt8] {
        try [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized throws(CodecError) in
            let result = lz4.decompressSafe(input.baseAddress, buffer.baseAddress, Int32(input.count), Int32(capacity))
            guard result >= 0 else { throw .corrupt("invalid lz4 block") }
            if exact && Int(result) != capacity { throw .corrupt("lz4 block decompressed to \(result) bytes, expected \(capacity)") }
            initialized = Int(result)
        }
    }

    static func compressBlock(_ input: UnsafeRawBufferPointer) throws(CodecError) -> [UInt8] {
        let lz4 = try api()
        return try compressBlock(lz4, input)
    }

    private static func compressBlock(_ lz4: API, _ input: UnsafeRawBufferPointer) throws(CodecError) -> [UInt8] {
        guard input.count <= 0x7E00_0000 else { throw .tooLarge(limit: 0x7E00_0000) }
        let capacity = Int(lz4.compressBound(Int32(input.count)))
        return try [UInt8](unsafeUninitializedCapacity: max(1, capacity)) { buffer, initialized throws(CodecError) in
            let result = lz4.compressDefault(input.baseAddress, buffer.baseAddress, Int32(input.count), Int32(capacity))
            guard result > 0 else { throw .corrupt("LZ4_compress_default failed") }
            initialized = Int(result)
        }
    }

    // MARK: Parquet's legacy LZ4

    /// Hadoop framing if the whole input parses as such, else an LZ4 frame, else a raw block.
    static func decompressParquetLegacy(_ input: UnsafeRawBufferPointer, bound: OutputBound) throws(CodecError) -> [UInt8] {
        let lz4 = try api()
        if let output = try decompressHadoop(lz4, input, bound: bound) { return output }
        if input.count >= 4 && input.prefix(4).elementsEqual(frameMagic) { return try decompressFrames(lz4, input, bound: bound) }
        return try decompressBlock(input, bound: bound)
    }

    /// Repeated [4-byte BE uncompressed length][4-byte BE compressed length][raw block];
    /// nil when the input is not laid out that way or a block does not decode to its stated size.
    private static func decompressHadoop(_ lz4: API, _ input: UnsafeRawBufferPointer, bound: OutputBound) throws(CodecError) -> [UInt8]? {
        func bigEndian32(_ at: Int) -> Int {
            Int(input[at]) << 24 | Int(input[at + 1]) << 16 | Int(input[at + 2]) << 8 | Int(input[at + 3])
        }
        // First pass: the structure must cover the input exactly, and its total must fit.
        var position = 0
        var total = 0
        while position < input.count {
            guard input.count - position >= 8 else { return nil }
            let uncompressed = bigEndian32(position)
            let compressed = bigEndian32(position + 4)
            position += 8
            guard compressed <= input.count - position, uncompressed <= Int32.max else { return nil }
            position += compressed
            total += uncompressed
            if total > bound.capacity { return nil }
        }
        if let expected = bound.expectedSize, total != expected { return nil }
        return try? [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized throws(CodecError) in
            var position = 0
            var written = 0
            while position < input.count {
                let uncompressed = bigEndian32(position)
                let compressed = bigEndian32(position + 4)
                position += 8
                let block = UnsafeRawBufferPointer(rebasing: input[position..<(position + compressed)])
                let result = lz4.decompressSafe(
                    block.baseAddress, buffer.baseAddress.map { $0 + written }, Int32(compressed), Int32(uncompressed))
                guard Int(result) == uncompressed else { throw .corrupt("hadoop lz4 block") }
                position += compressed
                written += uncompressed
            }
            initialized = written
        }
    }

    /// One or more concatenated LZ4 frames.
    private static func decompressFrames(_ lz4: API, _ input: UnsafeRawBufferPointer, bound: OutputBound) throws(CodecError) -> [UInt8] {
        var context: OpaquePointer?
        let created = lz4.createFrameContext(&context, frameVersion)
        guard lz4.isFrameError(created) == 0, let context else { throw .corrupt("LZ4F_createDecompressionContext failed") }
        defer { _ = lz4.freeFrameContext(context) }

        var out = OutputBuffer(capacity: bound.initialCapacity(inputCount: input.count))
        var position = 0
        var scratch: UInt8 = 0
        var frameOpen = true
        while true {
            if out.isFull, let next = bound.grow(out.capacity) { out.grow(to: next) }
            let atCap = out.isFull
            var produced = atCap ? 1 : out.free
            var consumed = input.count - position
            let hint = withUnsafeMutablePointer(to: &scratch) { scratchPointer in
                lz4.decompressFrame(
                    context, atCap ? UnsafeMutableRawPointer(scratchPointer) : UnsafeMutableRawPointer(out.end), &produced,
                    input.baseAddress.map { $0 + position }, &consumed, nil)
            }
            if lz4.isFrameError(hint) != 0 { throw .corrupt("lz4 frame: \(lz4.message(hint))") }
            if produced > 0 {
                if atCap { throw bound.exceededError }
                out.count += produced
            }
            position += consumed
            frameOpen = hint != 0
            let inputDone = position >= input.count
            if !frameOpen && inputDone { return out.finish() }
            if produced == 0 && consumed == 0 { throw .corrupt("truncated lz4 frame") }
        }
    }

    static func compressHadoop(_ input: UnsafeRawBufferPointer) throws(CodecError) -> [UInt8] {
        let lz4 = try api()
        var output: [UInt8] = []
        output.reserveCapacity(input.count + input.count / 200 + 64)
        var position = 0
        repeat {
            let end = min(input.count, position + hadoopBlockSize)
            let block = try compressBlock(lz4, UnsafeRawBufferPointer(rebasing: input[position..<end]))
            appendBigEndian32(&output, end - position)
            appendBigEndian32(&output, block.count)
            output.append(contentsOf: block)
            position = end
        } while position < input.count
        return output
    }

    private static func appendBigEndian32(_ output: inout [UInt8], _ value: Int) {
        output.append(UInt8(truncatingIfNeeded: value >> 24))
        output.append(UInt8(truncatingIfNeeded: value >> 16))
        output.append(UInt8(truncatingIfNeeded: value >> 8))
        output.append(UInt8(truncatingIfNeeded: value))
    }
}
