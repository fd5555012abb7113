import Logging
import Hummingbird
import HTTPTypes
import NIOCore
import ObjectStore
import Identity
import S3Model
import SigV4

extension S3Responder {
    /// `response-*` query parameters and the header each overrides.
    static let responseOverrides: [(String, HTTPField.Name)] = [
        ("response-content-type", .contentType),
        ("response-content-language", .contentLanguage),
        ("response-expires", .expires),
        ("response-cache-control", .cacheControl),
        ("response-content-disposition", .contentDisposition),
        ("response-content-encoding", .contentEncoding),
    ]

    /// The version a GET, HEAD or tagging call addresses. A delete marker answers 404 (when it
    /// is the latest) or 405 (when named by version id), with `x-amz-delete-marker: true`.
    func addressedVersion(_ call: S3Call, bucket: BucketRecord, withData: Bool = false) async throws -> ObjectVersion {
        let key = call.target.key!
        let versionID = call.target.value("versionId")
        if let versionID, versionID.isEmpty { throw S3Error.invalidArgument("Version id cannot be the empty string", name: "versionId", value: "") }
        let version = try await store.version(bucket: bucket, key: key, versionID: versionID, withData: withData)
        if version.isDeleteMarker {
            var error = versionID == nil ? S3Error.noSuchKey(key) : S3Error.methodNotAllowed()
            error = error.with(header: "x-amz-delete-marker", "true").with(header: "x-amz-version-id", version.versionID)
            if versionID != nil { error = error.with(header: "Last-Modified", HTTPDate.rfc1123(version.lastModified / 1000)).with(header: "Allow", "DELETE") }
            throw error
        }
        try await confirmJudged(call, bucket: bucket, key: key, versionID: versionID, read: version)
        return version
    }

    /// GetObject and HeadObject: versions, preconditions, Range, partNumber, response overrides;
    /// the body streams from disk in 1 MiB reads, across parts for multipart objects. The version
    /// is read from the index once; only if its blobs vanished before they were opened (a
    /// concurrent overwrite) is it resolved again, so headers always describe the bytes sent.
    func getObject(_ call: S3Call, includeBody: Bool) async throws -> Response {
        // As AWS: an anonymous request may not rewrite response headers (a public object served
        // as text/html would be script on the S3 origin).
        if call.principal.kind == .anonymous, call.target.query.contains(where: { $0.name.hasPrefix("response-") }) {
            throw S3Error.invalidRequest("Request specific response headers cannot be used for anonymous GET requests.")
        }
        let bucket = try await bucket(call)
        for _ in 0..<ObjectStore.openAttempts {
            let version = try await addressedVersion(call, bucket: bucket, withData: includeBody)
            if let response = try await objectResponse(call, bucket: bucket, version: version, includeBody: includeBody) {
                return response
            }
        }
        throw StoreError.internalFailure("object \(call.target.key!) changed too often while opening")
    }

