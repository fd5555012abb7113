// The pure work every request repeats, each path run N times, for instruction counting under
// callgrind (`scripts/bench/instructions.sh`): the count of a run with N iterations minus that of
// a run with none is the path's cost, independent of timing noise on a shared machine.
//
//   floe-hotpaths PATH ITERATIONS
import Foundation
import HTTP1
import HTTPTypes
import Identity
import NIOCore
import ObjectStore
import S3API
import S3Model
import SigV4

let host = "127.0.0.1:9000"
let accessKey = "AKIAHOTPATHS0000"
let secret = "hot-path-secret-key-0123456789abcdef"
let now: Int64 = 1_780_000_000
let amzDate = "20260528T201320Z"
let scope = CredentialScope(date: "20260528", region: "us-east-1", service: "s3")

/// A GET signed in the Authorization header, as boto3 sends it (UNSIGNED-PAYLOAD aside).
func headerSignedRequest() -> (IncomingRequest, [String: String]) {
    var headers = [
        "host": host, "x-amz-date": amzDate, "x-amz-content-sha256": "UNSIGNED-PAYLOAD",
        "user-agent": "Boto3/1.43.11 md/Botocore#1.43.11 ua/2.1 os/linux#6.18 md/arch#x86_64 lang/python#3.11.7",
    ]
    let path = "/bench/dir%2Fsub/object-0001.parquet"
    let signed = ["host", "x-amz-content-sha256", "x-amz-date"]
    let canonical = SigV4Signer.canonicalRequest(
        method: "GET", canonicalURI: path, canonicalQuery: "",
        canonicalHeaders: SigV4Signer.canonicalHeaders(signedHeaders: signed) { [headers[$0]!] },
        signedHeaders: signed, payloadHash: "UNSIGNED-PAYLOAD")
    let signature = SigV4Signer.signature(
        signingKey: SigV4Signer.signingKey(secret: secret, scope: scope),
        stringToSign: SigV4Signer.stringToSign(amzDate: amzDate, scope: scope, canonicalRequest: canonical))
    headers["authorization"] = "AWS4-HMAC-SHA256 Credential=\(accessKey)/\(scope.string), SignedHeaders=\(signed.joined(separator: ";")), Signature=\(signature)"
    let fixed = headers
    let request = IncomingRequest(method: "GET", rawPath: path, query: [], headerNames: Array(fixed.keys)) { name in fixed[name].map { [$0] } ?? [] }
    return (request, fixed)
}

/// A presigned GET's request target, as `aws s3 presign` makes it.
func presignedTarget() -> String {
    let path = "/bench/object-0001"
    var query: [(name: String, value: String)] = [
        ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"), ("X-Amz-Credential", "\(accessKey)/\(scope.string)"), ("X-Amz-Date", amzDate),
        ("X-Amz-Expires", "3600"), ("X-Amz-SignedHeaders", "host"),
    ]
    let canonical = SigV4Signer.canonicalRequest(
        method: "GET", canonicalURI: path, canonicalQuery: SigV4Signer.canonicalQuery(query), canonicalHeaders: "host:\(host)\n",
        signedHeaders: ["host"], payloadHash: "UNSIGNED-PAYLOAD")
    let signature = SigV4Signer.signature(
        signingKey: SigV4Signer.signingKey(secret: secret, scope: scope),
        stringToSign: SigV4Signer.stringToSign(amzDate: amzDate, scope: scope, canonicalRequest: canonical))
    query.append(("X-Amz-Signature", signature))
    return path + "?" + query.map { "\(URIEncoding.encode($0.name))=\(URIEncoding.encode($0.value))" }.joined(separator: "&")
}

/// Parses the target and verifies the signature, as the S3 listener does for every request.
func verifyPresigned(_ target: String, verifier: SigV4Verifier) -> Bool {
    guard let parsed = try? RequestTarget.parse(requestTarget: target, host: host, domains: []) else { return false }
    var request = IncomingRequest(method: "GET", rawPath: parsed.rawPath, query: parsed.query) { $0 == "host" ? [host] : [] }
    request.rawQuery = parsed.rawQuery
    guard case .verified = try? verifier.authenticate(request, now: now, secretForAccessKey: { $0 == accessKey ? secret : nil }) else { return false }
    return true
}

func routingTargets() -> [(HTTPRequest.Method, String)] {
    [
        (.get, "/bench/some/deep/key%20with%20space.parquet"), (.put, "/bench/k?partNumber=3&uploadId=abcdefabcdef"),
        (.get, "/bench?list-type=2&prefix=logs%2F2026%2F&delimiter=%2F&max-keys=1000&continuation-token=AWxvZ3MvMjAyNi8"),
        (.head, "/bench/object"), (.delete, "/bench/object?versionId=3f2a9c"), (.post, "/bench?delete"),
        (.get, "/bench/object?tagging"), (.put, "/bench?policy"),
    ]
}

func listingPage() -> ListPage {
    var entries: [ListPage.Entry] = []
    for i in 0..<1000 {
        entries.append(.object(ObjectVersion(
            key: "logs/2026/12/01/part-\(i)-c000.snappy.parquet", versionID: "null", isLatest: true, isDeleteMarker: false,
            size: Int64(1000 + i), etag: "\"0123456789abcdef0123456789abcdef\"", lastModified: 1_780_000_000_000 + Int64(i), blobID: nil,
            attributes: ObjectAttributes())))
    }
    return ListPage(entries: entries, isTruncated: true)
}

