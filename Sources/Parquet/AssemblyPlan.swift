/// How to rebuild one schema node's values from its leaves' level streams.
struct AssemblyPlan: Sendable {
    indirect enum Kind: Sendable {
        case leaf(Int)
        case record([AssemblyPlan])
        /// `repeatedDef`/`repeatedRep`: levels of the repeated node; elements exist when def >= repeatedDef.
        case list(element: AssemblyPlan, repeatedDef: Int, repeatedRep: Int)
        case map(key: AssemblyPlan, value: AssemblyPlan?, repeatedDef: Int, repeatedRep: Int)
    }
    var kind: Kind
    /// When the node is optional: the definition level at which it is present.
    var optionalDef: Int?
    /// The cursors (leaf positions in the projected order) under this node.
    var leaves: Range<Int>

    /// Builds the plan of `node` whose levels (counting itself) are `def`/`rep`; leaves numbered from `nextLeaf`.
    static func build(_ node: ParquetSchemaNode, def: Int, rep: Int, nextLeaf: inout Int) -> AssemblyPlan {
        let first = nextLeaf
        if node.repetition == .repeated {
            let element = content(node, def: def, rep: rep, nextLeaf: &nextLeaf)
            return AssemblyPlan(kind: .list(element: element, repeatedDef: def, repeatedRep: rep), optionalDef: nil, leaves: first..<nextLeaf)
        }
        var plan = content(node, def: def, rep: rep, nextLeaf: &nextLeaf)
        if node.repetition == .optional { plan.optionalDef = def }
        return plan
    }

    static func child(_ c: ParquetSchemaNode, def: Int, rep: Int, nextLeaf: inout Int) -> AssemblyPlan {
        build(c, def: def + (c.repetition == .required ? 0 : 1), rep: rep + (c.repetition == .repeated ? 1 : 0), nextLeaf: &nextLeaf)
    }

    /// The node's value ignoring its own repetition.
    static func content(_ node: ParquetSchemaNode, def: Int, rep: Int, nextLeaf: inout Int) -> AssemblyPlan {
        let first = nextLeaf
        if !node.isGroup {
            nextLeaf += 1
            return AssemblyPlan(kind: .leaf(first), optionalDef: nil, leaves: first..<nextLeaf)
        }
        if isList(node), let r = node.children.first {
            let rd = def + 1
            let rr = rep + 1
            let element: AssemblyPlan
            if ListShape.repeatedNodeIsElement(list: node, repeated: r) {
                element = content(r, def: rd, rep: rr, nextLeaf: &nextLeaf)
            } else {
                element = child(r.children[0], def: rd, rep: rr, nextLeaf: &nextLeaf)
            }
            return AssemblyPlan(kind: .list(element: element, repeatedDef: rd, repeatedRep: rr), optionalDef: nil, leaves: first..<nextLeaf)
        }
        if isMap(node), let r = node.children.first {
            let rd = def + 1
            let rr = rep + 1
            let key = child(r.children[0], def: rd, rep: rr, nextLeaf: &nextLeaf)
            let value = r.children.count > 1 ? child(r.children[1], def: rd, rep: rr, nextLeaf: &nextLeaf) : nil
            return AssemblyPlan(kind: .map(key: key, value: value, repeatedDef: rd, repeatedRep: rr), optionalDef: nil, leaves: first..<nextLeaf)
        }
        var children: [AssemblyPlan] = []
        children.reserveCapacity(node.children.count)
        for c in node.children { children.append(child(c, def: def, rep: rep, nextLeaf: &nextLeaf)) }
        return AssemblyPlan(kind: .record(children), optionalDef: nil, leaves: first..<nextLeaf)
    }

    static func isList(_ node: ParquetSchemaNode) -> Bool {
        guard node.logicalType == .list || node.convertedType == 3 else { return false }
        guard node.children.count == 1, let r = node.children.first, r.repetition == .repeated else { return false }
        return ListShape.repeatedNodeIsElement(list: node, repeated: r) || (r.isGroup && r.children.count == 1)
    }

    static func isMap(_ node: ParquetSchemaNode) -> Bool {
        guard node.logicalType == .map || node.convertedType == 1 || node.convertedType == 2 else { return false }
        guard node.children.count == 1, let r = node.children.first, r.repetition == .repeated, r.isGroup else { return false }
        return r.children.count == 1 || r.children.count == 2
    }
}

/// The LIST backward-compatibility rules of LogicalTypes.md.
enum ListShape {
    /// Whether the repeated child of a LIST group is itself the element (two-level lists) rather than a wrapper.
    static func repeatedNodeIsElement(list: ParquetSchemaNode, repeated r: ParquetSchemaNode) -> Bool {
        if !r.isGroup { return true }
        if r.children.count != 1 { return true }
        if r.name == "array" || r.name == list.name + "_tuple" { return true }
        if r.children[0].repetition == .repeated { return true }
        return false
    }
}
