import Hummingbird
import HTTPTypes
import NIOCore
import ObjectStore
import S3Model
import SigV4

extension S3Responder {
    /// x-amz-copy-source-if-*: like GET preconditions, except that a "not modified" outcome is a 412.
    static func checkCopyPreconditions(_ call: S3Call, _ source: ObjectVersion) throws {
        let conditions = Preconditions(
            ifMatch: call.header(.amzCopySourceIfMatch), ifNoneMatch: call.header(.amzCopySourceIfNoneMatch),
            ifModifiedSince: call.header(.amzCopySourceIfModifiedSince), ifUnmodifiedSince: call.header(.amzCopySourceIfUnmodifiedSince))
        switch conditions.evaluate(etag: source.etag, lastModified: source.lastModified / 1000) {
        case .proceed: return
        case .notModified: throw S3Error.preconditionFailed(call.header(.amzCopySourceIfNoneMatch) != nil ? "x-amz-copy-source-If-None-Match" : "x-amz-copy-source-If-Modified-Since")
        case .failed(let condition): throw S3Error.preconditionFailed("x-amz-copy-source-" + condition)
        }
    }

    func copyObject(_ call: S3Call) async throws -> Response {
        let bucket = try await bucket(call)
        let key = call.target.key!
        if key.utf8.count > ObjectKeyRules.maxKeyBytes { throw S3Error.keyTooLong() }
        let source = try CopySource.parse(call.header(.amzCopySource) ?? "")
        let sourceBucket = try await store.bucket(source.bucket)
        let metadataDirective = call.header(.amzMetadataDirective)?.uppercased() ?? "COPY"
        let taggingDirective = call.header(.amzTaggingDirective)?.uppercased() ?? "COPY"
        guard ["COPY", "REPLACE"].contains(metadataDirective) else {
            throw S3Error.invalidArgument("Unknown metadata directive.", name: "x-amz-metadata-directive", value: metadataDirective)
        }
        guard ["COPY", "REPLACE"].contains(taggingDirective) else {
            throw S3Error.invalidArgument("Unknown tagging directive.", name: "x-amz-tagging-directive", value: taggingDirective)
        }
        let requested = try writeAttributes(call, bucket: bucket)
        var checksum: ChecksumAlgorithm?
        if let text = call.header(.amzChecksumAlgorithm) {
            guard let parsed = ChecksumAlgorithm(rawValue: text.uppercased()) else { throw S3Error.invalidRequest("Checksum algorithm provided is unsupported.") }
            checksum = parsed
        }
        let sameObject = sourceBucket.id == bucket.id && keyEquals(source.key, key)
        // The source as it is now, so that its key and its reader's rights are checked before the
        // destination's encryption is; `prepare` checks again the version the copy reads.
        let pinned = try await store.version(bucket: sourceBucket, key: source.key, versionID: source.versionID)
        if !pinned.isDeleteMarker { _ = try customerKeyForRead(call, pinned, copySource: true) }
        try await authorizeDecrypt(call, pinned)
        let encryption = try await encryptionForWrite(call, bucket: bucket)
        let changesEncryption = call.header(SSEHeaders.algorithm) != nil || call.header(SSEHeaders.customerAlgorithm) != nil
        let (original, staged) = try await store.stageCopy(
            bucket: sourceBucket, key: source.key, versionID: source.versionID, encryptingWith: encryption?.0,
            prepare: { version in
                try await confirmJudged(call, bucket: sourceBucket, key: source.key, versionID: source.versionID, read: version)
                let sourceKey = try customerKeyForRead(call, version, copySource: true)
                if version.attributes.encryption?.kmsKeyID != pinned.attributes.encryption?.kmsKeyID { try await authorizeDecrypt(call, version) }
                if version.size > ObjectStore.maxSinglePutSize {
                    throw S3Error.invalidRequest("The specified copy source is larger than the maximum allowable size for a copy source: 5368709120")
                }
                let changesSomething = metadataDirective == "REPLACE" || call.header(.amzStorageClass) != nil || taggingDirective == "REPLACE" || changesEncryption
                if sameObject && !changesSomething && (source.versionID == nil || version.isLatest) {
                    throw S3Error.invalidRequest("This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
                }
                try Self.checkCopyPreconditions(call, version)
                let algorithm = checksum ?? version.attributes.checksums.keys.first
                return (HashingPlan(checksums: algorithm.map { [$0] } ?? []), sourceKey)
            })
        var attributes = metadataDirective == "REPLACE" ? requested : original.attributes
        attributes.tags = taggingDirective == "REPLACE" ? requested.tags : original.attributes.tags
        if call.header(.amzStorageClass) != nil { attributes.storageClass = requested.storageClass }
        // The copy is a new object of its writer's: never the source's owner or ACL.
        (attributes.owner, attributes.acl) = (requested.owner, requested.acl)
        // Its encryption is the one its own request (or the destination's default) gives, never the source's.
        attributes.encryption = encryption?.1
        // Its lock is the one its own request (or the destination's default) gives, never the source's.
        (attributes.retention, attributes.legalHold) = (requested.retention, requested.legalHold)
        // The copy is re-hashed as it streams, so its checksum is over the bytes actually written.
        attributes.checksums = staged.checksums
        attributes.checksumType = staged.checksums.isEmpty ? nil : "FULL_OBJECT"
        let version = try await store.commit(
            staged, bucket: bucket, key: key, attributes: attributes, condition: try Self.writeCondition(call), eventName: "ObjectCreated:Copy", context: call.eventContext)
        var xml = XMLWriter()
        xml.group("CopyObjectResult", namespace: XMLWriter.s3Namespace) { x in
            x.element("ETag", version.etag)
            x.element("LastModified", HTTPDate.iso8601(milliseconds: version.lastModified))
            for (algorithm, value) in attributes.checksums { x.element("Checksum\(algorithm.rawValue)", value) }
            if let type = attributes.checksumType { x.element("ChecksumType", type) }
        }
        var response = Self.xmlResponse(xml)
        Self.addWrittenVersionHeader(&response.headers, version, bucket)
        Self.addExpirationHeader(&response.headers, version, bucket)
        SSEHeaders.add(attributes.encryption, to: &response.headers)
        if sourceBucket.versioning != .unversioned { response.headers[.amzCopySourceVersionID] = original.versionID }
        return response
    }

    func uploadPartCopy(_ call: S3Call) async throws -> Response {
        let number = try Self.partNumber(call)
        let (_, upload) = try await openUpload(call)
        let source = try CopySource.parse(call.header(.amzCopySource) ?? "")
        let sourceBucket = try await store.bucket(source.bucket)
        // The source as it is now, so that its key and its reader's rights are checked before the
        // upload's encryption is; `prepare` checks again the version the copy reads.
        let pinned = try await store.version(bucket: sourceBucket, key: source.key, versionID: source.versionID)
        if !pinned.isDeleteMarker { _ = try customerKeyForRead(call, pinned, copySource: true) }
        try await authorizeDecrypt(call, pinned)
        let dataKey = try await partDataKey(call, upload)
        let rangeHeader = call.header(.amzCopySourceRange)
        let plan = HashingPlan(checksums: upload.checksumAlgorithm.map { [$0] } ?? [])
        let (original, staged) = try await store.stageCopy(
            bucket: sourceBucket, key: source.key, versionID: source.versionID,
            range: { size throws(StoreError) in
                guard let rangeHeader else { return nil }
                guard let requested = ByteRangeRequest(header: rangeHeader), case .from(let first, let last?) = requested else {
                    throw .invalidArgument("The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy")
                }
                guard last < size else { throw .invalidRange(size: size, requested: rangeHeader) }
                return first...last
            },
            encryptingWith: dataKey,
            prepare: { version in
                try await confirmJudged(call, bucket: sourceBucket, key: source.key, versionID: source.versionID, read: version)
                let sourceKey = try customerKeyForRead(call, version, copySource: true)
                if version.attributes.encryption?.kmsKeyID != pinned.attributes.encryption?.kmsKeyID { try await authorizeDecrypt(call, version) }
                try Self.checkCopyPreconditions(call, version)
                if rangeHeader == nil && version.size > Self.maxPartSize {
                    throw S3Error.invalidRequest("The specified copy source is larger than the maximum allowable size for a copy source: 5368709120")
                }
                return (plan, sourceKey)
            })
        let part = try await store.commitPart(staged, upload: upload, number: number)
        var xml = XMLWriter()
        xml.group("CopyPartResult", namespace: XMLWriter.s3Namespace) { x in
            x.element("ETag", part.etag)
            x.element("LastModified", HTTPDate.iso8601(milliseconds: part.lastModified))
            if let algorithm = upload.checksumAlgorithm, let checksum = part.checksum { x.element("Checksum\(algorithm.rawValue)", checksum) }
        }
        var response = Self.xmlResponse(xml)
        SSEHeaders.add(upload.attributes.encryption, to: &response.headers)
        if sourceBucket.versioning != .unversioned { response.headers[.amzCopySourceVersionID] = original.versionID }
        return response
    }
}
