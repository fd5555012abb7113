/// What the object store refuses, in domain terms. The S3 API maps each case to one S3 error.
public enum StoreError: Error, Sendable, Equatable {
    case noSuchBucket(String)
    case bucketAlreadyOwnedByYou(String)
    /// The name is taken by a bucket another principal owns.
    case bucketAlreadyExists(String)
    case bucketNotEmpty(String)
    case invalidBucketName(String)
    case noSuchKey(String)
    case noSuchVersion(key: String, versionID: String)
    case noSuchUpload(String)
    /// A part named in CompleteMultipartUpload is missing or its ETag differs.
    case invalidPart(String)
    case invalidPartOrder
    /// A part other than the last is smaller than 5 MiB.
    case entityTooSmall
    /// A request that is well-formed but not valid here, with S3's message.
    case invalidRequest(String)
    case invalidArgument(String)
    case invalidKey(String)
    case keyTooLong
    /// Content-MD5 did not match the bytes received.
    case badDigest
    /// An x-amz-checksum-* value did not match.
    case checksumMismatch(ChecksumAlgorithm)
    /// x-amz-content-sha256 did not match the bytes received.
    case contentSHA256Mismatch
    /// Fewer (or more) bytes than Content-Length / x-amz-decoded-content-length promised.
    case incompleteBody(expected: Int64, received: Int64)
    case entityTooLarge(limit: Int64)
    case preconditionFailed(String)
    /// Object Lock keeps the version (retention or legal hold): S3 answers AccessDenied.
    case objectLocked(String)
    /// The bucket's configuration does not allow the change (Object Lock and versioning).
    case invalidBucketState(String)
    /// An SSE-C object read without its key.
    case encryptionKeyRequired
    /// An SSE-C object read with a key other than the one it was written with.
    case encryptionKeyMismatch
    /// SSE-KMS names a key the key store does not have.
    case kmsKeyNotFound(String)
    /// A byte range outside the object (`requested` as the client sent it).
    case invalidRange(size: Int64, requested: String)
    /// The version a write was decided on (`ExpectedVersion`) is not the one there now: the
    /// caller decides again on that one and retries; S3 answers OperationAborted should it give up.
    case versionChanged(key: String)
    /// Storage or index failure: logged, answered 500.
    case internalFailure(String)
}
