import Crypto
import Hummingbird
import HTTPTypes
import NIOCore
import ObjectStore
import S3Model
import SigV4

extension S3Responder {
    /// The largest CompleteMultipartUpload body: 10,000 parts of up to 512 bytes each (number,
    /// ETag and every checksum element a part may carry, with indentation).
    static let maxCompleteBodyBytes = ObjectStore.maxPartNumber * 512

    static let maxPartSize: Int64 = 5 * 1024 * 1024 * 1024

    func createMultipartUpload(_ call: S3Call) async throws -> Response {
        let bucket = try await bucket(call)
        let key = call.target.key!
        if key.utf8.count > ObjectKeyRules.maxKeyBytes { throw S3Error.keyTooLong() }
        var attributes = try writeAttributes(call, bucket: bucket)
        // The upload keeps only the wrapped data key; each part unwraps it.
        attributes.encryption = try await encryptionForWrite(call, bucket: bucket)?.1
        var algorithm: ChecksumAlgorithm?
        if let text = call.header(.amzChecksumAlgorithm) {
            guard let parsed = ChecksumAlgorithm(rawValue: text.uppercased()) else {
                throw S3Error.invalidRequest("Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]")
            }
            algorithm = parsed
        }
        let upload = try await store.createUpload(
            bucket: bucket, key: key, attributes: attributes, checksumAlgorithm: algorithm, checksumType: call.header(.amzChecksumType)?.uppercased())
        var xml = XMLWriter()
        xml.group("InitiateMultipartUploadResult", namespace: XMLWriter.s3Namespace) { x in
            x.element("Bucket", bucket.name)
            x.element("Key", key)
            x.element("UploadId", upload.uploadID)
        }
        var response = Self.xmlResponse(xml)
        SSEHeaders.add(upload.attributes.encryption, to: &response.headers)
        if let algorithm = upload.checksumAlgorithm {
            response.headers[.amzChecksumAlgorithm] = algorithm.rawValue
            response.headers[.amzChecksumType] = upload.checksumType
        }
        return response
    }

    static func partNumber(_ call: S3Call) throws -> Int {
        let text = call.target.value("partNumber") ?? ""
        guard let number = Int(text), (1...ObjectStore.maxPartNumber).contains(number) else {
            throw S3Error.invalidArgument("Part number must be an integer between 1 and 10000, inclusive", name: "partNumber", value: text)
        }
        return number
    }

    func openUpload(_ call: S3Call) async throws -> (BucketRecord, UploadRecord) {
        let bucket = try await bucket(call)
        let upload = try await store.upload(bucket: bucket, key: call.target.key!, uploadID: call.target.value("uploadId") ?? "")
        return (bucket, upload)
    }

    func uploadPart(_ call: S3Call, stats: inout CallStats) async throws -> Response {
        let number = try Self.partNumber(call)
        let (_, upload) = try await openUpload(call)
        let dataKey = try await partDataKey(call, upload)
        let staged = try await receiveBody(call, extraChecksum: upload.checksumAlgorithm, maxSize: Self.maxPartSize, encryptingWith: dataKey)
        stats.bytesIn = staged.size
        let part = try await store.commitPart(staged, upload: upload, number: number)
        var headers: HTTPFields = [.eTag: part.etag]
        SSEHeaders.add(upload.attributes.encryption, to: &headers)
        for (algorithm, value) in staged.checksums { headers[HTTPField.Name(algorithm.headerName)!] = value }
        return Response(status: .ok, headers: headers)
    }

