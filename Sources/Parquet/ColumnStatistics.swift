/// Min/max (in the column's sort order), null and NaN counts of written values.
struct ColumnStatistics: Sendable {
    enum Order: Sendable { case boolean, signed, unsigned32, unsigned64, floating, bytesUnsigned, bytesSignedDecimal, none }
    let order: Order
    var nullCount: Int64 = 0
    var nanCount: Int64 = 0
    var hasMinMax = false
    var minInt: Int64 = 0, maxInt: Int64 = 0
    var minFP: Double = 0, maxFP: Double = 0
    var minBytes: [UInt8] = [], maxBytes: [UInt8] = []

    init(_ node: ParquetSchemaNode) {
        switch node.physicalType {
        case .boolean?: order = .boolean
        case .int32?:
            if case .integer(_, false)? = node.logicalType { order = .unsigned32 } else { order = .signed }
        case .int64?:
            if case .integer(_, false)? = node.logicalType { order = .unsigned64 } else { order = .signed }
        case .float?, .double?: order = .floating
        case .byteArray?, .fixedLenByteArray?:
            if case .decimal? = node.logicalType { order = .bytesSignedDecimal } else if node.logicalType == .float16 || node.logicalType == .unknown { order = .none } else { order = .bytesUnsigned }
        default: order = .none
        }
    }

    @inline(__always)
    mutating func addInt(_ v: Int64) {
        let less: (Int64, Int64) -> Bool = order == .unsigned64 ? { UInt64(bitPattern: $0) < UInt64(bitPattern: $1) } : { $0 < $1 }
        if !hasMinMax {
            minInt = v
            maxInt = v
            hasMinMax = true
        } else {
            if less(v, minInt) { minInt = v }
            if less(maxInt, v) { maxInt = v }
        }
    }

    @inline(__always)
    mutating func addFP(_ v: Double) {
        if v.isNaN {
            nanCount += 1
            return
        }
        if !hasMinMax {
            minFP = v
            maxFP = v
            hasMinMax = true
        } else {
            if v < minFP { minFP = v }
            if v > maxFP { maxFP = v }
        }
    }

    mutating func addBytes(_ v: [UInt8]) {
        guard order != .none else { return }
        if !hasMinMax {
            minBytes = v
            maxBytes = v
            hasMinMax = true
        } else {
            if lessBytes(v, minBytes) { minBytes = v }
            if lessBytes(maxBytes, v) { maxBytes = v }
        }
    }

    func lessBytes(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        if order == .bytesSignedDecimal {
            let x = a.withUnsafeBytes { try? ValueConverter.bigEndianInt128($0) } ?? 0
            let y = b.withUnsafeBytes { try? ValueConverter.bigEndianInt128($0) } ?? 0
            return x < y
        }
        return a.lexicographicallyPrecedes(b)
    }

    mutating func add(_ values: PhysicalValues, physical: PhysicalType) {
        switch physical {
        case .boolean: for b in values.bools { addInt(b ? 1 : 0) }
        case .int32:
            if order == .unsigned32 { for v in values.int32s { addInt(Int64(UInt32(bitPattern: v))) } } else { for v in values.int32s { addInt(Int64(v)) } }
        case .int64: for v in values.int64s { addInt(v) }
        case .float: for v in values.floats { addFP(Double(v)) }
        case .double: for v in values.doubles { addFP(v) }
        case .byteArray, .fixedLenByteArray: for v in values.bytes { addBytes(v) }
        case .int96: break
        }
    }

    mutating func merge(_ o: ColumnStatistics) {
        nullCount += o.nullCount
        nanCount += o.nanCount
        guard o.hasMinMax else { return }
        switch order {
        case .boolean, .signed, .unsigned32, .unsigned64:
            addInt(o.minInt)
            addInt(o.maxInt)
        case .floating:
            addFP(o.minFP)
            addFP(o.maxFP)
        case .bytesUnsigned, .bytesSignedDecimal:
            addBytes(o.minBytes)
            addBytes(o.maxBytes)
        case .none: break
        }
    }

    /// PLAIN encodings of min and max (nil when there is none).
    func encoded(_ physical: PhysicalType) -> (min: [UInt8], max: [UInt8])? {
        guard hasMinMax else { return nil }
        switch physical {
        case .boolean: return ([UInt8(minInt)], [UInt8(maxInt)])
        case .int32: return (le(UInt64(UInt32(truncatingIfNeeded: minInt)), 4), le(UInt64(UInt32(truncatingIfNeeded: maxInt)), 4))
        case .int64: return (le(UInt64(bitPattern: minInt), 8), le(UInt64(bitPattern: maxInt), 8))
        case .float:
            let lo: Float = minFP == 0 ? -0.0 : Float(minFP)
            let hi: Float = maxFP == 0 ? 0.0 : Float(maxFP)
            return (le(UInt64(lo.bitPattern), 4), le(UInt64(hi.bitPattern), 4))
        case .double:
            let lo: Double = minFP == 0 ? -0.0 : minFP
            let hi: Double = maxFP == 0 ? 0.0 : maxFP
            return (le(lo.bitPattern, 8), le(hi.bitPattern, 8))
        case .byteArray, .fixedLenByteArray: return order == .none ? nil : (minBytes, maxBytes)
        case .int96: return nil
        }
    }

    private func le(_ v: UInt64, _ n: Int) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) } }
}
