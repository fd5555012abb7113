import Hummingbird
import HTTPTypes
import NIOCore
import ObjectStore
import S3Model
import SigV4

/// The one place where failures become S3 errors and S3 errors become responses.
enum ErrorMapping {
    static func s3Error(_ error: any Error) -> S3Error {
        switch error {
        case let error as S3Error:
            return error
        case let error as StoreError:
            return s3Error(error)
        case let error as SigV4Error:
            return s3Error(error)
        case is BodyStreamError:
            // The client went away or sent less than it announced.
            return .incompleteBody()
        default:
            return .internalError
        }
    }

    static func s3Error(_ error: StoreError) -> S3Error {
        switch error {
        case .noSuchBucket(let name): return .noSuchBucket(name)
        case .bucketAlreadyOwnedByYou(let name): return .bucketAlreadyOwnedByYou(name)
        case .bucketAlreadyExists(let name): return .bucketAlreadyExists(name)
        case .invalidRange(let size, let requested): return .invalidRange(size: size, requested: requested)
        case .bucketNotEmpty(let name): return .bucketNotEmpty(name)
        case .invalidBucketName(let name): return .invalidBucketName(name)
        case .noSuchKey(let key): return .noSuchKey(key)
        case .noSuchVersion(let key, let versionID):
            return S3Error(code: "NoSuchVersion", status: 404, message: "The specified version does not exist.", resource: key)
                .with(detail: "Key", key).with(detail: "VersionId", versionID)
        case .noSuchUpload(let uploadID):
            return S3Error(code: "NoSuchUpload", status: 404, message: "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.")
                .with(detail: "UploadId", uploadID)
        case .invalidPart(let message): return S3Error(code: "InvalidPart", status: 400, message: message)
        case .invalidPartOrder:
            return S3Error(code: "InvalidPartOrder", status: 400, message: "The list of parts was not in ascending order. Parts must be ordered by part number.")
        case .entityTooSmall:
            return S3Error(code: "EntityTooSmall", status: 400, message: "Your proposed upload is smaller than the minimum allowed object size.")
        case .invalidRequest(let message): return .invalidRequest(message)
        case .invalidArgument(let message): return .invalidArgument(message)
        case .invalidKey(let message): return .invalidArgument(message)
        case .keyTooLong: return .keyTooLong()
        case .badDigest: return .badDigest()
        case .checksumMismatch(let algorithm):
            return .badDigest("The \(algorithm.rawValue) you specified did not match the calculated checksum.")
        case .contentSHA256Mismatch: return .xAmzContentSHA256Mismatch()
        case .incompleteBody(let expected, let received):
            if received > expected {
                return .invalidRequest("The body is longer than the declared length (\(expected) bytes).")
            }
            return .incompleteBody()
        case .entityTooLarge: return .entityTooLarge()
        case .preconditionFailed(let condition): return .preconditionFailed(condition)
        case .objectLocked(let message): return .accessDenied(message)
        case .encryptionKeyRequired:
            return .invalidRequest("The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.")
        case .encryptionKeyMismatch:
            return .invalidArgument("The provided encryption key does not match the key the object was stored with.")
        case .kmsKeyNotFound(let name):
            return S3Error(code: "KMS.NotFoundException", status: 400, message: "Key '\(name)' does not exist")
        case .invalidBucketState(let message): return S3Error(code: "InvalidBucketState", status: 409, message: message)
        case .versionChanged:
            return S3Error(
                code: "OperationAborted", status: 409, message: "A conflicting conditional operation is currently in progress against this resource. Please try again.")
        case .internalFailure: return .internalError
        }
    }

    static func s3Error(_ error: SigV4Error) -> S3Error {
        switch error.code {
        case .signatureDoesNotMatch: return .signatureDoesNotMatch(error.message)
        case .invalidAccessKeyId: return .invalidAccessKeyId(error.message)
        case .authorizationHeaderMalformed: return .authorizationHeaderMalformed(error.message)
        case .authorizationQueryParametersError: return .authorizationQueryParametersError(error.message)
        case .accessDenied, .requestExpired, .requestNotYetValid: return .accessDenied(error.message)
        case .requestTimeTooSkewed: return .requestTimeTooSkewed(error.message)
        case .missingSecurityHeader: return .missingSecurityHeader(error.message)
        case .contentSHA256Mismatch: return .xAmzContentSHA256Mismatch()
        case .invalidContentSHA256: return .invalidArgument(error.message, name: "x-amz-content-sha256")
        case .incompleteBody: return .incompleteBody(error.message)
        case .malformedChunkedEncoding: return .invalidRequest(error.message)
        case .unsupportedAlgorithm: return .invalidRequest(error.message)
        case .invalidTrailer: return .invalidRequest(error.message)
        }
    }

    /// The XML error document; HEAD responses carry the status and headers only, as S3 sends them.
    static func response(_ error: S3Error, requestID: String, method: HTTPRequest.Method) -> Response {
        var headers = HTTPFields()
        for (name, value) in error.headers {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        let status = HTTPResponse.Status(code: error.status)
        if method == .head {
            return Response(status: status, headers: headers)
        }
        var xml = XMLWriter()
        xml.group("Error") { x in
            x.element("Code", error.code)
            x.element("Message", error.message)
            for (name, value) in error.details { x.element(name, value) }
            x.optional("Resource", error.resource)
            x.element("RequestId", requestID)
        }
        headers[.contentType] = "application/xml"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: xml.bytes)))
    }
}
