import ArgumentParser
import FloeClient
import Foundation
import IcebergData
import IcebergModel
import Ingest
import Query

/// Tables of a query through the catalog of one alias: `warehouse.namespace.table`, or
/// `namespace.table` in the default warehouse.
struct CatalogTableProvider: QueryTableProvider, @unchecked Sendable {
    let session: Session
    let alias: String
    let warehouse: String

    func address(_ name: [String]) throws -> TableAddress {
        switch name.count {
        case 0, 1: throw QueryError("name a table as warehouse.namespace.table or namespace.table")
        case 2: return TableAddress(alias: alias, warehouse: warehouse, namespace: [name[0]], name: name[1])
        default: return TableAddress(alias: alias, warehouse: name[0], namespace: Array(name[1..<(name.count - 1)]), name: name[name.count - 1])
        }
    }

    func table(_ name: [String]) async throws -> (metadata: TableMetadata, io: any TableFileIO) {
        let loaded = try await LoadedTable.load(try address(name), session: session)
        return (loaded.metadata, loaded.io)
    }
}

struct QueryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query", abstract: "Run SQL over Iceberg tables: SELECT, EXPLAIN, CREATE TABLE … AS SELECT, INSERT [OVERWRITE].",
        discussion: """
            Tables are warehouse.namespace.table (or namespace.table in --warehouse). Supported: SELECT [DISTINCT] with \\
            expressions (arithmetic, comparisons, CASE, CAST, string and date functions, EXTRACT), WHERE, GROUP BY with \\
            count/count(DISTINCT)/sum/min/max/avg, HAVING, ORDER BY, LIMIT/OFFSET, [LEFT] JOIN … ON equalities (the right \\
            table is held in memory), FOR VERSION AS OF id / FOR TIMESTAMP AS OF '…'. Filters prune partitions, files and \\
            row groups; only referenced columns are read. Results of CREATE TABLE … [PARTITIONED BY (…)] AS SELECT and \\
            INSERT INTO / INSERT OVERWRITE are written as one Iceberg commit.
            """)
    @Argument(help: "The SQL statement.") var sql: String
    @Option(help: "The alias whose catalog and object store the tables are in (default: the only alias, else 'local').") var alias: String?
    @Option(help: "Warehouse of two-part table names.") var warehouse = "lakehouse"
    @Option(help: "table, csv, jsonl or parquet.") var format: String = "table"
    @Option(name: [.short, .customLong("output")], help: "Write rows to this local file (required for parquet).") var outputFile: String?
    @Flag(name: .customLong("stats"), help: "Print files, row groups and bytes read to standard error.") var showStats = false
    @OptionGroup var output: OutputOptions

    func run() async throws {
        guard let rowFormat = RowFormat(rawValue: format) else {
            throw CLIError("unknown --format \(format)", hint: "use one of " + RowFormat.allCases.map(\.rawValue).joined(separator: ", "))
        }
        let statement: Statement
        do {
            statement = try SQLParser.parse(sql)
        } catch {
            throw CLIError("\(error)")
        }
        try await Session.with { session in
            let names = session.aliases.names
            let chosen = alias ?? (names.count == 1 ? names[0] : "local")
            guard session.aliases.endpoint(chosen) != nil else { throw CLIError("unknown alias \"\(chosen)\"", hint: session.aliasHint) }
            let provider = CatalogTableProvider(session: session, alias: chosen, warehouse: warehouse)
            do {
                switch statement {
                case .select(let select):
                    let prepared = try await QueryExecutor.prepare(select, sql: sql, provider: provider)
                    if rowFormat == .parquet && outputFile == nil { throw CLIError("--format parquet writes a file", hint: "add --output FILE.parquet") }
                    var sink: any RowSink =
                        rowFormat == .parquet
                        ? try ParquetRowSink(path: outputFile!, columns: prepared.columns)
                        : TextRowSink(format: rowFormat, columns: prepared.columns, output: try LineOutput(path: outputFile))
                    let stats = try await prepared.run { row in
                        try sink.write(row)
                        return true
                    }
                    try sink.finish()
                    if showStats {
                        FileHandle.standardError.write(Data("rows: \(stats.rowsOut), data files: \(stats.dataFiles), row groups read: \(stats.rowGroupsRead), skipped: \(stats.rowGroupsSkipped), bytes read: \(stats.bytesRead)\n".utf8))
                    }
                case .explain(let select):
                    let prepared = try await QueryExecutor.prepare(select, sql: sql, provider: provider)
                    for line in try await prepared.explain() { print(line) }
                case .createTableAs(let name, let partitionBy, let query):
                    try await write(name: name, query: query, provider: provider, session: session, create: true, partitionBy: partitionBy, overwrite: false)
                case .insert(let name, let overwrite, let query):
                    try await write(name: name, query: query, provider: provider, session: session, create: false, partitionBy: nil, overwrite: overwrite)
                }
            } catch let error as QueryError {
                throw CLIError("\(error)")
            }
        }
    }

    /// CREATE TABLE … AS SELECT and INSERT [OVERWRITE]: the rows of the query as one commit.
    func write(name: [String], query: SelectStatement, provider: CatalogTableProvider, session: Session, create: Bool, partitionBy: String?, overwrite: Bool) async throws {
        let address = try provider.address(name)
        let prepared = try await QueryExecutor.prepare(query, sql: sql, provider: provider)
        let table: LoadedTable
        let schema: IcebergSchema
        if create {
            let requested = FreshIDs.schema(prepared.columns)
            var spec: JSONValue?
            do {
                spec = try partitionBy.map { try PartitionSpecText.parse($0, schema: requested).json }
            } catch {
                throw CLIError("PARTITIONED BY: \(error)")
            }
            table = try await TableAppender.stage(address, schema: requested, partitionSpec: spec, writeOrder: nil, session: session)
            schema = try TableReader.readSchema(table.metadata, explicitSnapshot: nil)
        } else {
            table = try await LoadedTable.load(address, session: session)
            schema = try TableReader.readSchema(table.metadata, explicitSnapshot: nil)
            guard schema.fields.count == prepared.columns.count else {
                throw CLIError("\(address) has \(schema.fields.count) columns, the query gives \(prepared.columns.count)")
            }
        }
        let appender = try TableAppender(table: table, session: session, schema: schema, targetFileBytes: 128 << 20)
        var rows: Int64 = 0
        do {
            _ = try await prepared.run { row in
                try appender.append(try FreshIDs.conform(row, to: schema.fields))
                rows += 1
                return true
            }
            let snapshot = try await appender.commit(replacing: overwrite, summary: ["floe.query": String(sql.prefix(512))])
            Printer(options: output).done(
                ["table": address.description, "rows": rows, "snapshotId": NSNumber(value: snapshot), "created": create],
                "\(create ? "Created" : overwrite ? "Overwrote" : "Inserted into") \(address) with \(rows) rows as snapshot \(snapshot)")
        } catch {
            await appender.abandon()
            throw error
        }
    }
}

