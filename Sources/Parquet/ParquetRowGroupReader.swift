public enum ParquetRowGroupReader {
    /// `chunks[leafIndex]` holds the bytes of that column chunk's `byteRange`, for every projected leaf.
    /// Returns one row per record: the projected top-level values in projection order.
    public static func readRows(
        _ metadata: ParquetFileMetadata, rowGroup: Int, projection: ParquetProjection, chunks: [Int: [UInt8]], limits: ParquetLimits = .init()
    ) throws(ParquetError) -> [[ParquetValue]] {
        guard rowGroup >= 0, rowGroup < metadata.rowGroups.count else { throw .invalidArgument("no row group \(rowGroup)") }
        let group = metadata.rowGroups[rowGroup]
        guard group.numRows <= Int64(limits.maxRowGroupValues) else { throw .limitExceeded("row group of \(group.numRows) rows") }
        let rows = Int(group.numRows)
        var firstLeaf: [Int] = []
        var next = 0
        for child in metadata.schema.children {
            firstLeaf.append(next)
            next += child.leafCount
        }
        var plans: [AssemblyPlan] = []
        var leafData: [LeafData] = []
        var budget = limits
        for field in projection.topLevelFields {
            guard field >= 0, field < metadata.schema.children.count else { throw .invalidArgument("no top-level field \(field)") }
            let node = metadata.schema.children[field]
            var cursor = leafData.count
            let plan = AssemblyPlan.child(node, def: 0, rep: 0, nextLeaf: &cursor)
            plans.append(plan)
            for leaf in firstLeaf[field]..<firstLeaf[field] + node.leafCount {
                guard let bytes = chunks[leaf] else { throw .invalidArgument("missing column chunk for leaf \(leaf)") }
                guard leaf < group.columns.count else { throw .malformed("row group lacks leaf \(leaf)") }
                // One value budget for the whole row group, not one per column.
                let leafValues = try ColumnChunkReader.read(bytes, info: group.columns[leaf], limits: budget)
                budget.maxRowGroupValues -= leafValues.count
                leafData.append(leafValues)
            }
        }
        // Every record has at least one entry in each of its leaves.
        if let first = leafData.first, first.count < rows { throw .malformed("row group claims \(rows) rows, its columns hold \(first.count)") }
        var assembler = RecordAssembler(leafData)
        var result: [[ParquetValue]] = []
        result.reserveCapacity(min(rows, 1 << 16))
        for _ in 0..<rows {
            var row: [ParquetValue] = []
            row.reserveCapacity(plans.count)
            for plan in plans {
                try assembler.checkRecordStart(plan)
                row.append(try assembler.read(plan))
            }
            result.append(row)
        }
        try assembler.checkExhausted()
        return result
    }
}
