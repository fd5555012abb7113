import HTTPTypes
import ObjectStore
import S3Model
import SigV4
import Testing

@testable import S3API

@Suite struct RoutingTests {
    func target(_ path: String, host: String? = nil, domains: [String] = []) throws -> RequestTarget {
        try RequestTarget.parse(requestTarget: path, host: host, domains: domains)
    }

    /// `resolve` looks up only names that start with a lower-case letter, as every subresource
    /// does; a presigned URL's own parameters are none.
    @Test func subresourcesStartLowerCase() throws {
        #expect(Operation.subresources.allSatisfy { $0.first.map { ("a"..."z").contains($0) } == true })
        #expect(try Operation.resolve(method: .get, target: target("/b/k?X-Amz-Date=1&tagging"), headers: [:]) == .getObjectTagging)
        #expect(try Operation.resolve(method: .get, target: target("/b/k?Tagging"), headers: [:]) == .getObject)
    }

    /// The target is read as bytes: its parts are cut at ASCII bytes, whatever characters
    /// surround them. (A target off the wire is ASCII; one given here may not be, and its first
    /// byte, not its first character, is the slash: `/` and a combining mark are one character.)
    @Test func partsOfTargetsAsSent() throws {
        let escaped = try target("/b%C3%BCcket/%CC%81k%2Fey/?x=%E2%82%AC&y")
        #expect(escaped.bucket == "b\u{FC}cket" && escaped.key == "\u{301}k/ey/")
        #expect(escaped.rawPath == "/b%C3%BCcket/%CC%81k%2Fey/" && escaped.rawQuery == "x=%E2%82%AC&y")
        #expect(escaped.query.map(\.name) == ["x", "y"] && escaped.value("x") == "\u{20AC}" && escaped.value("y") == "")
        let plain = try target("/b/\u{301}k?")
        #expect(plain.bucket == "b" && plain.key == "\u{301}k" && plain.query.isEmpty && plain.rawQuery == "")
        #expect(try target("//k").bucket == "" && target("//k").key == "k")
        #expect(try target("/?list-type=2").bucket == nil)
        for bad in ["", "b/k", "?x", "/b/%zz", "/b/k?%", "/b/%C3"] {
            #expect(throws: S3Error.self, "\(bad)") { try target(bad) }
        }
        let virtual = try target("/\u{301}k%20x?acl", host: "Photos.s3.example.com:9000", domains: ["s3.example.com"])
        #expect(virtual.bucket == "photos" && virtual.key == "\u{301}k x" && virtual.has("acl"))
    }

    @Test func pathStyle() throws {
        let root = try target("/")
        #expect(root.bucket == nil && root.key == nil)
        let bucket = try target("/photos?list-type=2&prefix=a%2Fb")
        #expect(bucket.bucket == "photos" && bucket.key == nil)
        #expect(bucket.value("prefix") == "a/b")
        #expect(try target("/photos/").key == nil)
        // The key is decoded exactly once and otherwise kept as is.
        let key = try target("/photos/a%20b/..%2F..//c%2Bd%25")
        #expect(key.bucket == "photos")
        #expect(key.key == "a b/../..//c+d%")
        #expect(key.rawPath == "/photos/a%20b/..%2F..//c%2Bd%25")
        #expect(try target("/b/dir/").key == "dir/")
        // A key may start with a combining mark: the slash before it still ends the bucket name
        // (a search by characters saw the slash and the mark as one character).
        let combining = try target("/b/%CC%81abc")
        #expect(combining.bucket == "b" && combining.key == "\u{301}abc")
        let selector = try target("/b/%EF%B8%8Fx")
        #expect(selector.bucket == "b" && selector.key == "\u{FE0F}x")
        // A mark right after the first slash belongs to the bucket name (refused there), not
        // dropped with the slash: `/\u{301}bkt/x` named bucket `bkt`.
        let leading = try target("/%CC%81bkt/x")
        #expect(leading.bucket == "\u{301}bkt" && leading.key == "x")
        #expect(throws: S3Error.self) { try RequestNames.check(leading) }
    }

    @Test func virtualHostStyle() throws {
        let t = try target("/dir/file.txt", host: "photos.s3.floe.test:9000", domains: ["s3.floe.test"])
        #expect(t.bucket == "photos" && t.key == "dir/file.txt")
        let bare = try target("/photos/x", host: "s3.floe.test:9000", domains: ["s3.floe.test"])
        #expect(bare.bucket == "photos" && bare.key == "x")
        let ip = try target("/photos/x", host: "127.0.0.1:9000", domains: ["s3.floe.test"])
        #expect(ip.bucket == "photos")
        let combining = try target("/%CC%81x", host: "photos.s3.floe.test", domains: ["s3.floe.test"])
        #expect(combining.bucket == "photos" && combining.key == "\u{301}x")
    }

