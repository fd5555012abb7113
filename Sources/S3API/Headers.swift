import HTTPTypes

/// Header names S3 uses that HTTPTypes does not predefine.
extension HTTPField.Name {
    static let amzRequestID = HTTPField.Name("x-amz-request-id")!
    static let amzID2 = HTTPField.Name("x-amz-id-2")!
    static let amzContentSHA256 = HTTPField.Name("x-amz-content-sha256")!
    static let amzDecodedContentLength = HTTPField.Name("x-amz-decoded-content-length")!
    static let amzTrailer = HTTPField.Name("x-amz-trailer")!
    static let amzSDKChecksumAlgorithm = HTTPField.Name("x-amz-sdk-checksum-algorithm")!
    static let amzChecksumMode = HTTPField.Name("x-amz-checksum-mode")!
    static let amzStorageClass = HTTPField.Name("x-amz-storage-class")!
    static let amzTagging = HTTPField.Name("x-amz-tagging")!
    static let amzTaggingCount = HTTPField.Name("x-amz-tagging-count")!
    static let amzBucketRegion = HTTPField.Name("x-amz-bucket-region")!
    static let amzCopySource = HTTPField.Name("x-amz-copy-source")!
    static let amzBucketObjectLockEnabled = HTTPField.Name("x-amz-bucket-object-lock-enabled")!
    static let amzObjectLockMode = HTTPField.Name("x-amz-object-lock-mode")!
    static let amzObjectLockRetainUntilDate = HTTPField.Name("x-amz-object-lock-retain-until-date")!
    static let amzObjectLockLegalHold = HTTPField.Name("x-amz-object-lock-legal-hold")!
    static let amzBypassGovernanceRetention = HTTPField.Name("x-amz-bypass-governance-retention")!
    static let amzExpiration = HTTPField.Name("x-amz-expiration")!
    static let amzObjectOwnership = HTTPField.Name("x-amz-object-ownership")!
    static let amzExpectedBucketOwner = HTTPField.Name("x-amz-expected-bucket-owner")!
    static let amzSourceExpectedBucketOwner = HTTPField.Name("x-amz-source-expected-bucket-owner")!
    static let amzIfMatchSize = HTTPField.Name("x-amz-if-match-size")!
    static let amzIfMatchLastModifiedTime = HTTPField.Name("x-amz-if-match-last-modified-time")!
    static let contentMD5 = HTTPField.Name("Content-MD5")!
    static let contentDisposition = HTTPField.Name("Content-Disposition")!
    static let contentLanguage = HTTPField.Name("Content-Language")!
    static let expires = HTTPField.Name("Expires")!
}

extension HTTPField.Name {
    static let amzVersionID = HTTPField.Name("x-amz-version-id")!
    static let amzDeleteMarker = HTTPField.Name("x-amz-delete-marker")!
    static let amzChecksumType = HTTPField.Name("x-amz-checksum-type")!
    static let amzChecksumAlgorithm = HTTPField.Name("x-amz-checksum-algorithm")!
    static let amzMPPartsCount = HTTPField.Name("x-amz-mp-parts-count")!
    static let amzMetadataDirective = HTTPField.Name("x-amz-metadata-directive")!
    static let amzTaggingDirective = HTTPField.Name("x-amz-tagging-directive")!
    static let amzCopySourceRange = HTTPField.Name("x-amz-copy-source-range")!
    static let amzCopySourceIfMatch = HTTPField.Name("x-amz-copy-source-if-match")!
    static let amzCopySourceIfNoneMatch = HTTPField.Name("x-amz-copy-source-if-none-match")!
    static let amzCopySourceIfModifiedSince = HTTPField.Name("x-amz-copy-source-if-modified-since")!
    static let amzCopySourceIfUnmodifiedSince = HTTPField.Name("x-amz-copy-source-if-unmodified-since")!
    static let amzCopySourceVersionID = HTTPField.Name("x-amz-copy-source-version-id")!
    static let amzObjectAttributes = HTTPField.Name("x-amz-object-attributes")!
    static let amzMaxParts = HTTPField.Name("x-amz-max-parts")!
    static let amzPartNumberMarker = HTTPField.Name("x-amz-part-number-marker")!
    static let amzAbortDate = HTTPField.Name("x-amz-abort-date")!
}
