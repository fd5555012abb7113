/// Serializes FileMetaData for the writer.
enum FooterWriter {
    struct RowGroup {
        var columns: [WrittenColumnChunk]
        var numRows: Int64
        var fileOffset: Int64
    }

    static func encode(schema: ParquetSchemaNode, numRows: Int64, rowGroups: [RowGroup], keyValue: [String: String], createdBy: String, leafCount: Int) -> [UInt8] {
        var w = ThriftCompactWriter()
        w.beginStruct()
        w.i32(1, 1)
        var elements: [ParquetSchemaNode] = []
        flatten(schema, into: &elements)
        w.listHeader(2, count: elements.count, type: .structure)
        for (i, e) in elements.enumerated() { writeSchemaElement(e, isRoot: i == 0, &w) }
        w.i64(3, numRows)
        w.listHeader(4, count: rowGroups.count, type: .structure)
        for (ordinal, rg) in rowGroups.enumerated() {
            w.beginStruct()
            w.listHeader(1, count: rg.columns.count, type: .structure)
            var totalUncompressed: Int64 = 0
            var totalCompressed: Int64 = 0
            for c in rg.columns {
                totalUncompressed += c.totalUncompressed
                totalCompressed += c.totalCompressed
                w.beginStruct()
                w.i64(2, c.dictionaryPageOffset ?? c.dataPageOffset)
                w.structField(3)
                writeColumnMetaData(c, &w)
                w.endStruct()
                w.endStruct()
            }
            w.i64(2, totalUncompressed)
            w.i64(3, rg.numRows)
            w.i64(5, rg.fileOffset)
            w.i64(6, totalCompressed)
            w.fieldHeader(7, .i16)
            w.writeZigZag(Int64(Int16(clamping: ordinal)))
            w.endStruct()
        }
        if !keyValue.isEmpty {
            w.listHeader(5, count: keyValue.count, type: .structure)
            for (k, v) in keyValue.sorted(by: { $0.key < $1.key }) {
                w.beginStruct()
                w.string(1, k)
                w.string(2, v)
                w.endStruct()
            }
        }
        w.string(6, createdBy)
        w.listHeader(7, count: leafCount, type: .structure)
        for _ in 0..<leafCount {
            w.beginStruct()
            w.emptyStructField(1)
            w.endStruct()
        }
        w.endStruct()
        return w.bytes
    }

    static func flatten(_ node: ParquetSchemaNode, into out: inout [ParquetSchemaNode]) {
        out.append(node)
        for c in node.children { flatten(c, into: &out) }
    }

    static func writeColumnMetaData(_ c: WrittenColumnChunk, _ w: inout ThriftCompactWriter) {
        w.i32(1, c.physical.rawValue)
        w.i32List(2, c.encodings)
        w.stringList(3, c.path)
        w.i32(4, c.codecID)
        w.i64(5, c.numValues)
        w.i64(6, c.totalUncompressed)
        w.i64(7, c.totalCompressed)
        w.i64(9, c.dataPageOffset)
        if let d = c.dictionaryPageOffset { w.i64(11, d) }
        w.structField(12)
        if let s = c.statisticsBytes, c.statistics.order == .signed || c.statistics.order == .boolean {
            w.binary(1, s.max)
            w.binary(2, s.min)
        }
        w.i64(3, c.statistics.nullCount)
        if let s = c.statisticsBytes {
            w.binary(5, s.max)
            w.binary(6, s.min)
        }
        if c.statistics.order == .floating { w.i64(9, c.statistics.nanCount) }
        w.endStruct()
    }

    static func writeSchemaElement(_ n: ParquetSchemaNode, isRoot: Bool, _ w: inout ThriftCompactWriter) {
        w.beginStruct()
        if let t = n.physicalType { w.i32(1, t.rawValue) }
        if let l = n.typeLength, n.physicalType == .fixedLenByteArray { w.i32(2, l) }
        if !isRoot { w.i32(3, n.repetition.rawValue) }
        w.string(4, n.name)
        if n.isGroup { w.i32(5, Int32(n.children.count)) }
        if let ct = n.convertedType ?? n.logicalType?.convertedType { w.i32(6, ct) }
        var scale = n.scale
        var precision = n.precision
        if case .decimal(let p, let s)? = n.logicalType {
            scale = s
            precision = p
        }
        if n.logicalType.map({ if case .decimal = $0 { return true } else { return false } }) == true || n.convertedType == 5 {
            if let scale { w.i32(7, scale) }
            if let precision { w.i32(8, precision) }
        }
        if let id = n.fieldID { w.i32(9, id) }
        if let lt = n.logicalType { writeLogicalType(lt, &w) }
        w.endStruct()
    }

    static func writeLogicalType(_ t: LogicalType, _ w: inout ThriftCompactWriter) {
        w.structField(10)
        func unit(_ u: TimeUnit) {
            w.structField(2)
            switch u {
            case .millis: w.emptyStructField(1)
            case .micros: w.emptyStructField(2)
            case .nanos: w.emptyStructField(3)
            }
            w.endStruct()
        }
        switch t {
        case .string: w.emptyStructField(1)
        case .map: w.emptyStructField(2)
        case .list: w.emptyStructField(3)
        case .enumeration: w.emptyStructField(4)
        case .decimal(let p, let s):
            w.structField(5)
            w.i32(1, s)
            w.i32(2, p)
            w.endStruct()
        case .date: w.emptyStructField(6)
        case .time(let utc, let u):
            w.structField(7)
            w.bool(1, utc)
            unit(u)
            w.endStruct()
        case .timestamp(let utc, let u):
            w.structField(8)
            w.bool(1, utc)
            unit(u)
            w.endStruct()
        case .integer(let bits, let signed):
            w.structField(10)
            w.i8(1, bits)
            w.bool(2, signed)
            w.endStruct()
        case .unknown: w.emptyStructField(11)
        case .json: w.emptyStructField(12)
        case .bson: w.emptyStructField(13)
        case .uuid: w.emptyStructField(14)
        case .float16: w.emptyStructField(15)
        }
        w.endStruct()
    }
}
