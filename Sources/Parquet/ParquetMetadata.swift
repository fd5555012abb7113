public import Codecs

public struct ParquetStatistics: Sendable {
    public var min: ParquetValue?
    public var max: ParquetValue?
    public var nullCount: Int64?
    public var distinctCount: Int64?
    public init(min: ParquetValue? = nil, max: ParquetValue? = nil, nullCount: Int64? = nil, distinctCount: Int64? = nil) {
        self.min = min
        self.max = max
        self.nullCount = nullCount
        self.distinctCount = distinctCount
    }
}

public struct ParquetColumnChunkInfo: Sendable {
    public var descriptor: ParquetColumnDescriptor
    public var codec: CompressionCodec
    public var numValues: Int64
    /// Where the chunk's pages are in the file (dictionary page included).
    public var byteRange: Range<Int64>
    public var totalUncompressedSize: Int64
    public var statistics: ParquetStatistics?
}

public struct ParquetRowGroupInfo: Sendable {
    public var numRows: Int64
    /// One per leaf, schema order.
    public var columns: [ParquetColumnChunkInfo]
}

public struct ParquetFileMetadata: Sendable {
    public var schema: ParquetSchemaNode
    public var leaves: [ParquetColumnDescriptor]
    public var numRows: Int64
    public var rowGroups: [ParquetRowGroupInfo]
    public var keyValueMetadata: [String: String]
    public var createdBy: String?
}

public struct ParquetLimits: Sendable {
    public var maxPageBytes: Int = 256 << 20
    public var maxRowGroupValues: Int = 64 << 20
    public init() {}
    public init(maxPageBytes: Int, maxRowGroupValues: Int) {
        self.maxPageBytes = maxPageBytes
        self.maxRowGroupValues = maxRowGroupValues
    }
}

/// Which top-level fields to read, by index into `schema.children`; a struct/list/map is read whole.
public struct ParquetProjection: Sendable {
    public var topLevelFields: [Int]
    public init(topLevelFields: [Int]) { self.topLevelFields = topLevelFields }

    /// Every top-level field, in schema order.
    public static func all(_ metadata: ParquetFileMetadata) -> ParquetProjection {
        ParquetProjection(topLevelFields: Array(metadata.schema.children.indices))
    }

    /// Leaf indices (into `metadata.leaves`) under the projected fields, in projection order; out-of-range fields are ignored.
    public func leafIndices(in metadata: ParquetFileMetadata) -> [Int] {
        var starts: [Int] = []
        var next = 0
        for child in metadata.schema.children {
            starts.append(next)
            next += child.leafCount
        }
        var result: [Int] = []
        var seen = Set<Int>()
        for field in topLevelFields where field >= 0 && field < starts.count {
            let count = metadata.schema.children[field].leafCount
            for leaf in starts[field]..<starts[field] + count where seen.insert(leaf).inserted { result.append(leaf) }
        }
        return result
    }
}
