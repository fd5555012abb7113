import Hummingbird
import HTTPTypes
import NIOCore
import ObjectStore
import S3Model

/// Get/Put/DeleteBucketCors, preflight `OPTIONS` requests and the CORS headers of other requests.
extension S3Responder {
    func getBucketCors(_ call: S3Call) async throws -> Response {
        let bucket = try await bucket(call)
        guard let rules = bucket.settings.cors else {
            throw S3Error(code: "NoSuchCORSConfiguration", status: 404, message: "The CORS configuration does not exist").with(detail: "BucketName", bucket.name)
        }
        return Self.xmlResponse(CORS.render(rules))
    }

    func putBucketCors(_ call: S3Call) async throws -> Response {
        let bucket = try await bucket(call)
        let document = try await readXML(call, root: "CORSConfiguration", limit: 64 * 1024)
        try await store.setSetting(bucket, .cors, try CORS.parse(document))
        return Response(status: .ok)
    }

    func deleteBucketCors(_ call: S3Call) async throws -> Response {
        let bucket = try await bucket(call)
        try await store.setSetting(bucket, .cors, [CORSRule]?.none)
        return Response(status: .noContent)
    }

    /// A browser's preflight: answered from the bucket's rules alone, without credentials.
    func preflight(_ request: S3Request, target: RequestTarget) async throws -> Response {
        guard let origin = request.headers[CORS.origin], let method = request.headers[CORS.requestMethod] else {
            throw S3Error(code: "BadRequest", status: 400, message: "Insufficient information. Origin request header needed.")
        }
        let bucket = try await store.bucket(target.bucket!)
        guard let rules = bucket.settings.cors else {
            throw S3Error(code: "AccessForbidden", status: 403, message: "CORSResponse: CORS is not enabled for this bucket.")
        }
        let requested = CORS.requestedHeaders(request.headers)
        guard let rule = CORS.match(rules, origin: origin, method: method, headers: requested) else {
            throw S3Error(code: "AccessForbidden", status: 403, message: "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.")
        }
        return Response(status: .ok, headers: CORS.headers(rule, origin: origin, requested: requested, preflight: true))
    }

    /// Adds the `Access-Control-*` headers a request from a browser origin gets, success or error.
    func addCORSHeaders(_ response: inout Response, request: S3Request, bucket name: String?) async {
        guard let name, let origin = request.headers[CORS.origin],
            let rules = (try? await store.bucket(name))?.settings.cors
        else { return }
        let method = request.headers[CORS.requestMethod] ?? request.method.rawValue
        guard let rule = CORS.match(rules, origin: origin, method: method, headers: []) else { return }
        for field in CORS.headers(rule, origin: origin, requested: [], preflight: false) { response.headers[field.name] = field.value }
    }
}
