import Parquet

/// The deletes that apply to one data file, loaded: its deleted positions (position delete files
/// and deletion vectors together) and the equality delete sets.
struct LoadedDeletes {
    /// Kept apart rather than merged: a deletion vector of a few bytes can stand for billions of positions.
    var positionSets: [PositionDeleteIndex] = []
    var equality: [(fieldIDs: [Int], keys: Set<[IcebergValue]>)] = []

    func isDeleted(_ position: Int64) -> Bool { positionSets.contains { $0.contains(position) } }

    var equalityFieldIDs: Set<Int> { Set(equality.flatMap(\.fieldIDs)) }

    /// Equality deletes compare with NULL equal to NULL, as the spec says.
    func removes(_ lookup: (Int) -> IcebergValue) -> Bool {
        for set in equality where set.keys.contains(set.fieldIDs.map(lookup)) { return true }
        return false
    }
}

extension TableReader {
    static let positionDeleteFilePath = 2_147_483_546
    static let positionDeletePos = 2_147_483_545
    static let maxDeletionVectorBytes: Int64 = 256 << 20
    /// Delete rows kept across data files (one delete file serves many); past this the cache starts over.
    static let maxCachedPositions = 16 << 20

    func deleteSets(for task: FileScanTask, io: some TableFileIO) async throws -> LoadedDeletes {
        var loaded = LoadedDeletes()
        var positions: [Int64] = []
        for delete in task.deletes {
            switch delete.content {
            case .positionDeletes where delete.fileFormat.uppercased() == "PUFFIN":
                guard let offset = delete.contentOffset, let length = delete.contentSizeInBytes, offset >= 0, length >= 0,
                    length <= Self.maxDeletionVectorBytes, offset <= delete.fileSizeInBytes - length
                else {
                    throw IcebergDataError.malformed("deletion vector \(delete.filePath) has no valid content offset and size")
                }
                let blob = try await io.read(delete.filePath, range: offset..<(offset + length))
                loaded.positionSets.append(try DeletionVector.decode(blob))
            case .positionDeletes:
                if positionDeleteCache[delete.filePath] == nil {
                    let rows = try await positionRows(delete, io: io)
                    let count = rows.values.reduce(0) { $0 + $1.count }
                    if cachedPositions + count > Self.maxCachedPositions {
                        positionDeleteCache.removeAll()
                        cachedPositions = 0
                    }
                    positionDeleteCache[delete.filePath] = rows
                    cachedPositions += count
                }
                positions += positionDeleteCache[delete.filePath]?[task.dataFile.filePath] ?? []
            case .equalityDeletes:
                if let keys = equalityDeleteCache[delete.filePath] {
                    loaded.equality.append((delete.equalityIDs, keys))
                } else {
                    let keys = try await equalityKeys(delete, io: io)
                    if cachedKeys + keys.count > Self.maxCachedPositions {
                        equalityDeleteCache.removeAll()
                        cachedKeys = 0
                    }
                    equalityDeleteCache[delete.filePath] = keys
                    cachedKeys += keys.count
                    loaded.equality.append((delete.equalityIDs, keys))
                }
            case .data:
                continue
            }
        }
        if !positions.isEmpty { loaded.positionSets.append(PositionDeleteIndex(positions)) }
        return loaded
    }

    /// A position delete file's rows, grouped by the data file they delete from.
    func positionRows(_ file: DataFile, io: some TableFileIO) async throws -> [String: [Int64]] {
        let path = IcebergField(id: Self.positionDeleteFilePath, name: "file_path", required: true, type: .string)
        let pos = IcebergField(id: Self.positionDeletePos, name: "pos", required: true, type: .long)
        var grouped: [String: [Int64]] = [:]
        try await readDeleteFile(file, fields: [path, pos], io: io) { row in
            guard case .string(let target) = row[0], case .long(let position) = row[1] else { return }
            grouped[target, default: []].append(position)
        }
        return grouped
    }

    func equalityKeys(_ file: DataFile, io: some TableFileIO) async throws -> Set<[IcebergValue]> {
        let fields = try file.equalityIDs.map { id throws(IcebergDataError) in
            guard let field = schema.field(id: id) else { throw .malformed("equality delete \(file.filePath) names field \(id), not in the schema") }
            return field
        }
        var keys: Set<[IcebergValue]> = []
        try await readDeleteFile(file, fields: fields, io: io) { keys.insert($0) }
        return keys
    }

    /// Reads the given top-level fields of a (small) Parquet delete file, every row group.
    func readDeleteFile(_ file: DataFile, fields: [IcebergField], io: some TableFileIO, _ row: ([IcebergValue]) -> Void) async throws {
        guard file.fileFormat.uppercased() == "PARQUET" else {
            throw IcebergDataError.unsupported("\(file.filePath): \(file.fileFormat) delete files are not read")
        }
        let footer = try await ParquetFooterReader.read(path: file.filePath, size: file.fileSizeInBytes, io: io)
        let parquet = footer.metadata
        let indices = try fields.map { field throws(IcebergDataError) in
            guard let index = mapping.childIndex(of: field, in: parquet.schema) else {
                throw .malformed("delete file \(file.filePath) lacks column \(field.name) (id \(field.id))")
            }
            return index
        }
        let projection = ParquetProjection(topLevelFields: indices)
        for groupIndex in parquet.rowGroups.indices {
            let chunks = try await ChunkFetcher.fetch(
                leaves: projection.leafIndices(in: parquet), of: parquet.rowGroups[groupIndex], path: file.filePath, fileSize: file.fileSizeInBytes, io: io)
            for values in try ParquetRowGroupReader.readRows(parquet, rowGroup: groupIndex, projection: projection, chunks: chunks, limits: limits) {
                var converted: [IcebergValue] = []
                for (column, field) in fields.enumerated() {
                    converted.append(try mapping.convert(values[column], node: parquet.schema.children[indices[column]], type: field.type))
                }
                row(converted)
            }
        }
    }
}
