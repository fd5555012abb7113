/// Finds the delete files that apply to a data file, by the spec's scan-planning rules:
/// - a deletion vector applies when its `referenced_data_file` is the data file and its data
///   sequence number is >= the data file's; when one applies, position delete files are ignored;
/// - a position delete file applies with sequence number >= the data file's, in the same spec and
///   partition, and only to its `referenced_data_file` when that is set (or, as Java reads it, when
///   its `file_path` lower and upper bounds are equal; other bounds exclude paths outside them);
/// - an equality delete file applies with sequence number > the data file's, in the same spec and
///   partition, or everywhere when its spec is unpartitioned.
public struct DeleteFileIndex: Sendable {
    struct Entry: Sendable {
        var sequenceNumber: Int64
        var file: DataFile
    }

    struct PartitionKey: Hashable, Sendable {
        var specID: Int
        var values: [IcebergValue]
    }

    var deletionVectors: [String: [Entry]] = [:]
    var positionByPath: [String: [Entry]] = [:]
    var positionByPartition: [PartitionKey: [Entry]] = [:]
    var equalityByPartition: [PartitionKey: [Entry]] = [:]
    var globalEquality: [Entry] = []

    public init() {}

    /// `entries`: live entries of delete manifests, with inherited sequence numbers; `specs` tells
    /// which specs are unpartitioned (an unknown spec counts as partitioned).
    public init(entries: [ManifestEntry], specs: [Int: PartitionSpec]) {
        for entry in entries where entry.isLive { add(entry, specs: specs) }
    }

    public var isEmpty: Bool {
        deletionVectors.isEmpty && positionByPath.isEmpty && positionByPartition.isEmpty && equalityByPartition.isEmpty && globalEquality.isEmpty
    }

    mutating func add(_ manifestEntry: ManifestEntry, specs: [Int: PartitionSpec]) {
        let file = manifestEntry.dataFile
        let entry = Entry(sequenceNumber: manifestEntry.sequenceNumber ?? 0, file: file)
        let key = PartitionKey(specID: file.specID, values: file.partition.map(EqualityDeleteSet.normalized))
        switch file.content {
        case .data: return
        case .positionDeletes:
            if file.isDeletionVector, let target = file.referencedDataFile {
                deletionVectors[target, default: []].append(entry)
            } else if let target = file.referencedDataFile ?? Self.singleReferencedPath(file) {
                positionByPath[target, default: []].append(entry)
            } else {
                positionByPartition[key, default: []].append(entry)
            }
        case .equalityDeletes:
            if let spec = specs[file.specID], Self.isUnpartitioned(spec) {
                globalEquality.append(entry)
            } else {
                equalityByPartition[key, default: []].append(entry)
            }
        }
    }

    /// A position delete file whose `file_path` bounds are equal deletes from that one file only (as Java reads it).
    static func singleReferencedPath(_ file: DataFile) -> String? {
        let id = PositionDeleteIndex.filePathFieldID
        guard let lower = file.metrics.lowerBounds[id], let upper = file.metrics.upperBounds[id], lower == upper else { return nil }
        return String(validating: lower, as: UTF8.self)
    }

    /// Whether the `file_path` bounds of a position delete file admit `path`.
    static func mayReference(_ file: DataFile, _ path: String) -> Bool {
        let id = PositionDeleteIndex.filePathFieldID
        let bytes = Array(path.utf8)
        if let lower = file.metrics.lowerBounds[id], bytes.lexicographicallyPrecedes(lower) { return false }
        if let upper = file.metrics.upperBounds[id], upper.lexicographicallyPrecedes(bytes) { return false }
        return true
    }

    static func isUnpartitioned(_ spec: PartitionSpec) -> Bool {
        spec.fields.allSatisfy { $0.transform == .void }
    }

    /// The delete files to apply to `dataFile`, whose data sequence number is `sequenceNumber`.
    public func deletes(for dataFile: DataFile, sequenceNumber: Int64) -> [DataFile] {
        guard !isEmpty else { return [] }
        var out: [DataFile] = []
        let key = PartitionKey(specID: dataFile.specID, values: dataFile.partition.map(EqualityDeleteSet.normalized))
        let vectors = (deletionVectors[dataFile.filePath] ?? []).filter { $0.sequenceNumber >= sequenceNumber && $0.file.specID == dataFile.specID }
        if !vectors.isEmpty {
            out += vectors.map(\.file)
        } else {
            for e in positionByPath[dataFile.filePath] ?? [] where e.sequenceNumber >= sequenceNumber && e.file.specID == dataFile.specID {
                out.append(e.file)
            }
            for e in positionByPartition[key] ?? [] where e.sequenceNumber >= sequenceNumber && Self.mayReference(e.file, dataFile.filePath) {
                out.append(e.file)
            }
        }
        for e in equalityByPartition[key] ?? [] where e.sequenceNumber > sequenceNumber { out.append(e.file) }
        for e in globalEquality where e.sequenceNumber > sequenceNumber { out.append(e.file) }
        return out
    }

    public func deletes(for entry: ManifestEntry) -> [DataFile] {
        deletes(for: entry.dataFile, sequenceNumber: entry.sequenceNumber ?? 0)
    }
}
