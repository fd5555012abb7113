import Codecs

public enum ParquetFooter {
    /// 4-byte LE length + "PAR1"
    public static let trailerLength = 8

    /// The footer's metadata length from the file's last 8 bytes; validates the magic.
    public static func metadataLength(trailer: [UInt8]) throws(ParquetError) -> Int {
        guard trailer.count >= 8 else { throw .malformed("trailer shorter than 8 bytes") }
        let t = trailer.suffix(8)
        let s = t.startIndex
        if Array(t[(s + 4)...]) == Array("PARE".utf8) { throw .unsupported("encrypted footer") }
        guard Array(t[(s + 4)...]) == Array("PAR1".utf8) else { throw .malformed("missing PAR1 magic") }
        let n = UInt32(t[s]) | UInt32(t[s + 1]) << 8 | UInt32(t[s + 2]) << 16 | UInt32(t[s + 3]) << 24
        return Int(n)
    }

    public static func parse(_ metadataBytes: [UInt8]) throws(ParquetError) -> ParquetFileMetadata {
        var r = ThriftCompactReader(metadataBytes)
        let raw = try RawFileMetaData(&r)
        return try raw.resolve()
    }
}

struct RawSchemaElement {
    var type: Int32?
    var typeLength: Int32?
    var repetition: Int32?
    var name = ""
    var numChildren: Int32?
    var convertedType: Int32?
    var scale: Int32?
    var precision: Int32?
    var fieldID: Int32?
    var logicalType: LogicalType?

    init(_ r: inout ThriftCompactReader) throws(ParquetError) {
        var last: Int16 = 0
        while let (id, t) = try r.readFieldHeader(&last) {
            switch (id, t) {
            case (1, .i32): type = try r.readI32()
            case (2, .i32): typeLength = try r.readI32()
            case (3, .i32): repetition = try r.readI32()
            case (4, .binary): name = try r.readString()
            case (5, .i32): numChildren = try r.readI32()
            case (6, .i32): convertedType = try r.readI32()
            case (7, .i32): scale = try r.readI32()
            case (8, .i32): precision = try r.readI32()
            case (9, .i32): fieldID = try r.readI32()
            case (10, .structure): logicalType = try Self.readLogicalType(&r)
            default: try r.skip(t)
            }
        }
    }

    static func readTimeUnit(_ r: inout ThriftCompactReader) throws(ParquetError) -> TimeUnit? {
        var last: Int16 = 0
        var unit: TimeUnit?
        while let (id, t) = try r.readFieldHeader(&last) {
            switch (id, t) {
            case (1, .structure): unit = .millis
            case (2, .structure): unit = .micros
            case (3, .structure): unit = .nanos
            default: break
            }
            try r.skip(t)
        }
        return unit
    }

    static func readLogicalType(_ r: inout ThriftCompactReader) throws(ParquetError) -> LogicalType? {
        var last: Int16 = 0
        var result: LogicalType?
        while let (id, t) = try r.readFieldHeader(&last) {
            guard t == .structure else {
                try r.skip(t)
                continue
            }
            switch id {
            case 1: result = .string
            case 2: result = .map
            case 3: result = .list
            case 4: result = .enumeration
            case 6: result = .date
            case 11: result = .unknown
            case 12: result = .json
            case 13: result = .bson
            case 14: result = .uuid
            case 15: result = .float16
            case 5:
                var scale: Int32 = 0
                var precision: Int32 = 0
                var l: Int16 = 0
                while let (fid, ft) = try r.readFieldHeader(&l) {
                    switch (fid, ft) {
                    case (1, .i32): scale = try r.readI32()
                    case (2, .i32): precision = try r.readI32()
                    default: try r.skip(ft)
                    }
                }
                result = .decimal(precision: precision, scale: scale)
                continue
            case 7, 8:
                var utc = false
                var unit: TimeUnit?
                var l: Int16 = 0
                while let (fid, ft) = try r.readFieldHeader(&l) {
                    switch (fid, ft) {
                    case (1, .boolTrue), (1, .boolFalse): utc = try r.boolField(ft)
                    case (2, .structure): unit = try readTimeUnit(&r)
                    default: try r.skip(ft)
                    }
                }
                if let unit { result = id == 7 ? .time(utc: utc, unit: unit) : .timestamp(utc: utc, unit: unit) }
                continue
            case 10:
                var bits: Int8 = 0
                var signed = true
                var l: Int16 = 0
                while let (fid, ft) = try r.readFieldHeader(&l) {
                    switch (fid, ft) {
                    case (1, .byte): bits = Int8(bitPattern: try r.readByte())
                    case (2, .boolTrue), (2, .boolFalse): signed = try r.boolField(ft)
                    default: try r.skip(ft)
                    }
                }
                result = .integer(bitWidth: bits, signed: signed)
                continue
            default: result = nil
            }
            try r.skipStruct()
        }
        return result
    }
}

