import Foundation
import NIOCore
import Testing

@testable import SigV4

/// The worked examples of the S3 API reference ("Signature calculations for the Authorization
/// header", "Authenticating requests: using query parameters", "Signature calculations for
/// streaming uploads"), verified through the same code path the server uses.
@Suite struct AWSPublishedVectorsTests {
    static let accessKey = "AKIAIOSFODNN7EXAMPLE"
    static let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    static let exampleTime = AmzDate.parse("20130524T000000Z")!
    static let emptyHash = SigV4Signer.emptySHA256

    static func request(
        method: String, path: String, query: [(String, String)] = [], host: String = "examplebucket.s3.amazonaws.com",
        headers: [(String, String)]
    ) -> IncomingRequest {
        let all = [("host", host)] + headers
        return IncomingRequest(method: method, rawPath: path, query: query.map { (name: $0.0, value: $0.1) }) { name in
            all.filter { $0.0 == name }.map(\.1)
        }
    }

    static func authorization(signedHeaders: String, signature: String) -> String {
        "AWS4-HMAC-SHA256 Credential=\(accessKey)/20130524/us-east-1/s3/aws4_request,SignedHeaders=\(signedHeaders),Signature=\(signature)"
    }

    func verify(_ request: IncomingRequest, at time: Int64 = exampleTime) throws -> VerifiedRequest {
        let result = try SigV4Verifier().authenticate(request, now: time) { $0 == Self.accessKey ? Self.secret : nil }
        guard case .verified(let verified) = result else { throw SigV4Error(.accessDenied, "anonymous") }
        return verified
    }

    @Test func getObjectWithRange() throws {
        let signature = "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        let request = Self.request(method: "GET", path: "/test.txt", headers: [
            ("authorization", Self.authorization(signedHeaders: "host;range;x-amz-content-sha256;x-amz-date", signature: signature)),
            ("range", "bytes=0-9"), ("x-amz-content-sha256", Self.emptyHash), ("x-amz-date", "20130524T000000Z"),
        ])
        let verified = try verify(request)
        #expect(verified.accessKey == Self.accessKey)
        #expect(verified.payload == .sha256(Self.emptyHash))
    }

    @Test func putObjectEncodesDollarInPath() throws {
        let signature = "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"
        let request = Self.request(method: "PUT", path: "/test$file.text", headers: [
            ("authorization", Self.authorization(signedHeaders: "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class", signature: signature)),
            ("date", "Fri, 24 May 2013 00:00:00 GMT"),
            ("x-amz-content-sha256", "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"),
            ("x-amz-date", "20130524T000000Z"), ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
        ])
        #expect(try verify(request).payload == .sha256("44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"))
    }

    @Test func getBucketLifecycleSubresource() throws {
        let signature = "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"
        let request = Self.request(method: "GET", path: "/", query: [("lifecycle", "")], headers: [
            ("authorization", Self.authorization(signedHeaders: "host;x-amz-content-sha256;x-amz-date", signature: signature)),
            ("x-amz-content-sha256", Self.emptyHash), ("x-amz-date", "20130524T000000Z"),
        ])
        _ = try verify(request)
    }

    @Test func listObjectsQueryIsSorted() throws {
        let signature = "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"
        let request = Self.request(method: "GET", path: "/", query: [("max-keys", "2"), ("prefix", "J")], headers: [
            ("authorization", Self.authorization(signedHeaders: "host;x-amz-content-sha256;x-amz-date", signature: signature)),
            ("x-amz-content-sha256", Self.emptyHash), ("x-amz-date", "20130524T000000Z"),
        ])
        _ = try verify(request)
    }

    @Test func presignedGet() throws {
        let query = [
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"), ("X-Amz-Credential", "\(Self.accessKey)/20130524/us-east-1/s3/aws4_request"),
            ("X-Amz-Date", "20130524T000000Z"), ("X-Amz-Expires", "86400"), ("X-Amz-SignedHeaders", "host"),
            ("X-Amz-Signature", "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"),
        ]
        let request = Self.request(method: "GET", path: "/test.txt", query: query, headers: [])
        let verified = try verify(request, at: Self.exampleTime + 3600)
        #expect(verified.isPresigned)
        #expect(verified.payload == .unsigned)
        // One second past X-Amz-Expires the same URL is refused.
        #expect(throws: SigV4Error(.requestExpired, "Request has expired")) {
            try verify(request, at: Self.exampleTime + 86_401)
        }
    }

    @Test func streamingSeedAndChunks() throws {
        let request = Self.request(method: "PUT", path: "/examplebucket/chunkObject.txt", host: "s3.amazonaws.com", headers: [
            ("authorization", Self.authorization(
                signedHeaders: "content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class",
                signature: "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9")),
            ("content-encoding", "aws-chunked"), ("content-length", "66824"),
            ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"), ("x-amz-date", "20130524T000000Z"),
            ("x-amz-decoded-content-length", "66560"), ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
        ])
        let verified = try verify(request)
        #expect(verified.payload == .streamingSigned(trailer: false))
        let body = StreamingExample.body(signatures: StreamingExample.plainSignatures, trailer: nil)
        for slice in [1, 7, 100, 8192, 65536, 70000] {
            let decoded = try StreamingExample.decode(body, chain: verified.chunkChain, trailer: false, slice: slice)
            #expect(decoded.data == StreamingExample.payload)
            #expect(decoded.trailers.isEmpty)
        }
    }

    @Test func streamingWithSignedTrailer() throws {
        let request = Self.request(method: "PUT", path: "/examplebucket/chunkObject.txt", host: "s3.amazonaws.com", headers: [
            ("authorization", Self.authorization(
                signedHeaders: "content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer",
                signature: "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e")),
            ("content-encoding", "aws-chunked"),
            ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"), ("x-amz-date", "20130524T000000Z"),
            ("x-amz-decoded-content-length", "66560"), ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            ("x-amz-trailer", "x-amz-checksum-crc32c"),
        ])
        let verified = try verify(request)
        #expect(verified.payload == .streamingSigned(trailer: true))
        let body = StreamingExample.body(signatures: StreamingExample.trailerSignatures, trailer: StreamingExample.trailer)
        let decoded = try StreamingExample.decode(body, chain: verified.chunkChain, trailer: true, slice: 4096)
        #expect(decoded.data == StreamingExample.payload)
        #expect(decoded.trailers.count == 1)
        #expect(decoded.trailers.first?.name == "x-amz-checksum-crc32c")
        #expect(decoded.trailers.first?.value == "sOO8/Q==")

        // Changing the checksum breaks the trailer signature.
        let tampered = StreamingExample.body(
            signatures: StreamingExample.trailerSignatures,
            trailer: (StreamingExample.trailer.0.replacingOccurrences(of: "sOO8/Q==", with: "AAAAAA=="), StreamingExample.trailer.1))
        #expect(throws: SigV4Error.self) {
            try StreamingExample.decode(tampered, chain: verified.chunkChain, trailer: true, slice: 4096)
        }
    }
}

