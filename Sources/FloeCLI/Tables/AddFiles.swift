import FloeClient
import Foundation
import IcebergData
import IcebergModel
import NIOHTTP1
import Parquet

/// `floe table add-files`: registers Parquet files already in the object store as a new append
/// snapshot — Floe writes the manifest and manifest list and commits through the catalog.
enum AddFiles {
    /// Parquet objects named by `s3://bucket/key`, `ALIAS/bucket/key`, or a prefix ending in `/`.
    static func objects(_ sources: [String], session: Session, client: S3Client) async throws -> [(path: String, size: Int64)] {
        var found: [(String, Int64)] = []
        for source in sources {
            let bucket: String
            let key: String
            if source.hasPrefix("s3://") {
                (bucket, key) = try S3TableFileIO.split(source.hasSuffix("/") ? source + "x" : source)
            } else {
                let remote = try session.remote(source)
                (bucket, key) = (remote.bucket, remote.key)
            }
            if source.hasSuffix("/") {
                let prefix = String(key.dropLast(source.hasPrefix("s3://") ? 1 : 0))
                try await session.eachObject(client, bucket: bucket, prefix: prefix) { object in
                    if object.key.hasSuffix(".parquet") { found.append(("s3://\(bucket)/\(object.key)", object.size)) }
                }
            } else {
                found.append(("s3://\(bucket)/\(key)", try await client.head(bucket: bucket, key: key).size))
            }
        }
        return found
    }

    static func randomSnapshotID() -> Int64 { Int64.random(in: 1...Int64.max) }

    static func jsonObject(_ value: JSONValue) throws -> Any {
        try JSONSerialization.jsonObject(with: try JSONEncoder().encode(value))
    }

    /// Describes the files, then commits; a concurrent commit (409) is retried on fresh metadata.
    static func run(_ address: TableAddress, files: [(path: String, size: Int64)], session: Session, allowDuplicates: Bool) async throws -> (snapshotID: Int64, records: Int64) {
        var attempt = 0
        while true {
            attempt += 1
            let table = try await LoadedTable.load(address, session: session)
            let metadata = table.metadata
            let schema = try TableReader.readSchema(metadata, explicitSnapshot: nil)
            guard let specJSON = metadata.specs.first(where: { $0["spec-id"]?.intValue == metadata.defaultSpecID }) else {
                throw CLIError("\(address) has no default partition spec")
            }
            let spec = try PartitionSpec(json: specJSON)
            let mapping = TableReader.nameMapping(metadata.properties["schema.name-mapping.default"])
            // Files stay inside the table's location: readers get credentials scoped to it, and a
            // table must not reach into places its writers chose outside it.
            let base = metadata.location.hasSuffix("/") ? metadata.location : metadata.location + "/"
            if let outside = files.first(where: { !ConfinedFileIO.contains(metadata.location, $0.path) }) {
                throw CLIError("\(outside.path) is outside the table's location \(metadata.location)", hint: "copy it below \(base) first (e.g. with floe cp)")
            }
            var described: [DataFile] = []
            var withoutIDs = false
            for file in files {
                let footer = try await ParquetFooterReader.read(path: file.path, size: file.size, io: table.io)
                if !footer.metadata.schema.children.contains(where: { $0.fieldID != nil }) { withoutIDs = true }
                do {
                    described.append(try ParquetDataFile.describe(path: file.path, size: file.size, footer: footer.metadata, schema: schema, spec: spec, nameMapping: mapping))
                } catch {
                    throw CLIError("\(error)")
                }
            }
            let scan = try TableScan(metadata: metadata)
            let parentManifests = try await scan.manifests(io: table.io)
            if !allowDuplicates, metadata.currentSnapshotID != nil {
                let present = Set(try await scan.entries(io: table.io).map(\.dataFile.filePath))
                if let duplicate = files.first(where: { present.contains($0.path) }) {
                    throw CLIError("\(duplicate.path) is already part of \(address)", hint: "add --allow-duplicates to add it again")
                }
            }
            let snapshotID = randomSnapshotID()
            let token = UUID().uuidString.lowercased()
            let root = String(base.dropLast())
            let commit = try AppendCommit.make(
                metadata: metadata, files: described, parentManifests: parentManifests, snapshotID: snapshotID,
                timestampMs: Int64(Date().timeIntervalSince1970 * 1000),
                manifestPath: "\(root)/metadata/\(token)-m0.avro", manifestListPath: "\(root)/metadata/snap-\(snapshotID)-1-\(token).avro",
                extraSummary: ["floe.add-files": String(files.count)],
                // Readers find the columns of files without field ids through the name mapping, as pyiceberg's add_files sets it.
                setProperties: withoutIDs && metadata.properties[NameMapping.property] == nil ? [NameMapping.property: NameMapping.text(for: schema)] : [:])
            for (path, bytes) in [(commit.manifestPath, commit.manifestBytes), (commit.manifestListPath, commit.manifestListBytes)] {
                let (bucket, key) = try S3TableFileIO.split(path)
                try await table.s3.client.put(bucket: bucket, key: key, body: .bytes(bytes))
            }
            do {
                let catalog = try session.catalog(address.alias, warehouse: address.warehouse)
                _ = try await catalog.call(.POST, address.catalogPath, json: try jsonObject(commit.request))
                return (snapshotID, described.reduce(Int64(0)) { $0 &+ $1.recordCount })
            } catch let error as ClientError where error.status == 409 && attempt < 4 {
                for path in [commit.manifestPath, commit.manifestListPath] {
                    let (bucket, key) = try S3TableFileIO.split(path)
                    try? await table.s3.client.delete(bucket: bucket, key: key)
                }
                continue
            }
        }
    }
}