let policyText = """
    {"Version": "2012-10-17", "Statement": [
      {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": ["arn:aws:s3:::raw", "arn:aws:s3:::raw/*"]},
      {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::bronze/ingest/*",
       "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}, "IpAddress": {"aws:SourceIp": ["127.0.0.0/8", "10.0.0.0/8"]}}},
      {"Effect": "Deny", "Action": "s3:DeleteObject*", "Resource": "arn:aws:s3:::gold/*"},
      {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::scratch-*/*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    ]}
    """

@inline(never)
func run(_ path: String, iterations: Int) -> Int {
    var sink = 0
    switch path {
    case "sigv4-header":
        let (request, _) = headerSignedRequest()
        let verifier = SigV4Verifier(services: ["s3"])
        for _ in 0..<iterations {
            if case .verified = try? verifier.authenticate(request, now: now, secretForAccessKey: { $0 == accessKey ? secret : nil }) { sink += 1 }
        }
    case "sigv4-presigned":
        let target = presignedTarget()
        let verifier = SigV4Verifier(services: ["s3"])
        for _ in 0..<iterations where verifyPresigned(target, verifier: verifier) { sink += 1 }
    case "routing":
        let targets = routingTargets()
        let headers: HTTPFields = [.contentLength: "0"]
        for _ in 0..<iterations {
            for (method, text) in targets {
                guard let target = try? RequestTarget.parse(requestTarget: text, host: host, domains: []) else { continue }
                sink &+= Operation.resolve(method: method, target: target, headers: headers).rawValue.utf8.count
            }
        }
    case "http1-head":
        // The head of a header-signed GET as boto3 sends it, read from its bytes.
        let head = ByteBuffer(string: """
            GET /bench/dir%2Fsub/object-0001.parquet?versionId=3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY HTTP/1.1\r
            Host: 127.0.0.1:9000\r
            Accept-Encoding: identity\r
            User-Agent: Boto3/1.43.11 md/Botocore#1.43.11 ua/2.1 os/linux#6.18 md/arch#x86_64 lang/python#3.11.7\r
            X-Amz-Date: 20260528T201320Z\r
            X-Amz-Content-SHA256: UNSIGNED-PAYLOAD\r
            Authorization: AWS4-HMAC-SHA256 Credential=AKIAHOTPATHS0000/20260528/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=3c5ab2e9b4a0f8d1c3e5b7a9d1f3e5c7b9a1d3f5e7c9b1a3d5f7e9c1b3a5d7f9\r
            amz-sdk-invocation-id: 4f1c1e8a-2b7d-4c3e-9a8b-1d2e3f4a5b6c\r
            amz-sdk-request: attempt=1\r
            \r

            """)
        var parser = HTTP1RequestParser()
        for _ in 0..<iterations {
            parser.feed(head)
            while let part = try? parser.next() {
                if case .head(let parsed) = part { sink &+= parsed.request.headerFields.count }
            }
        }
    case "list-xml":
        let page = listingPage()
        let target = try! RequestTarget.parse(requestTarget: "/bench?list-type=2&prefix=logs%2F", host: host, domains: [])
        let listing = try! ListingQuery(target)
        for _ in 0..<iterations {
            let xml = S3Responder.listingXML(
                page, bucket: "bench", listing: listing, version: 2, continuationToken: nil, startAfter: nil, marker: nil, owner: nil)
            sink &+= xml.output.utf8.count
        }
    case "policy":
        let policy = try! PolicyDocument(json: policyText)
        let requests = [
            AccessRequest(action: "s3:GetObject", resource: "arn:aws:s3:::raw/2026/file.csv", context: ["aws:SourceIp": ["127.0.0.1"]]),
            AccessRequest(
                action: "s3:PutObject", resource: "arn:aws:s3:::bronze/ingest/x.parquet",
                context: ["aws:SourceIp": ["10.1.2.3"], "s3:x-amz-acl": ["bucket-owner-full-control"]]),
            AccessRequest(action: "s3:DeleteObjectVersion", resource: "arn:aws:s3:::gold/table/data.parquet"),
            AccessRequest(action: "s3:GetObject", resource: "arn:aws:s3:::other/key", context: ["aws:SecureTransport": ["false"]]),
        ]
        for _ in 0..<iterations {
            for request in requests where PolicyEvaluator.evaluate([policy], request) == .allow { sink += 1 }
        }
    default:
        FileHandle.standardError.write(Data("unknown path \(path); one of sigv4-header, sigv4-presigned, http1-head, routing, list-xml, policy\n".utf8))
        exit(64)
    }
    return sink
}

let arguments = CommandLine.arguments
guard arguments.count == 3, let iterations = Int(arguments[2]), iterations >= 0 else {
    FileHandle.standardError.write(Data("usage: floe-hotpaths PATH ITERATIONS\n".utf8))
    exit(64)
}
let result = run(arguments[1], iterations: iterations)
print("\(arguments[1]) \(iterations) \(result)")
