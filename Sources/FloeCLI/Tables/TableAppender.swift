import FloeClient
import Foundation
import IcebergData
import IcebergModel
import NIOHTTP1

/// Writes rows into a table as one snapshot: Parquet data files (partitioned, cut at the target
/// size) through local temporary files, uploaded as they finish; then manifest, manifest list and
/// one catalog commit. Anything uploaded is removed again when the commit does not happen.
final class TableAppender {
    let table: LoadedTable
    let address: TableAddress
    let session: Session
    let schema: IcebergSchema
    let writer: PartitionedDataFileWriter
    var pending: [WrittenDataFile] = []
    var written: [DataFile] = []
    var uploaded: [String] = []
    var bytes: Int64 = 0
    let base: String

    init(table: LoadedTable, session: Session, schema: IcebergSchema, targetFileBytes: Int64) throws {
        self.table = table
        self.address = table.address
        self.session = session
        self.schema = schema
        let metadata = table.metadata
        guard let specJSON = metadata.specs.first(where: { $0["spec-id"]?.intValue == metadata.defaultSpecID }) else { throw CLIError("\(address) has no partition spec") }
        let spec = try PartitionSpec(json: specJSON)
        base = metadata.location.hasSuffix("/") ? String(metadata.location.dropLast()) : metadata.location
        var options = DataFileWriterOptions()
        options.targetFileBytes = targetFileBytes
        writer = PartitionedDataFileWriter(
            schema: schema, spec: spec, dataLocation: base + "/data", filePrefix: "00000-" + UUID().uuidString.lowercased(), options: options
        ) { _ in try TemporaryFileSink() }
    }

    func append(_ row: [IcebergValue]) throws {
        pending += try writer.append(row)
    }

    /// Uploads the files finished so far (call between sources to keep temporary space small).
    func flush() async throws {
        for file in pending {
            guard let sink = file.sink as? TemporaryFileSink else { continue }
            defer { sink.remove() }
            let (bucket, key) = try S3TableFileIO.split(file.dataFile.filePath)
            try await table.s3.client.upload(file: sink.path, size: file.dataFile.fileSizeInBytes, bucket: bucket, key: key)
            uploaded.append(file.dataFile.filePath)
            bytes += file.dataFile.fileSizeInBytes
            written.append(file.dataFile)
        }
        pending.removeAll()
    }

    func put(_ path: String, _ data: [UInt8]) async throws {
        let (bucket, key) = try S3TableFileIO.split(path)
        try await table.s3.client.put(bucket: bucket, key: key, body: .bytes(data))
        uploaded.append(path)
    }

    /// Finishes the files and commits them; `replacing` makes an overwrite snapshot.
    /// `removing`: data files of the current snapshot that the new snapshot drops (an overwrite by filter).
    func commit(
        replacing: Bool, removing: Set<String> = [], summary: [String: String] = [:], schemaUpdates: [JSONValue] = [],
        before: ((Int64) async throws -> [String: String])? = nil
    ) async throws -> Int64 {
        pending += try writer.finish()
        try await flush()
        let snapshotID = AddFiles.randomSnapshotID()
        var summary = summary
        if let before { summary.merge(try await before(snapshotID)) { $1 } }
        let token = UUID().uuidString.lowercased()
        var parents = replacing || table.metadata.currentSnapshotID == nil ? [] : try await TableScan(metadata: table.metadata).manifests(io: table.io)
        if !removing.isEmpty {
            let rewrite = try await ManifestRewrite.removing(
                removing, from: parents, metadata: table.metadata, snapshotID: snapshotID, io: table.io) { "\(base)/metadata/\(token)-r\($0).avro" }
            for (path, bytes) in rewrite.written { try await put(path, bytes) }
            parents = rewrite.manifests
            summary["deleted-data-files"] = String(rewrite.removedFiles)
            summary["deleted-records"] = String(rewrite.removedRecords)
        }
        let commit = try AppendCommit.make(
            metadata: table.metadata, files: written, parentManifests: parents, snapshotID: snapshotID,
            timestampMs: Int64(Date().timeIntervalSince1970 * 1000),
            manifestPath: "\(base)/metadata/\(token)-m0.avro", manifestListPath: "\(base)/metadata/snap-\(snapshotID)-1-\(token).avro",
            extraSummary: summary, replacing: replacing, schema: schema, schemaUpdates: schemaUpdates,
            operation: removing.isEmpty ? nil : "overwrite")
        try await put(commit.manifestPath, commit.manifestBytes)
        try await put(commit.manifestListPath, commit.manifestListBytes)
        let catalog = try session.catalog(address.alias, warehouse: address.warehouse)
        let request = table.staged ? Self.creating(table.metadata, commit.request) : commit.request
        do {
            _ = try await catalog.call(.POST, address.catalogPath, json: try AddFiles.jsonObject(request))
        } catch let error as ClientError where error.status == 409 {
            throw CLIError(
                table.staged ? "\(address) was created by another writer meanwhile: nothing was committed" : "another writer committed to \(address) meanwhile: nothing was committed",
                hint: "run it again")
        } catch let error as ClientError where (400..<500).contains(error.status) {
            throw error
        } catch {
            // No answer (or a gateway's 5xx): the commit may have been applied. Its files stay.
            uploaded.removeAll()
            throw CLIError("the catalog did not confirm the commit of \(address) (\(error)); it may have been applied, so the written files are kept",
                           hint: "see `floe table snapshots \(address)` for snapshot \(snapshotID)")
        }
        uploaded.removeAll()
        return snapshotID
    }