    /// The response for one resolved version; nil when its bytes could not be opened any more.
    func objectResponse(_ call: S3Call, bucket: BucketRecord, version: ObjectVersion, includeBody: Bool) async throws -> Response? {
        let customerKey = try customerKeyForRead(call, version)
        var headers = Self.objectHeaders(version, checksums: call.header(.amzChecksumMode)?.uppercased() == "ENABLED")
        SSEHeaders.add(version.attributes.encryption, to: &headers)
        Self.addVersionHeader(&headers, version, bucket)
        await addLockHeaders(&headers, version, call: call)
        Self.addExpirationHeader(&headers, version, bucket)
        let preconditions = Preconditions(
            ifMatch: call.header(.ifMatch), ifNoneMatch: call.header(.ifNoneMatch),
            ifModifiedSince: call.header(.ifModifiedSince), ifUnmodifiedSince: call.header(.ifUnmodifiedSince))
        switch preconditions.evaluate(etag: version.etag, lastModified: version.lastModified / 1000) {
        case .proceed: break
        case .notModified:
            var notModified: HTTPFields = [.eTag: version.etag, .lastModified: headers[.lastModified]!]
            Self.addVersionHeader(&notModified, version, bucket)
            return Response(status: .notModified, headers: notModified)
        case .failed(let condition):
            throw S3Error.preconditionFailed(condition)
        }

        var range: ClosedRange<Int64>? = nil
        var partChecksum: (name: HTTPField.Name, value: String)?
        if let partText = call.target.value("partNumber") {
            guard let part = Int(partText), (1...ObjectStore.maxPartNumber).contains(part) else {
                throw S3Error.invalidArgument("Part number must be an integer between 1 and 10000, inclusive", name: "partNumber", value: partText)
            }
            let layout = version.parts.map { $0.map(\.size) } ?? [version.size]
            guard part <= layout.count else {
                throw S3Error(code: "InvalidPartNumber", status: 416, message: "The requested partnumber is not satisfiable")
            }
            let start = layout[0..<(part - 1)].reduce(0, +)
            if layout[part - 1] > 0 { range = start...(start + layout[part - 1] - 1) }
            headers[.amzMPPartsCount] = String(layout.count)
            // The part's own checksum stands for the part (a multipart object's parts keep theirs).
            if let stored = version.parts?[part - 1].checksum, let algorithm = version.attributes.checksums.keys.first {
                partChecksum = (HTTPField.Name(algorithm.headerName)!, stored)
            }
        } else if let rangeHeader = call.header(.range), let requested = ByteRangeRequest(header: rangeHeader) {
            guard let resolved = requested.resolve(size: version.size) else {
                throw S3Error.invalidRange(size: version.size, requested: rangeHeader)
            }
            range = resolved
        }

        // Looked up name by name only when the query has any (a presigned query has seven other names).
        if call.target.query.contains(where: { $0.name.hasPrefix("response-") }) {
            for (parameter, header) in Self.responseOverrides {
                if let value = call.target.value(parameter) { headers[header] = value }
            }
        }
        let length = range.map { $0.upperBound - $0.lowerBound + 1 } ?? version.size
        headers.append(HTTPField(name: .contentLength, value: String(length)))  // no field above is a length
        var status = HTTPResponse.Status.ok
        if let range {
            status = .partialContent
            headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(version.size)"
            // A checksum describes the whole object, never a range of it.
            let type = headers[.amzChecksumType]
            for algorithm in ChecksumAlgorithm.allCases { headers[HTTPField.Name(algorithm.headerName)!] = nil }
            headers[.amzChecksumType] = nil
            if let partChecksum, let type {
                headers[partChecksum.name] = partChecksum.value
                headers[.amzChecksumType] = type
            }
        }
        guard includeBody, length > 0 else { return Response(status: status, headers: headers) }
        try await authorizeDecrypt(call, version)
        guard let body = try await store.openBody(version, range: range ?? 0...(version.size - 1), customerKey: customerKey) else { return nil }
        if let bytes = body.inMemory { return Response(status: status, headers: headers, body: .init(byteBuffer: bytes)) }
        let chunks = StreamedChunks(ObjectBodySequence(body).makeAsyncIterator())
        if version.attributes.encryption != nil {
            // Opened before answering: a damaged encrypted object is a 500, not a 200 cut short.
            do {
                chunks.first = try await chunks.iterator.next()
            } catch {
                body.close()
                throw error
            }
        }
        let (logger, requestID, key) = (logger, call.requestID, version.key)
        return Response(status: status, headers: headers, body: ResponseBody(contentLength: Int(length)) { writer in
            defer { body.close() }
            do {
                // From the files whatever the size: GET 64 MiB in turns did 3,731 MB/s from the
                // file against 3,033 read in chunks, at half the CPU per request (docs/benchmarks.md).
                if var files = writer as? any FileBodyWriter, files.sendsFiles, var slices = body.cachedSlices() {
                    defer { slices.cancel() }
                    while files.clientConnected, let slice = try await slices.next(while: { files.clientConnected }) {
                        try await files.writeFile(descriptor: slice.descriptor, offset: slice.offset, length: slice.length)
                    }
                    try await files.finish(nil)
                    return
                }
                while let chunk = try await chunks.next() {
                    // The connection's writer returns once the chunk before this one is written
                    // (`ChannelResponseWriter`): a response holds at most two chunks.
                    try await writer.write(chunk)
                }
            } catch {
                // The status is sent; the connection ends short of Content-Length, and the log says
                // why. A client that went away is routine, not worth an error line per download.
                let level: Logger.Level = ClientDisconnect.explains(error) ? .debug : .error
                logger.log(level: level, "object body failed mid-response", metadata: ["request_id": "\(requestID)", "key": "\(key)", "error": "\(error)"])
                throw error
            }
            try await writer.finish(nil)
        })
    }

    /// A response body's chunks, the first possibly read ahead (before the headers are sent).
    final class StreamedChunks: @unchecked Sendable {
        var iterator: ObjectBodySequence.AsyncIterator
        var first: ByteBuffer?

        init(_ iterator: ObjectBodySequence.AsyncIterator) {
            self.iterator = iterator
        }

        func next() async throws -> ByteBuffer? {
            if let first {
                self.first = nil
                return first
            }
            return try await iterator.next()
        }
    }

    private static let acceptRangesField = HTTPField(name: .acceptRanges, value: "bytes")

    /// A stored content header's name as a field name: the names nearly every object has are
    /// constants, not checked as tokens for every answer.
    static func contentHeaderName(_ name: String) -> HTTPField.Name? {
        switch name {
        case "content-type": .contentType
        case "cache-control": .cacheControl
        case "content-encoding": .contentEncoding
        case "content-disposition": .contentDisposition
        default: HTTPField.Name(name)
        }
    }

