/// Bytes as a dictionary key, hashed with one call over the whole buffer: `[UInt8]` itself hashes
/// element by element, which for the texts the caches below key on (policy, attribute and table
/// metadata documents, up to megabytes) cost more than the lookup saved. Equality is byte-wise,
/// unlike `String`'s canonical equivalence, so a hit is the same text byte for byte.
public struct BytesKey: Hashable, Sendable {
    public let bytes: [UInt8]

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    public init(utf8 text: String) {
        bytes = Array(text.utf8)
    }

    public func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }
}
