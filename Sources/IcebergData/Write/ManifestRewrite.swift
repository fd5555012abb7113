import IcebergModel

/// Removing data files from a snapshot (an overwrite by filter): the manifests that list them
/// are written again with those entries DELETED and the others EXISTING (their sequence numbers
/// kept); manifests that list none stay as they are.
public enum ManifestRewrite {
    public struct Result: Sendable {
        public var manifests: [ManifestFile]
        /// New manifest files to upload before the commit, by path.
        public var written: [(path: String, bytes: [UInt8])]
        public var removedFiles = 0
        public var removedRecords: Int64 = 0
    }

    public static func removing(
        _ removed: Set<String>, from manifests: [ManifestFile], metadata: TableMetadata, snapshotID: Int64, io: some TableFileIO,
        path: (Int) -> String
    ) async throws -> Result {
        let scan = try TableScan(metadata: metadata)
        var result = Result(manifests: [], written: [])
        for manifest in manifests {
            guard manifest.content == .data else {
                result.manifests.append(manifest)
                continue
            }
            let entries = try Manifest.read(try await io.read(manifest.path), file: manifest, specs: scan.specs, schema: scan.schema)
            guard entries.contains(where: { $0.isLive && removed.contains($0.dataFile.filePath) }) else {
                result.manifests.append(manifest)
                continue
            }
            guard let spec = scan.specs[manifest.partitionSpecID] else { throw IcebergDataError.malformed("\(manifest.path): unknown partition spec \(manifest.partitionSpecID)") }
            var writer = try ManifestWriter(formatVersion: metadata.formatVersion, spec: spec, schema: scan.schema, content: .data, snapshotID: snapshotID)
            for entry in entries where entry.isLive {
                var kept = entry
                if removed.contains(entry.dataFile.filePath) {
                    kept.status = .deleted
                    kept.snapshotID = snapshotID
                    result.removedFiles += 1
                    result.removedRecords += entry.dataFile.recordCount
                } else {
                    kept.status = .existing
                }
                try writer.add(kept)
            }
            let target = path(result.written.count)
            let (bytes, rewritten) = try writer.finish(path: target)
            result.written.append((target, bytes))
            result.manifests.append(rewritten)
        }
        return result
    }
}
