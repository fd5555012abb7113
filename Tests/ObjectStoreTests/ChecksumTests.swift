import Testing

@testable import ObjectStore

@Suite struct ChecksumTests {
    func digestHex(_ algorithm: ChecksumAlgorithm, _ text: String, split: Int? = nil) -> String {
        var hasher = ChecksumHasher(algorithm)
        let bytes = Array(text.utf8)
        if let split {
            hasher.update(Array(bytes[..<split]))
            hasher.update(Array(bytes[split...]))
        } else {
            hasher.update(bytes)
        }
        return hasher.digest().map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    /// The "check" values of the CRC catalogue: the CRC of the ASCII string "123456789".
    @Test func catalogueCheckValues() {
        #expect(digestHex(.crc32, "123456789") == "cbf43926")
        #expect(digestHex(.crc32c, "123456789") == "e3069283")
        #expect(digestHex(.crc64nvme, "123456789") == "ae8b14860a799888")
        #expect(digestHex(.sha1, "abc") == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(digestHex(.sha256, "abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func incrementalEqualsOneShot() {
        let text = String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 37)
        for algorithm in ChecksumAlgorithm.allCases {
            let whole = digestHex(algorithm, text)
            for split in [0, 1, 7, 8, 9, 100, text.utf8.count] {
                #expect(digestHex(algorithm, text, split: split) == whole, "\(algorithm) split \(split)")
            }
        }
    }

    @Test func awsStreamingExampleCRC32C() {
        // AWS's streaming-trailer example: 66560 bytes of "a" carry x-amz-checksum-crc32c:sOO8/Q==
        var hasher = ChecksumHasher(.crc32c)
        hasher.update([UInt8](repeating: 97, count: 66560))
        #expect(hasher.base64Digest() == "sOO8/Q==")
    }

    @Test func headerNames() {
        #expect(ChecksumAlgorithm(headerName: "X-Amz-Checksum-CRC64NVME") == .crc64nvme)
        #expect(ChecksumAlgorithm(headerName: "x-amz-checksum-mode") == nil)
        #expect(ChecksumAlgorithm.crc32c.headerName == "x-amz-checksum-crc32c")
    }
}

@Suite struct NamingTests {
    @Test func bucketNames() {
        for valid in ["abc", "my-bucket.data", "a1b2c3", String(repeating: "a", count: 63), "lakehouse"] {
            #expect(BucketNaming.isValid(valid), "\(valid)")
        }
        for invalid in ["ab", String(repeating: "a", count: 64), "Abc", "a_b", "-abc", "abc-", "a..b", "192.168.1.1", "xn--abc",
                        "abc-s3alias", "a b", "a.-b", "abc.", "sthree-x", "éabc"] {
            #expect(!BucketNaming.isValid(invalid), "\(invalid)")
        }
    }

    @Test func objectKeys() throws {
        try ObjectKeyRules.validate("../x")
        try ObjectKeyRules.validate(String(repeating: "é", count: 512))
        #expect(throws: StoreError.keyTooLong) { try ObjectKeyRules.validate(String(repeating: "é", count: 513)) }
        #expect(throws: StoreError.invalidKey("Object key must not be empty")) { try ObjectKeyRules.validate("") }
    }
}
