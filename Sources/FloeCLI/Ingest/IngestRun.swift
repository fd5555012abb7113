import FloeClient
import Foundation
import IcebergData
import IcebergModel
import Ingest
import NIOHTTP1
import Parquet

struct IngestOptions {
    var format: IngestFormat?
    var schemaFile: String?
    var partitionBy: String?
    var sortBy: String?
    var mergeSchema = false
    var overwrite = false
    /// With `overwrite`: replace only the rows this filter matches (the rest of their files is kept).
    var overwriteWhere: String?
    var maxRejects = 0
    var rejectsFile: String?
    var targetFileBytes: Int64 = 128 << 20
    var csv = CSVOptions()
    var sampleRows = 10_000
}

struct IngestReport {
    var sources = 0
    var skipped = 0
    var rows: Int64 = 0
    var rejects = 0
    var files = 0
    var bytes: Int64 = 0
    var snapshotID: Int64?
    var created = false
    var schemaChanged = false
}

/// A data file written to a local temporary file, uploaded when finished.
final class TemporaryFileSink: DataFileSink {
    let path: String
    let handle: FileHandle

    init() throws {
        path = NSTemporaryDirectory() + "floe-ingest-" + UUID().uuidString + ".parquet"
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw CLIError("cannot create a temporary file in \(NSTemporaryDirectory())")
        }
        self.handle = handle
    }

    func write(_ bytes: [UInt8]) throws { try handle.write(contentsOf: bytes) }
    func close() throws { try handle.close() }
    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Local files read by range, for Parquet sources on this machine.
struct LocalFileIO: TableFileIO {
    func read(_ path: String) async throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("cannot read \(path)") }
        return [UInt8](data)
    }
    func read(_ path: String, range: Range<Int64>) async throws -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw CLIError("cannot read \(path)") }
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(range.lowerBound))
        return [UInt8](try handle.read(upToCount: Int(range.count)) ?? Data())
    }
    func size(_ path: String) async throws -> Int64 {
        (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0
    }
}

/// One run of `floe ingest`: what is new among the sources is parsed, typed, written as Parquet
/// data files (partitioned, cut at the target size) and committed in one snapshot, whose summary
/// names a list of the sources so that the next run skips them.
final class IngestRun {
    static let sourcesFileKey = "floe.ingest.sources-file"
    let session: Session
    let address: TableAddress
    let options: IngestOptions
    var report = IngestReport()
    var rejects: LineOutput?
    var progress: IngestProgress
    /// `--all`: earlier runs' sources are ingested again.
    var ignoreHistory = false
    lazy var reader = SourceRows(options: options) { [unowned self] source, line, message in try self.reject(source, line: line, message) } counted: { [unowned self] n in
        self.report.rows += Int64(n)
        self.progress.update(rows: self.report.rows)
    }

    func infer(_ sources: [IngestSource]) async throws -> IcebergSchema { try await reader.infer(sources) }
    func rows(of source: IngestSource, schema: IcebergSchema, _ emit: ([IcebergValue]) throws -> Void) async throws {
        try await reader.rows(of: source, schema: schema, emit)
    }

    init(session: Session, address: TableAddress, options: IngestOptions, quiet: Bool) throws {
        self.session = session
        self.address = address
        self.options = options
        rejects = try options.rejectsFile.map { try LineOutput(path: $0) }
        progress = IngestProgress(enabled: !quiet && isatty(2) != 0)
    }

    func run(_ arguments: [String]) async throws -> IngestReport {
        let sources = try await IngestSources.expand(arguments, format: options.format, session: session, alias: address.alias)
        var table = try await loadIfPresent()
        var seen: Set<String> = []
        if let table, !ignoreHistory { seen = try await ingestedSources(table) }
        let fresh = sources.filter { !seen.contains($0.identity) }
        report.sources = fresh.count
        report.skipped = sources.count - fresh.count
        guard !fresh.isEmpty else { return report }

        var schemaUpdates: [JSONValue] = []
        let schema: IcebergSchema
        if let loaded = table {
            let current = try TableReader.readSchema(loaded.metadata, explicitSnapshot: nil)
            if options.mergeSchema, let merged = try SchemaMerge.merge(table: current, incoming: try await infer(fresh), lastColumnID: Int(loaded.metadata.lastColumnID)) {
                let nextID = (loaded.metadata.schemas.compactMap { $0["schema-id"]?.intValue }.max() ?? 0) + 1
                var evolved = merged.schema
                evolved.schemaID = Int(nextID)
                schemaUpdates = [["action": "add-schema", "schema": evolved.json, "last-column-id": .int(Int64(merged.lastColumnID))], ["action": "set-current-schema", "schema-id": -1]]
                schema = evolved
                report.schemaChanged = true
            } else {
                schema = current
            }
        } else {
            let staged = try await create(try await initialSchema(fresh))
            // Written with the ids the catalog assigned.
            schema = try TableReader.readSchema(staged.metadata, explicitSnapshot: nil)
            table = staged
            report.created = true
        }
        guard let table else { throw CLIError("\(address) could not be loaded") }

        let appender = try TableAppender(table: table, session: session, schema: schema, targetFileBytes: options.targetFileBytes)
        var removing: Set<String> = []
        do {
            if let text = options.overwriteWhere, table.metadata.currentSnapshotID != nil {
                removing = try await keepUnmatched(text, table: table, schema: schema, into: appender)
            }
            for source in fresh {
                try await rows(of: source, schema: schema) { row throws in try appender.append(row) }
                try await appender.flush()
            }
            report.snapshotID = try await appender.commit(
                replacing: options.overwrite && options.overwriteWhere == nil, removing: removing, summary: ["floe.ingest.sources": String(fresh.count), "floe.ingest.rejects": String(report.rejects)],
                schemaUpdates: schemaUpdates
            ) { snapshotID in
                // The list of sources, beside the metadata, named in the summary: the next run skips them.
                let path = "\(appender.base)/metadata/floe-ingest-\(snapshotID)-\(UUID().uuidString.lowercased()).json"
                try await appender.put(path, [UInt8](try JSONEncoder().encode(fresh.map(\.identity))))
                return [Self.sourcesFileKey: path]
            }
            report.files = appender.written.count
            report.bytes = appender.bytes
        } catch {
            await appender.abandon()
            throw error
        }
        try rejects?.close()
        progress.finish()
        return report
    }

