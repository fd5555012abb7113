import Hummingbird
import HTTPTypes
import Authentication
import Identity
import Logging
import NIOCore
import ObjectStore
import S3Model
import SigV4
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

public struct S3Configuration: Sendable {
    public var region: String
    /// Domains for virtual-host style addressing (`bucket.<domain>`); empty turns it off.
    public var domains: [String]
    /// Largest request header section accepted (names and values), as S3's 8 KB limit.
    public var maxHeaderBytes: Int
    /// Whether the listener is TLS (the `aws:SecureTransport` condition key).
    public var secureTransport: Bool
    /// The Object Ownership a bucket gets when CreateBucket names none: BucketOwnerEnforced (ACLs
    /// off), as AWS since 2023; nil records none, so ACLs apply as in S3 before 2023.
    public var defaultObjectOwnership: ObjectOwnership?
    /// How long access log records gather before they are delivered as one object.
    public var accessLogRollSeconds: Int
    /// The key-store key SSE-KMS uses when a request or a bucket's default names none (AWS's
    /// `aws/s3` key); nil: such a request is refused.
    public var defaultKMSKey: String?
    /// Verifies the console's statement of its browser's address (nil: requests are taken at their TCP peer).
    public var forwardedClient: ForwardedClient?

    public init(
        region: String = "us-east-1", domains: [String] = [], maxHeaderBytes: Int = 8 * 1024, secureTransport: Bool = false,
        defaultObjectOwnership: ObjectOwnership? = .bucketOwnerEnforced, accessLogRollSeconds: Int = 300, defaultKMSKey: String? = nil
    ) {
        self.defaultKMSKey = defaultKMSKey
        self.accessLogRollSeconds = accessLogRollSeconds
        self.defaultObjectOwnership = defaultObjectOwnership
        self.region = region
        self.domains = domains
        self.maxHeaderBytes = maxHeaderBytes
        self.secureTransport = secureTransport
    }
}

/// Per-connection facts the S3 layer needs (the peer address, for logs and later policies).
public struct S3RequestContext: InitializableFromSource {
    /// The TCP peer; its text is made only when something asks for it.
    let peer: SocketAddress?
    public var remoteAddress: String? { peer?.ipAddress }
    public let logger: Logger
    /// The connection, to send `100 Continue` once a request is authorized.
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        peer = source.channel.remoteAddress
        logger = source.logger
        channel = source.channel
    }
}

/// Who sent a request: the browser behind the console when the console's statement verifies,
/// else the TCP peer. The peer's text is made only when asked for (the request log, conditions,
/// audit records): formatting it for every request was about 1 % of a small request's CPU.
struct RequestOrigin: Sendable {
    let forwarded: String?
    let peer: SocketAddress?

    init(_ headers: HTTPFields, peer: SocketAddress?, forwardedClient: ForwardedClient?) {
        self.peer = peer
        if let forwardedClient, let statement = headers[.floeConsoleClient] {
            forwarded = forwardedClient.address(from: statement, peer: peer?.ipAddress)
        } else {
            forwarded = nil
        }
    }

    var address: String? { forwarded ?? peer?.ipAddress }
}

/// A request on its way through the S3 layer, after routing and authentication. A class: it is
/// handed from the responder to authorization and the handlers many times per request, and as a
/// struct each handing copied (retained) its dozen references.
final class S3Call {
    let request: S3Request
    let target: RequestTarget
    let operation: Operation
    let requestID: String
    let principal: Principal
    let verified: VerifiedRequest?
    let origin: RequestOrigin
    /// The bucket as authorization read it (nil when it did not need to); handlers read it through `bucket(_:)`.
    var bucketRecord: BucketRecord? = nil
    /// Called where a handler starts reading the body (`S3Responder.continuation`).
    var wantBody: @Sendable () -> Void = {}
    /// The attributes of the object versions the request's decisions read (`Authorization.confirmJudged`,
    /// `writeAsJudged`); nil for an object that had none, or a delete marker.
    var judgedVersions: [JudgedObject: ObjectAttributes?] = [:]

