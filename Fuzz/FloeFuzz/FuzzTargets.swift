import Avro
import Codecs
import Foundation
import HTTP1
import IcebergData
import IcebergModel
import Identity
import NIOCore
import Parquet
import S3Model
import SigV4

/// libFuzzer entry points for the pure parsers that read client input, built only with
/// `scripts/fuzz.sh` (FLOE_FUZZ=1, `--sanitize=fuzzer`). One binary, the parser chosen by
/// `FLOE_FUZZ_TARGET`. A harness must never crash or hang: every parser answers with a value
/// or a typed error, whatever the bytes.
enum FuzzTarget: String, CaseIterable {
    case sigv4, http1, chunked, xml, policy, iceberg, ranges, codecs, avro, parquet, manifests

    static let selected: FuzzTarget = {
        let name = ProcessInfo.processInfo.environment["FLOE_FUZZ_TARGET"] ?? ""
        guard let target = FuzzTarget(rawValue: name) else {
            fatalError("FLOE_FUZZ_TARGET must be one of \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return target
    }()

    func run(_ bytes: [UInt8]) {
        switch self {
        case .sigv4: Self.sigv4(bytes)
        case .http1: Self.http1(bytes)
        case .chunked: Self.chunked(bytes)
        case .xml: _ = try? XMLDocument.parse(bytes)
        case .policy: Self.policy(bytes)
        case .iceberg: Self.iceberg(bytes)
        case .ranges: Self.ranges(bytes)
        case .codecs: CodecFuzzing.exercise(bytes)
        case .avro: AvroFuzzing.exercise(bytes)
        case .parquet: ParquetFuzzing.exercise(bytes)
        case .manifests: IcebergDataFuzzing.exercise(bytes)
        }
    }

    /// The bytes of a connection, fed to the HTTP/1 request parser in pieces whose sizes the
    /// first byte chooses. Whatever it reads, its body bytes are never more than were fed, and it
    /// never holds more than its limits allow.
    static func http1(_ bytes: [UInt8]) {
        guard let first = bytes.first else { return }
        let step = Int(first % 64) + 1
        var parser = HTTP1RequestParser(maxHeadBytes: 4096, maxFieldCount: 32)
        var offset = 1
        var bodyBytes = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + step)
            parser.feed(ByteBuffer(bytes: bytes[offset..<end]))
            offset = end
            do {
                while let part = try parser.next() {
                    if case .body(let buffer) = part { bodyBytes += buffer.readableBytes }
                }
            } catch {
                return
            }
            precondition(bodyBytes <= offset, "more body bytes than were fed")
        }
    }