    /// `--overwrite --where`: the files whose rows the filter may match are read (deletes applied);
    /// their rows it does not match are written again, and the files are dropped by the commit.
    func keepUnmatched(_ text: String, table: LoadedTable, schema: IcebergSchema, into appender: TableAppender) async throws -> Set<String> {
        let filter: IcebergData.Expression
        let bound: BoundExpression
        do {
            filter = try ExpressionParser.parse(text)
            bound = try BoundExpression(filter, schema: schema)
        } catch {
            throw CLIError("--where: \(error)")
        }
        let slots = Dictionary(uniqueKeysWithValues: schema.fields.enumerated().map { ($1.id, $0) })
        guard bound.referencedFieldIDs.allSatisfy({ slots[$0] != nil }) else { throw CLIError("--where: only top-level columns can be used") }
        let evaluator = RowEvaluator(bound)
        let reader = try TableReader(metadata: table.metadata)
        var removing: Set<String> = []
        for task in try await TableScan(metadata: table.metadata, filter: filter).planFiles(io: table.io) {
            removing.insert(task.dataFile.filePath)
            _ = try await reader.read(task, io: table.io) { row in
                if !evaluator.matches({ id in slots[id].flatMap { $0 < row.count ? row[$0] : nil } ?? .null }) {
                    try appender.append(row + Array(repeating: .null, count: max(0, schema.fields.count - row.count)))
                }
                return true
            }
        }
        return removing
    }

    func loadIfPresent() async throws -> LoadedTable? {
        do {
            return try await LoadedTable.load(address, session: session)
        } catch let error as ClientError where error.status == 404 && error.code.contains("Table") {
            return nil
        }
    }

    /// Every source identity recorded by earlier runs on this table's history.
    func ingestedSources(_ table: LoadedTable) async throws -> Set<String> {
        var seen: Set<String> = []
        for snapshot in table.metadata.snapshots {
            guard let path = snapshot["summary"]?[Self.sourcesFileKey]?.stringValue else { continue }
            let bytes = try await table.io.read(path)
            guard let list = try? JSONDecoder().decode([String].self, from: Data(bytes)) else {
                throw CLIError("the ingest record \(path) is not a JSON list of sources")
            }
            seen.formUnion(list)
        }
        return seen
    }

    func initialSchema(_ sources: [IngestSource]) async throws -> IcebergSchema {
        if let file = options.schemaFile {
            guard let data = FileManager.default.contents(atPath: file) else { throw CLIError("cannot read \(file)") }
            do {
                return try IcebergSchema(json: try JSONDecoder().decode(JSONValue.self, from: data))
            } catch {
                throw CLIError("\(file) is not an Iceberg schema: \(error)")
            }
        }
        return try await infer(sources)
    }

    func create(_ schema: IcebergSchema) async throws -> LoadedTable {
        var spec: JSONValue?
        var order: JSONValue?
        do {
            spec = try options.partitionBy.map { try PartitionSpecText.parse($0, schema: schema).json }
        } catch {
            throw CLIError("--partition-by: \(error)")
        }
        do {
            order = try options.sortBy.map { try SortOrderText.parse($0, schema: schema) }
        } catch {
            throw CLIError("--sort-by: \(error)")
        }
        return try await TableAppender.stage(address, schema: schema, partitionSpec: spec, writeOrder: order, session: session)
    }

    func reject(_ source: IngestSource, line: Int, _ message: String) throws {
        report.rejects += 1
        try rejects?.line("\(source.display):\(line): \(message)")
        guard report.rejects <= options.maxRejects else {
            throw CLIError(
                "\(source.display):\(line): \(message)",
                hint: options.maxRejects == 0 ? "add --max-rejects N (and --rejects FILE) to set bad rows aside" : "more than \(options.maxRejects) rows were rejected")
        }
    }


}

/// Rows and rows per second on standard error, at most once a second, on a terminal only.
struct IngestProgress {
    let enabled: Bool
    let started = Date()
    var last = Date.distantPast

    mutating func update(rows: Int64) {
        guard enabled, Date().timeIntervalSince(last) >= 1 else { return }
        last = Date()
        let seconds = max(0.001, last.timeIntervalSince(started))
        FileHandle.standardError.write(Data("\r\(rows) rows, \(Int(Double(rows) / seconds)) rows/s   ".utf8))
    }

    func finish() {
        if enabled { FileHandle.standardError.write(Data("\r".utf8)) }
    }
}