    init(
        request: S3Request, target: RequestTarget, operation: Operation, requestID: String, principal: Principal,
        verified: VerifiedRequest?, origin: RequestOrigin
    ) {
        self.request = request
        self.target = target
        self.operation = operation
        self.requestID = requestID
        self.principal = principal
        self.verified = verified
        self.origin = origin
    }

    var headers: HTTPFields { request.headers }
    /// Who made the request, for bucket notification records.
    /// The caller's address (`RequestOrigin`).
    var remoteAddress: String? { origin.address }
    var eventContext: EventContext { EventContext(principal: principal.name, requestID: requestID, sourceIP: remoteAddress ?? "") }
    func header(_ name: HTTPField.Name) -> String? { request.headers[name] }
}

/// Outcome details a handler reports for the request log and metrics.
struct CallStats {
    var bytesIn: Int64 = 0
    var bytesOut: Int64 = 0
}

/// The S3 API: one responder that routes by path, method and sub-resource, authenticates with
/// SigV4, runs the operation and renders every failure as an S3 XML error.
public final class S3Responder: HTTPResponder, Sendable {
    public typealias Context = S3RequestContext

    let store: ObjectStore
    let directory: Directory
    let identityStore: any IdentityPersistence
    let authenticator: RequestAuthenticator
    let stsAuthenticator: RequestAuthenticator
    let configuration: S3Configuration
    let metrics: ServerMetrics
    let audit: AuditLog
    let logger: Logger
    /// Small bodies (XML configurations, batches, admin JSON) being read, across all requests.
    let smallBodies = ByteBudget(total: 64 << 20)
    /// Server access log records waiting for delivery.
    let accessLog: AccessLogBatches

    public init(
        store: ObjectStore, directory: Directory, identityStore: any IdentityPersistence, configuration: S3Configuration,
        metrics: ServerMetrics, audit: AuditLog = .disabled, logger: Logger
    ) {
        self.audit = audit
        self.accessLog = AccessLogBatches(rollSeconds: configuration.accessLogRollSeconds)
        self.authenticator = RequestAuthenticator(services: ["s3"], directory: directory)
        self.stsAuthenticator = RequestAuthenticator(services: ["sts"], directory: directory)
        self.store = store
        self.directory = directory
        self.identityStore = identityStore
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
    }

    /// Handlers for the connection pipeline (interim 100 Continue, oversized heads).
    public static func channelHandlers() -> [any RemovableChannelHandler] { [S3ConnectionHandler()] }

    public func respond(to request: Request, context: S3RequestContext) async throws -> Response {
        try await respond(to: S3Request(head: request.head, body: request.body), context: context)
    }

    private static let hostIDField = HTTPField(name: .amzID2, value: RequestIDs.hostID)
    private static let serverField = HTTPField(name: .server, value: "Floe")