struct RawStatistics {
    var max: [UInt8]?
    var min: [UInt8]?
    var nullCount: Int64?
    var distinctCount: Int64?
    var maxValue: [UInt8]?
    var minValue: [UInt8]?

    init(_ r: inout ThriftCompactReader) throws(ParquetError) {
        var last: Int16 = 0
        while let (id, t) = try r.readFieldHeader(&last) {
            switch (id, t) {
            case (1, .binary): max = try r.readBinary()
            case (2, .binary): min = try r.readBinary()
            case (3, .i64): nullCount = try r.readI64()
            case (4, .i64): distinctCount = try r.readI64()
            case (5, .binary): maxValue = try r.readBinary()
            case (6, .binary): minValue = try r.readBinary()
            default: try r.skip(t)
            }
        }
    }
}

struct RawColumnMetaData {
    var type: Int32 = -1
    var path: [String] = []
    var codec: Int32 = 0
    var numValues: Int64 = 0
    var totalUncompressed: Int64 = 0
    var totalCompressed: Int64 = 0
    var dataPageOffset: Int64 = 0
    var dictionaryPageOffset: Int64?
    var statistics: RawStatistics?

    init(_ r: inout ThriftCompactReader) throws(ParquetError) {
        var last: Int16 = 0
        while let (id, t) = try r.readFieldHeader(&last) {
            switch (id, t) {
            case (1, .i32): type = try r.readI32()
            case (3, .list): path = try r.readStringList()
            case (4, .i32): codec = try r.readI32()
            case (5, .i64): numValues = try r.readI64()
            case (6, .i64): totalUncompressed = try r.readI64()
            case (7, .i64): totalCompressed = try r.readI64()
            case (9, .i64): dataPageOffset = try r.readI64()
            case (11, .i64): dictionaryPageOffset = try r.readI64()
            case (12, .structure): statistics = try RawStatistics(&r)
            default: try r.skip(t)
            }
        }
    }
}

struct RawRowGroup {
    var columns: [RawColumnMetaData?] = []
    var numRows: Int64 = 0

    init(_ r: inout ThriftCompactReader) throws(ParquetError) {
        var last: Int16 = 0
        while let (id, t) = try r.readFieldHeader(&last) {
            switch (id, t) {
            case (1, .list):
                let (count, et) = try r.readListHeader()
                try r.expect(et, .structure)
                columns.reserveCapacity(count)
                for _ in 0..<count {
                    var meta: RawColumnMetaData?
                    var l: Int16 = 0
                    while let (cid, ct) = try r.readFieldHeader(&l) {
                        if cid == 3, ct == .structure { meta = try RawColumnMetaData(&r) } else { try r.skip(ct) }
                    }
                    columns.append(meta)
                }
            case (3, .i64): numRows = try r.readI64()
            default: try r.skip(t)
            }
        }
    }
}

struct RawFileMetaData {
    var schema: [RawSchemaElement] = []
    var numRows: Int64 = 0
    var rowGroups: [RawRowGroup] = []
    var keyValue: [String: String] = [:]
    var createdBy: String?

    init(_ r: inout ThriftCompactReader) throws(ParquetError) {
        var last: Int16 = 0
        while let (id, t) = try r.readFieldHeader(&last) {
            switch (id, t) {
            case (2, .list):
                let (count, et) = try r.readListHeader()
                try r.expect(et, .structure)
                schema.reserveCapacity(count)
                for _ in 0..<count { schema.append(try RawSchemaElement(&r)) }
            case (3, .i64): numRows = try r.readI64()
            case (4, .list):
                let (count, et) = try r.readListHeader()
                try r.expect(et, .structure)
                rowGroups.reserveCapacity(count)
                for _ in 0..<count { rowGroups.append(try RawRowGroup(&r)) }
            case (5, .list):
                let (count, et) = try r.readListHeader()
                try r.expect(et, .structure)
                for _ in 0..<count {
                    var key = ""
                    var value = ""
                    var l: Int16 = 0
                    while let (kid, kt) = try r.readFieldHeader(&l) {
                        switch (kid, kt) {
                        case (1, .binary): key = try r.readString()
                        case (2, .binary): value = try r.readString()
                        default: try r.skip(kt)
                        }
                    }
                    keyValue[key] = value
                }
            case (6, .binary): createdBy = try r.readString()
            default: try r.skip(t)
            }
        }
    }