    static func objectHeaders(_ version: ObjectVersion, checksums: Bool) -> HTTPFields {
        // Room for the fields an object's answer ends up with (these, its length, version, the
        // request's ids, the date), so that adding them does not grow the storage twice.
        var headers = HTTPFields()
        headers.reserveCapacity(16)
        headers.append(HTTPField(name: .eTag, value: version.etag))
        headers.append(HTTPField(name: .lastModified, value: HTTPDate.rfc1123(version.lastModified / 1000)))
        headers.append(Self.acceptRangesField)
        // In name order, so answers are the same whatever the dictionary's; one needs no sorting
        // (sorting copies the dictionary into an array). Appended: a dictionary's names are
        // distinct, and none is one of the fields above.
        let contentHeaders = version.attributes.contentHeaders
        if contentHeaders.count == 1, let (name, value) = contentHeaders.first {
            if let field = Self.contentHeaderName(name) { headers.append(HTTPField(name: field, value: value)) }
        } else {
            for (name, value) in contentHeaders.sorted(by: { $0.key < $1.key }) {
                if let field = Self.contentHeaderName(name) { headers.append(HTTPField(name: field, value: value)) }
            }
        }
        for entry in version.attributes.userMetadata {
            if let field = HTTPField.Name("x-amz-meta-" + entry.name) { headers[field] = entry.value }
        }
        if !version.attributes.tags.isEmpty { headers[.amzTaggingCount] = String(version.attributes.tags.count) }
        if version.attributes.storageClass != "STANDARD" { headers[.amzStorageClass] = version.attributes.storageClass }
        if checksums {
            for (algorithm, value) in version.attributes.checksums { headers[HTTPField.Name(algorithm.headerName)!] = value }
            if !version.attributes.checksums.isEmpty { headers[.amzChecksumType] = version.attributes.checksumType ?? "FULL_OBJECT" }
        }
        return headers
    }

    /// The conditions of a conditional DeleteObject, nil when it names none.
    static func deleteGuard(_ headers: HTTPFields) throws -> DeleteGuard? {
        var guarded = DeleteGuard(etag: headers[.ifMatch])
        if let text = headers[.amzIfMatchSize] {
            guard let size = Int64(text.trimmingSpaces), size >= 0 else { throw S3Error.invalidArgument("Invalid x-amz-if-match-size", name: "x-amz-if-match-size", value: text) }
            guarded.size = size
        }
        if let text = headers[.amzIfMatchLastModifiedTime] {
            guard let seconds = HTTPDate.parse(text) ?? HTTPDate.parseISO8601(text).map({ $0 / 1000 }) else {
                throw S3Error.invalidArgument("Invalid x-amz-if-match-last-modified-time", name: "x-amz-if-match-last-modified-time", value: text)
            }
            guarded.lastModifiedSeconds = seconds
        }
        return guarded.isEmpty ? nil : guarded
    }

    func deleteObject(_ call: S3Call) async throws -> Response {
        let bucket = try await bucket(call)
        let versionID = call.target.value("versionId")
        if let versionID, versionID.isEmpty { throw S3Error.invalidArgument("Version id cannot be the empty string", name: "versionId", value: "") }
        let outcome = try await deleteAsJudged(call, bucket: bucket, key: call.target.key!, versionID: versionID, conditions: try Self.deleteGuard(call.headers))
        var headers = HTTPFields()
        if let id = outcome.versionID { headers[.amzVersionID] = id }
        if outcome.isDeleteMarker { headers[.amzDeleteMarker] = "true" }
        return Response(status: .noContent, headers: headers)
    }

    /// DeleteObject of one key (also each key of DeleteObjects): removes only the version(s) the
    /// request was judged on (`writeAsJudged`; with versioning suspended also the `null` version
    /// a delete marker replaces), the governance bypass judged on the version named.
    /// - Parameter judge: the key's decisions, when not the request's own accesses.
    func deleteAsJudged(
        _ call: S3Call, bucket: BucketRecord, key: String, versionID: String?, conditions: DeleteGuard?,
        judge: ((inout AccessScope) async throws -> Void)? = nil
    ) async throws -> ObjectStore.DeleteOutcome {
        try await writeAsJudged(call, bucket: bucket, key: key, versionID: versionID, judge: judge) { expected in
            var guarded = conditions ?? DeleteGuard()
            guarded.expected = expected
            if versionID == nil { guarded.expectedNull = try await judgedNullVersion(call, bucket: bucket, key: key, judge: judge) }
            let bypass = versionID != nil ? await bypassesGovernance(call, key: key, versionID: versionID) : false
            return try await store.delete(
                bucket: bucket, key: key, versionID: versionID, guard: guarded.isEmpty ? nil : guarded, bypassGovernance: bypass,
                context: call.eventContext)
        }
    }
}