    /// The responder itself, for a connection that makes no Hummingbird `Request` (`S3Request`).
    public func respond(to request: S3Request, context: S3RequestContext) async throws -> Response {
        let origin = RequestOrigin(request.headers, peer: context.peer, forwardedClient: configuration.forwardedClient)
        let started = ContinuousClock.now
        let requestID = RequestIDs.make()
        var operationName = "Unknown"
        var stats = CallStats()
        var target: RequestTarget?
        var operation: Operation?
        var caller: (principal: Principal, verified: VerifiedRequest?)?
        var errorCode: String?
        var response: Response
        do {
            if let special = try await serviceEndpoint(request) {
                operationName = special.0
                response = special.1
            } else if Self.isSTS(request) {
                operationName = "AssumeRole"
                // STS signs its (small, bounded) form body: it must be read to authenticate.
                response = await sts(request, requestID: requestID, remoteAddress: origin.address, wantBody: Self.continuation(request, context))
            } else {
                let parsed = try RequestTarget.parse(
                    requestTarget: request.head.path ?? "/", host: request.head.authority, domains: configuration.domains)
                target = parsed
                let resolved = Operation.resolve(method: request.method, target: parsed, headers: request.headers)
                operation = resolved
                operationName = resolved.rawValue
                try checkHeaderSize(request.headers)
                try RequestNames.check(parsed)
                if resolved == .preflight {
                    response = try await preflight(request, target: parsed)
                } else if resolved == .postObject {
                    response = try await postObject(
                        request, target: parsed, requestID: requestID, origin: origin, wantBody: Self.continuation(request, context))
                } else {
                    let call = try await authenticate(request, target: parsed, operation: resolved, requestID: requestID, origin: origin)
                    caller = (call.principal, call.verified)
                    call.wantBody = Self.continuation(request, context)
                    do {
                        response = try await dispatch(call, stats: &stats)
                    } catch {
                        throw await concealMissing(error, call)
                    }
                }
            }
        } catch {
            let s3Error = ErrorMapping.s3Error(error)
            errorCode = s3Error.code
            if s3Error.status >= 500 {
                logger.error("request failed", metadata: ["request_id": "\(requestID)", "error": "\(error)"])
            }
            var resource = s3Error
            if resource.resource == nil, let target {
                resource.resource = "/" + [target.bucket, target.key].compactMap { $0 }.joined(separator: "/")
            }
            response = ErrorMapping.response(resource, requestID: requestID, method: request.method)
        }
        // A preflight's answer carries its own CORS headers, or none when refused.
        if request.headers[CORS.origin] != nil, request.method != .options { await addCORSHeaders(&response, request: request, bucket: target?.bucket) }
        // Appended: no handler sets these, and setting a field first looks for it among the others.
        response.headers.append(HTTPField(name: .amzRequestID, value: requestID))
        response.headers.append(Self.hostIDField)
        response.headers.append(Self.serverField)
        if stats.bytesOut == 0, let length = response.body.contentLength, request.method != .head {
            stats.bytesOut = Int64(length)
        }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        if accessLog.active, let bucketName = target?.bucket, let operation {
            await recordAccess(
                AccessLogEntry(
                    bucketOwner: "", bucket: bucketName, time: ObjectStore.now(), remoteIP: origin.address,
                    requester: caller.flatMap { $0.principal.kind == .anonymous ? nil : $0.principal.canonicalID }, requestID: requestID,
                    operation: Self.logOperation(operation, method: request.method), key: target?.key,
                    requestLine: "\(request.method.rawValue) \(AccessLogEntry.redacted(request.head.path ?? "/")) HTTP/1.1", status: Int(response.status.code),
                    errorCode: errorCode, bytesSent: stats.bytesOut, objectSize: response.headers[.contentLength].flatMap { Int64($0) },
                    totalMilliseconds: Int(seconds * 1000), referrer: request.headers[.referer], userAgent: request.headers[.userAgent],
                    versionID: response.headers[.amzVersionID], hostID: RequestIDs.hostID,
                    signatureVersion: caller?.verified.map { $0.scope == nil ? "SigV2" : "SigV4" },
                    authType: caller?.verified.map { $0.isPresigned ? "QueryString" : "AuthHeader" }, host: request.head.authority,
                    tls: configuration.secureTransport),
                bucket: bucketName)
        }
        metrics.record(operation: operationName, status: response.status.code, seconds: seconds, bytesIn: stats.bytesIn, bytesOut: stats.bytesOut)
        logger.info(
            "request",
            metadata: [
                "request_id": "\(requestID)",
                "operation": "\(operationName)",
                "method": "\(request.method.rawValue)",
                "bucket": .string(Self.loggable(target?.bucket ?? "")),
                "key": .string(Self.loggable(target?.key ?? "")),
                "status": "\(response.status.code)",
                "bytes_in": "\(stats.bytesIn)",
                "bytes_out": "\(stats.bytesOut)",
                "duration_ms": "\(Int(seconds * 1000))",
                "remote": .string(Self.loggable(origin.address ?? "")),
            ])
        return response
    }