    @Test func malformedTargetsAreInvalidURI() {
        for bad in ["/b/%zz", "/b?x=%E0%A4", "relative"] {
            #expect(throws: S3Error.self, "\(bad)") { try target(bad) }
        }
    }

    @Test func operations() throws {
        func op(_ method: HTTPRequest.Method, _ path: String, headers: HTTPFields = [:]) throws -> Operation {
            Operation.resolve(method: method, target: try target(path), headers: headers)
        }
        #expect(try op(.get, "/") == .listBuckets)
        #expect(try op(.get, "/b") == .listObjects)
        #expect(try op(.get, "/b?list-type=2") == .listObjectsV2)
        #expect(try op(.get, "/b?location") == .getBucketLocation)
        #expect(try op(.get, "/b?versioning") == .getBucketVersioning)
        #expect(try op(.put, "/b") == .createBucket)
        #expect(try op(.head, "/b") == .headBucket)
        #expect(try op(.delete, "/b") == .deleteBucket)
        #expect(try op(.put, "/b/k") == .putObject)
        #expect(try op(.get, "/b/k?unknown-param=1") == .getObject)
        #expect(try op(.get, "/b/k?tagging") == .getObjectTagging)
        #expect(try op(.put, "/b/k", headers: [HTTPField.Name("x-amz-copy-source")!: "/a/b"]) == .copyObject)
        #expect(try op(.put, "/b/k?partNumber=1&uploadId=u", headers: [HTTPField.Name("x-amz-copy-source")!: "/a/b"]) == .uploadPartCopy)
        #expect(try op(.put, "/b/k?partNumber=1&uploadId=u") == .uploadPart)
        #expect(try op(.post, "/b/k?uploads") == .createMultipartUpload)
        #expect(try op(.post, "/b/k?uploadId=u") == .completeMultipartUpload)
        #expect(try op(.delete, "/b/k?uploadId=u") == .abortMultipartUpload)
        #expect(try op(.get, "/b/k?uploadId=u") == .listParts)
        #expect(try op(.get, "/b/k?attributes") == .getObjectAttributes)
        #expect(try op(.get, "/b?versions") == .listObjectVersions)
        #expect(try op(.get, "/b?uploads") == .listMultipartUploads)
        #expect(try op(.post, "/b?delete") == .deleteObjects)
        #expect(try op(.put, "/b?versioning") == .putBucketVersioning)
        #expect(try op(.get, "/b/k?acl") == .getObjectAcl)
        #expect(try op(.put, "/b?acl") == .putBucketAcl)
        #expect(try op(.get, "/b?ownershipControls") == .getBucketOwnershipControls)
        #expect(try op(.delete, "/b?publicAccessBlock") == .deletePublicAccessBlock)
        #expect(try op(.put, "/b?cors") == .putBucketCors)
        #expect(try op(.get, "/b?logging") == .getBucketLogging)
        #expect(try op(.options, "/b/k") == .preflight)
        #expect(try op(.post, "/b", headers: [.contentType: "multipart/form-data; boundary=x"]) == .postObject)
        #expect(try op(.post, "/b") == .notImplemented)
        #expect(try op(.put, "/b?policy") == .putBucketPolicy)
        #expect(try op(.get, "/b?website") == .notImplemented)
        #expect(try op(.patch, "/b/k") == .methodNotAllowed)
    }

    @Test func continuationTokensRoundTrip() {
        for marker in ["a", "dir/", "é/ü", "with space+plus"] {
            #expect(ContinuationToken.decode(ContinuationToken.encode(marker)) == marker)
        }
        #expect(ContinuationToken.decode("garbage") == nil)
        #expect(ContinuationToken.decode("") == nil)
    }

    @Test func taggingHeader() throws {
        let tags = try TagSet.parse(query: "a=1&b=two%20words&c=")
        #expect(tags.map(\.name) == ["a", "b", "c"])
        #expect(tags.map(\.value) == ["1", "two words", ""])
        #expect(throws: S3Error.self) { try TagSet.parse(query: (0..<11).map { "k\($0)=v" }.joined(separator: "&")) }
        #expect(throws: S3Error.self) { try TagSet.parse(query: "a=1&a=2") }
        #expect(throws: S3Error.self) { try TagSet.parse(query: String(repeating: "k", count: 129) + "=v") }
    }

