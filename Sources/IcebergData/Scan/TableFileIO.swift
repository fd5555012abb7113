/// Where a scan reads metadata and data files from (an object store, a local folder, …).
public protocol TableFileIO: Sendable {
    func read(_ path: String) async throws -> [UInt8]
    func read(_ path: String, range: Range<Int64>) async throws -> [UInt8]
    func size(_ path: String) async throws -> Int64
}

/// One data file to read with the deletes that apply to it.
public struct FileScanTask: Sendable, Hashable {
    public var dataFile: DataFile
    public var dataSequenceNumber: Int64
    public var spec: PartitionSpec
    public var deletes: [DataFile]

    public init(dataFile: DataFile, dataSequenceNumber: Int64, spec: PartitionSpec, deletes: [DataFile]) {
        self.dataFile = dataFile
        self.dataSequenceNumber = dataSequenceNumber
        self.spec = spec
        self.deletes = deletes
    }
}
