import Parquet

/// Where a data file's bytes go as they are written (a local temporary file, say); the writer
/// itself does no I/O.
public protocol DataFileSink: AnyObject {
    func write(_ bytes: [UInt8]) throws
    /// Called once, after the last bytes.
    func close() throws
}

/// A finished data file: its sink holds the bytes, `dataFile` describes it for a manifest.
public struct WrittenDataFile {
    public var dataFile: DataFile
    public var sink: any DataFileSink
}

public struct DataFileWriterOptions: Sendable {
    /// A file is closed once it has grown past this many bytes (Iceberg's write.target-file-size-bytes).
    public var targetFileBytes: Int64 = 128 << 20
    /// Files open at once (one per partition); past it the oldest is closed early.
    public var maxOpenFiles = 32
    public var parquet: ParquetWriterOptions = {
        var options = ParquetWriterOptions()
        options.rowGroupBytes = 16 << 20
        options.createdBy = "floe version 0.1.0 (build floe)"
        return options
    }()
    public init() {}
}

/// Writes rows of a table schema as Parquet data files, one open file per partition, each cut at
/// the target size, and describes every finished file as Iceberg wants it: partition tuple,
/// record count, column sizes, value/null/NaN counts, truncated bounds, split offsets.
public final class PartitionedDataFileWriter {
    let schema: IcebergSchema
    let spec: PartitionSpec
    let dataLocation: String
    let options: DataFileWriterOptions
    let makeSink: (String) throws -> any DataFileSink
    let parquetSchema: ParquetSchemaNode
    var open: [[IcebergValue]: OpenFile] = [:]
    var order: [[IcebergValue]] = []
    var sequence = 0
    let prefix: String

    final class OpenFile {
        let path: String
        let partition: [IcebergValue]
        var writer: ParquetWriter
        let sink: any DataFileSink
        var bytesWritten: Int64 = 0
        var pending: [[ParquetValue]] = []

        init(path: String, partition: [IcebergValue], writer: ParquetWriter, sink: any DataFileSink) {
            self.path = path
            self.partition = partition
            self.writer = writer
            self.sink = sink
        }

        func emit(_ bytes: [UInt8]) throws {
            guard !bytes.isEmpty else { return }
            try sink.write(bytes)
            bytesWritten += Int64(bytes.count)
        }
    }

    /// `dataLocation` is the table's data folder (`…/data`); `filePrefix` makes names unique per run.
    public init(
        schema: IcebergSchema, spec: PartitionSpec, dataLocation: String, filePrefix: String, options: DataFileWriterOptions = .init(),
        makeSink: @escaping (String) throws -> any DataFileSink
    ) {
        self.schema = schema
        self.spec = spec
        self.dataLocation = dataLocation.hasSuffix("/") ? String(dataLocation.dropLast()) : dataLocation
        self.prefix = filePrefix
        self.options = options
        self.makeSink = makeSink
        parquetSchema = IcebergParquetSchema.message(schema.fields)
    }

    /// Rows are the schema's top-level values in order; returns files this row closed.
    public func append(_ row: [IcebergValue]) throws -> [WrittenDataFile] {
        let partition = spec.fields.isEmpty ? [] : spec.partition { id in value(of: id, in: row) }
        var finished: [WrittenDataFile] = []
        let file: OpenFile
        if let existing = open[partition] {
            file = existing
        } else {
            if open.count >= options.maxOpenFiles, let oldest = order.first {
                finished.append(try close(oldest))
            }
            file = try start(partition)
        }
        file.pending.append(row.map(\.parquetValue))
        if file.pending.count >= 4096 {
            try file.emit(try file.writer.write(file.pending))
            file.pending.removeAll(keepingCapacity: true)
            if file.bytesWritten >= options.targetFileBytes { finished.append(try close(partition)) }
        }
        return finished
    }

    public func finish() throws -> [WrittenDataFile] {
        var finished: [WrittenDataFile] = []
        for partition in order { finished.append(try close(partition)) }
        return finished
    }

    func value(of id: Int, in row: [IcebergValue]) -> IcebergValue {
        guard let path = schema.structPath(to: id), let top = schema.fields.firstIndex(where: { $0.id == path[0].id }), top < row.count else { return .null }
        return IcebergSchema.descend(row[top], along: path)
    }

    func start(_ partition: [IcebergValue]) throws -> OpenFile {
        sequence += 1
        let folder = spec.fields.isEmpty ? dataLocation : dataLocation + "/" + spec.partitionPath(partition)
        let path = "\(folder)/\(prefix)-\(String(sequence).leftPadded(to: 5)).parquet"
        var writer: ParquetWriter
        do {
            writer = try ParquetWriter(schema: parquetSchema, options: options.parquet)
        } catch {
            throw IcebergDataError.invalid("cannot write Parquet for this schema: \(error)")
        }
        let file = OpenFile(path: path, partition: partition, writer: writer, sink: try makeSink(path))
        try file.emit(writer.start())
        file.writer = writer
        open[partition] = file
        order.append(partition)
        return file
    }

    func close(_ partition: [IcebergValue]) throws -> WrittenDataFile {
        guard let file = open.removeValue(forKey: partition) else { throw IcebergDataError.invalid("no open file for a partition") }
        order.removeAll { $0 == partition }
        if !file.pending.isEmpty { try file.emit(try file.writer.write(file.pending)) }
        file.pending = []
        try file.emit(try file.writer.finish())
        try file.sink.close()
        return WrittenDataFile(dataFile: describe(file), sink: file.sink)
    }

    func describe(_ file: OpenFile) -> DataFile {
        var columnSizes: [Int: Int64] = [:]
        var valueCounts: [Int: Int64] = [:]
        var nullCounts: [Int: Int64] = [:]
        var nanCounts: [Int: Int64] = [:]
        var lower: [Int: [UInt8]] = [:]
        var upper: [Int: [UInt8]] = [:]
        for metric in file.writer.columnMetrics {
            guard let raw = metric.fieldID else { continue }
            let id = Int(raw)
            columnSizes[id] = metric.compressedBytes
            // Counts and bounds of fields reached through structs only, as Iceberg keeps them.
            guard let field = schema.structPath(to: id)?.last, field.type.isPrimitive else { continue }
            valueCounts[id] = metric.valueCount
            nullCounts[id] = metric.nullCount
            if field.type == .float || field.type == .double { nanCounts[id] = metric.nanCount }
            if let min = metric.min, let value = try? IcebergValue(min, as: field.type) { lower[id] = BoundTruncation.lower(value).toBound() }
            if let max = metric.max, let value = try? IcebergValue(max, as: field.type), let bound = BoundTruncation.upper(value) { upper[id] = bound.toBound() }
        }
        return DataFile(
            filePath: file.path, fileFormat: "PARQUET", specID: spec.specID, partition: file.partition, recordCount: file.writer.rowCount,
            fileSizeInBytes: file.bytesWritten, valueCounts: valueCounts, nullValueCounts: nullCounts, nanValueCounts: nanCounts,
            lowerBounds: lower, upperBounds: upper, columnSizes: columnSizes, splitOffsets: file.writer.rowGroupOffsets)
    }
}

extension String {
    func leftPadded(to width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
