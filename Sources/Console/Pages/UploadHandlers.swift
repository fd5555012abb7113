import AsyncHTTPClient
import FloeClient
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import S3API
import S3Model
import Synchronization

/// Uploads through the console. Without script, the browser posts a multipart form: each file
/// streams through, held at most one part (8 MiB) at a time, as one PutObject when it fits a
/// part and as a multipart upload when it does not. With script (console.js), each part is its
/// own request, so the page shows progress and a failed part is sent again on its own.
enum UploadHandlers {
    static let partSize = 8 << 20
    /// The largest part the script may send in one request.
    static let maxScriptPart = 64 << 20

    static func form(_ call: ConsoleCall, bucket: String) async throws -> ConsoleReply {
        guard let type = call.request.headers[.contentType], let boundary = FormDataReader.boundary(contentType: type) else {
            throw ConsoleError("The upload is not a multipart form.")
        }
        guard call.console.formUploads.take() else {
            throw ConsoleError("The server is receiving too many form uploads at once. Try again in a moment.")
        }
        defer { call.console.formUploads.give() }
        let reader = FormDataReader(requestBody: call.request.body, boundary: boundary)
        let tooLarge = S3Error(code: "MaxMessageLengthExceeded", status: 400, message: "A form field is too long.")
        // The token comes first in the form, and is checked before any file is read.
        guard let first = try await reader.nextPart(), first.name == "_csrf",
            ConsoleSessions.csrfMatches(call.session, String(decoding: try await reader.readValue(limit: 256, tooLarge: tooLarge), as: UTF8.self))
        else {
            throw ConsoleError("The form's security token is missing or wrong. Reload the page and try again.")
        }
        var prefix = ""
        var uploaded: [String] = []
        while let part = try await reader.nextPart() {
            if part.filename == nil {
                let value = String(decoding: try await reader.readValue(limit: 4096, tooLarge: tooLarge), as: UTF8.self)
                if part.name == "prefix" { prefix = value }
                continue
            }
            let name = fileName(part.filename ?? "")
            let body = reader.fileBody()
            guard !name.isEmpty else {
                for try await _ in body {}
                continue
            }
            try await store(call, bucket: bucket, key: prefix + name, contentType: part.contentType, body: body)
            uploaded.append(name)
        }
        let back = "/buckets/\(bucket)" + FormFields.query([("prefix", prefix)])
        guard !uploaded.isEmpty else { throw ConsoleError("Choose at least one file.") }
        return .redirect(back, Flash(text: "Uploaded \(uploaded.joined(separator: ", ")).", isError: false))
    }

