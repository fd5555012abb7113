import Foundation

/// Where copies go and what a mirror changes: pure decisions, apart from the transfers.
public enum CopyPlan {
    /// The path below which a recursive source's objects keep their relative names: the source's
    /// own last element unless it ends with `/` (then its contents go directly into the target).
    public static func relativeRoot(ofSource source: String) -> String {
        source.hasSuffix("/") || source.isEmpty ? "" : Location.baseName(source) + "/"
    }

    /// A key or path inside a container target (bucket, prefix, directory).
    public static func join(_ container: String, _ relative: String) -> String {
        if container.isEmpty { return relative }
        return container.hasSuffix("/") ? container + relative : container + "/" + relative
    }

    /// Whether an object's relative name stays inside a local target directory: not absolute and
    /// without a `..` segment (a key is any string; a path made of `../../x` would land anywhere).
    public static func staysInside(_ relative: String) -> Bool {
        guard !relative.hasPrefix("/"), !relative.contains("\0") else { return false }
        return !relative.split(separator: "/").contains("..")
    }

    /// The names that may be written below a local target; the others are reported and skipped.
    public static func localSafe(_ names: [String], skipped: (String) -> Void) -> [String] {
        names.filter { name in
            if staysInside(name) { return true }
            skipped(name)
            return false
        }
    }

    /// Where one file or object goes: `relative` inside the target when the target is a container
    /// (a bucket, a prefix or directory ending in `/`, an existing directory), else the target itself.
    public static func destination(relative: String, target: String, targetIsContainer: Bool) -> String {
        targetIsContainer || target.isEmpty || target.hasSuffix("/") ? join(target, relative) : target
    }
}

public enum MirrorPlan {
    public struct Entry: Equatable {
        public var size: Int64
        public var modified: Date?
        public init(size: Int64, modified: Date?) {
            self.size = size
            self.modified = modified
        }
    }

    /// Copies what is missing, differs in size, or is newer at the source; with `remove`, deletes
    /// what the source no longer has. Names are relative paths.
    public static func plan(source: [String: Entry], target: [String: Entry], remove: Bool) -> (copy: [String], delete: [String]) {
        var copy: [String] = []
        for (name, entry) in source {
            guard let existing = target[name] else {
                copy.append(name)
                continue
            }
            if existing.size != entry.size {
                copy.append(name)
            } else if let from = entry.modified, let to = existing.modified, from.timeIntervalSince(to) > 1 {
                copy.append(name)
            }
        }
        let delete = remove ? target.keys.filter { source[$0] == nil } : []
        return (copy.sorted(), delete.sorted())
    }
}

/// Content types by file extension, for uploads without `--content-type`.
enum ContentTypes {
    static let byExtension: [String: String] = [
        "csv": "text/csv", "tsv": "text/tab-separated-values", "txt": "text/plain", "json": "application/json",
        "jsonl": "application/x-ndjson", "ndjson": "application/x-ndjson", "parquet": "application/vnd.apache.parquet",
        "avro": "application/avro", "orc": "application/octet-stream", "html": "text/html", "htm": "text/html", "css": "text/css",
        "js": "text/javascript", "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif", "svg": "image/svg+xml",
        "pdf": "application/pdf", "gz": "application/gzip", "zip": "application/zip", "tar": "application/x-tar", "xml": "application/xml",
        "yaml": "application/yaml", "yml": "application/yaml", "md": "text/markdown",
    ]

    static func guess(_ path: String) -> String {
        let ext = (path as NSString).pathExtension.lowercased()
        return byExtension[ext] ?? "application/octet-stream"
    }
}

/// `--attr "Cache-Control=max-age=60;owner=etl"`: standard headers by their names, the rest as user metadata.
enum Attributes {
    static let standard = ["cache-control", "content-type", "content-disposition", "content-encoding", "content-language", "expires"]

    static func headers(_ text: String?) throws -> [(name: String, value: String)] {
        guard let text, !text.isEmpty else { return [] }
        return try text.split(separator: ";").map { pair in
            guard let eq = pair.firstIndex(of: "="), eq != pair.startIndex else {
                throw CLIError("--attr \"\(pair)\" is not NAME=VALUE", hint: "write e.g. --attr \"Cache-Control=max-age=60;owner=etl\"")
            }
            let name = pair[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
            let value = String(pair[pair.index(after: eq)...])
            return (standard.contains(name) ? name : "x-amz-meta-" + name, value)
        }
    }
}
