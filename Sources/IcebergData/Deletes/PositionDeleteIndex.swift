/// The deleted row positions of one data file, from position delete files and/or a deletion vector.
public struct PositionDeleteIndex: Sendable, Hashable {
    enum Storage: Sendable, Hashable {
        case sorted([Int64])           // ascending, no duplicates
        case bitmap(RoaringBitmap64)
    }

    var storage: Storage

    /// Positions in any order; duplicates and negatives are dropped.
    public init(_ positions: [Int64]) {
        var sorted = positions.filter { $0 >= 0 }
        sorted.sort()
        var unique: [Int64] = []
        unique.reserveCapacity(sorted.count)
        for p in sorted where unique.last != p { unique.append(p) }
        storage = .sorted(unique)
    }

    public init(bitmap: RoaringBitmap64) { storage = .bitmap(bitmap) }

    /// Rows of a position delete file (`file_path` field 2147483546, `pos` 2147483545), keeping those of `dataFilePath`.
    public init(rows: some Sequence<(filePath: String, position: Int64)>, dataFilePath: String) {
        self.init(rows.compactMap { $0.filePath == dataFilePath ? $0.position : nil })
    }

    public static let filePathFieldID = 2_147_483_546
    public static let positionFieldID = 2_147_483_545

    public func contains(_ position: Int64) -> Bool {
        switch storage {
        case .bitmap(let b): return b.contains(position)
        case .sorted(let a):
            var lo = 0, hi = a.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if a[mid] < position { lo = mid + 1 } else { hi = mid }
            }
            return lo < a.count && a[lo] == position
        }
    }

    public var cardinality: Int {
        switch storage {
        case .bitmap(let b): return b.cardinality
        case .sorted(let a): return a.count
        }
    }

    public var isEmpty: Bool { cardinality == 0 }

    /// Every position in ascending order.
    public var positions: [Int64] {
        switch storage {
        case .sorted(let a): return a
        case .bitmap(let b):
            var out: [Int64] = []
            out.reserveCapacity(b.cardinality)
            b.forEach { out.append($0) }
            return out
        }
    }

    public func union(_ other: PositionDeleteIndex) -> PositionDeleteIndex {
        if other.isEmpty { return self }
        if isEmpty { return other }
        let a = positions, b = other.positions
        var merged: [Int64] = []
        merged.reserveCapacity(a.count + b.count)
        var i = 0, j = 0
        while i < a.count || j < b.count {
            let next: Int64
            if j >= b.count || (i < a.count && a[i] <= b[j]) { next = a[i]; i += 1 } else { next = b[j]; j += 1 }
            if merged.last != next { merged.append(next) }
        }
        var out = PositionDeleteIndex([])
        out.storage = .sorted(merged)
        return out
    }
}