    /// The last path component of what the browser sent (some send a full path), without control characters.
    static func fileName(_ sent: String) -> String {
        let last = sent.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        let clean = String(last.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }.map(Character.init))
        return clean == "." || clean == ".." ? "" : clean
    }

    /// Streams `body` into the object, one part in memory at most.
    static func store(_ call: ConsoleCall, bucket: String, key: String, contentType: String?, body: FormDataReader.FileBody) async throws {
        let headers = contentType.map { [(name: "content-type", value: $0)] } ?? []
        var iterator = body.makeAsyncIterator()
        var buffer = ByteBuffer()
        var uploadID: String?
        var parts: [(number: Int, etag: String)] = []
        do {
            while let chunk = try await iterator.next() {
                var chunk = chunk
                while chunk.readableBytes > 0 {
                    let take = min(chunk.readableBytes, partSize - buffer.readableBytes)
                    var slice = chunk.readSlice(length: take)!
                    buffer.writeBuffer(&slice)
                    if buffer.readableBytes == partSize {
                        if uploadID == nil { uploadID = try await call.s3.createMultipartUpload(bucket: bucket, key: key, headers: headers) }
                        let number = parts.count + 1
                        let etag = try await call.s3.uploadPart(
                            bucket: bucket, key: key, uploadID: uploadID!, number: number, body: .bytes(Array(buffer.readableBytesView)))
                        parts.append((number, etag))
                        buffer.clear()
                    }
                }
            }
            if let uploadID {
                if buffer.readableBytes > 0 || parts.isEmpty {
                    let etag = try await call.s3.uploadPart(
                        bucket: bucket, key: key, uploadID: uploadID, number: parts.count + 1, body: .bytes(Array(buffer.readableBytesView)))
                    parts.append((parts.count + 1, etag))
                }
                _ = try await call.s3.completeMultipartUpload(bucket: bucket, key: key, uploadID: uploadID, parts: parts)
            } else {
                _ = try await call.s3.put(bucket: bucket, key: key, body: .bytes(Array(buffer.readableBytesView)), headers: headers)
            }
        } catch {
            if let uploadID { try? await call.s3.abortMultipartUpload(bucket: bucket, key: key, uploadID: uploadID) }
            throw error
        }
    }

    /// The script's upload steps; answers JSON.
    static func step(_ call: ConsoleCall, bucket: String, _ step: ConsoleRoute.UploadStep) async throws -> ConsoleReply {
        guard let key = call.query["key"], !key.isEmpty, key.utf8.count <= 1024 else { throw ConsoleError("No object key given.") }
        switch step {
        case .start:
            let type = call.query["type"].flatMap { $0.isEmpty ? nil : $0 }
            let id = try await call.s3.createMultipartUpload(bucket: bucket, key: key, headers: type.map { [(name: "content-type", value: $0)] } ?? [])
            return .response(ConsoleResponder.json(["uploadId": id]))
        case .part:
            guard let id = call.query["uploadId"], let number = Int(call.query["partNumber"] ?? ""), (1...10_000).contains(number) else {
                throw ConsoleError("A part needs its upload id and a number from 1 to 10,000.")
            }
            guard let length = call.request.headers[.contentLength].flatMap({ Int($0) }), (0...maxScriptPart).contains(length) else {
                throw ConsoleError("A part needs a Content-Length of at most 64 MiB.")
            }
            let principal = call.session.principal
            guard call.console.transfersPerPrincipal.take(principal) else {
                throw ConsoleError("You have 8 transfers running already; wait for one to finish.")
            }
            defer { call.console.transfersPerPrincipal.give(principal) }
            let body = HTTPClientRequest.Body.stream(call.request.body, length: .known(Int64(length)))
            let etag = try await call.transfers.uploadPart(bucket: bucket, key: key, uploadID: id, number: number, body: .stream(body))
            return .response(ConsoleResponder.json(["etag": etag]))
        case .complete:
            guard let id = call.query["uploadId"] else { throw ConsoleError("No upload id given.") }
            let text = try await call.request.body.collect(upTo: 1 << 20)
            guard let object = (try? JSONSerialization.jsonObject(with: Data(text.readableBytesView))) as? [String: Any],
                let list = object["parts"] as? [[String: Any]]
            else { throw ConsoleError("The part list is not JSON.") }
            let parts = try list.map { entry -> (number: Int, etag: String) in
                guard let number = entry["partNumber"] as? Int, let etag = entry["etag"] as? String else { throw ConsoleError("A part lacks its number or ETag.") }
                return (number, etag)
            }
            _ = try await call.s3.completeMultipartUpload(bucket: bucket, key: key, uploadID: id, parts: parts)
            return .response(ConsoleResponder.json(["key": key]))
        case .abort:
            guard let id = call.query["uploadId"] else { throw ConsoleError("No upload id given.") }
            try await call.s3.abortMultipartUpload(bucket: bucket, key: key, uploadID: id)
            return .response(ConsoleResponder.json(["aborted": true]))
        }
    }
}

/// Heavy requests in flight (form uploads, table previews, a principal's transfers), counted per
/// key and refused past the limit, so their memory and connections stay bounded.
final class ConcurrencySlots: Sendable {
    let limit: Int
    private let used = Mutex<[String: Int]>([:])

    init(limit: Int) {
        self.limit = limit
    }

    func take(_ key: String = "") -> Bool {
        used.withLock { counts in
            guard counts[key, default: 0] < limit else { return false }
            counts[key, default: 0] += 1
            return true
        }
    }

    func give(_ key: String = "") {
        used.withLock { counts in
            let left = counts[key, default: 1] - 1
            counts[key] = left > 0 ? left : nil
        }
    }

    /// A taken slot that is given back when the lease is released, whether or not the work that
    /// holds it ever ran (a response body the server drops unwritten when its client goes away).
    final class Lease: Sendable {
        let slots: ConcurrencySlots
        let key: String

        init(_ slots: ConcurrencySlots, key: String) {
            self.slots = slots
            self.key = key
        }

        deinit { slots.give(key) }
    }
}