    /// After a failure: temporary files and uploaded objects go.
    func abandon() async {
        for file in pending { (file.sink as? TemporaryFileSink)?.remove() }
        pending.removeAll()
        for path in uploaded {
            if let (bucket, key) = try? S3TableFileIO.split(path) { try? await table.s3.client.delete(bucket: bucket, key: key) }
        }
        uploaded.removeAll()
    }

    /// Stages a new table (the namespace must exist): the catalog checks the name and location and
    /// assigns ids, but the table exists only once the first commit creates it together with its
    /// data — a run that fails leaves no empty table behind.
    static func stage(_ address: TableAddress, schema: IcebergSchema, partitionSpec: JSONValue?, writeOrder: JSONValue?, session: Session) async throws -> LoadedTable {
        var body: [String: JSONValue] = ["name": .string(address.name), "schema": schema.json, "properties": ["format-version": "2"], "stage-create": true]
        if let partitionSpec { body["partition-spec"] = partitionSpec }
        if let writeOrder { body["write-order"] = writeOrder }
        let catalog = try session.catalog(address.alias, warehouse: address.warehouse)
        let answer = try await catalog.call(.POST, "namespaces/\(CatalogClient.namespacePath(address.namespace))/tables", json: try AddFiles.jsonObject(.object(body))) as? [String: Any] ?? [:]
        guard let document = answer["metadata"] else { throw CLIError("the catalog staged \(address) without metadata") }
        let metadata = try TableMetadata(json: try JSONDecoder().decode(JSONValue.self, from: try JSONSerialization.data(withJSONObject: document)))
        return LoadedTable(address: address, metadataLocation: "", metadata: metadata, s3: S3TableFileIO(client: try session.s3(address.alias)), staged: true)
    }

    /// A staged table's first commit: `assert-create`, the updates that build its metadata, then the data's.
    static func creating(_ metadata: TableMetadata, _ request: JSONValue) -> JSONValue {
        let schema = metadata.schemas.first { $0["schema-id"]?.intValue == metadata.currentSchemaID } ?? .null
        let spec = metadata.specs.first { $0["spec-id"]?.intValue == metadata.defaultSpecID } ?? ["spec-id": 0, "fields": []]
        let order = metadata.sortOrders.first { $0["order-id"]?.intValue == metadata.defaultSortOrderID } ?? ["order-id": 0, "fields": []]
        var updates: [JSONValue] = [
            ["action": "assign-uuid", "uuid": .string(metadata.uuid ?? UUID().uuidString.lowercased())],
            ["action": "upgrade-format-version", "format-version": .int(Int64(metadata.formatVersion))],
            ["action": "add-schema", "schema": schema, "last-column-id": .int(metadata.lastColumnID)], ["action": "set-current-schema", "schema-id": -1],
            ["action": "add-spec", "spec": spec], ["action": "set-default-spec", "spec-id": -1],
            ["action": "add-sort-order", "sort-order": order], ["action": "set-default-sort-order", "sort-order-id": -1],
            ["action": "set-location", "location": .string(metadata.location)],
        ]
        if !metadata.properties.isEmpty { updates.append(["action": "set-properties", "updates": .stringMap(metadata.properties)]) }
        updates += request["updates"]?.arrayValue ?? []
        return ["requirements": [["type": "assert-create"]], "updates": .array(updates)]
    }
}
