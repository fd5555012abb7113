import Foundation
import IcebergData
import Parquet

/// Where the rows of a scan go: an aligned table, CSV, JSON lines or a Parquet file.
enum RowFormat: String, CaseIterable {
    case table, csv, jsonl, parquet
}

protocol RowSink {
    mutating func write(_ row: [IcebergValue]) throws
    mutating func finish() throws
}

/// Lines to standard output or a local file, through a 64 KiB buffer.
final class LineOutput {
    let handle: FileHandle
    let ownsHandle: Bool
    var buffer: [UInt8] = []

    init(path: String?) throws {
        guard let path else {
            handle = FileHandle.standardOutput
            ownsHandle = false
            return
        }
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw CLIError("cannot create \(path)")
        }
        self.handle = handle
        ownsHandle = true
    }

    func line(_ text: String) throws {
        buffer.append(contentsOf: text.utf8)
        buffer.append(10)
        if buffer.count >= 64 << 10 { try flush() }
    }

    func flush() throws {
        guard !buffer.isEmpty else { return }
        try handle.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    func close() throws {
        try flush()
        if ownsHandle { try handle.close() }
    }
}

/// Text formats go out as rows come; the table format aligns each batch of rows.
struct TextRowSink: RowSink {
    let format: RowFormat
    let columns: [IcebergField]
    let output: LineOutput
    var pending: [[String]] = []
    var wroteHeader = false
    static let batch = 500

    init(format: RowFormat, columns: [IcebergField], output: LineOutput) {
        self.format = format
        self.columns = columns
        self.output = output
    }

    static func text(_ value: IcebergValue, _ type: IcebergType) -> String { value.displayText(type) }

    static func csvField(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 10 || $0 == 13 }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    mutating func write(_ row: [IcebergValue]) throws {
        switch format {
        case .jsonl:
            let members = zip(columns, row).compactMap { field, value -> String? in
                if case .null = value { return nil }
                return Self.jsonString(field.name) + ":" + value.json(field.type)
            }
            try output.line("{" + members.joined(separator: ",") + "}")
        case .csv:
            if !wroteHeader {
                try output.line(columns.map { Self.csvField($0.name) }.joined(separator: ","))
                wroteHeader = true
            }
            try output.line(zip(columns, row).map { field, value in
                if case .null = value { return "" }
                return Self.csvField(Self.text(value, field.type))
            }.joined(separator: ","))
        case .table, .parquet:
            pending.append(zip(columns, row).map { Self.text($0.1, $0.0.type) })
            if pending.count >= Self.batch { try flush() }
        }
    }

    mutating func flush() throws {
        guard !pending.isEmpty || !wroteHeader else { return }
        let header = wroteHeader ? [] : [columns.map(\.name)]
        wroteHeader = true
        for line in Format.table(header + pending) { try output.line(line) }
        pending.removeAll(keepingCapacity: true)
    }

    mutating func finish() throws {
        if format == .table { try flush() }
        try output.close()
    }

    static func jsonString(_ text: String) -> String {
        let data = (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8)
        return String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\\/", with: "/")
    }
}

/// Rows into a local Parquet file, with the table's field ids, written as row groups fill.
struct ParquetRowSink: RowSink {
    let handle: FileHandle
    var writer: ParquetWriter
    let columns: [IcebergField]
    var buffered: [[ParquetValue]] = []
    static let batch = 10_000
    /// The form parquet-mr's VersionParser reads.
    static let createdBy = "floe version 0.1.0 (build floe)"

    init(path: String, columns: [IcebergField]) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw CLIError("cannot create \(path)")
        }
        self.handle = handle
        self.columns = columns
        var options = ParquetWriterOptions()
        options.createdBy = ParquetRowSink.createdBy
        writer = try ParquetWriter(schema: IcebergParquetSchema.message(columns), options: options)
        try handle.write(contentsOf: writer.start())
    }

    mutating func write(_ row: [IcebergValue]) throws {
        buffered.append(row.map(\.parquetValue))
        if buffered.count >= Self.batch { try drain() }
    }

    mutating func drain() throws {
        let bytes = try writer.write(buffered)
        buffered.removeAll(keepingCapacity: true)
        if !bytes.isEmpty { try handle.write(contentsOf: bytes) }
    }

    mutating func finish() throws {
        try drain()
        try handle.write(contentsOf: try writer.finish())
        try handle.close()
    }
}
