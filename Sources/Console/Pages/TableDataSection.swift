import FloeClient
import Foundation
import IcebergData
import IcebergModel
import Parquet

/// A table's files, partitions and first rows, read as the signed-in principal with Floe's own
/// Iceberg readers (through the S3 API, and only below the table's location). Shown on request:
/// planning reads every manifest of the snapshot.
enum TableDataSection {
    static let maxFiles = 100
    static let maxPartitions = 100
    static let previewRows = 20
    static let maxColumns = 24
    /// Manifest entries decoded while planning: a manifest list naming many (or the same) manifests stops here.
    static let maxEntries = 100_000
    static let maxCellCharacters = 200
    /// Manifest lists and manifests larger than this are not read for a preview.
    static let maxManifestBytes = 16 << 20
    /// Pages larger than this are not read for a preview.
    static let limits = ParquetLimits(maxPageBytes: 32 << 20, maxRowGroupValues: 16 << 20)

    static func values(_ call: ConsoleCall, metadata document: [String: Any]) async -> [String: Any] {
        guard call.console.tablePreviews.take() else {
            return ["dataError": "Another table's files are being read; try again in a moment."]
        }
        defer { call.console.tablePreviews.give() }
        do {
            let json = try JSONDecoder().decode(JSONValue.self, from: JSONSerialization.data(withJSONObject: document))
            let metadata = try TableMetadata(json: json)
            guard let snapshot = metadata.currentSnapshotID else { return ["dataEmpty": true] }
            let io = ConfinedFileIO(S3TableFileIO(client: call.s3, maxWholeFile: maxManifestBytes), location: metadata.location)
            var scan = try TableScan(metadata: metadata, snapshotID: snapshot)
            scan.maxEntries = maxEntries
            let tasks = try await scan.planFiles(io: io)
            var partitions: [String: (files: Int, records: Int64, bytes: Int64)] = [:]
            for task in tasks {
                let key = task.spec.fields.isEmpty ? "" : task.spec.partitionPath(task.dataFile.partition)
                var entry = partitions[key] ?? (0, 0, 0)
                entry.files += 1
                entry.records += task.dataFile.recordCount
                entry.bytes += task.dataFile.fileSizeInBytes
                partitions[key] = entry
            }
            let files: [[String: Any]] = tasks.prefix(maxFiles).map { task in
                var row: [String: Any] = [
                    "path": task.dataFile.filePath, "records": Format.count(task.dataFile.recordCount), "size": Format.bytes(task.dataFile.fileSizeInBytes),
                    "partition": task.spec.fields.isEmpty ? "" : task.spec.partitionPath(task.dataFile.partition), "deletes": task.deletes.count,
                ]
                if let (bucket, key) = try? S3TableFileIO.split(task.dataFile.filePath) {
                    row["href"] = "/buckets/\(bucket)/object" + FormFields.query([("key", key)])
                }
                return row
            }
            let reader = try TableReader(metadata: metadata, snapshotID: snapshot, limits: limits)
            let columns = Array(reader.columns.prefix(maxColumns))
            var rows: [[String: Any]] = []
            try await reader.rows(of: tasks, io: io) { row in
                rows.append(["cells": zip(columns, row).map { ["text": cell($0.1.displayText($0.0.type))] }])
                return rows.count < previewRows
            }
            return [
                "dataShown": true,
                "files": files, "fileCount": Format.count(Int64(tasks.count)), "moreFiles": tasks.count > maxFiles,
                "partitionRows": partitions.keys.sorted().prefix(maxPartitions).map { key -> [String: Any] in
                    let entry = partitions[key]!
                    return ["name": key.isEmpty ? "(unpartitioned)" : key, "files": entry.files, "records": Format.count(entry.records), "size": Format.bytes(entry.bytes)]
                },
                "morePartitions": partitions.count > maxPartitions, "partitionCount": partitions.count,
                "columns": columns.map { ["name": $0.name] }, "rows": rows, "moreColumns": reader.columns.count > maxColumns,
            ]
        } catch let error as ClientError {
            return ["dataError": "\(error.code): \(error.message)"]
        } catch {
            return ["dataError": "\(error)"]
        }
    }

    static func cell(_ text: String) -> String {
        text.count <= maxCellCharacters ? text : String(text.prefix(maxCellCharacters)) + "…"
    }
}
