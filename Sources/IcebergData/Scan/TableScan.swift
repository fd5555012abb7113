import IcebergModel

/// Plans a scan of one snapshot: reads its manifest list, prunes manifests by partition
/// summaries and files by partition values and column metrics, and pairs each data file with the
/// deletes that apply to it.
public struct TableScan: Sendable {
    public let metadata: TableMetadata
    /// nil when the table has no snapshot (the scan is empty).
    public let snapshotID: Int64?
    public let filter: Expression
    public let caseSensitive: Bool
    /// The snapshot's schema (its `schema-id`), else the current one.
    public let schema: IcebergSchema
    public let specs: [Int: PartitionSpec]
    let bound: BoundExpression?
    /// At most this many manifest entries (live or not: each is decoded) are read while planning;
    /// past it planning fails instead of growing. nil: no bound (the CLI, reading tables one asks for).
    public var maxEntries: Int?

    public init(metadata: TableMetadata, snapshotID: Int64? = nil, filter: Expression = .alwaysTrue, caseSensitive: Bool = true) throws(IcebergDataError) {
        self.metadata = metadata
        self.filter = filter
        self.caseSensitive = caseSensitive
        let id = snapshotID ?? metadata.currentSnapshotID
        var schemaID = metadata.currentSchemaID
        if let id {
            guard let snapshot = metadata.snapshot(id) else { throw .invalid("the table has no snapshot \(id)") }
            if snapshotID != nil, let sid = snapshot["schema-id"]?.intValue { schemaID = sid }
        }
        self.snapshotID = id
        guard let schemaJSON = metadata.schemas.first(where: { $0["schema-id"]?.intValue == schemaID }) ?? metadata.schemas.last else {
            throw .malformed("the table metadata has no schema")
        }
        schema = try IcebergSchema(json: schemaJSON)
        var specs: [Int: PartitionSpec] = [:]
        for json in metadata.specs {
            let spec = try PartitionSpec(json: json)
            specs[spec.specID] = spec
        }
        self.specs = specs
        bound = filter == .alwaysTrue ? nil : try BoundExpression(filter, schema: schema, caseSensitive: caseSensitive)
    }

    /// The snapshot that was current at `timestampMs`: the last snapshot-log entry at or before it
    /// (else, without a log, the newest snapshot committed at or before it).
    public static func snapshotID(asOf timestampMs: Int64, metadata: TableMetadata) -> Int64? {
        let log = metadata.json["snapshot-log"]?.arrayValue ?? []
        var best: (ts: Int64, id: Int64)?
        if !log.isEmpty {
            for entry in log {
                guard let ts = entry["timestamp-ms"]?.intValue, let id = entry["snapshot-id"]?.intValue, ts <= timestampMs else { continue }
                if best == nil || ts >= best!.ts { best = (ts, id) }
            }
            return best?.id
        }
        for snapshot in metadata.snapshots {
            guard let ts = snapshot["timestamp-ms"]?.intValue, let id = snapshot["snapshot-id"]?.intValue, ts <= timestampMs else { continue }
            if best == nil || ts >= best!.ts { best = (ts, id) }
        }
        return best?.id
    }

    /// The snapshot's manifests (all of them, unpruned). v1 snapshots may list manifest paths
    /// inline: those read with spec id -1 (taken from each manifest's header) and sequence number 0.
    public func manifests(io: some TableFileIO) async throws -> [ManifestFile] {
        guard let snapshotID, let snapshot = metadata.snapshot(snapshotID) else { return [] }
        if let listPath = snapshot["manifest-list"]?.stringValue {
            // A manifest named twice (in any of the s3 schemes) holds the same files once: reading it again only costs memory.
            var seen = Set<String>()
            return try ManifestList.read(try await io.read(listPath), formatVersion: metadata.formatVersion).filter {
                seen.insert(Self.objectPath($0.path)).inserted
            }
        }
        var out: [ManifestFile] = []
        for path in (snapshot["manifests"]?.arrayValue ?? []).compactMap(\.stringValue) {
            out.append(ManifestFile(path: path, length: try await io.size(path), partitionSpecID: -1, addedSnapshotID: snapshotID))
        }
        return out
    }

