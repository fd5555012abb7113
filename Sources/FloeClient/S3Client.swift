import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFileSystem
import NIOHTTP1
import S3Model
import SigV4

/// Hears how many more bytes went over the wire.
public typealias TransferProgress = @Sendable (Int64) -> Void

/// What a request sends as its body.
public enum RequestBody: Sendable {
    case empty
    /// Small bodies, signed with their SHA-256.
    case bytes([UInt8])
    /// A byte range of a local file, streamed in 1 MiB chunks (UNSIGNED-PAYLOAD); `progress`
    /// hears of every chunk sent.
    case file(path: String, offset: Int64, length: Int64, progress: TransferProgress? = nil)
    /// Any stream of known length (e.g. another server's GET body), UNSIGNED-PAYLOAD.
    case stream(HTTPClientRequest.Body)
}

/// An S3 client over AsyncHTTPClient that signs with Floe's own SigV4 signer. Bodies stream both
/// ways; errors come back as `ClientError` with the server's code.
public final class S3Client: Sendable {
    public let endpoint: Endpoint
    let http: HTTPClient
    let signer: RequestSigner
    /// Sent (unsigned) with every request: the console's statement of its browser's address.
    let extraHeaders: [(name: String, value: String)]
    /// Long enough for large transfers; per-request progress is the caller's concern.
    static let timeout: TimeAmount = .hours(12)

    public init(endpoint: Endpoint, http: HTTPClient, extraHeaders: [(name: String, value: String)] = []) {
        self.endpoint = endpoint
        self.http = http
        self.signer = RequestSigner(endpoint: endpoint, service: "s3")
        self.extraHeaders = extraHeaders
    }

    static func path(bucket: String?, key: String?) -> String {
        guard let bucket else { return "/" }
        guard let key else { return "/\(bucket)" }
        return "/\(bucket)/\(key)"
    }

    /// Sends one request; statuses of 300 and above (but 304) become `ClientError`.
    public func send(
        _ method: HTTPMethod, bucket: String? = nil, key: String? = nil, query: [(name: String, value: String)] = [],
        headers: [(name: String, value: String)] = [], body: RequestBody = .empty, path explicitPath: String? = nil
    ) async throws -> HTTPClientResponse {
        let path = explicitPath ?? Self.path(bucket: bucket, key: key)
        var request = HTTPClientRequest(url: endpoint.url + SigV4Signer.canonicalURI(decodedPath: path) + (query.isEmpty ? "" : "?" + SigV4Signer.canonicalQuery(query)))
        request.method = method
        let payloadHash: String
        switch body {
        case .empty: payloadHash = SigV4Signer.emptySHA256
        case .bytes(let bytes):
            payloadHash = RequestSigner.sha256Hex(bytes)
            request.body = .bytes(ByteBuffer(bytes: bytes))
        case .file, .stream: payloadHash = "UNSIGNED-PAYLOAD"
        }
        for (name, value) in signer.sign(method: method.rawValue, path: path, query: query, headers: headers, payloadHash: payloadHash) {
            request.headers.add(name: name, value: value)
        }
        for (name, value) in extraHeaders { request.headers.add(name: name, value: value) }
        let response: HTTPClientResponse
        do {
            switch body {
            case .file(let file, let offset, let length, let progress):
                response = try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(file)) { handle in
                    let chunks = handle.readChunks(in: offset..<(offset + length), chunkLength: .mebibytes(1)).map { chunk in
                        progress?(Int64(chunk.readableBytes))
                        return chunk
                    }
                    request.body = .stream(chunks, length: .known(length))
                    return try await http.execute(request, timeout: Self.timeout)
                }
            case .stream(let stream):
                request.body = stream
                response = try await http.execute(request, timeout: Self.timeout)
            case .empty, .bytes:
                response = try await http.execute(request, timeout: Self.timeout)
            }
        } catch let error as ClientError {
            throw error
        } catch {
            throw ClientError.transport("cannot reach \(endpoint.url): \(error)")
        }
        if response.status.code >= 300 && response.status.code != 304 {
            throw await Self.error(from: response, method: method)
        }
        return response
    }

    /// The S3 XML error of a failed response (HEAD responses have no body: the status says it).
    static func error(from response: HTTPClientResponse, method: HTTPMethod) async -> ClientError {
        let status = Int(response.status.code)
        let body = (try? await response.body.collect(upTo: 1 << 20)) ?? ByteBuffer()
        if let document = try? S3Model.XMLDocument.parse(Array(body.readableBytesView)), let code = document.value("Code") {
            return ClientError(status: status, code: code, message: document.value("Message") ?? "")
        }
        let message = String(buffer: body).trimmingCharacters(in: .whitespacesAndNewlines)
        let code = [404: method == .HEAD ? "NotFound" : "NoSuchKey", 403: "AccessDenied", 401: "Unauthorized", 400: "BadRequest"][status] ?? "HTTP\(status)"
        return ClientError(status: status, code: code, message: message.isEmpty ? response.status.reasonPhrase : message)
    }

    /// The whole (small) body of a response as XML.
    static func xml(_ response: HTTPClientResponse) async throws -> S3Model.XMLElement {
        let body = try await response.body.collect(upTo: 64 << 20)
        do {
            return try S3Model.XMLDocument.parse(Array(body.readableBytesView))
        } catch {
            throw ClientError.transport("the server answered XML that does not parse: \(error)")
        }
    }

    public func presign(method: String, bucket: String, key: String, query: [(name: String, value: String)] = [], expires: Int) -> String {
        signer.presign(method: method, path: Self.path(bucket: bucket, key: key), query: query, expires: expires)
    }
}
