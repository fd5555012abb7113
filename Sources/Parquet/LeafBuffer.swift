/// One leaf's shredded levels and values for the row group being built.
struct LeafBuffer: Sendable {
    let descriptor: ParquetColumnDescriptor
    var defs: [UInt8] = []
    var reps: [UInt8] = []
    var count = 0
    var values = PhysicalValues()
    var estimatedBytes = 0
    var nullCount: Int64 = 0

    init(_ descriptor: ParquetColumnDescriptor) { self.descriptor = descriptor }

    @inline(__always)
    mutating func appendLevels(def: Int, rep: Int) {
        if descriptor.maxDefinitionLevel > 0 { defs.append(UInt8(def)) }
        if descriptor.maxRepetitionLevel > 0 { reps.append(UInt8(rep)) }
        count += 1
    }

    mutating func appendNull(def: Int, rep: Int) {
        appendLevels(def: def, rep: rep)
        nullCount += 1
        estimatedBytes += 1
    }

    mutating func append(_ value: ParquetValue, def: Int, rep: Int) throws(ParquetError) {
        estimatedBytes += try PhysicalConversion.append(value, to: &values, node: descriptor.node)
        appendLevels(def: def, rep: rep)
    }

    mutating func reset() {
        defs.removeAll(keepingCapacity: true)
        reps.removeAll(keepingCapacity: true)
        count = 0
        values.removeAll()
        estimatedBytes = 0
        nullCount = 0
    }
}

/// Shreds rows into leaf buffers following the assembly plans (the inverse of `RecordAssembler`).
enum RowShredder {
    static func shred(_ plan: AssemblyPlan, _ value: ParquetValue, def: Int, rep: Int, into leaves: inout [LeafBuffer]) throws(ParquetError) {
        var def = def
        if let d = plan.optionalDef {
            if value == .null {
                for l in plan.leaves { leaves[l].appendNull(def: d - 1, rep: rep) }
                return
            }
            def = d
        }
        switch plan.kind {
        case .leaf(let l):
            guard value != .null else { throw .invalidArgument("null for required column \(leaves[l].descriptor.path.joined(separator: "."))") }
            try leaves[l].append(value, def: def, rep: rep)
        case .record(let children):
            guard case .record(let fields) = value, fields.count == children.count else {
                throw .invalidArgument("expected a record of \(children.count) fields, got \(value)")
            }
            for (c, f) in zip(children, fields) { try shred(c, f, def: def, rep: rep, into: &leaves) }
        case .list(let element, let rd, let rr):
            let items: [ParquetValue]
            switch value {
            case .list(let xs): items = xs
            case .null: items = []
            default: throw .invalidArgument("expected a list, got \(value)")
            }
            if items.isEmpty {
                for l in plan.leaves { leaves[l].appendNull(def: rd - 1, rep: rep) }
                return
            }
            for (i, item) in items.enumerated() { try shred(element, item, def: rd, rep: i == 0 ? rep : rr, into: &leaves) }
        case .map(let key, let valuePlan, let rd, let rr):
            let entries: [ParquetMapEntry]
            switch value {
            case .map(let es): entries = es
            case .null: entries = []
            default: throw .invalidArgument("expected a map, got \(value)")
            }
            if entries.isEmpty {
                for l in plan.leaves { leaves[l].appendNull(def: rd - 1, rep: rep) }
                return
            }
            for (i, e) in entries.enumerated() {
                let r = i == 0 ? rep : rr
                try shred(key, e.key, def: rd, rep: r, into: &leaves)
                if let valuePlan { try shred(valuePlan, e.value, def: rd, rep: r, into: &leaves) }
            }
        }
    }
}

extension LeafBuffer {
    struct Mark {
        var count, defs, reps, estimated: Int
        var nulls: Int64
        var values: [Int]
    }

    var mark: Mark {
        Mark(count: count, defs: defs.count, reps: reps.count, estimated: estimatedBytes, nulls: nullCount,
             values: [values.bools.count, values.int32s.count, values.int64s.count, values.floats.count, values.doubles.count, values.bytes.count])
    }

    /// Undoes everything appended since `m` (a row that failed to shred).
    mutating func rollback(to m: Mark) {
        count = m.count
        defs.removeSubrange(m.defs...)
        reps.removeSubrange(m.reps...)
        estimatedBytes = m.estimated
        nullCount = m.nulls
        values.bools.removeSubrange(m.values[0]...)
        values.int32s.removeSubrange(m.values[1]...)
        values.int64s.removeSubrange(m.values[2]...)
        values.floats.removeSubrange(m.values[3]...)
        values.doubles.removeSubrange(m.values[4]...)
        values.bytes.removeSubrange(m.values[5]...)
    }
}
