/// Brotli through libbrotlidec.so.1 / libbrotlienc.so.1, resolved at run time.
enum Brotli {
    struct API: @unchecked Sendable {
        let createDecoder: @convention(c) (UnsafeRawPointer?, UnsafeRawPointer?, UnsafeRawPointer?) -> OpaquePointer?
        let destroyDecoder: @convention(c) (OpaquePointer?) -> Void
        let decompressStream:
            @convention(c) (
                OpaquePointer?, UnsafeMutablePointer<Int>, UnsafeMutablePointer<UnsafeRawPointer?>, UnsafeMutablePointer<Int>,
                UnsafeMutablePointer<UnsafeMutableRawPointer?>, UnsafeMutablePointer<Int>?
            ) -> Int32
        let errorCode: @convention(c) (OpaquePointer?) -> Int32
        let errorString: @convention(c) (Int32) -> UnsafePointer<CChar>?
        /// Nil when only the decoder library is installed.
        let encoder: Encoder?
    }

    struct Encoder: @unchecked Sendable {
        let compress: @convention(c) (Int32, Int32, Int32, Int, UnsafeRawPointer?, UnsafeMutablePointer<Int>, UnsafeMutableRawPointer?) -> Int32
        let maxCompressedSize: @convention(c) (Int) -> Int
    }

    static let library: API? = {
        guard let dec = DynamicLibrary.open(["libbrotlidec.so.1", "libbrotlidec.1.dylib"]),
            let createDecoder = dec.symbol(
                "BrotliDecoderCreateInstance", as: (@convention(c) (UnsafeRawPointer?, UnsafeRawPointer?, UnsafeRawPointer?) -> OpaquePointer?).self),
            let destroyDecoder = dec.symbol("BrotliDecoderDestroyInstance", as: (@convention(c) (OpaquePointer?) -> Void).self),
            let decompressStream = dec.symbol(
                "BrotliDecoderDecompressStream",
                as: (@convention(c) (
                    OpaquePointer?, UnsafeMutablePointer<Int>, UnsafeMutablePointer<UnsafeRawPointer?>, UnsafeMutablePointer<Int>,
                    UnsafeMutablePointer<UnsafeMutableRawPointer?>, UnsafeMutablePointer<Int>?
                ) -> Int32).self),
            let errorCode = dec.symbol("BrotliDecoderGetErrorCode", as: (@convention(c) (OpaquePointer?) -> Int32).self),
            let errorString = dec.symbol("BrotliDecoderErrorString", as: (@convention(c) (Int32) -> UnsafePointer<CChar>?).self)
        else { return nil }
        var encoder: Encoder?
        if let enc = DynamicLibrary.open(["libbrotlienc.so.1", "libbrotlienc.1.dylib"]),
            let compress = enc.symbol(
                "BrotliEncoderCompress",
                as: (@convention(c) (Int32, Int32, Int32, Int, UnsafeRawPointer?, UnsafeMutablePointer<Int>, UnsafeMutableRawPointer?) -> Int32).self),
            let maxCompressedSize = enc.symbol("BrotliEncoderMaxCompressedSize", as: (@convention(c) (Int) -> Int).self)
        {
            encoder = Encoder(compress: compress, maxCompressedSize: maxCompressedSize)
        }
        return API(
            createDecoder: createDecoder, destroyDecoder: destroyDecoder, decompressStream: decompressStream, errorCode: errorCode,
            errorString: errorString, encoder: encoder)
    }()

    /// BrotliDecoderResult values.
    private static let resultError: Int32 = 0
    private static let resultSuccess: Int32 = 1
    private static let resultNeedsMoreInput: Int32 = 2
    private static let resultNeedsMoreOutput: Int32 = 3

    static let defaultQuality: Int32 = 6
    private static let defaultWindowBits: Int32 = 22
    private static let genericMode: Int32 = 0

    private static func api() throws(CodecError) -> API {
        guard let library else { throw .unavailable("libbrotlidec.so.1 not found: install Debian's libbrotli1") }
        return library
    }

    static func decompress(_ input: UnsafeRawBufferPointer, bound: OutputBound) throws(CodecError) -> [UInt8] {
        let brotli = try api()
        guard input.count > 0 else { throw .corrupt("empty brotli stream") }
        guard let decoder = brotli.createDecoder(nil, nil, nil) else { throw .corrupt("BrotliDecoderCreateInstance failed") }
        defer { brotli.destroyDecoder(decoder) }

        var out = OutputBuffer(capacity: bound.initialCapacity(inputCount: input.count))
        var availableIn = input.count
        var nextIn: UnsafeRawPointer? = input.baseAddress
        var scratch: UInt8 = 0
        while true {
            if out.isFull, let next = bound.grow(out.capacity) { out.grow(to: next) }
            let atCap = out.isFull
            let room = atCap ? 1 : out.free
            var availableOut = room
            let result = withUnsafeMutablePointer(to: &scratch) { scratchPointer in
                var nextOut: UnsafeMutableRawPointer? = atCap ? UnsafeMutableRawPointer(scratchPointer) : UnsafeMutableRawPointer(out.end)
                return brotli.decompressStream(decoder, &availableIn, &nextIn, &availableOut, &nextOut, nil)
            }
            let produced = room - availableOut
            if produced > 0 {
                if atCap { throw bound.exceededError }
                out.count += produced
            }
            switch result {
            case resultSuccess:
                guard availableIn == 0 else { throw .corrupt("\(availableIn) bytes after the brotli stream") }
                return out.finish()
            case resultNeedsMoreOutput:
                continue
            case resultNeedsMoreInput:
                throw .corrupt("truncated brotli stream")
            default:
                let message = brotli.errorString(brotli.errorCode(decoder))?.string ?? "error"
                throw .corrupt("brotli: \(message)")
            }
        }
    }

    static func compress(_ input: UnsafeRawBufferPointer, quality: Int32 = defaultQuality) throws(CodecError) -> [UInt8] {
        guard let encoder = try api().encoder else { throw .unavailable("libbrotlienc.so.1 not found: install Debian's libbrotli1") }
        let bound = encoder.maxCompressedSize(input.count)
        // 0 means the bound overflowed; tiny inputs get a small floor.
        guard bound > 0 || input.count == 0 else { throw .tooLarge(limit: input.count) }
        let capacity = max(bound, 16)
        return try [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized throws(CodecError) in
            var size = capacity
            let ok = encoder.compress(quality, defaultWindowBits, genericMode, input.count, input.baseAddress, &size, buffer.baseAddress)
            guard ok != 0 else { throw .corrupt("BrotliEncoderCompress failed") }
            initialized = size
        }
    }
}
