import Crypto
import Hummingbird
import HTTPTypes
import NIOCore
import ObjectStore
import S3Model
import SigV4

extension S3Responder {
    static let storageClasses: Set<String> = [
        "STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER",
        "DEEP_ARCHIVE", "OUTPOSTS", "GLACIER_IR", "SNOW", "EXPRESS_ONEZONE",
    ]
    static let maxUserMetadataBytes = 2048

    func putObject(_ call: S3Call, stats: inout CallStats) async throws -> Response {
        let bucket = try await bucket(call)
        let key = call.target.key!
        if key.utf8.count > ObjectKeyRules.maxKeyBytes { throw S3Error.keyTooLong() }
        let condition = try Self.writeCondition(call)
        let attributes = try writeAttributes(call, bucket: bucket)
        if attributes.retention != nil || attributes.legalHold != nil {
            // As AWS: a write that locks its object must carry a digest of it.
            let integrity = try UploadIntegrity(headers: call.headers, payload: call.verified?.payload ?? .unsigned)
            if integrity.md5 == nil && integrity.checksumAlgorithms.isEmpty {
                throw S3Error.invalidRequest("Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters")
            }
        }
        let encryption = try await encryptionForWrite(call, bucket: bucket)
        let staged = try await receiveBody(call, extraChecksum: nil, maxSize: ObjectStore.maxSinglePutSize, encryptingWith: encryption?.0)
        stats.bytesIn = staged.size
        var stored = attributes
        stored.encryption = encryption?.1
        stored.checksums = staged.checksums
        if !stored.checksums.isEmpty { stored.checksumType = "FULL_OBJECT" }
        let version = try await store.commit(staged, bucket: bucket, key: key, attributes: stored, condition: condition, context: call.eventContext)
        var headers: HTTPFields = [.eTag: version.etag]
        Self.addWrittenVersionHeader(&headers, version, bucket)
        SSEHeaders.add(stored.encryption, to: &headers)
        Self.addExpirationHeader(&headers, version, bucket)
        for (algorithm, value) in stored.checksums { headers[HTTPField.Name(algorithm.headerName)!] = value }
        if !stored.checksums.isEmpty { headers[.amzChecksumType] = "FULL_OBJECT" }
        return Response(status: .ok, headers: headers)
    }

    /// `If-None-Match: *` and `If-Match: <etag>` on writes, checked atomically with the write.
    static func writeCondition(_ call: S3Call) throws -> WriteCondition? {
        if let value = call.header(.ifNoneMatch) {
            return value.trimmingSpaces == "*" ? .absent : .etagDiffers(value)
        }
        if let value = call.header(.ifMatch) { return .etagMatches(value) }
        return nil
    }

    /// `x-amz-version-id` for buckets that have versioning configured.
    /// The answer to a write: a version written while versioning is suspended is the `null`
    /// version, which S3 does not announce (PUT, POST, copy and completion alike).
    static func addWrittenVersionHeader(_ headers: inout HTTPFields, _ version: ObjectVersion, _ bucket: BucketRecord) {
        if version.versionID != "null" { addVersionHeader(&headers, version, bucket) }
    }

    static func addVersionHeader(_ headers: inout HTTPFields, _ version: ObjectVersion, _ bucket: BucketRecord) {
        if bucket.versioning != .unversioned { headers[.amzVersionID] = version.versionID }
    }

