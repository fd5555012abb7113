import NIOCore
import Testing

@testable import SigV4

@Suite struct ChunkedDecoderTests {
    func decode(_ text: String, chain: ChunkSignatureChain? = nil, trailer: Bool, slice: Int = 3) throws(SigV4Error) -> (String, [(name: String, value: String)]) {
        var decoder = AWSChunkedDecoder(chain: chain, expectsTrailer: trailer)
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        var offset = 0
        while offset < bytes.count {
            let end = min(offset + slice, bytes.count)
            for buffer in try decoder.decode(ByteBuffer(bytes: bytes[offset..<end])) { out += buffer.readableBytesView }
            offset = end
        }
        return (String(decoding: out, as: UTF8.self), try decoder.finish())
    }

    func code(_ body: () throws -> Void) -> SigV4Error.Code? {
        do { try body() } catch { return (error as? SigV4Error)?.code }
        return nil
    }

    @Test func trailerSectionIsBounded() {
        let lines = (0..<2000).map { "x-amz-junk-\($0):\(String(repeating: "v", count: 30))\r\n" }.joined()
        #expect(code { _ = try decode("5\r\nhello\r\n0\r\n" + lines + "\r\n", trailer: true, slice: 4096) } == .invalidTrailer)
    }

    @Test func unsignedWithTrailer() throws {
        // The form botocore sends by default: STREAMING-UNSIGNED-PAYLOAD-TRAILER.
        let (data, trailers) = try decode("5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n", trailer: true)
        #expect(data == "hello world")
        #expect(trailers.map(\.name) == ["x-amz-checksum-crc32"])
        #expect(trailers.map(\.value) == ["DUoRhQ=="])
    }

    @Test func emptyBodyWithTrailer() throws {
        let (data, trailers) = try decode("0\r\nx-amz-checksum-crc32c:AAAAAA==\r\n\r\n", trailer: true, slice: 1)
        #expect(data.isEmpty)
        #expect(trailers.count == 1)
    }

    @Test func truncatedBodyIsIncomplete() {
        #expect(code { _ = try decode("5\r\nhello\r\n6\r\n wo", trailer: false) } == .incompleteBody)
        #expect(code { _ = try decode("5\r\nhello\r\n0\r\n", trailer: false) } == .incompleteBody)
    }

    @Test func malformedFraming() {
        #expect(code { _ = try decode("zz\r\nhello\r\n", trailer: false) } == .malformedChunkedEncoding)
        #expect(code { _ = try decode("3\r\nhello\r\n0\r\n\r\n", trailer: false) } == .malformedChunkedEncoding)
        #expect(code { _ = try decode("5\nhello\r\n0\r\n\r\n", trailer: false) } == .malformedChunkedEncoding)
        #expect(code { _ = try decode("0\r\n\r\nextra", trailer: false) } == .malformedChunkedEncoding)
        #expect(code { _ = try decode(String(repeating: "1", count: 5000) + "\r\n", trailer: false) } == .malformedChunkedEncoding)
        // A trailer where none was announced.
        #expect(code { _ = try decode("0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n", trailer: false) } == .malformedChunkedEncoding)
    }

    @Test func signedChunksRejectTampering() {
        let chain = ChunkSignatureChain(
            signingKey: SigV4Signer.signingKey(secret: AWSPublishedVectorsTests.secret, scope: CredentialScope(date: "20130524", region: "us-east-1", service: "s3")),
            amzDate: "20130524T000000Z",
            scope: CredentialScope(date: "20130524", region: "us-east-1", service: "s3"),
            seedSignature: "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9")
        let good = StreamingExample.body(signatures: StreamingExample.plainSignatures, trailer: nil)
        #expect((try? StreamingExample.decode(good, chain: chain, trailer: false, slice: 1000)) != nil)

        var changedByte = good
        changedByte[100] = UInt8(ascii: "b")
        var swapped = StreamingExample.plainSignatures
        swapped.swapAt(0, 1)
        let missingFinal = Array(good[0..<(good.count - 2 - 87)])
        for body in [changedByte, StreamingExample.body(signatures: swapped, trailer: nil), missingFinal] {
            #expect(throws: SigV4Error.self) { try StreamingExample.decode(body, chain: chain, trailer: false, slice: 1000) }
        }
    }
}
