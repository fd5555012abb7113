/// A value of an Iceberg type; `.null` for null.
/// Times are microseconds (or nanoseconds for the `Ns` cases) since midnight / the Unix epoch; dates are days since 1970-01-01.
public indirect enum IcebergValue: Sendable, Hashable {
    case null, boolean(Bool), int(Int32), long(Int64), float(Float), double(Double)
    case decimal(unscaled: Int128, scale: Int), date(Int32), time(Int64), timestamp(Int64), timestamptz(Int64), timestampNs(Int64), timestamptzNs(Int64)
    case string(String), uuid([UInt8]), fixed([UInt8]), binary([UInt8])
    case structValue([IcebergValue]), list([IcebergValue]), map([IcebergMapEntry])

    public var isNull: Bool { if case .null = self { return true } else { return false } }

    public var isNaN: Bool {
        switch self {
        case .float(let v): return v.isNaN
        case .double(let v): return v.isNaN
        default: return false
        }
    }

    /// Spec ordering between two values of the same type: signed numbers, NaN above everything
    /// (and -0 < +0, as Java's Float.compare), strings by code point (= UTF-8 bytes), binary/uuid/fixed as
    /// unsigned bytes, decimals by value. Mixed int/long and float/double compare by value. nil if incomparable.
    public static func compare(_ a: IcebergValue, _ b: IcebergValue) -> Int? {
        switch (a, b) {
        case (.boolean(let x), .boolean(let y)): return x == y ? 0 : (x ? 1 : -1)
        case (.int(let x), .int(let y)): return order(x, y)
        case (.long(let x), .long(let y)): return order(x, y)
        case (.int(let x), .long(let y)): return order(Int64(x), y)
        case (.long(let x), .int(let y)): return order(x, Int64(y))
        case (.float(let x), .float(let y)): return totalOrder(Double(x), Double(y))
        case (.double(let x), .double(let y)): return totalOrder(x, y)
        case (.float(let x), .double(let y)): return totalOrder(Double(x), y)
        case (.double(let x), .float(let y)): return totalOrder(x, Double(y))
        case (.decimal(let u1, let s1), .decimal(let u2, let s2)): return Decimal128.compare(u1, s1, u2, s2)
        case (.date(let x), .date(let y)): return order(x, y)
        case (.time(let x), .time(let y)): return order(x, y)
        case (.timestamp(let x), .timestamp(let y)): return order(x, y)
        case (.timestamptz(let x), .timestamptz(let y)): return order(x, y)
        case (.timestampNs(let x), .timestampNs(let y)): return order(x, y)
        case (.timestamptzNs(let x), .timestamptzNs(let y)): return order(x, y)
        case (.string(let x), .string(let y)): return compareBytes(x.utf8, y.utf8)
        case (.uuid(let x), .uuid(let y)): return compareBytes(x, y)
        case (.fixed(let x), .fixed(let y)): return compareBytes(x, y)
        case (.binary(let x), .binary(let y)): return compareBytes(x, y)
        case (.fixed(let x), .binary(let y)): return compareBytes(x, y)
        case (.binary(let x), .fixed(let y)): return compareBytes(x, y)
        default: return nil
        }
    }

    @inline(__always) static func order<T: Comparable>(_ x: T, _ y: T) -> Int { x < y ? -1 : (x == y ? 0 : 1) }

    static func totalOrder(_ x: Double, _ y: Double) -> Int {
        if x.isNaN || y.isNaN { return x.isNaN ? (y.isNaN ? 0 : 1) : -1 }
        if x == y {
            if x == 0 && x.sign != y.sign { return x.sign == .minus ? -1 : 1 }
            return 0
        }
        return x < y ? -1 : 1
    }

    static func compareBytes<A: Sequence, B: Sequence>(_ a: A, _ b: B) -> Int where A.Element == UInt8, B.Element == UInt8 {
        var ia = a.makeIterator()
        var ib = b.makeIterator()
        while true {
            switch (ia.next(), ib.next()) {
            case (nil, nil): return 0
            case (nil, _): return -1
            case (_, nil): return 1
            case (let x?, let y?): if x != y { return x < y ? -1 : 1 }
            }
        }
    }
}

public struct IcebergMapEntry: Sendable, Hashable {
    public var key: IcebergValue
    public var value: IcebergValue
    public init(key: IcebergValue, value: IcebergValue) {
        self.key = key
        self.value = value
    }
}

extension IcebergValue {
    /// A timestamp value of one of the four timestamp types (µs or ns since the epoch).
    static func timestamp(_ value: Int64, as type: IcebergType) -> IcebergValue {
        switch type {
        case .timestamp: return .timestamp(value)
        case .timestamptz: return .timestamptz(value)
        case .timestampNs: return .timestampNs(value)
        default: return .timestamptzNs(value)
        }
    }
}
