/// The rows of equality delete files for one set of equality field ids: a row is deleted when its
/// values of those fields equal any key tuple. NULL equals NULL; int and long compare by value,
/// float and double by bit pattern with NaNs made one.
public struct EqualityDeleteSet: Sendable {
    public let equalityFieldIDs: [Int]
    var keys: Set<[IcebergValue]> = []

    public init(equalityFieldIDs: [Int]) { self.equalityFieldIDs = equalityFieldIDs }

    /// `rows`: the values of `equalityFieldIDs`, in that order.
    public init(equalityFieldIDs: [Int], rows: some Sequence<[IcebergValue]>) {
        self.equalityFieldIDs = equalityFieldIDs
        for row in rows { insert(row) }
    }

    public mutating func insert(_ key: [IcebergValue]) {
        guard key.count == equalityFieldIDs.count else { return }
        keys.insert(key.map(Self.normalized))
    }

    public var count: Int { keys.count }
    public var isEmpty: Bool { keys.isEmpty }

    /// Whether the row whose field values `lookup` gives is deleted.
    public func contains(_ lookup: (Int) -> IcebergValue) -> Bool {
        guard !keys.isEmpty else { return false }
        return keys.contains(equalityFieldIDs.map { Self.normalized(lookup($0)) })
    }

    static func normalized(_ value: IcebergValue) -> IcebergValue {
        switch value {
        case .int(let v): return .long(Int64(v))
        case .float(let v): return v.isNaN ? .binary([0x7F, 0xF8]) : .binary(bits(Double(v)))
        case .double(let v): return v.isNaN ? .binary([0x7F, 0xF8]) : .binary(bits(v))
        default: return value
        }
    }

    static func bits(_ d: Double) -> [UInt8] {
        let b = d.bitPattern
        return (0..<8).map { UInt8((b >> UInt64(8 * $0)) & 0xFF) }
    }
}