    /// `s3a://` and `s3n://` name the same objects as `s3://`.
    static func objectPath(_ path: String) -> String {
        for scheme in ["s3a://", "s3n://"] where path.hasPrefix(scheme) { return "s3://" + path.dropFirst(scheme.count) }
        return path
    }

    /// Every live entry (data and delete files) of the snapshot, manifest by manifest, unpruned.
    public func entries(io: some TableFileIO) async throws -> [ManifestEntry] {
        let manifests = try await manifests(io: io)
        return try await read(manifests, io: io).flatMap { $0.entries }
    }

    public func planFiles(io: some TableFileIO) async throws -> [FileScanTask] {
        var pruners: [Int: PartitionPruner] = [:]
        func pruner(_ specID: Int) -> PartitionPruner? {
            guard let bound, let spec = specs[specID] else { return nil }
            if let p = pruners[specID] { return p }
            let p = PartitionPruner(bound, spec: spec, schema: schema)
            pruners[specID] = p
            return p
        }
        let manifests = try await manifests(io: io).filter { m in
            guard m.mayHaveLiveFiles else { return false }
            guard let summaries = m.partitions, m.partitionSpecID >= 0, let p = pruner(m.partitionSpecID) else { return true }
            return p.mightMatch(summaries: summaries)
        }
        let read = try await read(manifests, io: io)
        let metricsPruner = bound.map { MetricsPruner($0, schema: schema) }

        var deleteEntries: [ManifestEntry] = []
        var dataEntries: [ManifestEntry] = []
        for (manifest, entries) in read {
            for entry in entries {
                if let p = pruner(entry.dataFile.specID), !p.mightMatch(partition: entry.dataFile.partition) { continue }
                if manifest.content == .deletes || entry.dataFile.content != .data {
                    deleteEntries.append(entry)
                } else {
                    if let metricsPruner, !metricsPruner.mightMatch(entry.dataFile.metrics) { continue }
                    dataEntries.append(entry)
                }
            }
        }
        let index = DeleteFileIndex(entries: deleteEntries, specs: specs)
        let unpartitioned = PartitionSpec.unpartitioned
        return dataEntries.map { entry in
            let sequenceNumber = entry.sequenceNumber ?? 0
            return FileScanTask(
                dataFile: entry.dataFile, dataSequenceNumber: sequenceNumber,
                spec: specs[entry.dataFile.specID] ?? unpartitioned,
                deletes: index.deletes(for: entry.dataFile, sequenceNumber: sequenceNumber))
        }
    }

    /// Live entries of each manifest, read concurrently, in manifest order.
    func read(_ manifests: [ManifestFile], io: some TableFileIO) async throws -> [(manifest: ManifestFile, entries: [ManifestEntry])] {
        let specs = self.specs, schema = self.schema
        var results = [[ManifestEntry]?](repeating: nil, count: manifests.count)
        try await withThrowingTaskGroup(of: (Int, [ManifestEntry], Int).self) { group in
            var next = 0
            func launch() {
                let i = next, manifest = manifests[i]
                next += 1
                group.addTask {
                    let bytes = try await io.read(manifest.path)
                    let all = try Manifest.read(bytes, file: manifest, specs: specs, schema: schema)
                    return (i, all.filter(\.isLive), all.count)
                }
            }
            for _ in 0..<min(8, manifests.count) { launch() }
            var held = 0
            while let (i, entries, decoded) = try await group.next() {
                held += decoded
                if let maxEntries, held > maxEntries {
                    group.cancelAll()
                    throw IcebergDataError.unsupported("the snapshot's manifests hold more than \(maxEntries) entries; planning stopped")
                }
                results[i] = entries
                if next < manifests.count { launch() }
            }
        }
        return zip(manifests, results).map { ($0, $1 ?? []) }
    }
}
