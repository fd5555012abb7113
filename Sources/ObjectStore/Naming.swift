/// The S3 rules for bucket names (general purpose buckets) and object keys.
public enum BucketNaming {
    /// True when `name` is a valid bucket name: 3–63 characters of `a-z 0-9 . -`, starting and
    /// ending with a letter or digit, no `..`, not an IPv4 address, none of the reserved
    /// prefixes and suffixes.
    public static func isValid(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (3...63).contains(bytes.count) else { return false }
        for c in bytes {
            let ok = (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x2E || c == 0x2D
            if !ok { return false }
        }
        func alnum(_ c: UInt8) -> Bool { (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) }
        guard alnum(bytes.first!), alnum(bytes.last!) else { return false }
        if name.contains("..") || name.contains(".-") || name.contains("-.") { return false }
        let octets = name.split(separator: ".", omittingEmptySubsequences: false)
        if octets.count == 4 && octets.allSatisfy({ UInt8($0) != nil }) { return false }
        for prefix in ["xn--", "sthree-", "amzn-s3-demo-"] where name.hasPrefix(prefix) { return false }
        for suffix in ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] where name.hasSuffix(suffix) { return false }
        return true
    }
}

public enum ObjectKeyRules {
    public static let maxKeyBytes = 1024

    /// Keys are any non-empty UTF-8 up to 1024 bytes; they are never used as file paths.
    public static func validate(_ key: String) throws(StoreError) {
        if key.isEmpty { throw StoreError.invalidKey("Object key must not be empty") }
        if key.utf8.count > maxKeyBytes { throw StoreError.keyTooLong }
    }
}

/// Random identifiers for blobs and (later) versions and uploads.
public enum RandomID {
    static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    /// 128 random bits as 32 lower-case hex digits.
    public static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        var out: [UInt8] = []
        out.reserveCapacity(32)
        for _ in 0..<2 {
            var word = generator.next() as UInt64
            for _ in 0..<16 {
                out.append(digits[Int(word & 0xF)])
                word >>= 4
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
