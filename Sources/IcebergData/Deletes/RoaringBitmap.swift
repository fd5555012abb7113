/// A 32-bit Roaring bitmap in the portable serialization
/// (https://github.com/RoaringBitmap/RoaringFormatSpec): array, bitmap and run containers,
/// with the run-container cookie (12347) or without it (12346).
public struct RoaringBitmap: Sendable, Hashable {
    enum Container: Sendable, Hashable {
        case array([UInt16])                               // sorted
        case bitmap([UInt64])                              // 1024 words
        case runs([(start: UInt16, lengthMinusOne: UInt16)]) // sorted, disjoint

        static func == (a: Container, b: Container) -> Bool { a.values == b.values }
        func hash(into h: inout Hasher) { h.combine(values) }

        func contains(_ v: UInt16) -> Bool {
            switch self {
            case .array(let a): return RoaringBitmap.binarySearch(a, v)
            case .bitmap(let w): return w[Int(v >> 6)] & (1 << UInt64(v & 63)) != 0
            case .runs(let runs):
                var lo = 0, hi = runs.count
                while lo < hi {
                    let mid = (lo + hi) / 2
                    if runs[mid].start <= v { lo = mid + 1 } else { hi = mid }
                }
                guard lo > 0 else { return false }
                let r = runs[lo - 1]
                return UInt32(v) <= UInt32(r.start) + UInt32(r.lengthMinusOne)
            }
        }

        var cardinality: Int {
            switch self {
            case .array(let a): return a.count
            case .bitmap(let w): return w.reduce(0) { $0 + $1.nonzeroBitCount }
            case .runs(let runs): return runs.reduce(0) { $0 + Int($1.lengthMinusOne) + 1 }
            }
        }

        var values: [UInt16] {
            var out: [UInt16] = []
            forEach { out.append($0) }
            return out
        }

        func forEach(_ body: (UInt16) -> Void) {
            switch self {
            case .array(let a): for v in a { body(v) }
            case .bitmap(let words):
                for (i, word) in words.enumerated() {
                    var w = word
                    while w != 0 {
                        body(UInt16(i * 64 + w.trailingZeroBitCount))
                        w &= w &- 1
                    }
                }
            case .runs(let runs):
                for r in runs {
                    let end = UInt32(r.start) + UInt32(r.lengthMinusOne)
                    for v in UInt32(r.start)...end { body(UInt16(v)) }
                }
            }
        }
    }

    var keys: [UInt16] = []
    var containers: [Container] = []

    public init() {}

    /// A bitmap of the given values (any order, duplicates allowed).
    public init(_ values: some Sequence<UInt32>) {
        let sorted = Array(Set(values)).sorted()
        var i = 0
        while i < sorted.count {
            let key = UInt16(sorted[i] >> 16)
            var low: [UInt16] = []
            while i < sorted.count, UInt16(sorted[i] >> 16) == key {
                low.append(UInt16(truncatingIfNeeded: sorted[i]))
                i += 1
            }
            keys.append(key)
            if low.count <= 4096 {
                containers.append(.array(low))
            } else {
                var words = [UInt64](repeating: 0, count: 1024)
                for v in low { words[Int(v >> 6)] |= 1 << UInt64(v & 63) }
                containers.append(.bitmap(words))
            }
        }
    }

