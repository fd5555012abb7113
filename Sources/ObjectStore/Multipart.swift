import Crypto
import SigV4

/// Multipart uploads: parts are blobs of their own; completing an upload writes no object
/// bytes, it records the part list as the new version.
extension ObjectStore {
    public static let minimumPartSize: Int64 = 5 * 1024 * 1024
    public static let maxPartNumber = 10_000

    public func createUpload(
        bucket: BucketRecord, key: String, attributes: ObjectAttributes, checksumAlgorithm: ChecksumAlgorithm?, checksumType: String?
    ) async throws(StoreError) -> UploadRecord {
        try ObjectKeyRules.validate(key)
        var type = checksumType
        if let algorithm = checksumAlgorithm {
            let resolved = checksumType ?? (algorithm == .crc64nvme ? "FULL_OBJECT" : "COMPOSITE")
            if resolved == "FULL_OBJECT" && !algorithm.supportsFullObject {
                throw .invalidRequest("The FULL_OBJECT checksum type cannot be used with the \(algorithm.rawValue) checksum algorithm.")
            }
            if resolved == "COMPOSITE" && algorithm == .crc64nvme {
                throw .invalidRequest("The COMPOSITE checksum type cannot be used with the CRC64NVME checksum algorithm.")
            }
            guard resolved == "FULL_OBJECT" || resolved == "COMPOSITE" else { throw .invalidRequest("Invalid checksum type \(resolved)") }
            type = resolved
        } else if checksumType != nil {
            throw .invalidRequest("The x-amz-checksum-type header requires x-amz-checksum-algorithm.")
        }
        var upload = UploadRecord(
            rowID: 0, key: key, uploadID: RandomID.make() + RandomID.make(), initiated: Self.now(), attributes: attributes,
            checksumAlgorithm: checksumAlgorithm, checksumType: type)
        upload.rowID = try await index.createUpload(bucketID: bucket.id, upload)
        return upload
    }

    /// The upload, which must be for `key` in `bucket`.
    public func upload(bucket: BucketRecord, key: String, uploadID: String) async throws(StoreError) -> UploadRecord {
        guard let upload = try await index.upload(bucketID: bucket.id, uploadID: uploadID), keyEquals(upload.key, key) else {
            throw .noSuchUpload(uploadID)
        }
        return upload
    }

    /// Makes a staged body part `number` of the upload, replacing an earlier upload of that part.
    public func commitPart(_ staged: StagedUpload, upload: UploadRecord, number: Int) async throws(StoreError) -> StoredPart {
        let blobID = try await commitBlob(staged)
        let part = StoredPart(
            number: number, size: staged.size, md5Hex: String(ETag.bare(staged.etag(for: upload.attributes.encryption))),
            blobID: blobID, checksum: upload.checksumAlgorithm.flatMap { staged.checksums[$0] }, lastModified: Self.now())
        do {
            let replaced = try await index.putPart(uploadRowID: upload.rowID, part)
            await blobs.deleteLater(replaced)
        } catch {
            await blobs.delete([part.blobID])
            throw error == .noSuchUpload("") ? .noSuchUpload(upload.uploadID) : error
        }
        return part
    }

    public func parts(of upload: UploadRecord, after: Int, limit: Int) async throws(StoreError) -> [StoredPart] {
        try await index.parts(uploadRowID: upload.rowID, after: after, limit: limit)
    }

    /// A part as CompleteMultipartUpload names it.
    public struct RequestedPart: Sendable {
        public var number: Int
        public var etag: String
        public var checksum: String?

        public init(number: Int, etag: String, checksum: String?) {
            self.number = number
            self.etag = etag
            self.checksum = checksum
        }
    }

    /// Checks the requested part list against the uploaded parts and makes them the object.
    /// A completion that finds the upload ended meanwhile (its parts or its row gone) answers as a
    /// retried one does: with the version another completion of it made, else NoSuchUpload (review
    /// finding: two racing completions answered NoSuchUpload or InvalidPart to the second).
    /// - Parameter fullObjectChecksum: a whole-object checksum the client sent, to verify.
    public func complete(
        bucket: BucketRecord, upload: UploadRecord, requested: [RequestedPart], fullObjectChecksum: (ChecksumAlgorithm, String)?,
        condition: WriteCondition?, context: EventContext = .internal
    ) async throws(StoreError) -> ObjectVersion {
        do {
            return try await completeLive(
                bucket: bucket, upload: upload, requested: requested, fullObjectChecksum: fullObjectChecksum, condition: condition, context: context)
        } catch {
            switch error {
            case .noSuchUpload, .invalidPart:
                guard try await index.upload(bucketID: bucket.id, uploadID: upload.uploadID) == nil else { throw error }
                guard let done = try await index.completedVersion(bucketID: bucket.id, uploadID: upload.uploadID), keyEquals(done.key, upload.key) else {
                    throw .noSuchUpload(upload.uploadID)
                }
                return done
            default:
                throw error
            }
        }
    }

