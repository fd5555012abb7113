public import Codecs

public struct ParquetWriterOptions: Sendable {
    public var codec: CompressionCodec = .zstd
    public var rowGroupBytes: Int = 128 << 20
    public var pageBytes: Int = 1 << 20
    public var dictionary: Bool = true
    public var createdBy: String = "floe"
    public var keyValueMetadata: [String: String] = [:]
    /// A dictionary whose PLAIN size grows past this falls back to PLAIN for the whole column chunk.
    public var maxDictionaryBytes: Int = 1 << 20
    public init() {}
}

public struct ParquetColumnMetrics: Sendable {
    public var path: [String]
    public var fieldID: Int32?
    /// Level entries, nulls included.
    public var valueCount: Int64
    public var nullCount: Int64
    public var nanCount: Int64
    public var compressedBytes: Int64
    public var min: ParquetValue?
    public var max: ParquetValue?
}
