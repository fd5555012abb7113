import AsyncHTTPClient
import FloeClient
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1
import Parquet

/// The object browser: one page of a prefix at a time, an object's versions, metadata, tags and
/// preview, streamed downloads, share links, and the actions on versions.
enum ObjectPages {
    static let pageSize = 200
    /// How much of an object a text preview reads (a range request: the rest is never fetched).
    static let previewBytes = 64 * 1024

    static func browse(_ call: ConsoleCall, bucket: String) async throws -> ConsoleReply {
        let prefix = call.query["prefix"] ?? ""
        let filter = call.query["filter"] ?? ""
        let token = call.query["token"]
        let page = try await call.s3.listObjects(
            bucket: bucket, prefix: prefix + filter, delimiter: "/", continuation: token?.isEmpty == false ? token : nil, maxKeys: pageSize)
        let here = "/buckets/\(bucket)"
        let folders: [[String: Any]] = page.prefixes.map { p in
            ["name": String(p.dropFirst(prefix.count)), "href": here + FormFields.query([("prefix", p)])]
        }
        let objects: [[String: Any]] = page.objects.map { o in
            [
                "name": String(o.key.dropFirst(prefix.count)), "key": o.key, "size": Format.bytes(o.size), "modified": Format.date(o.lastModified),
                "href": here + "/object" + FormFields.query([("key", o.key)]),
                "download": here + "/download" + FormFields.query([("key", o.key)]),
            ]
        }
        var crumbs: [[String: Any]] = [["name": bucket, "href": here]]
        var walked = ""
        for part in prefix.split(separator: "/", omittingEmptySubsequences: false).dropLast() {
            walked += part + "/"
            crumbs.append(["name": String(part) + "/", "href": here + FormFields.query([("prefix", walked)])])
        }
        let p = call.permissions
        // Mustache renders a section for any string, even an empty one: links are left out, not blank.
        var data: [String: Any] = [
            "bucket": bucket, "prefix": prefix, "crumbs": crumbs, "folders": folders, "objects": objects,
            "empty": folders.isEmpty && objects.isEmpty,
            "canUpload": p.s3Objects("PutObject", bucket: bucket, prefix: prefix),
            "canSettings": p.s3("GetBucketVersioning", bucket: bucket),
            "back": here + FormFields.query([("prefix", prefix)]),
        ]
        if !filter.isEmpty { data["filter"] = filter }
        if let next = page.next { data["next"] = here + FormFields.query([("prefix", prefix), ("filter", filter.isEmpty ? nil : filter), ("token", next)]) }
        if token != nil { data["first"] = here + FormFields.query([("prefix", prefix), ("filter", filter.isEmpty ? nil : filter)]) }
        return .page(PageContent(title: bucket + "/" + prefix, template: "browse", data: data, wide: true), section: "buckets")
    }

