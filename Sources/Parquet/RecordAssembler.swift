/// Rebuilds nested records from the leaves' (definition, repetition, value) streams.
struct RecordAssembler {
    var leaves: [LeafData]
    var positions: [Int]
    var valuePositions: [Int]

    init(_ leaves: [LeafData]) {
        self.leaves = leaves
        positions = Array(repeating: 0, count: leaves.count)
        valuePositions = Array(repeating: 0, count: leaves.count)
    }

    @inline(__always)
    func peekDef(_ leaf: Int) throws(ParquetError) -> Int {
        let p = positions[leaf]
        guard p < leaves[leaf].count else { throw .malformed("column ends before its records") }
        return leaves[leaf].maxDef == 0 ? 0 : Int(leaves[leaf].defs[p])
    }

    /// The repetition level of the leaf's next entry, or nil at its end.
    @inline(__always)
    func peekRep(_ leaf: Int) -> Int? {
        let p = positions[leaf]
        guard p < leaves[leaf].count else { return nil }
        return leaves[leaf].maxRep == 0 ? 0 : Int(leaves[leaf].reps[p])
    }

    /// Every record starts at repetition level 0 in each of its leaves.
    func checkRecordStart(_ plan: AssemblyPlan) throws(ParquetError) {
        for l in plan.leaves where peekRep(l) != 0 {
            throw .malformed(peekRep(l) == nil ? "column ends before its records" : "record does not start at repetition level 0")
        }
    }

    /// After the last record every leaf must be used up.
    func checkExhausted() throws(ParquetError) {
        for l in leaves.indices where positions[l] != leaves[l].count || valuePositions[l] != leaves[l].values.count {
            throw .malformed("column has more values than the row group's records")
        }
    }

    mutating func skipEntry(_ range: Range<Int>) throws(ParquetError) {
        for l in range {
            guard positions[l] < leaves[l].count else { throw .malformed("column ends before its records") }
            if leaves[l].maxDef > 0 && Int(leaves[l].defs[positions[l]]) == leaves[l].maxDef {
                valuePositions[l] += 1
            }
            positions[l] += 1
        }
    }

    mutating func read(_ plan: AssemblyPlan) throws(ParquetError) -> ParquetValue {
        guard !plan.leaves.isEmpty else { return .null }
        if let d = plan.optionalDef, try peekDef(plan.leaves.lowerBound) < d {
            try skipEntry(plan.leaves)
            return .null
        }
        switch plan.kind {
        case .leaf(let l):
            let def = try peekDef(l)
            positions[l] += 1
            guard def == leaves[l].maxDef else { return .null }
            let vp = valuePositions[l]
            guard vp < leaves[l].values.count else { throw .malformed("column has fewer values than its levels") }
            valuePositions[l] = vp + 1
            return leaves[l].values[vp]
        case .record(let children):
            var fields: [ParquetValue] = []
            fields.reserveCapacity(children.count)
            for c in children { fields.append(try read(c)) }
            return .record(fields)
        case .list(let element, let rd, let rr):
            if try peekDef(plan.leaves.lowerBound) < rd {
                try skipEntry(plan.leaves)
                return .list([])
            }
            var items: [ParquetValue] = []
            repeat {
                items.append(try read(element))
            } while peekRep(plan.leaves.lowerBound) == rr
            return .list(items)
        case .map(let key, let value, let rd, let rr):
            if try peekDef(plan.leaves.lowerBound) < rd {
                try skipEntry(plan.leaves)
                return .map([])
            }
            var entries: [ParquetMapEntry] = []
            repeat {
                let k = try read(key)
                let v = try value.map { (p) throws(ParquetError) in try read(p) } ?? .null
                entries.append(ParquetMapEntry(key: k, value: v))
            } while peekRep(plan.leaves.lowerBound) == rr
            return .map(entries)
        }
    }
}
