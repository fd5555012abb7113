import ArgumentParser
import FloeClient
import Foundation
import IcebergData
import IcebergModel

/// `floe table`: what an Iceberg table holds, read from its manifests and data files.
struct TableCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "table", abstract: "Look inside Iceberg tables: snapshots, manifests, files, partitions and rows.",
        discussion: "Tables are named ALIAS/WAREHOUSE/NAMESPACE.TABLE, e.g. local/lakehouse/bronze.events.",
        subcommands: [Info.self, Snapshots.self, Files.self, Partitions.self, Scan.self, AddFilesCommand.self])

    struct SnapshotOptions: ParsableArguments {
        @Option(help: "Read this snapshot id instead of the current one.") var snapshot: Int64?
        @Option(name: .customLong("as-of"), help: "Read the snapshot current at this time (ISO-8601 or epoch milliseconds).") var asOf: String?
    }

    static func plan(_ table: LoadedTable, snapshot: Int64?, filter: IcebergData.Expression = .alwaysTrue) async throws -> [FileScanTask] {
        guard let id = snapshot ?? table.metadata.currentSnapshotID else { return [] }
        return try await TableScan(metadata: table.metadata, snapshotID: id, filter: filter).planFiles(io: table.io)
    }

    static func parseFilter(_ text: String?) throws -> IcebergData.Expression {
        guard let text, !text.isEmpty else { return .alwaysTrue }
        do {
            return try ExpressionParser.parse(text)
        } catch {
            throw CLIError("--where: \(error)")
        }
    }

    struct Info: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "info", abstract: "Schema, partitioning and what the current snapshot holds (files, rows, bytes, deletes).")
        @Argument(help: "ALIAS/WAREHOUSE/NAMESPACE.TABLE") var table: String
        @OptionGroup var snapshot: SnapshotOptions
        @OptionGroup var output: OutputOptions
        func run() async throws {
            try await Session.with { session in
                let (loaded, id) = try await LoadedTable.resolve(table, id: snapshot.snapshot, asOf: snapshot.asOf, session: session)
                let tasks = try await TableCommand.plan(loaded, snapshot: id)
                let dataFiles = tasks.count
                let records = tasks.reduce(Int64(0)) { $0 + $1.dataFile.recordCount }
                let bytes = tasks.reduce(Int64(0)) { $0 + $1.dataFile.fileSizeInBytes }
                var deleteFiles: Set<String> = []
                for task in tasks { for delete in task.deletes { deleteFiles.insert(delete.filePath + "#\(delete.contentOffset ?? 0)") } }
                let schema = try TableReader.readSchema(loaded.metadata, explicitSnapshot: id)
                var lines = [
                    "Table:            \(loaded.address)", "Location:         \(loaded.metadata.location)",
                    "Metadata:         \(loaded.metadataLocation)", "Format version:   \(loaded.metadata.formatVersion)",
                    "Snapshot:         \(id.map(String.init) ?? "none")",
                    "Data files:       \(dataFiles) (\(Format.bytes(bytes)), \(records) records before deletes)",
                    "Delete files:     \(deleteFiles.count)", "", "Schema (id \(schema.schemaID)):",
                ]
                lines += Format.table(schema.fields.map { ["  \($0.id)", $0.name, $0.type.description, $0.required ? "required" : "optional"] })
                Printer(options: output).record(
                    [
                        "table": loaded.address.description, "location": loaded.metadata.location, "metadataLocation": loaded.metadataLocation,
                        "formatVersion": loaded.metadata.formatVersion, "snapshotId": id.map { NSNumber(value: $0) } ?? NSNull(),
                        "dataFiles": dataFiles, "records": records, "bytes": bytes, "deleteFiles": deleteFiles.count,
                    ], lines.joined(separator: "\n"))
            }
        }
    }

    struct Snapshots: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "snapshots", abstract: "Snapshots, oldest first: time, operation, parent and summary; the current one marked.")
        @Argument(help: "ALIAS/WAREHOUSE/NAMESPACE.TABLE") var table: String
        @OptionGroup var output: OutputOptions
        func run() async throws {
            try await Session.with { session in
                let loaded = try await LoadedTable.load(try TableAddress.parse(table, session: session), session: session)
                let printer = Printer(options: output)
                let current = loaded.metadata.currentSnapshotID
                var rows: [[String]] = [["", "SNAPSHOT", "TIME", "OPERATION", "PARENT", "ADDED FILES", "ADDED RECORDS", "TOTAL RECORDS"]]
                let snapshots = loaded.metadata.snapshots.sorted { ($0["timestamp-ms"]?.intValue ?? 0) < ($1["timestamp-ms"]?.intValue ?? 0) }
                for snapshot in snapshots {
                    let id = snapshot["snapshot-id"]?.intValue ?? 0
                    let summary = snapshot["summary"]?.stringMap ?? [:]
                    let time = TimeText.iso(millis: snapshot["timestamp-ms"]?.intValue ?? 0)
                    printer.json([
                        "snapshotId": NSNumber(value: id), "timestampMs": NSNumber(value: snapshot["timestamp-ms"]?.intValue ?? 0),
                        "parentId": snapshot["parent-snapshot-id"]?.intValue.map { NSNumber(value: $0) } ?? NSNull(),
                        "operation": summary["operation"] ?? "", "summary": summary, "current": id == current,
                        "manifestList": snapshot["manifest-list"]?.stringValue ?? "",
                    ])
                    rows.append([
                        id == current ? "*" : "", String(id), time, summary["operation"] ?? "",
                        snapshot["parent-snapshot-id"]?.intValue.map(String.init) ?? "-", summary["added-data-files"] ?? "-",
                        summary["added-records"] ?? "-", summary["total-records"] ?? "-",
                    ])
                }
                printer.text(Format.table(rows))
            }
        }
    }

    struct Files: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "files", abstract: "The live data files of a snapshot (those a filter may match) and the delete files applying to each.")
        @Argument(help: "ALIAS/WAREHOUSE/NAMESPACE.TABLE") var table: String
        @OptionGroup var snapshot: SnapshotOptions
        @Option(name: .customLong("where"), help: "Only files whose partition and column bounds may match, e.g. \"day >= '2026-01-01'\".") var filter: String?
        @OptionGroup var output: OutputOptions
        func run() async throws {
            try await Session.with { session in
                let (loaded, id) = try await LoadedTable.resolve(table, id: snapshot.snapshot, asOf: snapshot.asOf, session: session)
                let tasks = try await TableCommand.plan(loaded, snapshot: id, filter: try TableCommand.parseFilter(filter))
                let printer = Printer(options: output)
                var rows: [[String]] = [["CONTENT", "RECORDS", "SIZE", "PARTITION", "PATH"]]
                for task in tasks {
                    let partition = TableCommand.partitionText(task, loaded.metadata)
                    printer.json([
                        "content": "data", "path": task.dataFile.filePath, "format": task.dataFile.fileFormat,
                        "records": task.dataFile.recordCount, "bytes": task.dataFile.fileSizeInBytes, "partition": partition,
                        "specId": task.spec.specID, "sequenceNumber": NSNumber(value: task.dataSequenceNumber),
                        "deletes": task.deletes.map { ["content": "\($0.content)", "path": $0.filePath, "records": $0.recordCount] as [String: Any] },
                    ])
                    rows.append(["data", String(task.dataFile.recordCount), Format.bytes(task.dataFile.fileSizeInBytes), partition, task.dataFile.filePath])
                    for delete in task.deletes {
                        rows.append(["  \(delete.content)", String(delete.recordCount), Format.bytes(delete.fileSizeInBytes), "", "  " + delete.filePath])
                    }
                }
                printer.text(Format.table(rows, rightAligned: [1, 2]))
            }
        }
    }

    static func partitionText(_ task: FileScanTask, _ metadata: TableMetadata) -> String {
        guard !task.spec.fields.isEmpty else { return "" }
        return task.spec.partitionPath(task.dataFile.partition)
    }

    struct Partitions: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "partitions", abstract: "Partitions of a snapshot with their data files, records and bytes.")
        @Argument(help: "ALIAS/WAREHOUSE/NAMESPACE.TABLE") var table: String
        @OptionGroup var snapshot: SnapshotOptions
        @OptionGroup var output: OutputOptions
        func run() async throws {
            try await Session.with { session in
                let (loaded, id) = try await LoadedTable.resolve(table, id: snapshot.snapshot, asOf: snapshot.asOf, session: session)
                var totals: [String: (files: Int, records: Int64, bytes: Int64, deletes: Int)] = [:]
                for task in try await TableCommand.plan(loaded, snapshot: id) {
                    let key = TableCommand.partitionText(task, loaded.metadata)
                    var entry = totals[key] ?? (0, 0, 0, 0)
                    entry.files += 1
                    entry.records += task.dataFile.recordCount
                    entry.bytes += task.dataFile.fileSizeInBytes
                    entry.deletes += task.deletes.count
                    totals[key] = entry
                }
                let printer = Printer(options: output)
                var rows: [[String]] = [["PARTITION", "FILES", "RECORDS", "SIZE", "DELETE FILES"]]
                for key in totals.keys.sorted() {
                    let entry = totals[key]!
                    printer.json(["partition": key, "files": entry.files, "records": entry.records, "bytes": entry.bytes, "deleteFiles": entry.deletes])
                    rows.append([key.isEmpty ? "(unpartitioned)" : key, String(entry.files), String(entry.records), Format.bytes(entry.bytes), String(entry.deletes)])
                }
                printer.text(Format.table(rows, rightAligned: [1, 2, 3, 4]))
            }
        }
    }

    struct Scan: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "scan", abstract: "Stream the live rows of a snapshot: deletes applied, filtered, projected.",
            discussion: "Files are pruned by partition and column statistics, row groups by their statistics; memory holds one row group at a time.")
        @Argument(help: "ALIAS/WAREHOUSE/NAMESPACE.TABLE") var table: String
        @OptionGroup var snapshot: SnapshotOptions
        @Option(help: "Columns to read, comma-separated (default: all).") var columns: String?
        @Option(name: .customLong("where"), help: "Row filter, e.g. \"id > 10 AND name LIKE 'a%' AND ts >= '2026-01-01T00:00:00'\".") var filter: String?
        @Option(help: "Stop after this many rows.") var limit: Int?
        @Option(help: "table, csv, jsonl or parquet.") var format: String = "table"
        @Option(name: [.short, .customLong("output")], help: "Write to this local file (required for parquet).") var outputFile: String?
        @Flag(name: .customLong("stats"), help: "Print what was read and skipped to standard error.") var showStats = false
        func run() async throws {
            guard let rowFormat = RowFormat(rawValue: format) else {
                throw CLIError("unknown --format \(format)", hint: "use one of " + RowFormat.allCases.map(\.rawValue).joined(separator: ", "))
            }
            if rowFormat == .parquet && outputFile == nil { throw CLIError("--format parquet writes a file", hint: "add --output FILE.parquet") }
            try await Session.with { session in
                let (loaded, id) = try await LoadedTable.resolve(table, id: snapshot.snapshot, asOf: snapshot.asOf, session: session)
                let names = columns?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                let reader: TableReader
                do {
                    reader = try TableReader(metadata: loaded.metadata, snapshotID: id, columns: names, filter: try TableCommand.parseFilter(filter))
                } catch let error as IcebergDataError {
                    throw CLIError("\(error)")
                }
                var sink: any RowSink
                if rowFormat == .parquet, let outputFile {
                    sink = try ParquetRowSink(path: outputFile, columns: reader.columns)
                } else {
                    sink = TextRowSink(format: rowFormat, columns: reader.columns, output: try LineOutput(path: outputFile))
                }
                var count = 0
                if limit != 0 {
                    try await reader.rows(io: loaded.io) { row in
                        try sink.write(row)
                        count += 1
                        return limit.map { count < $0 } ?? true
                    }
                }
                try sink.finish()
                if showStats {
                    let s = reader.stats
                    FileHandle.standardError.write(Data(
                        "rows: \(count), data files: \(s.dataFiles), row groups read: \(s.rowGroupsRead), skipped: \(s.rowGroupsSkipped), bytes read: \(s.bytesRead), rows deleted: \(s.rowsDeleted), filtered: \(s.rowsFiltered)\n".utf8))
                }
            }
        }
    }

    struct AddFilesCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add-files", abstract: "Append Parquet files already in the object store to a table, as one snapshot.",
            discussion: """
                Files are named s3://BUCKET/KEY or ALIAS/BUCKET/KEY; a path ending in / adds every .parquet object below it. \
                Columns are matched by field id (else the table's name mapping, else name); metrics and the partition \
                come from each file's statistics, and a file whose rows span partitions is refused. Floe writes the \
                manifest and manifest list and commits; Spark, Trino, DuckDB and pyiceberg read the result.
                """)
        @Argument(help: "ALIAS/WAREHOUSE/NAMESPACE.TABLE") var table: String
        @Argument(help: "Parquet files or prefixes.") var files: [String]
        @Flag(name: .customLong("allow-duplicates"), help: "Add files the table already references.") var allowDuplicates = false
        @OptionGroup var output: OutputOptions
        func run() async throws {
            try await Session.with { session in
                let address = try TableAddress.parse(table, session: session)
                let objects = try await AddFiles.objects(files, session: session, client: try session.s3(address.alias))
                guard !objects.isEmpty else { throw CLIError("no Parquet files found in \(files.joined(separator: " "))") }
                let (snapshotID, records) = try await AddFiles.run(address, files: objects, session: session, allowDuplicates: allowDuplicates)
                Printer(options: output).done(
                    ["table": address.description, "snapshotId": NSNumber(value: snapshotID), "files": objects.count, "records": records],
                    "Added \(objects.count) file\(objects.count == 1 ? "" : "s") (\(records) records) to \(address) as snapshot \(snapshotID)")
            }
        }
    }
}
