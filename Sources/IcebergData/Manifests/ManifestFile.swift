/// Whether a manifest tracks data files or delete files (`content`, field 517).
public enum ManifestContent: Int, Sendable, Hashable {
    case data = 0
    case deletes = 1

    public var name: String { self == .data ? "data" : "deletes" }
}

/// One entry of a manifest list (`manifest_file`). Sequence numbers are 0 for v1 lists;
/// `unassignedSequenceNumber` marks a new manifest whose number the list writer assigns.
public struct ManifestFile: Sendable, Hashable {
    public static let unassignedSequenceNumber: Int64 = -1

    public var path: String
    public var length: Int64
    public var partitionSpecID: Int
    public var content: ManifestContent
    public var sequenceNumber: Int64
    public var minSequenceNumber: Int64
    public var addedSnapshotID: Int64
    public var addedFilesCount: Int?
    public var existingFilesCount: Int?
    public var deletedFilesCount: Int?
    public var addedRowsCount: Int64?
    public var existingRowsCount: Int64?
    public var deletedRowsCount: Int64?
    public var partitions: [PartitionFieldSummary]?
    public var keyMetadata: [UInt8]?
    public var firstRowID: Int64?

    public init(
        path: String, length: Int64, partitionSpecID: Int, content: ManifestContent = .data,
        sequenceNumber: Int64 = 0, minSequenceNumber: Int64 = 0, addedSnapshotID: Int64,
        addedFilesCount: Int? = nil, existingFilesCount: Int? = nil, deletedFilesCount: Int? = nil,
        addedRowsCount: Int64? = nil, existingRowsCount: Int64? = nil, deletedRowsCount: Int64? = nil,
        partitions: [PartitionFieldSummary]? = nil, keyMetadata: [UInt8]? = nil, firstRowID: Int64? = nil
    ) {
        self.path = path
        self.length = length
        self.partitionSpecID = partitionSpecID
        self.content = content
        self.sequenceNumber = sequenceNumber
        self.minSequenceNumber = minSequenceNumber
        self.addedSnapshotID = addedSnapshotID
        self.addedFilesCount = addedFilesCount
        self.existingFilesCount = existingFilesCount
        self.deletedFilesCount = deletedFilesCount
        self.addedRowsCount = addedRowsCount
        self.existingRowsCount = existingRowsCount
        self.deletedRowsCount = deletedRowsCount
        self.partitions = partitions
        self.keyMetadata = keyMetadata
        self.firstRowID = firstRowID
    }

    /// False only when the counts say the manifest has no live (added or existing) file;
    /// a null count is assumed to be non-zero.
    public var mayHaveLiveFiles: Bool {
        guard let added = addedFilesCount, let existing = existingFilesCount else { return true }
        return added > 0 || existing > 0
    }
}