    func resolve() throws(ParquetError) -> ParquetFileMetadata {
        guard !schema.isEmpty else { throw .malformed("empty schema") }
        var index = 0
        let root = try Self.buildNode(schema, &index, depth: 0, isRoot: true)
        guard index == schema.count else { throw .malformed("schema has elements outside the tree") }
        guard root.isGroup else { throw .malformed("schema root is not a group") }
        var leaves: [ParquetColumnDescriptor] = []
        root.collectLeaves(path: [], def: 0, rep: 0, into: &leaves)
        guard numRows >= 0 else { throw .malformed("negative row count") }

        var groups: [ParquetRowGroupInfo] = []
        groups.reserveCapacity(rowGroups.count)
        for rg in rowGroups {
            guard rg.columns.count == leaves.count else { throw .malformed("row group has \(rg.columns.count) columns for \(leaves.count) leaves") }
            guard rg.numRows >= 0 else { throw .malformed("negative row group row count") }
            var columns: [ParquetColumnChunkInfo] = []
            columns.reserveCapacity(leaves.count)
            for (leaf, meta) in zip(leaves, rg.columns) {
                guard let meta else { throw .unsupported("column chunk without metadata (encrypted?)") }
                guard meta.type == leaf.node.physicalType?.rawValue else { throw .malformed("column chunk type differs from schema") }
                var start = meta.dataPageOffset
                if let d = meta.dictionaryPageOffset, d > 0, d < start { start = d }
                guard start >= 0, meta.totalCompressed >= 0, meta.numValues >= 0 else { throw .malformed("negative column chunk offsets") }
                let (end, overflow) = start.addingReportingOverflow(meta.totalCompressed)
                guard !overflow else { throw .malformed("column chunk range overflows") }
                columns.append(ParquetColumnChunkInfo(
                    descriptor: leaf, codec: try Self.codec(meta.codec), numValues: meta.numValues, byteRange: start..<end,
                    totalUncompressedSize: meta.totalUncompressed, statistics: meta.statistics.map { StatisticsDecoder.decode($0, leaf.node) }))
            }
            groups.append(ParquetRowGroupInfo(numRows: rg.numRows, columns: columns))
        }
        return ParquetFileMetadata(schema: root, leaves: leaves, numRows: numRows, rowGroups: groups, keyValueMetadata: keyValue, createdBy: createdBy)
    }

    static func codec(_ id: Int32) throws(ParquetError) -> CompressionCodec {
        switch id {
        case 0: return .uncompressed
        case 1: return .snappy
        case 2: return .gzip
        case 4: return .brotli
        case 5: return .lz4Hadoop
        case 6: return .zstd
        case 7: return .lz4Raw
        case 3: throw .unsupported("LZO compression")
        default: throw .malformed("unknown compression codec \(id)")
        }
    }

    static func buildNode(_ elements: [RawSchemaElement], _ index: inout Int, depth: Int, isRoot: Bool) throws(ParquetError) -> ParquetSchemaNode {
        guard depth <= SchemaLimits.maxDepth else { throw .unsupported("schema nested deeper than \(SchemaLimits.maxDepth)") }
        guard index < elements.count else { throw .malformed("schema ends early") }
        let e = elements[index]
        index += 1
        let repetition: Repetition
        if let r = e.repetition {
            guard let rr = Repetition(rawValue: r) else { throw .malformed("bad repetition \(r)") }
            repetition = isRoot ? .required : rr
        } else {
            repetition = .required
        }
        var node = ParquetSchemaNode(name: e.name, repetition: repetition)
        node.fieldID = e.fieldID
        node.convertedType = e.convertedType
        node.precision = e.precision
        node.scale = e.scale
        node.typeLength = e.typeLength
        if let converted = e.convertedType, converted == 5, e.logicalType == nil {
            node.logicalType = .decimal(precision: e.precision ?? 0, scale: e.scale ?? 0)
        } else {
            node.logicalType = e.logicalType ?? e.convertedType.flatMap { LogicalType.fromConverted($0, precision: e.precision, scale: e.scale) }
        }
        if case .decimal(let p, let s)? = node.logicalType {
            node.precision = p
            node.scale = s
        }
        let childCount = e.numChildren ?? 0
        if isRoot || childCount > 0 || e.type == nil {
            guard childCount >= 0, Int(childCount) <= elements.count - index else { throw .malformed("bad num_children") }
            if !isRoot && childCount == 0 { throw .malformed("group without children") }
            node.children.reserveCapacity(Int(childCount))
            for _ in 0..<Int(childCount) { node.children.append(try buildNode(elements, &index, depth: depth + 1, isRoot: false)) }
        } else {
            guard let t = e.type, let pt = PhysicalType(rawValue: t) else { throw .malformed("bad physical type") }
            node.physicalType = pt
            if pt == .fixedLenByteArray {
                guard let len = e.typeLength, len > 0 else { throw .malformed("FIXED_LEN_BYTE_ARRAY without a positive length") }
                node.typeLength = len
            }
        }
        return node
    }
}