    @Test func uploadIntegrityHeaders() throws {
        let crc = HTTPField.Name("x-amz-checksum-crc32")!
        let sdk = HTTPField.Name("x-amz-sdk-checksum-algorithm")!
        let ok = try UploadIntegrity(headers: [crc: "DUoRhQ==", sdk: "CRC32"], payload: .unsigned)
        #expect(ok.checksumAlgorithms == [.crc32])
        #expect(ok.headerChecksums[.crc32] == "DUoRhQ==")
        #expect(throws: S3Error.invalidDigest()) { try UploadIntegrity(headers: [HTTPField.Name("Content-MD5")!: "xx"], payload: .unsigned) }
        #expect(throws: S3Error.self) { try UploadIntegrity(headers: [crc: "DUoRhQ==", sdk: "SHA256"], payload: .unsigned) }
        #expect(throws: S3Error.self) { try UploadIntegrity(headers: [sdk: "CRC32"], payload: .unsigned) }
        #expect(throws: S3Error.self) { try UploadIntegrity(headers: [crc: "too-long-for-crc32=="], payload: .unsigned) }
        let trailer = try UploadIntegrity(headers: [HTTPField.Name("x-amz-trailer")!: "x-amz-checksum-crc64nvme"], payload: .streamingUnsignedTrailer)
        #expect(trailer.trailerAlgorithm == .crc64nvme)
        #expect(throws: S3Error.self) { try UploadIntegrity(headers: [HTTPField.Name("x-amz-trailer")!: "x-amz-checksum-crc32"], payload: .unsigned) }
    }
}

/// Every resource an operation touches is named for authorization.
@Suite struct ResourceAccessTests {
    func accesses(_ method: HTTPRequest.Method, _ path: String, _ headers: HTTPFields = [:]) throws -> [ResourceAccess] {
        let target = try RequestTarget.parse(requestTarget: path, host: nil, domains: [])
        return try Operation.resolve(method: method, target: target, headers: headers).accesses(target, method: method, headers: headers)
    }

    @Test func copiesReadTheirSource() throws {
        let copy = try accesses(.put, "/dst/k", [.amzCopySource: "/src/secret%20doc?versionId=v1"])
        #expect(copy.map(\.action) == ["s3:PutObject", "s3:GetObjectVersion"])
        #expect(copy.map(\.arn) == ["arn:aws:s3:::dst/k", "arn:aws:s3:::src/secret doc"])
        #expect(copy[1].versionID == "v1")
        let combining = try accesses(.put, "/dst/k", [.amzCopySource: "/src/%CC%81k"])
        #expect(combining.map(\.arn) == ["arn:aws:s3:::dst/k", "arn:aws:s3:::src/\u{301}k"])
        let part = try accesses(.put, "/dst/k?uploadId=u&partNumber=1", [.amzCopySource: "src/a"])
        #expect(part.map(\.arn) == ["arn:aws:s3:::dst/k", "arn:aws:s3:::src/a"])
        #expect(throws: S3Error.self) { try accesses(.put, "/dst/k", [.amzCopySource: "src%00x/a"]) }
    }

    @Test func tagsSetWithAnObjectNeedTheTaggingAction() throws {
        #expect(try accesses(.put, "/b/k", [.amzTagging: "a=b"]).map(\.action) == ["s3:PutObject", "s3:PutObjectTagging"])
        #expect(try accesses(.post, "/b/k?uploads", [.amzTagging: "a=b"]).map(\.action) == ["s3:PutObject", "s3:PutObjectTagging"])
        #expect(try accesses(.put, "/b/k").map(\.action) == ["s3:PutObject"])
        let replace: HTTPFields = [.amzCopySource: "src/a", .amzTaggingDirective: "REPLACE", .amzTagging: "a=b"]
        #expect(try accesses(.put, "/b/k", replace).map(\.action) == ["s3:PutObject", "s3:GetObject", "s3:PutObjectTagging"])
    }

    @Test func adminCallsHaveTheirOwnResources() throws {
        let create = try accesses(.put, "/floe/admin/v1/users/alice")
        #expect(create == [ResourceAccess(action: "admin:CreateUser", resource: .admin("users/alice"))])
        #expect(create[0].arn == "arn:floe:admin:::users/alice")
    }

    @Test func namesAreCheckedAtTheEdge() throws {
        for path in ["/bucket%00x/doc", "/b%01cket", "/caf%C3%A9/x"] {
            #expect(throws: S3Error.self, "\(path)") { try RequestNames.check(RequestTarget.parse(requestTarget: path, host: nil, domains: [])) }
        }
        #expect(throws: S3Error.self) { try RequestNames.check(RequestTarget.parse(requestTarget: "/b/k?versionId=null%00", host: nil, domains: [])) }
        try RequestNames.check(RequestTarget.parse(requestTarget: "/bucket/k%00ey", host: nil, domains: []))
    }
}