/// Result columns as a new table's schema (fresh ids, nested ones too), and values cast to a
/// target table's column types on INSERT.
enum FreshIDs {
    static func schema(_ columns: [IcebergField]) -> IcebergSchema {
        var next = columns.count
        func renumber(_ type: IcebergType) -> IcebergType {
            switch type {
            case .structType(let fields):
                let ids = fields.map { _ -> Int in
                    next += 1
                    return next
                }
                return .structType(zip(ids, fields).map { IcebergField(id: $0, name: $1.name, required: false, type: renumber($1.type)) })
            case .list(_, let required, let element):
                next += 1
                let id = next
                return .list(elementID: id, elementRequired: required, element: renumber(element))
            case .map(_, let key, _, let required, let value):
                next += 2
                let ids = (next - 1, next)
                return .map(keyID: ids.0, key: renumber(key), valueID: ids.1, valueRequired: required, value: renumber(value))
            default:
                return type
            }
        }
        var used: Set<String> = []
        let fields = columns.enumerated().map { index, column -> IcebergField in
            var name = column.name
            var n = 1
            while used.contains(name.lowercased()) {
                n += 1
                name = "\(column.name)_\(n)"
            }
            used.insert(name.lowercased())
            return IcebergField(id: index + 1, name: name, required: false, type: column.type == .unknown ? .string : column.type)
        }
        return IcebergSchema(schemaID: 0, fields: fields.map { IcebergField(id: $0.id, name: $0.name, required: false, type: renumber($0.type)) })
    }

    static func conform(_ row: [IcebergValue], to fields: [IcebergField]) throws -> [IcebergValue] {
        try zip(row, fields).map { value, field in
            if value == .null { return .null }
            if let converted = try? IcebergValue(value.parquetValue, as: field.type) { return converted }
            throw CLIError("a value \(value.jsonText) does not fit column \(field.name) (\(field.type))")
        }
    }
}

extension CatalogTableProvider {
    /// Parquet files as a virtual table; CSV and JSON lines typed as `floe ingest` types them
    /// (schema inferred over the first rows), streamed; a row that does not convert fails the query.
    func files(_ path: String) async throws -> QuerySource {
        let sources = try await IngestSources.expand([path], format: nil, session: session, alias: alias)
        if sources.allSatisfy({ $0.format == .parquet }) {
            var files: [(path: String, size: Int64)] = []
            for source in sources {
                switch source.location {
                case .local(let local): files.append((local, source.size))
                case .remote(_, let bucket, let key): files.append(("s3://\(bucket)/\(key)", source.size))
                }
            }
            let io = MixedFileIO(local: LocalFileIO(), remote: S3TableFileIO(client: try session.s3(alias)))
            let (metadata, tableIO) = try await VirtualTable.make(files: files, io: io)
            return .table(metadata: metadata, io: tableIO)
        }
        guard !sources.contains(where: { $0.format == .parquet }) else { throw QueryError("\(path) mixes Parquet with text files") }
        let reader = SourceRows(options: IngestOptions()) { source, line, message in
            throw QueryError("\(source.display):\(line): \(message)")
        }
        let schema = try await reader.infer(sources)
        let box = UncheckedBox((reader, sources))
        return .rows(schema: schema) { emit in
            let (reader, sources) = box.value
            final class Stop: Error {}
            do {
                for source in sources {
                    try await reader.rows(of: source, schema: schema) { row in
                        guard try emit(row) else { throw Stop() }
                    }
                }
            } catch is Stop {
                return
            }
        }
    }
}

/// Hands a non-Sendable value to the one task that uses it.
struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// `s3://` paths through the S3 API, anything else from the local disk.
struct MixedFileIO: TableFileIO {
    let local: LocalFileIO
    let remote: S3TableFileIO

    func read(_ path: String) async throws -> [UInt8] {
        path.hasPrefix("s3://") ? try await remote.read(path) : try await local.read(path)
    }
    func read(_ path: String, range: Range<Int64>) async throws -> [UInt8] {
        path.hasPrefix("s3://") ? try await remote.read(path, range: range) : try await local.read(path, range: range)
    }
    func size(_ path: String) async throws -> Int64 {
        path.hasPrefix("s3://") ? try await remote.size(path) : try await local.size(path)
    }
}