    static func details(_ call: ConsoleCall, bucket: String) async throws -> ConsoleReply {
        guard let key = call.query["key"], !key.isEmpty else { throw ConsoleError("No object named.") }
        let version = call.query["version"].flatMap { $0.isEmpty ? nil : $0 }
        let head = try await call.s3.head(bucket: bucket, key: key, versionID: version)
        let p = call.permissions
        let tags = p.s3("GetObjectTagging", bucket: bucket, key: key) ? try await BucketPages.tagsOrNone(call, bucket: bucket, key: key) : []
        let here = "/buckets/\(bucket)"
        let selfLink = here + "/object" + FormFields.query([("key", key), ("version", version)])
        // One page of versions (up to 1,000), of this key only.
        var versions: [[String: Any]] = []
        var moreVersions = false
        if p.s3("ListBucketVersions", bucket: bucket) {
            let page = try await call.s3.listVersions(bucket: bucket, prefix: key)
            moreVersions = page.next != nil
            for v in page.objects where v.key == key {
                let id = v.versionID ?? "null"
                versions.append([
                    "id": id, "latest": v.isLatest, "marker": v.isDeleteMarker, "size": Format.bytes(v.size), "modified": Format.date(v.lastModified),
                    "href": here + "/object" + FormFields.query([("key", key), ("version", id)]),
                    "download": here + "/download" + FormFields.query([("key", key), ("version", id)]),
                    "canRestore": !v.isLatest && !v.isDeleteMarker,
                ])
            }
        }
        let kind = PreviewKind(key: key, contentType: head.contentType)
        var preview: [String: Any] = [:]
        switch kind {
        case .text:
            let response = try await call.s3.get(bucket: bucket, key: key, versionID: version, range: "bytes=0-\(previewBytes - 1)")
            let body = try await response.body.collect(upTo: previewBytes + 1)
            preview = ["text": String(decoding: body.readableBytesView.prefix(previewBytes), as: UTF8.self), "truncated": head.size > Int64(previewBytes)]
        case .image:
            preview = ["image": here + "/preview" + FormFields.query([("key", key), ("version", version)])]
        case .parquet:
            preview = ["parquet": try await parquetSchema(call, bucket: bucket, key: key, version: version, size: head.size), "isParquet": true]
        case .none: break
        }
        var parent = ""
        if let slash = key.lastIndex(of: "/") { parent = String(key[...slash]) }
        let data: [String: Any] = [
            "bucket": bucket, "key": key, "version": version ?? "", "size": Format.bytes(head.size), "bytes": head.size, "etag": head.etag,
            "contentType": head.contentType ?? "", "modified": Format.date(head.lastModified), "versionID": head.versionID.map { [$0] } ?? [],
            "metadata": head.metadata.sorted { $0.key < $1.key }.map { ["name": $0.key, "value": $0.value] },
            "tags": tags.map { "\($0.0)=\($0.1)" }.joined(separator: "\n"),
            "versions": versions, "hasVersions": !versions.isEmpty, "moreVersions": moreVersions,
            "download": here + "/download" + FormFields.query([("key", key), ("version", version)]),
            "folder": here + FormFields.query([("prefix", parent)]), "objectPage": selfLink,
            "preview": preview.isEmpty ? [] : [preview],
            "canDelete": p.s3("DeleteObject", bucket: bucket, key: key),
            "canDeleteVersion": p.s3("DeleteObjectVersion", bucket: bucket, key: key),
            "mayRestore": p.s3("PutObject", bucket: bucket, key: key) && p.s3("GetObjectVersion", bucket: bucket, key: key),
            "canTags": p.s3("PutObjectTagging", bucket: bucket, key: key),
            "canShare": p.s3("GetObject", bucket: bucket, key: key),
        ]
        return .page(PageContent(title: key, template: "object", data: data), section: "buckets")
    }

    /// The object's bytes, streamed from the S3 API to the browser. Downloads are always
    /// attachments with a neutral type, so no stored object runs as a page of the console; only
    /// raster images are shown inline, sandboxed.
    static func download(_ call: ConsoleCall, bucket: String, inline: Bool) async throws -> ConsoleReply {
        guard let key = call.query["key"], !key.isEmpty else { throw ConsoleError("No object named.") }
        let version = call.query["version"].flatMap { $0.isEmpty ? nil : $0 }
        var headers = HTTPFields()
        if call.request.method == .head {
            // A HEAD asks what a GET would send: the object's head, not its bytes.
            let head = try await call.s3.head(bucket: bucket, key: key, versionID: version)
            headers[.contentType] = inline ? head.contentType ?? "application/octet-stream" : "application/octet-stream"
            headers[.contentLength] = String(head.size)
            headers[.cacheControl] = "private, no-store"
            return .response(Response(status: .ok, headers: headers))
        }
        let principal = call.session.principal
        guard call.console.transfersPerPrincipal.take(principal) else {
            throw ConsoleError("You have 8 transfers running already; wait for one to finish.")
        }
        // Given back when the last holder lets go: this function on an error, else the body.
        let lease = ConcurrencySlots.Lease(call.console.transfersPerPrincipal, key: principal)
        let response = try await call.transfers.get(bucket: bucket, key: key, versionID: version)
        let type = response.headers.first(name: "content-type")?.lowercased() ?? ""
        if inline {
            guard let imageType = PreviewKind.inlineImageTypes.first(where: { type.hasPrefix($0) }) else {
                throw ConsoleError("Only PNG, JPEG, GIF and WebP images are shown inline.")
            }
            headers[.contentType] = imageType
            headers[.contentDisposition] = "inline"
        } else {
            headers[.contentType] = "application/octet-stream"
            let name = key.split(separator: "/").last.map(String.init) ?? "download"
            headers[.contentDisposition] = "attachment; filename=\"\(asciiFallback(name))\"; filename*=UTF-8''\(FormFields.encode(name))"
        }
        if let length = response.headers.first(name: "content-length") { headers[.contentLength] = length }
        headers[.cacheControl] = "private, no-store"
        // A sandbox for what is served, in case a browser renders it after all.
        headers[.contentSecurityPolicy] = "sandbox; default-src 'none'"
        let body = response.body
        return .response(
            Response(
                status: .ok, headers: headers,
                body: ResponseBody { writer in
                    withExtendedLifetime(lease) {}
                    for try await chunk in body { try await writer.write(chunk) }
                    try await writer.finish(nil)
                }))
    }