    /// Lines of `name: value` headers; a first line `METHOD path?query`. Verification runs with a
    /// known key, so canonicalisation, presigned and SigV2 forms are all reached.
    static func sigv4(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard !lines.isEmpty else { return }
        let requestLine = lines.removeFirst().split(separator: " ", maxSplits: 1)
        let method = requestLine.first.map(String.init) ?? "GET"
        let target = requestLine.count > 1 ? requestLine[1] : "/"
        let path = target.prefix { $0 != "?" }
        let query = URIEncoding.decodeQuery(target.drop { $0 != "?" }.dropFirst()) ?? []
        var headers: [(String, String)] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append((line[..<colon].lowercased(), String(line[line.index(after: colon)...])))
        }
        let request = IncomingRequest(method: method, rawPath: String(path), query: query, headerNames: headers.map(\.0)) { name in
            headers.filter { $0.0 == name }.map(\.1)
        }
        _ = try? SigV4Verifier(services: ["s3", "sts", "s3tables"]).authenticate(request, now: 1_800_000_000) { key in
            key.isEmpty ? nil : "fuzz-secret"
        }
    }

    /// The aws-chunked decoder fed in slices, with and without a trailer and a signature chain.
    static func chunked(_ bytes: [UInt8]) {
        guard let mode = bytes.first else { return }
        let body = bytes.dropFirst()
        let scope = CredentialScope(date: "20270115", region: "us-east-1", service: "s3")
        let chain = mode & 1 == 0 ? nil : ChunkSignatureChain(
            signingKey: SigV4Signer.signingKey(secret: "fuzz-secret", scope: scope), amzDate: "20270115T000000Z", scope: scope,
            seedSignature: String(repeating: "0", count: 64))
        var decoder = AWSChunkedDecoder(chain: chain, expectsTrailer: mode & 2 != 0)
        let slice = max(1, Int(mode >> 2))
        var offset = body.startIndex
        do {
            while offset < body.endIndex {
                let end = min(offset + slice, body.endIndex)
                _ = try decoder.decode(ByteBuffer(bytes: body[offset..<end]))
                offset = end
            }
            _ = try decoder.finish()
        } catch {}
    }

    static func policy(_ bytes: [UInt8]) {
        guard let document = try? PolicyDocument(json: String(decoding: bytes, as: UTF8.self)) else { return }
        let request = AccessRequest(
            action: "s3:GetObject", resource: "arn:aws:s3:::bucket/some/ke\u{301}y",
            context: ["s3:prefix": ["some/"], "aws:SourceIp": ["127.0.0.1"], "s3:max-keys": ["10"], "aws:CurrentTime": ["2027-01-15T00:00:00Z"]],
            principal: "alice")
        _ = PolicyEvaluator.evaluate([document], request)
    }

    /// Table metadata, and table updates applied to a new table, as the catalog reads them.
    static func iceberg(_ bytes: [UInt8]) {
        let parsed = try? JSONValue(parsing: bytes)
        // What the parser accepts, the Decodable path accepts and reads the same (but for -2^63,
        // an integer, not a double); the parser may refuse more (JSONParsing.swift says what).
        if let parsed, let decoded = try? JSONDecoder().decode(JSONValue.self, from: Data(bytes)), !Self.sameReading(parsed, decoded),
            !String(decoding: bytes, as: UTF8.self).contains("9223372036854775808")
        {
            fatalError("JSON parser and JSONDecoder disagree on \(bytes)")
        }
        if parsed != nil, (try? JSONDecoder().decode(JSONValue.self, from: Data(bytes))) == nil,
            !String(decoding: bytes, as: UTF8.self).contains("9223372036854775808")
        {
            fatalError("JSONDecoder refuses what the JSON parser reads: \(bytes)")
        }
        guard let value = parsed else { return }
        _ = try? TableMetadata(json: value)
        _ = try? ViewMetadata(json: value)
        _ = try? TableRequirement(json: value)
        guard let list = value.arrayValue else { return }
        let updates = list.compactMap { try? TableUpdate(json: $0) }
        var builder = MetadataBuilder(MetadataBuilder.emptyTable(formatVersion: 2, location: "s3://wh/ns/t", now: 0), now: 0)
        do {
            try builder.apply(updates)
            _ = try builder.build()
        } catch {}
    }

    /// Equal, but for numbers of 2^53 and more written with a fraction or an exponent: both read
    /// those through a Double, and Foundation then rounds its own way (`9007199254740993.5` is
    /// the integer 9007199254740993 there, 9007199254740994 here; `4144544444444444224.443` a
    /// double there, an integer here). Such numbers agree to two units in a Double's last place.
    static func sameReading(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { sameReading($0, $1) }
        case (.object(let x), .object(let y)): return x.count == y.count && x.allSatisfy { key, value in y[key].map { sameReading(value, $0) } ?? false }
        default:
            if a == b { return true }
            func number(_ value: JSONValue) -> Double? {
                switch value {
                case .int(let v): return Double(v)
                case .double(let v): return v
                default: return nil
                }
            }
            guard let p = number(a), let q = number(b), Swift.max(abs(p), abs(q)) >= 9_007_199_254_740_992 else { return false }
            return abs(p - q) <= 2 * Swift.max(p.ulp, q.ulp)
        }
    }

    /// Range and conditional request headers.
    static func ranges(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        let parts = text.split(separator: "\n", maxSplits: 4, omittingEmptySubsequences: false).map(String.init)
        _ = ByteRangeRequest(header: parts[0])
        func part(_ i: Int) -> String? { parts.count > i ? parts[i] : nil }
        _ = Preconditions(ifMatch: part(1), ifNoneMatch: part(2), ifModifiedSince: part(3), ifUnmodifiedSince: part(4))
            .evaluate(etag: "\"d41d8cd98f00b204e9800998ecf8427e\"", lastModified: 1_800_000_000)
        _ = HTTPDate.parse(text)
        _ = URIEncoding.decode(text)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzTarget.selected.run(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