    /// What answers the request's `Expect: 100-continue`, if it has one, when a handler starts
    /// reading its body: after every check that can refuse the request without it, so a refused
    /// client never sends the body.
    static func continuation(_ request: S3Request, _ context: S3RequestContext) -> @Sendable () -> Void {
        guard request.headers.contains(.expect) else { return {} }
        let channel = context.channel
        return { channel.triggerUserOutboundEvent(SendContinue(), promise: nil) }
    }

    /// A name from the request (bucket, key, forwarded address) as it goes into the request log.
    static func loggable(_ name: String) -> String { LoggedName.text(name) }

    /// Floe's own endpoints under `/floe/` (health, metrics). `floe` is a reserved bucket name.
    func serviceEndpoint(_ request: S3Request) async throws -> (String, Response)? {
        guard let path = request.head.path, path.hasPrefix("/floe/") else { return nil }
        let bare = path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? path
        switch bare {
        case "/floe/health/live":
            return ("HealthLive", Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "ok\n"))))
        case "/floe/health/ready":
            do {
                _ = try await store.index.usage()
                return ("HealthReady", Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "ready\n"))))
            } catch {
                return ("HealthReady", Response(status: .serviceUnavailable, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "index unavailable\n"))))
            }
        case "/floe/metrics":
            let usage = try? await store.index.usage()
            let outbox = (try? await store.index.outboxCounts())?.values
            let text = metrics.render(gauges: [
                ("floe_notifications_pending", "Bucket notification events waiting for delivery.", Double(outbox?.reduce(0) { $0 + $1.pending } ?? 0)),
                ("floe_notifications_dead", "Bucket notification events dead-lettered.", Double(outbox?.reduce(0) { $0 + $1.dead } ?? 0)),
                ("floe_buckets", "Buckets.", Double(usage?.buckets ?? 0)),
                ("floe_objects", "Objects (latest versions).", Double(usage?.objects ?? 0)),
                ("floe_object_bytes", "Bytes in latest object versions.", Double(usage?.bytes ?? 0)),
            ])
            return ("Metrics", Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: ByteBuffer(string: text))))
        default:
            return nil
        }
    }

    func checkHeaderSize(_ headers: HTTPFields) throws(S3Error) {
        var total = 0
        for field in headers { total += field.name.canonicalName.utf8.count + field.value.utf8.count + 4 }
        if total > configuration.maxHeaderBytes { throw .requestHeaderSectionTooLarge() }
    }

    static func nowSeconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec)
    }

    /// What signature verification needs of a request (headers are looked up lazily).
    func signedRequest(_ request: S3Request, target: RequestTarget) -> IncomingRequest {
        let authority = request.head.authority
        // SigV2's canonical resource names the bucket even for virtual-host requests, and a
        // bucket-level request as `/bucket/`.
        var v2Path = target.rawPath
        if let bucket = target.bucket {
            let isVirtualHost = RequestTarget.virtualHostBucket(host: authority, domains: configuration.domains) != nil
            if target.key == nil {
                v2Path = "/" + bucket + "/"
            } else if isVirtualHost {
                v2Path = "/" + bucket + target.rawPath
            }
        }
        return IncomingRequest(
            method: request.method, rawPath: target.rawPath, query: target.query, rawQuery: target.rawQuery, fields: request.headers, authority: authority,
            v2ResourcePath: v2Path)
    }

    func authenticate(_ request: S3Request, target: RequestTarget, operation: Operation, requestID: String, origin: RequestOrigin) async throws -> S3Call {
        let incoming = signedRequest(request, target: target)
        let outcome: RequestAuthenticator.Outcome
        do {
            outcome = try authenticator.identify(incoming, now: Self.nowSeconds())
        } catch {
            throw Self.s3Error(error)
        }
        let principal: Principal
        var verified: VerifiedRequest?
        switch outcome {
        case .anonymous: principal = Self.anonymous
        case .caller(let caller, let verification):
            principal = caller
            verified = verification
        }
        let call = S3Call(request: request, target: target, operation: operation, requestID: requestID, principal: principal, verified: verified, origin: origin)
        call.bucketRecord = try await authorize(call, try operation.accesses(target, method: request.method, headers: request.headers))
        return call
    }

    static func s3Error(_ failure: RequestAuthenticator.Failure) -> any Error {
        switch failure {
        case .signature(let error): return error
        case .session(.expired): return S3Error.expiredToken()
        case .session(.invalid): return S3Error.invalidToken()
        case .unknownKey: return S3Error.invalidAccessKeyId()
        }
    }

    func dispatch(_ call: S3Call, stats: inout CallStats) async throws -> Response {
        switch call.operation {
        case .listBuckets: return try await listBuckets(call)
        case .createBucket: return try await createBucket(call)
        case .headBucket: return try await headBucket(call)
        case .deleteBucket: return try await deleteBucket(call)
        case .getBucketLocation: return try await getBucketLocation(call)
        case .getBucketVersioning: return try await getBucketVersioning(call)
        case .putBucketVersioning: return try await putBucketVersioning(call)
        case .getBucketPolicy: return try await getBucketPolicy(call)
        case .putBucketPolicy: return try await putBucketPolicy(call)
        case .deleteBucketPolicy: return try await deleteBucketPolicy(call)
        case .getBucketPolicyStatus: return try await getBucketPolicyStatus(call)
        case .getBucketTagging: return try await getBucketTagging(call)
        case .putBucketTagging: return try await putBucketTagging(call)
        case .deleteBucketTagging: return try await deleteBucketTagging(call)
        case .listObjects: return try await listObjects(call, version: 1)
        case .listObjectsV2: return try await listObjects(call, version: 2)
        case .listObjectVersions: return try await listObjectVersions(call)
        case .listMultipartUploads: return try await listMultipartUploads(call)
        case .deleteObjects: return try await deleteObjects(call)
        case .putObject: return try await putObject(call, stats: &stats)
        case .copyObject: return try await copyObject(call)
        case .getObject: return try await getObject(call, includeBody: true)
        case .headObject: return try await getObject(call, includeBody: false)
        case .deleteObject: return try await deleteObject(call)
        case .getObjectAttributes: return try await getObjectAttributes(call)
        case .getObjectTagging: return try await getObjectTagging(call)
        case .getObjectLockConfiguration: return try await getObjectLockConfiguration(call)
        case .getBucketLifecycle: return try await getBucketLifecycle(call)
        case .getBucketEncryption: return try await getBucketEncryption(call)
        case .getBucketNotification: return try await getBucketNotification(call)
        case .putBucketNotification: return try await putBucketNotification(call)
        case .putBucketEncryption: return try await putBucketEncryption(call)
        case .deleteBucketEncryption: return try await deleteBucketEncryption(call)
        case .putBucketLifecycle: return try await putBucketLifecycle(call)
        case .deleteBucketLifecycle: return try await deleteBucketLifecycle(call)
        case .putObjectLockConfiguration: return try await putObjectLockConfiguration(call)
        case .getObjectRetention: return try await getObjectRetention(call)
        case .putObjectRetention: return try await putObjectRetention(call)
        case .getObjectLegalHold: return try await getObjectLegalHold(call)
        case .putObjectLegalHold: return try await putObjectLegalHold(call)
        case .putObjectTagging: return try await putObjectTagging(call)
        case .deleteObjectTagging: return try await deleteObjectTagging(call)
        case .createMultipartUpload: return try await createMultipartUpload(call)
        case .uploadPart: return try await uploadPart(call, stats: &stats)
        case .uploadPartCopy: return try await uploadPartCopy(call)
        case .completeMultipartUpload: return try await completeMultipartUpload(call)
        case .abortMultipartUpload: return try await abortMultipartUpload(call)
        case .listParts: return try await listParts(call)
        case .getBucketAcl: return try await getBucketAcl(call)
        case .putBucketAcl: return try await putBucketAcl(call)
        case .getObjectAcl: return try await getObjectAcl(call)
        case .putObjectAcl: return try await putObjectAcl(call)
        case .getBucketOwnershipControls: return try await getBucketOwnershipControls(call)
        case .putBucketOwnershipControls: return try await putBucketOwnershipControls(call)
        case .deleteBucketOwnershipControls: return try await deleteBucketOwnershipControls(call)
        case .getPublicAccessBlock: return try await getPublicAccessBlock(call)
        case .putPublicAccessBlock: return try await putPublicAccessBlock(call)
        case .deletePublicAccessBlock: return try await deletePublicAccessBlock(call)
        case .getBucketLogging: return try await getBucketLogging(call)
        case .putBucketLogging: return try await putBucketLogging(call)
        case .getBucketCors: return try await getBucketCors(call)
        case .putBucketCors: return try await putBucketCors(call)
        case .deleteBucketCors: return try await deleteBucketCors(call)
        case .admin: return try await admin(call)
        case .preflight, .postObject: throw S3Error.methodNotAllowed()
        case .notImplemented: throw S3Error.notImplemented()
        case .methodNotAllowed: throw S3Error.methodNotAllowed()
        }
    }

    /// The request's bucket: as authorization read it, else from the index (`NoSuchBucket` when absent).
    func bucket(_ call: S3Call) async throws -> BucketRecord {
        if let record = call.bucketRecord { return record }
        return try await store.bucket(call.target.bucket!)
    }

    static func xmlResponse(_ xml: XMLWriter, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/xml"], body: .init(byteBuffer: ByteBuffer(bytes: xml.bytes)))
    }
}

