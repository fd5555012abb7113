import IcebergModel
import Parquet

/// Plain Parquet files seen as a one-snapshot Iceberg table: metadata, manifest list and manifest
/// made in memory (served by `VirtualTableFileIO` beside the real files), so a query over files
/// gets the same reader, pruning and projection as one over a table.
public enum VirtualTable {
    static let root = "floe-virtual://table"
    /// Files from anywhere: their field ids mean nothing here, their column names do.
    public static let columnsByNameProperty = "floe.virtual.columns-by-name"

    /// `files`: (path, size) readable through `io`; the schema comes from the first file's footer.
    public static func make(files: [(path: String, size: Int64)], io: any TableFileIO) async throws -> (metadata: TableMetadata, io: any TableFileIO) {
        guard let first = files.first else { throw IcebergDataError.invalid("no files to read") }
        let firstFooter = try await ParquetFooterReader.read(path: first.path, size: first.size, io: io).metadata
        let schema = try ParquetFileRows.schema(of: firstFooter)
        let spec = PartitionSpec(specID: 0, fields: [])
        var nameMapping: [Int: [String]] = [:]
        for field in schema.fields { nameMapping[field.id] = [field.name] }
        var writer = try ManifestWriter(formatVersion: 2, spec: spec, schema: schema, snapshotID: 1)
        for file in files {
            let footer = file.path == first.path ? firstFooter : try await ParquetFooterReader.read(path: file.path, size: file.size, io: io).metadata
            var described = try ParquetDataFile.describeByName(path: file.path, size: file.size, footer: footer, schema: schema)
            described.specID = 0
            try writer.add(ManifestEntry(status: .added, snapshotID: 1, dataFile: described))
        }
        let (manifestBytes, manifest) = try writer.finish(path: "\(root)/m0.avro", sequenceNumber: 1)
        let list = try ManifestList.write([manifest], formatVersion: 2, snapshotID: 1, parentSnapshotID: nil, sequenceNumber: 1)
        let mapping = NameMapping.text(for: schema)
        let metadata = try TableMetadata(json: [
            "format-version": 2, "table-uuid": "00000000-0000-0000-0000-000000000000", "location": .string(root), "last-sequence-number": 1,
            "last-updated-ms": 0, "last-column-id": .int(Int64(SchemaRules.maxFieldID(schema.json))), "current-schema-id": 0, "schemas": [schema.json],
            "default-spec-id": 0, "partition-specs": [spec.json], "last-partition-id": 999, "default-sort-order-id": 0,
            "sort-orders": [["order-id": 0, "fields": []]], "properties": [.init(stringLiteral: NameMapping.property): .string(mapping), .init(stringLiteral: columnsByNameProperty): "true"],
            "current-snapshot-id": 1,
            "snapshots": [["snapshot-id": 1, "sequence-number": 1, "timestamp-ms": 0, "manifest-list": .string("\(root)/snap-1.avro"), "summary": ["operation": "append"]]],
        ])
        return (metadata, VirtualTableFileIO(base: io, files: ["\(root)/m0.avro": manifestBytes, "\(root)/snap-1.avro": list]))
    }
}

/// The real files, plus the made-up metadata files of a virtual table.
struct VirtualTableFileIO: TableFileIO {
    let base: any TableFileIO
    let files: [String: [UInt8]]

    func read(_ path: String) async throws -> [UInt8] {
        if let bytes = files[path] { return bytes }
        return try await base.read(path)
    }

    func read(_ path: String, range: Range<Int64>) async throws -> [UInt8] {
        if let bytes = files[path] {
            guard range.lowerBound >= 0, range.upperBound <= Int64(bytes.count) else { throw IcebergDataError.invalid("range outside \(path)") }
            return Array(bytes[Int(range.lowerBound)..<Int(range.upperBound)])
        }
        return try await base.read(path, range: range)
    }

    func size(_ path: String) async throws -> Int64 {
        if let bytes = files[path] { return Int64(bytes.count) }
        return try await base.size(path)
    }
}