    func completeMultipartUpload(_ call: S3Call) async throws -> Response {
        let bucket = try await bucket(call)
        let key = call.target.key!
        let uploadID = call.target.value("uploadId") ?? ""
        let document = try await readXML(call, root: "CompleteMultipartUpload", limit: Self.maxCompleteBodyBytes, checksumsDescribeBody: false)
        var requested: [ObjectStore.RequestedPart] = []
        for part in document.children("Part") {
            guard let numberText = part.value("PartNumber"), let number = Int(numberText), let etag = part.value("ETag") else {
                throw S3Error.malformedXML()
            }
            let checksum = ChecksumAlgorithm.allCases.lazy.compactMap { part.value("Checksum\($0.rawValue)") }.first
            requested.append(.init(number: number, etag: etag, checksum: checksum))
        }
        if requested.isEmpty { throw S3Error.malformedXML() }
        let condition = try Self.writeCondition(call)
        let version: ObjectVersion
        // S3 needs no SSE-C key to complete an upload, but one that is sent must be the upload's,
        // a retried completion's too (review finding: a retry answered 200 to any key).
        func requireUploadsKey(_ encryption: EncryptionInfo?) throws {
            if let given = try SSEHeaders.customerKey(call.headers), given.md5 != encryption?.customerKeyMD5 {
                throw S3Error.invalidArgument("The key given is not the key the upload was started with.")
            }
        }
        if let upload = try await store.index.upload(bucketID: bucket.id, uploadID: uploadID), keyEquals(upload.key, key) {
            try requireUploadsKey(upload.attributes.encryption)
            var fullObject: (ChecksumAlgorithm, String)?
            if let algorithm = upload.checksumAlgorithm, let value = call.header(HTTPField.Name(algorithm.headerName)!) {
                fullObject = (algorithm, value)
            }
            version = try await store.complete(
                bucket: bucket, upload: upload, requested: requested, fullObjectChecksum: fullObject, condition: condition, context: call.eventContext)
        } else if let done = try await store.completedVersion(bucket: bucket, uploadID: uploadID), keyEquals(done.key, key) {
            // A retried completion of an upload that already finished answers with its result.
            try requireUploadsKey(done.attributes.encryption)
            version = done
        } else {
            throw StoreError.noSuchUpload(uploadID)
        }
        var xml = XMLWriter()
        xml.group("CompleteMultipartUploadResult", namespace: XMLWriter.s3Namespace) { x in
            x.element("Location", "/\(bucket.name)/\(URIEncoding.encode(key, keepSlash: true))")
            x.element("Bucket", bucket.name)
            x.element("Key", key)
            x.element("ETag", version.etag)
            for (algorithm, value) in version.attributes.checksums { x.element("Checksum\(algorithm.rawValue)", value) }
            if let type = version.attributes.checksumType { x.element("ChecksumType", type) }
        }
        var response = Self.xmlResponse(xml)
        Self.addWrittenVersionHeader(&response.headers, version, bucket)
        SSEHeaders.add(version.attributes.encryption, to: &response.headers)
        Self.addExpirationHeader(&response.headers, version, bucket)
        return response
    }

    /// The data key a part of an encrypted upload is sealed with; an SSE-C upload's parts must
    /// carry the key the upload was started with.
    func partDataKey(_ call: S3Call, _ upload: UploadRecord) async throws -> SymmetricKey? {
        guard let encryption = upload.attributes.encryption else {
            if try SSEHeaders.customerKey(call.headers) != nil { throw S3Error.invalidRequest("The upload was not started with a customer-provided key.") }
            return nil
        }
        var customerKey: [UInt8]?
        if encryption.mode == .customer {
            guard let given = try SSEHeaders.customerKey(call.headers) else { throw StoreError.encryptionKeyRequired }
            try requireSafeTransportForCustomerKeys(call)
            guard given.md5 == encryption.customerKeyMD5 else {
                throw S3Error.invalidArgument("The key given for this part is not the key the upload was started with.")
            }
            customerKey = given.key
        }
        if encryption.mode == .kms, let keyID = encryption.kmsKeyID { try await authorizeKMS(call, keyID, "kms:Decrypt") }
        guard let vault = store.vault else { throw StoreError.internalFailure("no key vault") }
        return try await vault.dataKey(encryption, customerKey: customerKey)
    }

    func abortMultipartUpload(_ call: S3Call) async throws -> Response {
        let bucket = try await bucket(call)
        try await store.abort(bucket: bucket, key: call.target.key!, uploadID: call.target.value("uploadId") ?? "")
        return Response(status: .noContent)
    }

