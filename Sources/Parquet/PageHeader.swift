enum PageType: Int32 { case dataPage = 0, indexPage = 1, dictionaryPage = 2, dataPageV2 = 3 }

enum Encoding: Int32 {
    case plain = 0, plainDictionary = 2, rle = 3, bitPacked = 4, deltaBinaryPacked = 5, deltaLengthByteArray = 6
    case deltaByteArray = 7, rleDictionary = 8, byteStreamSplit = 9
}

struct DataPageHeader {
    var numValues: Int32 = 0
    var encoding: Int32 = 0
    var definitionLevelEncoding: Int32 = 3
    var repetitionLevelEncoding: Int32 = 3
}

struct DataPageHeaderV2 {
    var numValues: Int32 = 0
    var numNulls: Int32 = 0
    var numRows: Int32 = 0
    var encoding: Int32 = 0
    var definitionLevelsByteLength: Int32 = 0
    var repetitionLevelsByteLength: Int32 = 0
    var isCompressed = true
}

struct DictionaryPageHeader {
    var numValues: Int32 = 0
    var encoding: Int32 = 0
}

struct PageHeader {
    var type: Int32 = -1
    var uncompressedPageSize: Int32 = 0
    var compressedPageSize: Int32 = 0
    var dataPage: DataPageHeader?
    var dictionaryPage: DictionaryPageHeader?
    var dataPageV2: DataPageHeaderV2?

    init() {}

    init(_ r: inout ThriftCompactReader) throws(ParquetError) {
        var last: Int16 = 0
        while let (id, t) = try r.readFieldHeader(&last) {
            switch (id, t) {
            case (1, .i32): type = try r.readI32()
            case (2, .i32): uncompressedPageSize = try r.readI32()
            case (3, .i32): compressedPageSize = try r.readI32()
            case (5, .structure):
                var h = DataPageHeader()
                var l: Int16 = 0
                while let (fid, ft) = try r.readFieldHeader(&l) {
                    switch (fid, ft) {
                    case (1, .i32): h.numValues = try r.readI32()
                    case (2, .i32): h.encoding = try r.readI32()
                    case (3, .i32): h.definitionLevelEncoding = try r.readI32()
                    case (4, .i32): h.repetitionLevelEncoding = try r.readI32()
                    default: try r.skip(ft)
                    }
                }
                dataPage = h
            case (7, .structure):
                var h = DictionaryPageHeader()
                var l: Int16 = 0
                while let (fid, ft) = try r.readFieldHeader(&l) {
                    switch (fid, ft) {
                    case (1, .i32): h.numValues = try r.readI32()
                    case (2, .i32): h.encoding = try r.readI32()
                    default: try r.skip(ft)
                    }
                }
                dictionaryPage = h
            case (8, .structure):
                var h = DataPageHeaderV2()
                var l: Int16 = 0
                while let (fid, ft) = try r.readFieldHeader(&l) {
                    switch (fid, ft) {
                    case (1, .i32): h.numValues = try r.readI32()
                    case (2, .i32): h.numNulls = try r.readI32()
                    case (3, .i32): h.numRows = try r.readI32()
                    case (4, .i32): h.encoding = try r.readI32()
                    case (5, .i32): h.definitionLevelsByteLength = try r.readI32()
                    case (6, .i32): h.repetitionLevelsByteLength = try r.readI32()
                    case (7, .boolTrue), (7, .boolFalse): h.isCompressed = try r.boolField(ft)
                    default: try r.skip(ft)
                    }
                }
                dataPageV2 = h
            default: try r.skip(t)
            }
        }
    }

    func write(to w: inout ThriftCompactWriter) {
        w.beginStruct()
        w.i32(1, type)
        w.i32(2, uncompressedPageSize)
        w.i32(3, compressedPageSize)
        if let h = dataPage {
            w.structField(5)
            w.i32(1, h.numValues)
            w.i32(2, h.encoding)
            w.i32(3, h.definitionLevelEncoding)
            w.i32(4, h.repetitionLevelEncoding)
            w.endStruct()
        }
        if let h = dictionaryPage {
            w.structField(7)
            w.i32(1, h.numValues)
            w.i32(2, h.encoding)
            w.endStruct()
        }
        if let h = dataPageV2 {
            w.structField(8)
            w.i32(1, h.numValues)
            w.i32(2, h.numNulls)
            w.i32(3, h.numRows)
            w.i32(4, h.encoding)
            w.i32(5, h.definitionLevelsByteLength)
            w.i32(6, h.repetitionLevelsByteLength)
            w.bool(7, h.isCompressed)
            w.endStruct()
        }
        w.endStruct()
    }
}
