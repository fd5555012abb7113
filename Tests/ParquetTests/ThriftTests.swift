import Codecs
import Testing
@testable import Parquet

@Suite struct ThriftTests {
    @Test(arguments: [Int64(0), 1, -1, 63, -64, 64, 300, -300, Int64(Int32.max), Int64(Int32.min), Int64.max, Int64.min])
    func zigzagRoundTrip(value: Int64) throws {
        var w = ThriftCompactWriter()
        w.writeZigZag(value)
        var r = ThriftCompactReader(w.bytes)
        #expect(try r.readI64() == value)
        #expect(r.remaining == 0)
    }

    /// Published compact-protocol vectors: zigzag(−1) = 1, zigzag(1) = 2, 300 = 0xAC 0x02.
    @Test func knownVarints() throws {
        var w = ThriftCompactWriter()
        w.writeZigZag(-1)
        w.writeZigZag(1)
        w.writeVarint(300)
        #expect(w.bytes == [0x01, 0x02, 0xAC, 0x02])
    }

    @Test func structWithDeltasLongIDsListsAndBools() throws {
        var w = ThriftCompactWriter()
        w.beginStruct()
        w.i32(1, -5)
        w.bool(2, true)
        w.bool(3, false)
        w.string(4, "héllo")
        w.i64(40, 1 << 40)  // delta > 15: long form
        w.i32List(41, Array(0..<20))  // long list header
        w.structField(42)
        w.i32(1, 7)
        w.endStruct()
        w.endStruct()
        #expect(w.bytes.prefix(3) == [0x15, 0x09, 0x11])

        var r = ThriftCompactReader(w.bytes)
        var last: Int16 = 0
        var seen: [Int16] = []
        while let (id, t) = try r.readFieldHeader(&last) {
            seen.append(id)
            switch id {
            case 1: #expect(try r.readI32() == -5)
            case 2: #expect(try r.boolField(t) == true)
            case 3: #expect(try r.boolField(t) == false)
            case 4: #expect(try r.readString() == "héllo")
            case 40: #expect(try r.readI64() == 1 << 40)
            case 41: #expect(try r.readI32List() == Array(0..<20))
            default: try r.skip(t)
            }
        }
        #expect(seen == [1, 2, 3, 4, 40, 41, 42])
        #expect(r.remaining == 0)
    }

    @Test func skipsUnknownFieldsOfEveryType() throws {
        // struct { 1: double, 2: map<binary,i32>{ "a": 1 }, 3: set<bool>{true,false}, 4: struct { 1: list<struct{}> }, 5: byte, 6: i16 }, then 7: i32 = 9
        var w = ThriftCompactWriter()
        w.beginStruct()
        w.fieldHeader(1, .double)
        w.bytes += [0, 0, 0, 0, 0, 0, 0xF0, 0x3F]
        w.fieldHeader(2, .map)
        w.writeVarint(1)
        w.bytes.append(ThriftType.binary.rawValue << 4 | ThriftType.i32.rawValue)
        w.rawBinary([0x61])
        w.writeZigZag(1)
        w.fieldHeader(3, .set)
        w.bytes += [0x21, 1, 2]
        w.structField(4)
        w.listHeader(1, count: 2, type: .structure)
        w.bytes += [0, 0]
        w.endStruct()
        w.fieldHeader(5, .byte)
        w.bytes.append(0x7F)
        w.fieldHeader(6, .i16)
        w.writeZigZag(-3)
        w.i32(7, 9)
        w.endStruct()
        var r = ThriftCompactReader(w.bytes)
        var last: Int16 = 0
        var found: Int32?
        while let (id, t) = try r.readFieldHeader(&last) {
            if id == 7 { found = try r.readI32() } else { try r.skip(t) }
        }
        #expect(found == 9)
    }

    @Test func malformedInputsThrow() {
        let cases: [[UInt8]] = [
            [0x15],  // i32 field without value
            [0x18, 0x05, 0x61],  // binary longer than input
            [0x19, 0xF5, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F],  // huge list count
            [0x1D],  // type 13 does not exist
            [0x16, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01],  // varint too long
            Array(repeating: 0x1C, count: 100),  // nesting deeper than the skip bound
        ]
        for bytes in cases {
            var r = ThriftCompactReader(bytes)
            #expect(throws: ParquetError.self) {
                var last: Int16 = 0
                while let (_, t) = try r.readFieldHeader(&last) { try r.skip(t) }
            }
        }
    }

    @Test func pageHeaderRoundTrip() throws {
        var h = PageHeader()
        h.type = PageType.dataPageV2.rawValue
        h.uncompressedPageSize = 1234
        h.compressedPageSize = 567
        h.dataPageV2 = DataPageHeaderV2(numValues: 10, numNulls: 2, numRows: 5, encoding: 8, definitionLevelsByteLength: 3, repetitionLevelsByteLength: 4, isCompressed: false)
        var w = ThriftCompactWriter()
        h.write(to: &w)
        var r = ThriftCompactReader(w.bytes)
        let back = try PageHeader(&r)
        #expect(back.type == 3 && back.uncompressedPageSize == 1234 && back.compressedPageSize == 567)
        #expect(back.dataPageV2?.numNulls == 2 && back.dataPageV2?.isCompressed == false && back.dataPageV2?.repetitionLevelsByteLength == 4)
    }

    @Test func footerRoundTripThroughTheWriter() throws {
        let schema = ParquetSchemaNode.group("root", .required, [
            .primitive("a", .int32, .required, logicalType: .integer(bitWidth: 16, signed: false), fieldID: 1),
            .primitive("d", .fixedLenByteArray, logicalType: .decimal(precision: 10, scale: 3), typeLength: 5, fieldID: 2),
            .primitive("t", .int64, logicalType: .time(utc: true, unit: .nanos), fieldID: 3),
            .list("l", fieldID: 4, element: .primitive("e", .byteArray, logicalType: .json)),
        ])
        var options = ParquetWriterOptions()
        options.codec = .uncompressed
        options.keyValueMetadata = ["k": "v"]
        options.createdBy = "floe test"
        var w = try ParquetWriter(schema: schema, options: options)
        var file = w.start()
        file += try w.write([[.int32(7), .decimal(unscaled: -12345, scale: 3), .time(5, .nanos), .list([.string("{}")])]])
        file += try w.finish()
        let meta = try WholeFile.metadata(file)
        #expect(meta.keyValueMetadata == ["k": "v"])
        #expect(meta.createdBy == "floe test")
        #expect(meta.numRows == 1)
        #expect(meta.schema.children.map(\.fieldID) == [1, 2, 3, 4])
        #expect(meta.schema.children[0].logicalType == .integer(bitWidth: 16, signed: false))
        #expect(meta.schema.children[0].convertedType == 12)
        #expect(meta.schema.children[1].logicalType == .decimal(precision: 10, scale: 3))
        #expect(meta.schema.children[1].typeLength == 5)
        #expect(meta.schema.children[2].logicalType == .time(utc: true, unit: .nanos))
        #expect(meta.schema.children[3].logicalType == .list)
        #expect(meta.leaves.map(\.path) == [["a"], ["d"], ["t"], ["l", "list", "element"]])
        #expect(meta.leaves[3].maxDefinitionLevel == 3 && meta.leaves[3].maxRepetitionLevel == 1)
    }
}