    private func completeLive(
        bucket: BucketRecord, upload: UploadRecord, requested: [RequestedPart], fullObjectChecksum: (ChecksumAlgorithm, String)?,
        condition: WriteCondition?, context: EventContext
    ) async throws(StoreError) -> ObjectVersion {
        guard !requested.isEmpty else { throw .invalidRequest("You must specify at least one part") }
        var uploaded: [Int: StoredPart] = [:]
        var after = 0
        while true {
            let page = try await index.parts(uploadRowID: upload.rowID, after: after, limit: 1000)
            for part in page { uploaded[part.number] = part }
            guard let last = page.last, page.count == 1000 else { break }
            after = last.number
        }
        var chosen: [StoredPart] = []
        var previous = 0
        for request in requested {
            guard request.number > previous else { throw .invalidPartOrder }
            previous = request.number
            guard let part = uploaded[request.number], ETag.same(part.md5Hex, request.etag) else {
                throw .invalidPart("One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.")
            }
            if let claimed = request.checksum, let stored = part.checksum, claimed != stored {
                throw .invalidPart("The checksum of part \(request.number) does not match the checksum uploaded with it.")
            }
            chosen.append(part)
        }
        // Sizes are checked once every named part is known to exist.
        if chosen.dropLast().contains(where: { $0.size < Self.minimumPartSize }) { throw .entityTooSmall }
        var md5 = Insecure.MD5()
        for part in chosen { md5.update(data: Hex.decode(part.md5Hex) ?? []) }
        let etag = "\"\(Hex.encode(md5.finalize()))-\(chosen.count)\""
        var attributes = upload.attributes
        attributes.checksums = [:]
        if let algorithm = upload.checksumAlgorithm {
            let digests = chosen.compactMap { part in part.checksum.flatMap(Base64.decode).map { ($0, part.size) } }
            if digests.count == chosen.count,
                let value = algorithm.multipartChecksum(parts: digests.map { (checksum: $0.0, size: $0.1) }, fullObject: upload.checksumType == "FULL_OBJECT")
            {
                attributes.checksums[algorithm] = value
                attributes.checksumType = upload.checksumType
            }
        }
        if let (algorithm, claimed) = fullObjectChecksum, let computed = attributes.checksums[algorithm] {
            let bare = computed.split(separator: "-").first.map(String.init) ?? computed
            let claimedBare = claimed.split(separator: "-").first.map(String.init) ?? claimed
            if bare != claimedBare { throw .checksumMismatch(algorithm) }
        }
        let now = Self.now()
        let version = ObjectVersion(
            key: upload.key, versionID: Self.newVersionID(bucket), isLatest: true, isDeleteMarker: false,
            size: chosen.reduce(0) { $0 + $1.size }, etag: etag, lastModified: now, blobID: nil,
            attributes: ObjectLockRules.applyingDefault(attributes, in: bucket.settings, now: now),
            parts: chosen, uploadID: upload.uploadID)
        let change = ObjectChange(
            eventName: "ObjectCreated:CompleteMultipartUpload", key: version.key, size: version.size, etag: version.etag, versionID: version.versionID, time: now)
        let obsolete = try await index.completeUpload(
            bucketID: bucket.id, uploadRowID: upload.rowID, version, condition: condition, events: events(bucket, change, context))
        await blobs.deleteLater(obsolete)
        return version
    }

    /// The version a completed upload produced (a retried CompleteMultipartUpload answers with it).
    public func completedVersion(bucket: BucketRecord, uploadID: String) async throws(StoreError) -> ObjectVersion? {
        try await index.completedVersion(bucketID: bucket.id, uploadID: uploadID)
    }

    public func abort(bucket: BucketRecord, key: String, uploadID: String) async throws(StoreError) {
        _ = try await upload(bucket: bucket, key: key, uploadID: uploadID)
        guard let blobIDs = try await index.abortUpload(bucketID: bucket.id, uploadID: uploadID) else { throw .noSuchUpload(uploadID) }
        await blobs.delete(blobIDs)
    }

    /// Aborts uploads initiated more than `maxAge` ago; returns how many.
    public func abortStaleUploads(maxAge: Milliseconds) async throws(StoreError) -> Int {
        var aborted = 0
        for (bucketID, uploadID) in try await index.uploads(initiatedBefore: Self.now() - maxAge) {
            if let blobIDs = try await index.abortUpload(bucketID: bucketID, uploadID: uploadID) {
                await blobs.delete(blobIDs)
                aborted += 1
            }
        }
        return aborted
    }
}