    func listParts(_ call: S3Call) async throws -> Response {
        let (bucket, upload) = try await openUpload(call)
        let maxParts = try Self.maxKeys(call.target.value("max-parts"), name: "max-parts")
        var marker = 0
        if let text = call.target.value("part-number-marker"), !text.isEmpty {
            guard let value = Int(text), value >= 0 else {
                throw S3Error.invalidArgument("Part number marker must be an integer", name: "part-number-marker", value: text)
            }
            marker = value
        }
        let parts = try await store.parts(of: upload, after: marker, limit: maxParts + 1)
        let page = Array(parts.prefix(maxParts))
        let truncated = parts.count > maxParts
        var xml = XMLWriter()
        xml.group("ListPartsResult", namespace: XMLWriter.s3Namespace) { x in
            x.element("Bucket", bucket.name)
            x.element("Key", upload.key)
            x.element("UploadId", upload.uploadID)
            writeOwner(&x, id: ownerID(of: upload.attributes, in: bucket), element: "Initiator")
            writeOwner(&x, id: ownerID(of: upload.attributes, in: bucket))
            x.element("StorageClass", upload.attributes.storageClass)
            x.element("PartNumberMarker", marker)
            if let last = page.last { x.element("NextPartNumberMarker", last.number) }
            x.element("MaxParts", maxParts)
            x.element("IsTruncated", truncated)
            if let algorithm = upload.checksumAlgorithm {
                x.element("ChecksumAlgorithm", algorithm.rawValue)
                x.optional("ChecksumType", upload.checksumType)
            }
            for part in page {
                x.group("Part") { x in
                    x.element("PartNumber", part.number)
                    x.element("LastModified", HTTPDate.iso8601(milliseconds: part.lastModified))
                    x.element("ETag", part.etag)
                    x.element("Size", part.size)
                    if let algorithm = upload.checksumAlgorithm, let checksum = part.checksum { x.element("Checksum\(algorithm.rawValue)", checksum) }
                }
            }
        }
        return Self.xmlResponse(xml)
    }

    func listMultipartUploads(_ call: S3Call) async throws -> Response {
        let bucket = try await bucket(call)
        let query = call.target
        let listing = try ListingQuery(query, pageSizeName: "max-uploads")
        let uploadIDMarker = query.value("upload-id-marker").flatMap { $0.isEmpty ? nil : $0 }
        let page = try await store.listUploads(
            bucket: bucket, listing.request(after: listing.keyMarker), uploadIDMarker: uploadIDMarker)
        var xml = XMLWriter()
        xml.group("ListMultipartUploadsResult", namespace: XMLWriter.s3Namespace) { x in
            x.element("Bucket", bucket.name)
            x.element("KeyMarker", listing.encode(listing.keyMarker ?? ""))
            x.element("UploadIdMarker", uploadIDMarker ?? "")
            if page.isTruncated, let last = page.entries.last {
                switch last {
                case .upload(let u):
                    x.element("NextKeyMarker", listing.encode(u.key))
                    x.element("NextUploadIdMarker", u.uploadID)
                case .commonPrefix(let p):
                    x.element("NextKeyMarker", listing.encode(p))
                }
            }
            x.element("Prefix", listing.encode(listing.prefix))
            if let delimiter = listing.delimiter { x.element("Delimiter", listing.encode(delimiter)) }
            x.element("MaxUploads", listing.maxKeys)
            if listing.encodeURL { x.element("EncodingType", "url") }
            x.element("IsTruncated", page.isTruncated)
            for entry in page.entries {
                switch entry {
                case .upload(let u):
                    x.group("Upload") { x in
                        x.element("Key", listing.encode(u.key))
                        x.element("UploadId", u.uploadID)
                        writeOwner(&x, id: ownerID(of: u.attributes, in: bucket), element: "Initiator")
                        writeOwner(&x, id: ownerID(of: u.attributes, in: bucket))
                        x.element("StorageClass", u.attributes.storageClass)
                        x.element("Initiated", HTTPDate.iso8601(milliseconds: u.initiated))
                        if let algorithm = u.checksumAlgorithm { x.element("ChecksumAlgorithm", algorithm.rawValue) }
                    }
                case .commonPrefix(let p):
                    x.group("CommonPrefixes") { x in x.element("Prefix", listing.encode(p)) }
                }
            }
        }
        return Self.xmlResponse(xml)
    }
}
