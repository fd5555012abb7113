/// Streams rows into a Parquet file: PLAIN / RLE_DICTIONARY data pages v1, one row group per `rowGroupBytes`.
public struct ParquetWriter: Sendable {
    private let schema: ParquetSchemaNode
    private let options: ParquetWriterOptions
    private let plans: [AssemblyPlan]
    private var leaves: [LeafBuffer]
    private var started = false
    private var finished = false
    private var offset: Int64 = 0
    private var rowsInGroup: Int64 = 0
    private var bufferedBytes = 0
    private var rowGroups: [FooterWriter.RowGroup] = []
    private var fileStats: [ColumnStatistics]
    private var fileValueCounts: [Int64]
    private var fileCompressed: [Int64]
    public private(set) var rowCount: Int64 = 0
    /// Iceberg split offsets: where each row group starts.
    public private(set) var rowGroupOffsets: [Int64] = []

    public init(schema: ParquetSchemaNode, options: ParquetWriterOptions) throws(ParquetError) {
        guard schema.isGroup else { throw .invalidArgument("the schema root must be a group") }
        guard schema.depth <= SchemaLimits.maxDepth else { throw .invalidArgument("schema nested deeper than \(SchemaLimits.maxDepth)") }
        try Self.validate(schema, isRoot: true)
        _ = try ColumnChunkWriter.codecID(options.codec)
        self.schema = schema
        self.options = options
        var descriptors: [ParquetColumnDescriptor] = []
        schema.collectLeaves(path: [], def: 0, rep: 0, into: &descriptors)
        leaves = descriptors.map(LeafBuffer.init)
        var next = 0
        var plans: [AssemblyPlan] = []
        for c in schema.children { plans.append(AssemblyPlan.child(c, def: 0, rep: 0, nextLeaf: &next)) }
        self.plans = plans
        fileStats = descriptors.map { ColumnStatistics($0.node) }
        fileValueCounts = Array(repeating: 0, count: descriptors.count)
        fileCompressed = Array(repeating: 0, count: descriptors.count)
    }

    private static func validate(_ node: ParquetSchemaNode, isRoot: Bool) throws(ParquetError) {
        if node.isGroup {
            guard !node.children.isEmpty else { throw .invalidArgument("group \(node.name) has no fields") }
            for c in node.children { try validate(c, isRoot: false) }
        } else {
            if node.physicalType == .fixedLenByteArray { guard let l = node.typeLength, l > 0 else { throw .invalidArgument("FIXED_LEN_BYTE_ARRAY \(node.name) needs a length") } }
            if node.physicalType == .int96 { throw .unsupported("writing INT96") }
        }
    }

    /// "PAR1"
    public mutating func start() -> [UInt8] {
        guard !started else { return [] }
        started = true
        offset = 4
        return Array("PAR1".utf8)
    }

    /// Buffers the rows; returns the bytes of any row group they completed.
    public mutating func write(_ rows: [[ParquetValue]]) throws(ParquetError) -> [UInt8] {
        guard !finished else { throw .invalidArgument("writer already finished") }
        var out = start()
        for row in rows {
            guard row.count == plans.count else { throw .invalidArgument("row has \(row.count) values for \(plans.count) fields") }
            let marks = leaves.map(\.mark)
            do {
                for (plan, value) in zip(plans, row) { try RowShredder.shred(plan, value, def: 0, rep: 0, into: &leaves) }
            } catch {
                for i in leaves.indices { leaves[i].rollback(to: marks[i]) }
                throw error
            }
            rowsInGroup += 1
            rowCount += 1
            var total = 0
            for l in leaves { total += l.estimatedBytes }
            bufferedBytes = total
            if bufferedBytes >= options.rowGroupBytes { try flushRowGroup(into: &out) }
        }
        return out
    }

    /// The last row group and the footer.
    public mutating func finish() throws(ParquetError) -> [UInt8] {
        guard !finished else { return [] }
        var out = start()
        if rowsInGroup > 0 { try flushRowGroup(into: &out) }
        finished = true
        let footer = FooterWriter.encode(
            schema: schema, numRows: rowCount, rowGroups: rowGroups, keyValue: options.keyValueMetadata, createdBy: options.createdBy, leafCount: leaves.count)
        out.append(contentsOf: footer)
        let n = UInt32(footer.count)
        out.append(contentsOf: [UInt8(truncatingIfNeeded: n), UInt8(truncatingIfNeeded: n >> 8), UInt8(truncatingIfNeeded: n >> 16), UInt8(truncatingIfNeeded: n >> 24)])
        out.append(contentsOf: Array("PAR1".utf8))
        offset += Int64(footer.count + 8)
        return out
    }

    /// Whole-file metrics, one per leaf (valid after `finish`).
    public var columnMetrics: [ParquetColumnMetrics] {
        leaves.indices.map { i in
            let node = leaves[i].descriptor.node
            let s = fileStats[i]
            let bytes = s.encoded(node.physicalType ?? .byteArray)
            return ParquetColumnMetrics(
                path: leaves[i].descriptor.path, fieldID: node.fieldID, valueCount: fileValueCounts[i], nullCount: s.nullCount, nanCount: s.nanCount,
                compressedBytes: fileCompressed[i], min: bytes.flatMap { StatisticsDecoder.value($0.min, node) },
                max: bytes.flatMap { StatisticsDecoder.value($0.max, node) })
        }
    }

    private mutating func flushRowGroup(into out: inout [UInt8]) throws(ParquetError) {
        let groupStart = offset
        var columns: [WrittenColumnChunk] = []
        columns.reserveCapacity(leaves.count)
        for i in leaves.indices {
            let before = out.count
            let chunk = try ColumnChunkWriter.write(leaves[i], offset: offset, options: options, into: &out)
            offset += Int64(out.count - before)
            fileStats[i].merge(chunk.statistics)
            fileValueCounts[i] += chunk.numValues
            fileCompressed[i] += chunk.totalCompressed
            columns.append(chunk)
            leaves[i].reset()
        }
        rowGroups.append(FooterWriter.RowGroup(columns: columns, numRows: rowsInGroup, fileOffset: groupStart))
        rowGroupOffsets.append(groupStart)
        rowsInGroup = 0
        bufferedBytes = 0
    }
}
