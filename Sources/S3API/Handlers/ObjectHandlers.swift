import Hummingbird
import HTTPTypes
import NIOCore
import ObjectStore
import S3Model
import SigV4

extension S3Responder {
    static let readChunk = 1 << 20

    /// `response-*` query parameters and the header each overrides.
    static let responseOverrides: [(String, HTTPField.Name)] = [
        ("response-content-type", .contentType),
        ("response-content-language", .contentLanguage),
        ("response-expires", .expires),
        ("response-cache-control", .cacheControl),
        ("response-content-disposition", .contentDisposition),
        ("response-content-encoding", .contentEncoding),
    ]

    func checkVersionID(_ call: S3Call) throws {
        if let versionID = call.target.value("versionId"), versionID != "null" {
            throw S3Error.invalidArgument("Invalid version id specified", name: "versionId", value: versionID)
        }
    }

    /// GetObject and HeadObject: preconditions, Range, partNumber, response overrides; the body
    /// streams from disk in 1 MiB reads.
    func getObject(_ call: S3Call, includeBody: Bool) async throws -> Response {
        let bucket = try await store.bucket(call.target.bucket!)
        let key = call.target.key!
        try checkVersionID(call)
        let version: ObjectVersion
        var reader: BlobReader?
        if includeBody {
            (version, reader) = try await store.open(bucket: bucket, key: key)
        } else {
            version = try await store.head(bucket: bucket, key: key)
        }
        var handedOff = false
        defer { if !handedOff { reader?.close() } }

        var headers = Self.objectHeaders(version, checksums: call.header(.amzChecksumMode)?.uppercased() == "ENABLED")
        let preconditions = Preconditions(
            ifMatch: call.header(.ifMatch),
            ifNoneMatch: call.header(.ifNoneMatch),
            ifModifiedSince: call.header(.ifModifiedSince),
            ifUnmodifiedSince: call.header(.ifUnmodifiedSince)
        )
        switch preconditions.evaluate(etag: version.etag, lastModified: version.lastModified / 1000) {
        case .proceed: break
        case .notModified:
            return Response(status: .notModified, headers: [.eTag: version.etag, .lastModified: headers[.lastModified]!])
        case .failed(let condition):
            throw S3Error.preconditionFailed(condition)
        }

        var range: ClosedRange<Int64>? = nil
        if let partText = call.target.value("partNumber") {
            guard let part = Int(partText), (1...10_000).contains(part) else {
                throw S3Error.invalidArgument("Part number must be an integer between 1 and 10000, inclusive", name: "partNumber", value: partText)
            }
            // An object written in one PUT has exactly one part: the whole object.
            guard part == 1 else {
                throw S3Error(code: "InvalidPartNumber", status: 416, message: "The requested partnumber is not satisfiable")
            }
            headers[HTTPField.Name("x-amz-mp-parts-count")!] = "1"
        } else if let rangeHeader = call.header(.range), let requested = ByteRangeRequest(header: rangeHeader) {
            guard let resolved = requested.resolve(size: version.size) else {
                throw S3Error.invalidRange(size: version.size, requested: rangeHeader)
            }
            range = resolved
        }

        for (parameter, header) in Self.responseOverrides {
            if let value = call.target.value(parameter) { headers[header] = value }
        }

        let first = range?.lowerBound ?? 0
        let length = range.map { $0.upperBound - $0.lowerBound + 1 } ?? version.size
        headers[.contentLength] = String(length)
        var status = HTTPResponse.Status.ok
        if let range {
            status = .partialContent
            headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(version.size)"
            // A checksum describes the whole object, never a range of it.
            for algorithm in ChecksumAlgorithm.allCases { headers[HTTPField.Name(algorithm.headerName)!] = nil }
        }
        guard includeBody, let blob = reader, length > 0 else {
            return Response(status: status, headers: headers)
        }
        handedOff = true
        let body = ResponseBody(contentLength: Int(length)) { writer in
            defer { blob.close() }
            var offset = first
            var remaining = length
            while remaining > 0 {
                let want = Int(min(Int64(Self.readChunk), remaining))
                let buffer = try await blob.read(offset: offset, length: want)
                guard buffer.readableBytes == want else { throw StoreError.internalFailure("blob shorter than its index entry") }
                try await writer.write(buffer)
                offset += Int64(want)
                remaining -= Int64(want)
            }
            try await writer.finish(nil)
        }
        return Response(status: status, headers: headers, body: body)
    }

    static func objectHeaders(_ version: ObjectVersion, checksums: Bool) -> HTTPFields {
        var headers: HTTPFields = [
            .eTag: version.etag,
            .lastModified: HTTPDate.rfc1123(version.lastModified / 1000),
            .acceptRanges: "bytes",
        ]
        for (name, value) in version.attributes.contentHeaders.sorted(by: { $0.key < $1.key }) {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        for entry in version.attributes.userMetadata {
            if let field = HTTPField.Name("x-amz-meta-" + entry.name) { headers[field] = entry.value }
        }
        if !version.attributes.tags.isEmpty { headers[.amzTaggingCount] = String(version.attributes.tags.count) }
        if version.attributes.storageClass != "STANDARD" { headers[.amzStorageClass] = version.attributes.storageClass }
        if checksums {
            for (algorithm, value) in version.attributes.checksums { headers[HTTPField.Name(algorithm.headerName)!] = value }
            if !version.attributes.checksums.isEmpty { headers[HTTPField.Name("x-amz-checksum-type")!] = "FULL_OBJECT" }
        }
        return headers
    }

    func deleteObject(_ call: S3Call) async throws -> Response {
        let bucket = try await store.bucket(call.target.bucket!)
        try checkVersionID(call)
        try await store.delete(bucket: bucket, key: call.target.key!)
        return Response(status: .noContent)
    }
}