    /// Streams the request body (plain or aws-chunked) into a staged blob and checks every
    /// promise the client made about it: length, Content-MD5, payload SHA-256, checksums.
    func receiveBody(_ call: S3Call, extraChecksum: ChecksumAlgorithm?, maxSize: Int64, encryptingWith key: SymmetricKey? = nil) async throws -> StagedUpload {
        // Anonymous uploads (allowed by a bucket policy) carry no signature: the body is taken as sent.
        let payload = call.verified?.payload ?? .unsigned
        let integrity = try UploadIntegrity(headers: call.headers, payload: payload)
        var expectations = UploadExpectations(md5: integrity.md5, sha256Hex: integrity.payloadSHA256, checksums: integrity.headerChecksums)
        let chunked: ChunkedBody?
        if payload.isAWSChunked {
            guard let decodedText = call.header(.amzDecodedContentLength) else { throw S3Error.missingContentLength() }
            guard let decoded = Int64(decodedText), decoded >= 0 else {
                throw S3Error.invalidArgument("x-amz-decoded-content-length is not a valid length", name: "x-amz-decoded-content-length", value: decodedText)
            }
            expectations.length = decoded
            var expectsTrailer = false
            if case .streamingSigned(let trailer) = payload { expectsTrailer = trailer }
            if case .streamingUnsignedTrailer = payload { expectsTrailer = true }
            chunked = ChunkedBody(base: ClientBody(call.request.body), decoder: AWSChunkedDecoder(chain: call.verified?.chunkChain, expectsTrailer: expectsTrailer))
        } else {
            if let lengthText = call.header(.contentLength) {
                guard let length = Int64(lengthText), length >= 0 else { throw S3Error.invalidArgument("Content-Length is not valid", name: "Content-Length", value: lengthText) }
                expectations.length = length
            } else if call.header(.transferEncoding)?.lowercased().contains("chunked") != true {
                // HTTP chunked framing carries its own end (the body is read up to maxSize);
                // without it or a length there is no telling where the body ends.
                throw S3Error.missingContentLength()
            }
            chunked = nil
        }
        if let length = expectations.length, length > maxSize { throw S3Error.entityTooLarge() }
        call.wantBody()

        var algorithms = integrity.checksumAlgorithms
        if let extraChecksum { algorithms.insert(extraChecksum) }
        let plan = HashingPlan(sha256: integrity.payloadSHA256 != nil, checksums: algorithms)
        let staged: StagedUpload
        if let chunked {
            staged = try await store.stage(chunked, plan: plan, maxSize: maxSize, encryptingWith: key)
        } else {
            staged = try await store.stage(ClientBody(call.request.body), plan: plan, maxSize: maxSize, encryptingWith: key)
        }
        do {
            if let chunked {
                let trailers = try chunked.state.decoder.finish()
                for (name, value) in trailers {
                    guard let algorithm = ChecksumAlgorithm(headerName: name) else { continue }
                    guard integrity.trailerAlgorithm == algorithm else {
                        throw S3Error.invalidRequest("The trailer \(name) was not announced in x-amz-trailer.")
                    }
                    try UploadIntegrity.checkChecksumValue(value, algorithm)
                    expectations.checksums[algorithm] = value
                }
                if let announced = integrity.trailerAlgorithm, expectations.checksums[announced] == nil {
                    throw S3Error.invalidRequest("The trailer \(announced.headerName) announced in x-amz-trailer was not sent.")
                }
            }
            try staged.verify(expectations)
        } catch {
            await store.discard(staged)
            throw error
        }
        return staged
    }

    /// What an object write stores besides its bytes: the headers' attributes, and the owner
    /// and ACL the bucket's Object Ownership gives it.
    func writeAttributes(_ call: S3Call, bucket: BucketRecord) throws -> ObjectAttributes {
        var attributes = try Self.objectAttributes(from: call.headers)
        (attributes.owner, attributes.acl) = try objectOwnership(call.headers, principal: call.principal, bucket: bucket)
        try Self.applyLockHeaders(call.headers, bucket: bucket, to: &attributes)
        return attributes
    }

    /// Content headers, user metadata, tags and storage class from a PUT's headers.
    static func objectAttributes(from headers: HTTPFields) throws -> ObjectAttributes {
        var attributes = ObjectAttributes()
        attributes.contentHeaders["content-type"] = headers[.contentType] ?? "binary/octet-stream"
        for name in [HTTPField.Name.cacheControl, .contentDisposition, .contentLanguage, .expires] {
            if let value = headers[name] { attributes.contentHeaders[name.canonicalName] = value }
        }
        if let encoding = headers[.contentEncoding] {
            // aws-chunked describes the transfer, not the object: it is never stored.
            let kept = encoding.split(separator: ",").map { $0.trimmingSpaces }.filter { $0.lowercased() != "aws-chunked" && !$0.isEmpty }
            if !kept.isEmpty { attributes.contentHeaders["content-encoding"] = kept.joined(separator: ", ") }
        }
        var metadataBytes = 0
        for field in headers where field.name.canonicalName.hasPrefix("x-amz-meta-") {
            let name = String(field.name.canonicalName.dropFirst("x-amz-meta-".count))
            metadataBytes += name.utf8.count + field.value.utf8.count
            if let index = attributes.userMetadata.firstIndex(where: { $0.name == name }) {
                attributes.userMetadata[index].value += "," + field.value
            } else {
                attributes.userMetadata.append(MetadataEntry(name, field.value))
            }
        }
        if metadataBytes > maxUserMetadataBytes { throw S3Error.metadataTooLarge() }
        if let storageClass = headers[.amzStorageClass] {
            guard storageClasses.contains(storageClass) else { throw S3Error.invalidStorageClass() }
            attributes.storageClass = storageClass
        }
        if let tagging = headers[.amzTagging] {
            attributes.tags = try TagSet.parse(query: tagging)
        }
        return attributes
    }
}

/// What a PUT promises about its body: Content-MD5, x-amz-content-sha256, one x-amz-checksum-*
/// (in a header or announced as a trailer) and x-amz-sdk-checksum-algorithm, all validated up front.
struct UploadIntegrity {
    var md5: [UInt8]?
    var payloadSHA256: String?
    var headerChecksums: [ChecksumAlgorithm: String] = [:]
    var trailerAlgorithm: ChecksumAlgorithm?
    var checksumAlgorithms: Set<ChecksumAlgorithm> = []

