import Crypto
import NIOCore

/// Decodes an `aws-chunked` request body incrementally:
///
///     <hex-size>[;chunk-signature=<sig>]\r\n<data>\r\n ... 0[;chunk-signature=<sig>]\r\n[<trailers>\r\n]\r\n
///
/// Feed it buffers as they arrive; it returns the payload bytes (slices of the input, never
/// copied or buffered beyond one header line) and checks every chunk signature as soon as a
/// chunk ends. The trailing headers (checksums) are returned by `finish()`.
public struct AWSChunkedDecoder: Sendable {
    enum State: Sendable {
        case chunkHeader
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailerLine
        case done
    }

    public static let maxLineLength = 4096
    /// The trailer section's bound: a few checksum lines and a signature need well under 1 KiB.
    public static let maxTrailerBytes = 16 * 1024
    public static let maxTrailerLines = 16

    private var state: State = .chunkHeader
    private var line: [UInt8] = []
    private var chain: ChunkSignatureChain?
    private var chunkHasher: SHA256?
    private var claimedChunkSignature: String?
    private let expectsTrailer: Bool
    private var trailers: [(name: String, value: String)] = []
    private var trailerSignature: String?
    private var trailerBytes = 0
    /// Payload bytes produced so far.
    public private(set) var decodedLength: Int64 = 0

    /// - Parameters:
    ///   - chain: the signature chain for STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]; nil for unsigned chunks.
    ///   - expectsTrailer: whether trailing headers follow the final chunk.
    public init(chain: ChunkSignatureChain?, expectsTrailer: Bool) {
        self.chain = chain
        self.expectsTrailer = expectsTrailer
    }

    public var isDone: Bool {
        if case .done = state { return true }
        return false
    }

    /// Consumes `input` and returns the payload bytes it contained.
    public mutating func decode(_ input: ByteBuffer) throws(SigV4Error) -> [ByteBuffer] {
        var input = input
        var output: [ByteBuffer] = []
        while input.readableBytes > 0 {
            switch state {
            case .chunkHeader:
                guard let header = try readLine(&input) else { continue }
                try startChunk(header)
            case .chunkData(let remaining):
                let take = min(remaining, input.readableBytes)
                let slice = input.readSlice(length: take)!
                if chunkHasher != nil {
                    slice.withUnsafeReadableBytes { chunkHasher!.update(bufferPointer: $0) }
                }
                decodedLength += Int64(take)
                output.append(slice)
                state = remaining == take ? .chunkDataEnd : .chunkData(remaining: remaining - take)
            case .chunkDataEnd:
                guard let rest = try readLine(&input) else { continue }
                guard rest.isEmpty else { throw Self.malformed("chunk data is longer than its declared size") }
                try finishChunk()
                state = .chunkHeader
            case .trailerLine:
                guard let trailerLine = try readLine(&input) else { continue }
                try takeTrailerLine(trailerLine)
            case .done:
                throw Self.malformed("data after the final chunk")
            }
        }
        return output
    }

    /// Called when the body ends; returns the trailing headers (names lower-cased).
    public func finish() throws(SigV4Error) -> [(name: String, value: String)] {
        guard isDone else {
            throw SigV4Error(.incompleteBody, "The request body terminated unexpectedly")
        }
        return trailers
    }

    // MARK: steps

    /// Accumulates bytes up to CRLF; returns the line without CRLF once complete.
    private mutating func readLine(_ input: inout ByteBuffer) throws(SigV4Error) -> [UInt8]? {
        while let byte = input.readInteger(as: UInt8.self) {
            if byte == UInt8(ascii: "\n") {
                guard line.last == UInt8(ascii: "\r") else { throw Self.malformed("line not terminated by CRLF") }
                let complete = Array(line.dropLast())
                line.removeAll(keepingCapacity: true)
                return complete
            }
            line.append(byte)
            if line.count > Self.maxLineLength { throw Self.malformed("chunk header line too long") }
        }
        return nil
    }

    private mutating func startChunk(_ header: [UInt8]) throws(SigV4Error) {
        let text = String(decoding: header, as: UTF8.self)
        let parts = text.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)
        let sizeText = parts[0].trimmingSpaces
        guard !sizeText.isEmpty, sizeText.utf8.count <= 16, let size = Int(sizeText, radix: 16), size >= 0 else {
            throw Self.malformed("invalid chunk size \"\(sizeText)\"")
        }
        if chain != nil {
            guard parts.count == 2, parts[1].hasPrefix("chunk-signature=") else {
                throw Self.malformed("missing chunk-signature")
            }
            claimedChunkSignature = String(parts[1].dropFirst("chunk-signature=".count))
            chunkHasher = SHA256()
        }
        if size == 0 {
            try finishChunk()
            state = .trailerLine
        } else {
            state = .chunkData(remaining: size)
        }
    }

    private mutating func finishChunk() throws(SigV4Error) {
        guard chain != nil, let hasher = chunkHasher, let claimed = claimedChunkSignature else { return }
        try chain!.verifyChunk(dataSHA256Hex: Hex.encode(hasher.finalize()), claimed: claimed)
        chunkHasher = nil
        claimedChunkSignature = nil
    }

    private mutating func takeTrailerLine(_ bytes: [UInt8]) throws(SigV4Error) {
        if bytes.isEmpty {
            try finishTrailers()
            state = .done
            return
        }
        guard expectsTrailer else { throw Self.malformed("unexpected trailer after the final chunk") }
        trailerBytes += bytes.count + 2
        guard trailerBytes <= Self.maxTrailerBytes, trailers.count < Self.maxTrailerLines else {
            throw SigV4Error(.invalidTrailer, "The trailer section is larger than \(Self.maxTrailerBytes) bytes or \(Self.maxTrailerLines) lines")
        }
        let text = String(decoding: bytes, as: UTF8.self)
        guard let colon = text.firstIndex(of: ":") else { throw SigV4Error(.invalidTrailer, "malformed trailer \"\(text)\"") }
        let name = text[..<colon].lowercased()
        let value = String(text[text.index(after: colon)...].trimmingSpaces)
        if name == "x-amz-trailer-signature" {
            trailerSignature = value
        } else {
            trailers.append((name, value))
        }
    }

    private mutating func finishTrailers() throws(SigV4Error) {
        guard chain != nil, expectsTrailer else { return }
        guard let claimed = trailerSignature else {
            throw SigV4Error(.signatureDoesNotMatch, "The trailer signature is missing.")
        }
        var signed: [UInt8] = []
        for (name, value) in trailers {
            signed += Array("\(name):\(value)\n".utf8)
        }
        try chain!.verifyTrailer(trailerBytes: signed, claimed: claimed)
    }

    static func malformed(_ detail: String) -> SigV4Error {
        SigV4Error(.malformedChunkedEncoding, "The aws-chunked body is malformed: \(detail)")
    }
}