enum RequestIDs {
    static let hexDigits = Array("0123456789ABCDEF".utf8)
    /// A host id that is stable for the life of the process, as `x-amz-id-2`.
    static let hostID: String = Base64.encode((0..<24).map { _ in UInt8.random(in: 0...255) })
    /// The keys of the permutation ids are made with, drawn once per process.
    static let roundKeys: [UInt64] = {
        var generator = SystemRandomNumberGenerator()
        return (0..<4).map { _ in generator.next() }
    }()
    private static let issued = Atomic<UInt64>(0)

    /// 16 hex digits, as S3's `x-amz-request-id`: the count of requests taken, through a keyed
    /// permutation of 64-bit values. A permutation, so no two requests of a process share an id;
    /// keyed, so an id does not tell how many requests came before it. Drawing each id from the
    /// system's random source cost a `getrandom` system call per request.
    static func make() -> String {
        let value = permute(issued.add(1, ordering: .relaxed).newValue, keys: roundKeys)
        return String(unsafeUninitializedCapacity: 16) { buffer in
            for index in 0..<16 { buffer[index] = hexDigits[Int((value >> UInt64(60 - 4 * index)) & 0xF)] }
            return 16
        }
    }

    /// A Feistel network over the two 32-bit halves, one round per key: invertible whatever the
    /// round function, which is `mix` of the right half and the round's key.
    static func permute(_ input: UInt64, keys: [UInt64]) -> UInt64 {
        var (left, right) = (UInt32(truncatingIfNeeded: input >> 32), UInt32(truncatingIfNeeded: input))
        for key in keys {
            (left, right) = (right, left ^ UInt32(truncatingIfNeeded: mix(UInt64(right) ^ key)))
        }
        return UInt64(left) << 32 | UInt64(right)
    }

    /// SplitMix64's finalizer, the round function.
    static func mix(_ input: UInt64) -> UInt64 {
        var z = input
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
