import Crypto

/// HMAC-SHA256 (RFC 2104) with its key already absorbed: the two SHA-256 states after
/// `K ⊕ ipad` and `K ⊕ opad`. A signature then costs copying them and hashing the message,
/// through SHA-256's non-generic entry points, instead of keying an HMAC for every message.
struct KeyedHMAC: Sendable {
    private let inner: SHA256
    private let outer: SHA256
    static let blockSize = 64

    init(key: SymmetricKey) {
        var block = [UInt8](repeating: 0, count: Self.blockSize)
        key.withUnsafeBytes { bytes in
            if bytes.count > Self.blockSize {
                var hasher = SHA256()
                hasher.update(bufferPointer: bytes)
                hasher.finalize().withUnsafeBytes { digest in block.replaceSubrange(0..<digest.count, with: digest) }
            } else {
                block.replaceSubrange(0..<bytes.count, with: bytes)
            }
        }
        var inner = SHA256()
        var outer = SHA256()
        block.map { $0 ^ 0x36 }.withUnsafeBytes { inner.update(bufferPointer: $0) }
        block.map { $0 ^ 0x5C }.withUnsafeBytes { outer.update(bufferPointer: $0) }
        self.inner = inner
        self.outer = outer
    }

    /// The code of a whole message: one copy of each state.
    func code(_ message: UnsafeRawBufferPointer) -> SHA256Digest {
        var inner = self.inner
        inner.update(bufferPointer: message)
        var outer = self.outer
        inner.finalize().withUnsafeBytes { outer.update(bufferPointer: $0) }
        return outer.finalize()
    }

    func authenticationCode(_ message: UnsafeRawBufferPointer) -> [UInt8] {
        code(message).withUnsafeBytes { Array($0) }
    }

    func authenticationCode(_ message: String) -> [UInt8] {
        var message = message
        return message.withUTF8 { authenticationCode(UnsafeRawBufferPointer($0)) }
    }
}
