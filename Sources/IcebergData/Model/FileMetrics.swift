/// What file pruning needs from a data or delete file entry: counts and bounds keyed by field id,
/// bounds serialized per the spec's Appendix D.
public struct FileMetrics: Sendable, Hashable {
    public var recordCount: Int64
    public var valueCounts: [Int: Int64]
    public var nullValueCounts: [Int: Int64]
    public var nanValueCounts: [Int: Int64]
    public var lowerBounds: [Int: [UInt8]]
    public var upperBounds: [Int: [UInt8]]

    public init(
        recordCount: Int64, valueCounts: [Int: Int64] = [:], nullValueCounts: [Int: Int64] = [:], nanValueCounts: [Int: Int64] = [:],
        lowerBounds: [Int: [UInt8]] = [:], upperBounds: [Int: [UInt8]] = [:]
    ) {
        self.recordCount = recordCount
        self.valueCounts = valueCounts
        self.nullValueCounts = nullValueCounts
        self.nanValueCounts = nanValueCounts
        self.lowerBounds = lowerBounds
        self.upperBounds = upperBounds
    }
}

/// A manifest list's summary of one partition field over a manifest's files.
public struct PartitionFieldSummary: Sendable, Hashable {
    public var containsNull: Bool
    public var containsNaN: Bool?
    public var lowerBound: [UInt8]?
    public var upperBound: [UInt8]?

    public init(containsNull: Bool, containsNaN: Bool? = nil, lowerBound: [UInt8]? = nil, upperBound: [UInt8]? = nil) {
        self.containsNull = containsNull
        self.containsNaN = containsNaN
        self.lowerBound = lowerBound
        self.upperBound = upperBound
    }
}
