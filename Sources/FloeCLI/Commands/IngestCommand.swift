import ArgumentParser
import Foundation
import Ingest

/// `floe ingest SOURCE… TABLE`: CSV, JSON lines and Parquet files into an Iceberg table.
struct IngestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest", abstract: "Load CSV, JSON lines and Parquet files into an Iceberg table, as one commit.",
        discussion: """
            Sources are local files, folders and globs, ALIAS/BUCKET/PREFIX paths and s3:// URLs (a trailing / or a glob \\
            lists objects). The table (ALIAS/WAREHOUSE/NAMESPACE.TABLE) is created when missing, with a schema inferred \\
            from the first rows (or --schema), and appended to otherwise. Every run records the sources it committed \\
            (key and ETag or version; a local file's path, size and time), so running it again over the same landing \\
            prefix ingests only what is new. Rows that do not parse fail the run unless --max-rejects allows them \\
            (--rejects FILE keeps them, with their line numbers).
            """)
    @Argument(help: "Sources, then the table: SOURCE… ALIAS/WAREHOUSE/NAMESPACE.TABLE") var arguments: [String]
    @Option(help: "csv, tsv, jsonl or parquet (default: from each file's extension).") var format: String?
    @Option(help: "An Iceberg schema (JSON) for a new table instead of inferring one.") var schema: String?
    @Option(name: .customLong("partition-by"), help: "Partitioning of a new table, e.g. \"day(ts), bucket(16, id)\".") var partitionBy: String?
    @Option(name: .customLong("sort-by"), help: "Sort order recorded for a new table, e.g. \"id, ts DESC\".") var sortBy: String?
    @Flag(name: .customLong("merge-schema"), help: "Add new columns and widen types (int→long, float→double, decimal precision) of an existing table.") var mergeSchema = false
    @Flag(help: "Replace the table's rows with the ingested ones (one overwrite snapshot).") var overwrite = false
    @Option(name: .customLong("where"), help: "With --overwrite: replace only the rows this filter matches, e.g. \"day = '2026-11-30'\".") var overwriteWhere: String?
    @Option(name: .customLong("max-rejects"), help: "Rows that may fail to parse before the run fails (default 0).") var maxRejects = 0
    @Option(help: "Write rejected rows (source:line: reason) to this local file.") var rejects: String?
    @Option(name: .customLong("target-file-size"), help: "Data file size to aim for (default 128MiB).") var targetFileSize = "128MiB"
    @Option(help: "CSV field delimiter (one character; \\t for tab).") var delimiter: String?
    @Option(help: "CSV escape character inside quotes (default: quotes are doubled, as RFC 4180 says), e.g. \\.") var escape: String?
    @Flag(name: .customLong("no-header"), help: "CSV files have no header line (columns are col_1, col_2, …).") var noHeader = false
    @Option(name: .customLong("null"), help: "Unquoted CSV text read as NULL (repeatable; default: empty, NULL, null, \\N).") var nullMarkers: [String] = []
    @Flag(name: .customLong("all"), help: "Ingest every source again, even those earlier runs committed.") var ignoreHistory = false
    @OptionGroup var output: OutputOptions

    func run() async throws {
        guard arguments.count >= 2, let table = arguments.last else {
            throw CLIError("name at least one source and the table", hint: "floe ingest landing/*.csv local/lakehouse/bronze.events")
        }
        var options = IngestOptions()
        if let format {
            guard let parsed = IngestFormat(rawValue: format) else { throw CLIError("unknown --format \(format)", hint: "csv, tsv, jsonl or parquet") }
            options.format = parsed
        }
        options.schemaFile = schema
        options.partitionBy = partitionBy
        options.sortBy = sortBy
        options.mergeSchema = mergeSchema
        options.overwrite = overwrite
        if overwriteWhere != nil && !overwrite { throw CLIError("--where needs --overwrite", hint: "floe ingest … --overwrite --where \"day = '2026-11-30'\"") }
        options.overwriteWhere = overwriteWhere
        options.maxRejects = max(0, maxRejects)
        options.rejectsFile = rejects
        guard let size = Format.parseSize(targetFileSize), size >= 1 << 20 else { throw CLIError("--target-file-size \(targetFileSize) is not a size of at least 1MiB") }
        options.targetFileBytes = size
        if let delimiter {
            let text = delimiter == "\\t" ? "\t" : delimiter
            guard text.utf8.count == 1, let byte = text.utf8.first else { throw CLIError("--delimiter must be one character") }
            options.csv.delimiter = byte
        }
        if let escape {
            guard escape.utf8.count == 1, let byte = escape.utf8.first else { throw CLIError("--escape must be one character") }
            options.csv.escape = byte
        }
        options.csv.header = !noHeader
        if !nullMarkers.isEmpty { options.csv.nullMarkers = Set(nullMarkers) }
        try await Session.with { session in
            let address = try TableAddress.parse(table, session: session)
            let ingest = try IngestRun(session: session, address: address, options: options, quiet: output.quiet || output.json)
            ingest.ignoreHistory = ignoreHistory
            let started = Date()
            let report = try await ingest.run(Array(arguments.dropLast()))
            let seconds = Date().timeIntervalSince(started)
            let human: String
            if report.sources == 0 {
                human = "Nothing new for \(address): \(report.skipped) source\(report.skipped == 1 ? "" : "s") already ingested"
            } else {
                human = "Ingested \(report.rows) rows from \(report.sources) source\(report.sources == 1 ? "" : "s") into \(address)"
                    + " (\(report.files) file\(report.files == 1 ? "" : "s"), \(Format.bytes(report.bytes)), \(Int(Double(report.rows) / max(seconds, 0.001))) rows/s)"
                    + (report.rejects > 0 ? ", \(report.rejects) rejected" : "") + (report.skipped > 0 ? ", \(report.skipped) sources skipped as already ingested" : "")
                    + (report.created ? "; table created" : "") + (report.schemaChanged ? "; schema evolved" : "")
                    + (report.snapshotID.map { " as snapshot \($0)" } ?? "")
            }
            Printer(options: output).done(
                [
                    "table": address.description, "sources": report.sources, "skipped": report.skipped, "rows": report.rows, "rejects": report.rejects,
                    "files": report.files, "bytes": report.bytes, "created": report.created, "schemaChanged": report.schemaChanged,
                    "snapshotId": report.snapshotID.map { NSNumber(value: $0) } ?? NSNull(), "seconds": seconds,
                ], human)
        }
    }
}