    public func contains(_ value: UInt32) -> Bool {
        let key = UInt16(value >> 16)
        var lo = 0, hi = keys.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if keys[mid] < key { lo = mid + 1 } else { hi = mid }
        }
        guard lo < keys.count, keys[lo] == key else { return false }
        return containers[lo].contains(UInt16(truncatingIfNeeded: value))
    }

    public var cardinality: Int { containers.reduce(0) { $0 + $1.cardinality } }
    public var isEmpty: Bool { keys.isEmpty }

    /// Every value in ascending order.
    public func forEach(_ body: (UInt32) -> Void) {
        for (key, container) in zip(keys, containers) {
            let high = UInt32(key) << 16
            container.forEach { body(high | UInt32($0)) }
        }
    }

    static func binarySearch(_ a: [UInt16], _ v: UInt16) -> Bool {
        var lo = 0, hi = a.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if a[mid] < v { lo = mid + 1 } else { hi = mid }
        }
        return lo < a.count && a[lo] == v
    }

    static let cookieNoRuns: UInt32 = 12346
    static let cookieRuns: UInt32 = 12347

    /// Reads one portable bitmap from `bytes[offset...]`, advancing `offset` past it.
    public static func deserialize(_ bytes: [UInt8], offset: inout Int) throws(IcebergDataError) -> RoaringBitmap {
        var r = ByteReader(bytes: bytes, offset: offset)
        let cookie = try r.u32()
        var count: Int
        var runFlags: [UInt8] = []
        let hasRuns = cookie & 0xFFFF == cookieRuns
        if hasRuns {
            count = Int(cookie >> 16) + 1
            runFlags = try r.bytes((count + 7) / 8)
        } else if cookie == cookieNoRuns {
            count = Int(try r.u32())
        } else {
            throw .malformed("roaring: unknown cookie \(cookie)")
        }
        guard count <= 65536 else { throw .malformed("roaring: \(count) containers") }
        guard count * 4 <= r.remaining else { throw .malformed("roaring: truncated header") }
        var keys: [UInt16] = []
        var cards: [Int] = []
        keys.reserveCapacity(count)
        cards.reserveCapacity(count)
        for _ in 0..<count {
            let key = try r.u16()
            if let last = keys.last, key <= last { throw .malformed("roaring: keys not ascending") }
            keys.append(key)
            cards.append(Int(try r.u16()) + 1)
        }
        if !hasRuns || count >= 4 { _ = try r.bytes(count * 4) }   // offset header: containers follow in order
        var containers: [Container] = []
        containers.reserveCapacity(count)
        for i in 0..<count {
            let isRun = hasRuns && runFlags[i / 8] & (1 << UInt8(i % 8)) != 0
            if isRun {
                let n = Int(try r.u16())
                guard n * 4 <= r.remaining else { throw .malformed("roaring: truncated run container") }
                var runs: [(start: UInt16, lengthMinusOne: UInt16)] = []
                runs.reserveCapacity(n)
                var total = 0
                var nextFree = 0
                for _ in 0..<n {
                    let start = try r.u16(), length = try r.u16()
                    guard Int(start) >= nextFree, Int(start) + Int(length) <= 65535 else { throw .malformed("roaring: bad run") }
                    nextFree = Int(start) + Int(length) + 1
                    total += Int(length) + 1
                    runs.append((start, length))
                }
                guard total == cards[i] else { throw .malformed("roaring: run cardinality mismatch") }
                containers.append(.runs(runs))
            } else if cards[i] <= 4096 {
                guard cards[i] * 2 <= r.remaining else { throw .malformed("roaring: truncated array container") }
                var values: [UInt16] = []
                values.reserveCapacity(cards[i])
                for _ in 0..<cards[i] {
                    let v = try r.u16()
                    if let last = values.last, v <= last { throw .malformed("roaring: array not sorted") }
                    values.append(v)
                }
                containers.append(.array(values))
            } else {
                guard 8192 <= r.remaining else { throw .malformed("roaring: truncated bitmap container") }
                var words: [UInt64] = []
                words.reserveCapacity(1024)
                for _ in 0..<1024 { words.append(try r.u64()) }
                let container = Container.bitmap(words)
                guard container.cardinality == cards[i] else { throw .malformed("roaring: bitmap cardinality mismatch") }
                containers.append(container)
            }
        }
        offset = r.offset
        var bitmap = RoaringBitmap()
        bitmap.keys = keys
        bitmap.containers = containers
        return bitmap
    }

    public static func deserialize(_ bytes: [UInt8]) throws(IcebergDataError) -> RoaringBitmap {
        var offset = 0
        return try deserialize(bytes, offset: &offset)
    }

    /// The portable serialization without run containers (cookie 12346), as array and bitmap containers.
    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        func u16(_ v: UInt16) { out.append(UInt8(v & 0xFF)); out.append(UInt8(v >> 8)) }
        func u32(_ v: UInt32) { for s in stride(from: 0, to: 32, by: 8) { out.append(UInt8((v >> UInt32(s)) & 0xFF)) } }
        u32(Self.cookieNoRuns)
        u32(UInt32(keys.count))
        let materialized: [Container] = containers.map { c in
            if case .runs = c {
                let values = c.values
                if values.count <= 4096 { return .array(values) }
                var words = [UInt64](repeating: 0, count: 1024)
                for v in values { words[Int(v >> 6)] |= 1 << UInt64(v & 63) }
                return .bitmap(words)
            }
            return c
        }
        for (key, c) in zip(keys, materialized) { u16(key); u16(UInt16(c.cardinality - 1)) }
        var position = UInt32(8 + keys.count * 8)
        for c in materialized {
            u32(position)
            if case .array(let a) = c { position += UInt32(a.count * 2) } else { position += 8192 }
        }
        for c in materialized {
            switch c {
            case .array(let a): for v in a { u16(v) }
            case .bitmap(let w): for word in w { u32(UInt32(truncatingIfNeeded: word)); u32(UInt32(truncatingIfNeeded: word >> 32)) }
            case .runs: break
            }
        }
        return out
    }
}

/// Little-endian reads with bounds checks.
struct ByteReader {
    let bytes: [UInt8]
    var offset: Int

    var remaining: Int { bytes.count - offset }

    mutating func bytes(_ n: Int) throws(IcebergDataError) -> [UInt8] {
        guard n >= 0, n <= remaining else { throw .malformed("unexpected end of input") }
        defer { offset += n }
        return Array(bytes[offset..<offset + n])
    }

    mutating func u16() throws(IcebergDataError) -> UInt16 {
        guard remaining >= 2 else { throw .malformed("unexpected end of input") }
        defer { offset += 2 }
        return UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }

    mutating func u32() throws(IcebergDataError) -> UInt32 {
        guard remaining >= 4 else { throw .malformed("unexpected end of input") }
        var v: UInt32 = 0
        for i in 0..<4 { v |= UInt32(bytes[offset + i]) << UInt32(8 * i) }
        offset += 4
        return v
    }

    mutating func u64() throws(IcebergDataError) -> UInt64 {
        guard remaining >= 8 else { throw .malformed("unexpected end of input") }
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(bytes[offset + i]) << UInt64(8 * i) }
        offset += 8
        return v
    }
}