    init(headers: HTTPFields, payload: PayloadMode) throws {
        if let md5Text = headers[.contentMD5] {
            guard let digest = Base64.decode(md5Text.trimmingSpaces), digest.count == 16 else { throw S3Error.invalidDigest() }
            md5 = digest
        }
        if case .sha256(let hex) = payload { payloadSHA256 = hex }
        for field in headers {
            guard let algorithm = ChecksumAlgorithm(headerName: field.name.canonicalName) else { continue }
            try Self.checkChecksumValue(field.value, algorithm)
            headerChecksums[algorithm] = field.value
        }
        if headerChecksums.count > 1 {
            throw S3Error.invalidRequest("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
        }
        if let trailer = headers[.amzTrailer] {
            let names = trailer.split(separator: ",").map { $0.trimmingSpaces.lowercased() }
            for name in names {
                guard let algorithm = ChecksumAlgorithm(headerName: name) else {
                    throw S3Error.invalidRequest("The value specified in the x-amz-trailer header is not supported")
                }
                trailerAlgorithm = algorithm
            }
            guard payload.isAWSChunked else {
                throw S3Error.invalidRequest("x-amz-trailer requires an aws-chunked body (STREAMING-* x-amz-content-sha256).")
            }
        }
        if let sdk = headers[.amzSDKChecksumAlgorithm] {
            guard let algorithm = ChecksumAlgorithm(rawValue: sdk.uppercased()) else {
                throw S3Error.invalidRequest("Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]")
            }
            let declared = headerChecksums.keys.first ?? trailerAlgorithm
            if let declared, declared != algorithm {
                throw S3Error.invalidRequest("Value for x-amz-sdk-checksum-algorithm header is invalid.")
            }
            if declared == nil {
                throw S3Error.invalidRequest("x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found.")
            }
        }
        checksumAlgorithms = Set(headerChecksums.keys)
        if let trailerAlgorithm { checksumAlgorithms.insert(trailerAlgorithm) }
    }

    static func checkChecksumValue(_ value: String, _ algorithm: ChecksumAlgorithm) throws {
        guard let bytes = Base64.decode(value), bytes.count == algorithm.digestLength else {
            throw S3Error.invalidRequest("Value for \(algorithm.headerName) header is invalid.")
        }
    }
}

extension String {
    var trimmingSpaces: String { String(Substring(self).trimmingSpaces) }
}

/// Tags from `x-amz-tagging` (URL query form) or a Tagging document: at most 10 per object,
/// keys 1–128 and values up to 256 characters, no duplicate keys, no `aws:` prefix.
enum TagSet {
    static func parse(query: String) throws -> [MetadataEntry] {
        var tags: [MetadataEntry] = []
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let key = URIEncoding.decode(parts[0], plusAsSpace: true),
                let value = URIEncoding.decode(parts.count > 1 ? parts[1] : "", plusAsSpace: true)
            else { throw S3Error.invalidArgument("The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.") }
            try validate(key: key, value: value, existing: tags)
            tags.append(MetadataEntry(key, value))
        }
        if tags.count > 10 { throw S3Error.invalidTag("Object tags cannot be greater than 10") }
        return tags
    }

    static func validate(key: String, value: String, existing: [MetadataEntry]) throws {
        guard !key.isEmpty, key.count <= 128 else { throw S3Error.invalidTag("The TagKey you have provided is invalid") }
        guard value.count <= 256 else { throw S3Error.invalidTag("The TagValue you have provided is invalid") }
        guard !key.lowercased().hasPrefix("aws:") else { throw S3Error.invalidTag("Your TagKey cannot be prefixed with aws:") }
        guard !existing.contains(where: { $0.name == key }) else { throw S3Error.invalidTag("Cannot provide multiple Tags with the same key") }
    }
}

/// The request body with aws-chunked framing removed. The decoder stays readable after
/// iteration so the handler can take the trailing checksum.
struct ChunkedBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    final class State: @unchecked Sendable {
        var decoder: AWSChunkedDecoder
        init(_ decoder: AWSChunkedDecoder) { self.decoder = decoder }
    }

    let base: ClientBody
    let state: State

    init(base: ClientBody, decoder: AWSChunkedDecoder) {
        self.base = base
        self.state = State(decoder)
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: ClientBody.AsyncIterator
        let state: State
        var pending: [ByteBuffer] = []

        mutating func next() async throws -> ByteBuffer? {
            while pending.isEmpty {
                guard let raw = try await base.next() else { return nil }
                pending = try state.decoder.decode(raw).reversed()
            }
            return pending.removeLast()
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), state: state)
    }
}

/// The request body as received from the connection. A failure of the stream itself (the
/// client went away, the connection broke mid-body) surfaces as `BodyStreamError`, which is the
/// client's fault (IncompleteBody), unlike any other error during an upload.
struct ClientBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let base: RequestBody

    init(_ base: RequestBody) { self.base = base }

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: RequestBody.AsyncIterator

        mutating func next() async throws -> ByteBuffer? {
            do {
                return try await base.next(isolation: #isolation)
            } catch {
                throw BodyStreamError(underlying: "\(error)")
            }
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: base.makeAsyncIterator()) }
}

struct BodyStreamError: Error {
    let underlying: String
}