    static func asciiFallback(_ name: String) -> String {
        String(name.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 && $0 != "\"" && $0 != "\\" && $0.value != 0x7F ? Character($0) : "_" })
    }

    static func act(_ call: ConsoleCall, bucket: String, _ action: ConsoleRoute.ObjectAction) async throws -> ConsoleReply {
        guard let key = call.form["key"], !key.isEmpty else { throw ConsoleError("No object named.") }
        let version = call.form["version"].flatMap { $0.isEmpty ? nil : $0 }
        let here = "/buckets/\(bucket)"
        let object = here + "/object" + FormFields.query([("key", key)])
        var parent = ""
        if let slash = key.lastIndex(of: "/") { parent = String(key[...slash]) }
        switch action {
        case .delete:
            try await call.s3.delete(bucket: bucket, key: key)
            return .redirect(here + FormFields.query([("prefix", parent)]), Flash(text: "Deleted \(key).", isError: false))
        case .deleteVersion:
            guard let version else { throw ConsoleError("No version named.") }
            try await call.s3.delete(bucket: bucket, key: key, versionID: version)
            return .redirect(object, Flash(text: "Version \(version) deleted permanently.", isError: false))
        case .restore:
            guard let version else { throw ConsoleError("No version named.") }
            try await call.s3.copy(from: (bucket, key, version), to: bucket, key: key)
            return .redirect(object, Flash(text: "Version \(version) restored as the latest.", isError: false))
        case .tags:
            let tags = try TagText.parse(call.form["tags"] ?? "")
            if tags.isEmpty {
                try await call.s3.removeTags(bucket: bucket, key: key)
            } else {
                try await call.s3.setTags(bucket: bucket, key: key, tags)
            }
            return .redirect(object, Flash(text: "Tags saved.", isError: false))
        case .share:
            let seconds = Int(call.form["expires"] ?? "") ?? 3600
            guard (60...604_800).contains(seconds) else { throw ConsoleError("A share link lasts from a minute to seven days.") }
            let url = shareLink(call, bucket: bucket, key: key, version: version, seconds: seconds)
            let data: [String: Any] = ["key": key, "url": url, "expires": Format.date(Date().addingTimeInterval(Double(seconds))), "object": object]
            return .page(PageContent(title: "Share \(key)", template: "shared", data: data), section: "buckets")
        }
    }

    /// A presigned GET on the S3 URL the browser can reach, signed with the principal's own key:
    /// the link can do no more than its signer.
    static func shareLink(_ call: ConsoleCall, bucket: String, key: String, version: String?, seconds: Int) -> String {
        let configuration = call.console.configuration
        var base = configuration.publicS3URL
        if base == nil {
            let scheme = configuration.s3URL.hasPrefix("https") ? "https" : "http"
            var host = call.requestHost ?? "127.0.0.1"
            if host.hasPrefix("[") {
                host = String(host[...(host.firstIndex(of: "]") ?? host.index(before: host.endIndex))])
            } else if let colon = host.lastIndex(of: ":") {
                host = String(host[..<colon])
            }
            base = "\(scheme)://\(host):\(configuration.s3Port)"
        }
        let endpoint = Endpoint(url: base!, accessKey: call.session.accessKey, secretKey: call.session.secretKey, region: configuration.region)
        return S3Client(endpoint: endpoint, http: call.console.http).presign(
            method: "GET", bucket: bucket, key: key, query: version.map { [(name: "versionId", value: $0)] } ?? [], expires: seconds)
    }

    /// A preview reads at most this much footer and shows at most this many schema rows: a file
    /// with millions of columns costs no more than a small one.
    static let maxPreviewFooter = 1 << 20
    static let maxSchemaRows = 500

    /// The schema of a Parquet object, from its footer alone (two range reads).
    static func parquetSchema(_ call: ConsoleCall, bucket: String, key: String, version: String?, size: Int64) async throws -> [[String: Any]] {
        guard size >= 12 else { return [] }
        let tail = try await call.s3.get(bucket: bucket, key: key, versionID: version, range: "bytes=\(size - 8)-\(size - 1)")
        let trailer = Array(try await tail.body.collect(upTo: 8).readableBytesView)
        let length = try ParquetFooter.metadataLength(trailer: trailer)
        guard length > 0, Int64(length) + 8 <= size else { return [] }
        guard length <= maxPreviewFooter else {
            return [["name": "(footer of \(Format.bytes(Int64(length))) not previewed)", "type": "", "repetition": "", "fieldID": "", "depth": 0]]
        }
        let start = size - 8 - Int64(length)
        let footer = try await call.s3.get(bucket: bucket, key: key, versionID: version, range: "bytes=\(start)-\(size - 9)")
        let metadata = try ParquetFooter.parse(Array(try await footer.body.collect(upTo: length).readableBytesView))
        var rows: [[String: Any]] = []
        func walk(_ node: ParquetSchemaNode, _ path: String, depth: Int) {
            for child in node.children {
                guard rows.count < maxSchemaRows else { return }
                let name = path.isEmpty ? child.name : path + "." + child.name
                let type = child.physicalType.map { "\($0)" } ?? "group"
                rows.append([
                    "name": name, "type": type + (child.logicalType.map { " (\($0))" } ?? ""), "repetition": "\(child.repetition)",
                    "fieldID": child.fieldID.map(String.init) ?? "", "depth": depth,
                ])
                walk(child, name, depth: depth + 1)
            }
        }
        walk(metadata.schema, "", depth: 0)
        if metadata.leaves.count > rows.count {
            rows.append(["name": "(\(Format.count(Int64(metadata.leaves.count))) columns in all; the first \(maxSchemaRows) entries are shown)", "type": "", "repetition": "", "fieldID": "", "depth": 0])
        }
        rows.insert(["name": "(rows)", "type": Format.count(metadata.numRows), "repetition": "", "fieldID": "", "depth": 0], at: 0)
        return rows
    }
}

/// What a preview of an object shows, from its name and type.
enum PreviewKind: Equatable {
    case text, image, parquet, none
    static let inlineImageTypes = ["image/png", "image/jpeg", "image/gif", "image/webp"]

    init(key: String, contentType: String?) {
        let type = contentType?.lowercased() ?? ""
        let ext = key.split(separator: ".").last.map { $0.lowercased() } ?? ""
        if ext == "parquet" {
            self = .parquet
        } else if Self.inlineImageTypes.contains(where: { type.hasPrefix($0) }) {
            self = .image
        } else if type.hasPrefix("text/") || type.contains("json") || type.contains("csv") || type.contains("xml")
            || ["txt", "csv", "tsv", "json", "jsonl", "ndjson", "md", "log", "yaml", "yml", "xml", "sql"].contains(ext)
        {
            self = .text
        } else {
            self = .none
        }
    }
}
