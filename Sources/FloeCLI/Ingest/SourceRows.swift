import FloeClient
import Foundation
import IcebergData
import IcebergModel
import Ingest
import Parquet

/// The typed rows of CSV, JSON-lines and Parquet sources, streamed, and the schema a sample of
/// them suggests: what `floe ingest` lands and what `floe query` reads from files by path.
final class SourceRows {
    let options: IngestOptions
    /// A row that does not convert: its source, line and reason (throw to stop).
    let reject: (IngestSource, Int, String) throws -> Void
    let counted: (Int) -> Void

    init(options: IngestOptions, reject: @escaping (IngestSource, Int, String) throws -> Void, counted: @escaping (Int) -> Void = { _ in }) {
        self.options = options
        self.reject = reject
        self.counted = counted
    }

    /// The schema of the first `sampleRows` records (a Parquet source: its own schema).
    func infer(_ sources: [IngestSource]) async throws -> IcebergSchema {
        if let first = sources.first, first.format == .parquet {
            let (io, path) = fileIO(first)
            return try ParquetFileRows.schema(of: try await ParquetFooterReader.read(path: path, size: first.size, io: io).metadata)
        }
        var inference = SchemaInference()
        var sampled = 0
        for source in sources where sampled < options.sampleRows {
            switch source.format {
            case .csv, .tsv:
                var parser = CSVParser(options: csvOptions(source))
                var records: [TextRecord] = []
                try await source.chunks { chunk in
                    records += try parser.feed(chunk)
                    return sampled + records.count < options.sampleRows
                }
                if sampled + records.count < options.sampleRows { records += try parser.finish() }
                guard let header = parser.header ?? records.first.map({ (1...$0.fields.count).map { "col_\($0)" } }) else { continue }
                for record in records.prefix(options.sampleRows - sampled) { inference.observe(header: header, record: record) }
                sampled += records.count
            case .jsonl:
                var parser = JSONLinesParser()
                var records: [JSONRecord] = []
                try await source.chunks { chunk in
                    records += try parser.feed(chunk)
                    return sampled + records.count < options.sampleRows
                }
                if sampled + records.count < options.sampleRows { records += try parser.finish() }
                for record in records.prefix(options.sampleRows - sampled) {
                    if case .success(let object) = record.value { inference.observe(object) }
                }
                sampled += records.count
            case .parquet:
                continue
            }
        }
        let schema = inference.schema()
        guard !schema.fields.isEmpty else { throw CLIError("no columns found in the sources") }
        return schema
    }

    func csvOptions(_ source: IngestSource) -> CSVOptions {
        var csv = options.csv
        if source.format == .tsv && csv.delimiter == UInt8(ascii: ",") { csv.delimiter = UInt8(ascii: "\t") }
        return csv
    }

    func fileIO(_ source: IngestSource) -> (any TableFileIO, String) {
        switch source.location {
        case .local(let path): return (LocalFileIO(), path)
        case .remote(let client, let bucket, let key): return (S3TableFileIO(client: client), "s3://\(bucket)/\(key)")
        }
    }

    /// The typed rows of one source, streamed.
    func rows(of source: IngestSource, schema: IcebergSchema, _ emit: ([IcebergValue]) throws -> Void) async throws {
        let count = counted
        switch source.format {
        case .csv, .tsv:
            var parser = CSVParser(options: csvOptions(source))
            // The header is matched to the schema once per file, not for every row.
            var converter: TextRowConverter?
            func handle(_ records: [TextRecord]) throws {
                for record in records {
                    if converter == nil {
                        let header = parser.header ?? (1...max(1, record.fields.count)).map { "col_\($0)" }
                        do {
                            converter = try TextRowConverter(header: header, schema: schema)
                        } catch {
                            throw CLIError("\(source.display): \(error)")
                        }
                    }
                    do {
                        try emit(try converter!.row(record))
                        count(1)
                    } catch let error as IngestError {
                        try reject(source, record.line, "\(error)")
                    }
                }
            }
            try await source.chunks { chunk in
                try handle(try parser.feed(chunk))
                return true
            }
            try handle(try parser.finish())
        case .jsonl:
            var parser = JSONLinesParser()
            func handle(_ records: [JSONRecord]) throws {
                for record in records {
                    switch record.value {
                    case .failure(let error): try reject(source, record.line, "\(error)")
                    case .success(let object):
                        do {
                            try emit(try RowConverter.row(object, schema: schema))
                            count(1)
                        } catch let error as IngestError {
                            try reject(source, record.line, "\(error)")
                        }
                    }
                }
            }
            try await source.chunks { chunk in
                try handle(try parser.feed(chunk))
                return true
            }
            try handle(try parser.finish())
        case .parquet:
            let (io, path) = fileIO(source)
            try await ParquetFileRows.read(path: path, size: source.size, io: io, schema: schema) { row in
                try emit(row)
                count(1)
            }
        }
    }

}
