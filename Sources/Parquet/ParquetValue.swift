public enum TimeUnit: Sendable, Hashable { case millis, micros, nanos }

public struct ParquetMapEntry: Sendable, Hashable {
    public var key: ParquetValue
    public var value: ParquetValue
    public init(key: ParquetValue, value: ParquetValue) {
        self.key = key
        self.value = value
    }
}

/// Values with their logical type applied.
public indirect enum ParquetValue: Sendable, Hashable {
    case null
    case boolean(Bool), int32(Int32), int64(Int64), float(Float), double(Double)
    case string(String), binary([UInt8])
    case decimal(unscaled: Int128, scale: Int32)
    case date(Int32)
    case time(Int64, TimeUnit)
    case timestamp(Int64, TimeUnit, utc: Bool)
    case uuid([UInt8])
    case list([ParquetValue]), map([ParquetMapEntry]), record([ParquetValue])
}

public enum ParquetError: Error, Sendable, Equatable {
    case malformed(String), unsupported(String), limitExceeded(String), invalidArgument(String)
}
