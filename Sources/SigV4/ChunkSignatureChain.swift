import Crypto

/// The chain of signatures in a STREAMING-AWS4-HMAC-SHA256-PAYLOAD body: each chunk's
/// signature covers the previous one, starting from the request's own (seed) signature.
public struct ChunkSignatureChain: Sendable {
    let mac: KeyedHMAC
    let amzDate: String
    let scope: CredentialScope
    public private(set) var previousSignature: String

    public init(signingKey: SymmetricKey, amzDate: String, scope: CredentialScope, seedSignature: String) {
        self.mac = KeyedHMAC(key: signingKey)
        self.amzDate = amzDate
        self.scope = scope
        self.previousSignature = seedSignature
    }

    /// The signature a chunk whose data hashes to `dataSHA256Hex` must carry.
    public func expectedChunkSignature(dataSHA256Hex: String) -> String {
        let toSign = [
            "AWS4-HMAC-SHA256-PAYLOAD", amzDate, scope.string, previousSignature, SigV4Signer.emptySHA256, dataSHA256Hex,
        ].joined(separator: "\n")
        return SigV4Signer.signature(mac, stringToSign: toSign)
    }

    /// The signature of the trailing headers, where `trailerBytes` is each `name:value\n`.
    public func expectedTrailerSignature(trailerBytes: [UInt8]) -> String {
        let toSign = [
            "AWS4-HMAC-SHA256-TRAILER", amzDate, scope.string, previousSignature, Hex.encode(SHA256.hash(data: trailerBytes)),
        ].joined(separator: "\n")
        return SigV4Signer.signature(mac, stringToSign: toSign)
    }

    /// Checks one chunk and moves the chain forward.
    public mutating func verifyChunk(dataSHA256Hex: String, claimed: String) throws(SigV4Error) {
        let expected = expectedChunkSignature(dataSHA256Hex: dataSHA256Hex)
        guard constantTimeEquals(expected, claimed) else {
            throw SigV4Error(.signatureDoesNotMatch, "The chunk signature we calculated does not match the signature you provided.")
        }
        previousSignature = expected
    }

    public mutating func verifyTrailer(trailerBytes: [UInt8], claimed: String) throws(SigV4Error) {
        let expected = expectedTrailerSignature(trailerBytes: trailerBytes)
        guard constantTimeEquals(expected, claimed) else {
            throw SigV4Error(.signatureDoesNotMatch, "The trailer signature we calculated does not match the signature you provided.")
        }
        previousSignature = expected
    }
}