/// AWS's streaming example: 64 KiB of `a`, then 1 KiB of `a`, then the final chunk.
enum StreamingExample {
    static let payload = [UInt8](repeating: UInt8(ascii: "a"), count: 66560)
    static let plainSignatures = [
        "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
        "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
        "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
    ]
    static let trailerSignatures = [
        "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
        "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
        "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
    ]
    static let trailer = ("x-amz-checksum-crc32c:sOO8/Q==", "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435")

    static func body(signatures: [String], trailer: (String, String)?) -> [UInt8] {
        var body = Array("10000;chunk-signature=\(signatures[0])\r\n".utf8) + [UInt8](repeating: 97, count: 65536) + Array("\r\n".utf8)
        body += Array("400;chunk-signature=\(signatures[1])\r\n".utf8) + [UInt8](repeating: 97, count: 1024) + Array("\r\n".utf8)
        body += Array("0;chunk-signature=\(signatures[2])\r\n".utf8)
        if let trailer {
            body += Array("\(trailer.0)\r\nx-amz-trailer-signature:\(trailer.1)\r\n".utf8)
        }
        body += Array("\r\n".utf8)
        return body
    }

    static func decode(_ body: [UInt8], chain: ChunkSignatureChain?, trailer: Bool, slice: Int) throws -> (data: [UInt8], trailers: [(name: String, value: String)]) {
        var decoder = AWSChunkedDecoder(chain: chain, expectsTrailer: trailer)
        var data: [UInt8] = []
        var offset = 0
        while offset < body.count {
            let end = min(offset + slice, body.count)
            for buffer in try decoder.decode(ByteBuffer(bytes: body[offset..<end])) {
                data += buffer.readableBytesView
            }
            offset = end
        }
        return (data, try decoder.finish())
    }
}

