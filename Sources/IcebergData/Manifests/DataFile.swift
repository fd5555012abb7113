/// What a file tracked by a manifest holds (`content`, field 134).
public enum DataFileContent: Int, Sendable, Hashable {
    case data = 0
    case positionDeletes = 1
    case equalityDeletes = 2
}

/// `data_file`: one data or delete file with its partition tuple and metrics.
public struct DataFile: Sendable, Hashable {
    public var content: DataFileContent
    public var filePath: String
    /// As written ("PARQUET", "parquet", "AVRO", "ORC", "PUFFIN"); compare case-insensitively.
    public var fileFormat: String
    /// The partition spec of the manifest the file was read from (or is written to).
    public var specID: Int
    /// Partition values in the spec's field order.
    public var partition: [IcebergValue]
    public var recordCount: Int64
    public var fileSizeInBytes: Int64
    /// Counts and bounds by field id; `metrics.recordCount` equals `recordCount`.
    public var metrics: FileMetrics
    public var columnSizes: [Int: Int64]
    public var keyMetadata: [UInt8]?
    public var splitOffsets: [Int64]?
    /// Field ids of an equality delete file's delete columns; empty for other files.
    public var equalityIDs: [Int]
    public var sortOrderID: Int?
    public var firstRowID: Int64?
    public var referencedDataFile: String?
    public var contentOffset: Int64?
    public var contentSizeInBytes: Int64?

    public init(
        content: DataFileContent = .data, filePath: String, fileFormat: String, specID: Int, partition: [IcebergValue],
        recordCount: Int64, fileSizeInBytes: Int64,
        valueCounts: [Int: Int64] = [:], nullValueCounts: [Int: Int64] = [:], nanValueCounts: [Int: Int64] = [:],
        lowerBounds: [Int: [UInt8]] = [:], upperBounds: [Int: [UInt8]] = [:], columnSizes: [Int: Int64] = [:],
        keyMetadata: [UInt8]? = nil, splitOffsets: [Int64]? = nil, equalityIDs: [Int] = [], sortOrderID: Int? = nil,
        firstRowID: Int64? = nil, referencedDataFile: String? = nil, contentOffset: Int64? = nil, contentSizeInBytes: Int64? = nil
    ) {
        self.content = content
        self.filePath = filePath
        self.fileFormat = fileFormat
        self.specID = specID
        self.partition = partition
        self.recordCount = recordCount
        self.fileSizeInBytes = fileSizeInBytes
        self.metrics = FileMetrics(
            recordCount: recordCount, valueCounts: valueCounts, nullValueCounts: nullValueCounts,
            nanValueCounts: nanValueCounts, lowerBounds: lowerBounds, upperBounds: upperBounds)
        self.columnSizes = columnSizes
        self.keyMetadata = keyMetadata
        self.splitOffsets = splitOffsets
        self.equalityIDs = equalityIDs
        self.sortOrderID = sortOrderID
        self.firstRowID = firstRowID
        self.referencedDataFile = referencedDataFile
        self.contentOffset = contentOffset
        self.contentSizeInBytes = contentSizeInBytes
    }

    /// A deletion vector: position deletes stored as a blob of a Puffin file.
    public var isDeletionVector: Bool {
        content == .positionDeletes && fileFormat.lowercased() == "puffin"
    }
}

public enum ManifestEntryStatus: Int, Sendable, Hashable {
    case existing = 0
    case added = 1
    case deleted = 2
}

/// `manifest_entry`. After reading, null snapshot ids and (for ADDED entries) sequence numbers
/// hold the values inherited from the manifest list; nil when writing means "inherit".
public struct ManifestEntry: Sendable, Hashable {
    public var status: ManifestEntryStatus
    public var snapshotID: Int64?
    public var sequenceNumber: Int64?
    public var fileSequenceNumber: Int64?
    public var dataFile: DataFile

    public init(status: ManifestEntryStatus, snapshotID: Int64? = nil, sequenceNumber: Int64? = nil, fileSequenceNumber: Int64? = nil, dataFile: DataFile) {
        self.status = status
        self.snapshotID = snapshotID
        self.sequenceNumber = sequenceNumber
        self.fileSequenceNumber = fileSequenceNumber
        self.dataFile = dataFile
    }

    public var isLive: Bool { status != .deleted }
}
