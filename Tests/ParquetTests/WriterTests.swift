import Codecs
import Testing
@testable import Parquet

@Suite struct WriterTests {
    static let schema = ParquetSchemaNode.group("table", .required, [
        .primitive("id", .int64, .required, fieldID: 1),
        .primitive("name", .byteArray, logicalType: .string, fieldID: 2),
        .primitive("flag", .boolean, fieldID: 3),
        .primitive("f", .float, fieldID: 4),
        .primitive("day", .int32, logicalType: .date, fieldID: 5),
        .primitive("ts", .int64, logicalType: .timestamp(utc: true, unit: .micros), fieldID: 6),
        .primitive("dec", .fixedLenByteArray, logicalType: .decimal(precision: 20, scale: 2), typeLength: 9, fieldID: 7),
        .primitive("small", .int32, logicalType: .decimal(precision: 9, scale: 3), fieldID: 8),
        .primitive("u", .fixedLenByteArray, logicalType: .uuid, typeLength: 16, fieldID: 9),
        .list("tags", fieldID: 10, element: .primitive("element", .byteArray, logicalType: .string, fieldID: 11)),
        .map("props", fieldID: 12, key: .primitive("key", .byteArray, .required, logicalType: .string, fieldID: 13), value: .primitive("value", .int32, fieldID: 14)),
        .group("point", fieldID: 15, [
            .primitive("x", .double, .required, fieldID: 16),
            .list("zs", .required, fieldID: 17, element: .list("element", element: .primitive("element", .int32, .required, fieldID: 19))),
        ]),
        .primitive("u32", .int32, logicalType: .integer(bitWidth: 32, signed: false), fieldID: 20),
        .primitive("h", .fixedLenByteArray, logicalType: .float16, typeLength: 2, fieldID: 21),
    ])

    static func row(_ i: Int) -> [ParquetValue] {
        let nul = i % 7 == 3
        return [
            .int64(Int64(i)),
            nul ? .null : .string("name-\(i % 13)-é"),
            nul ? .null : .boolean(i % 2 == 0),
            i % 11 == 5 ? .float(.nan) : .float(Float(i) * 0.5),
            .date(Int32(18000 + i % 400)),
            .timestamp(1_700_000_000_000_000 + Int64(i) * 1_000_003, .micros, utc: true),
            .decimal(unscaled: Int128(i) * 123_456_789 * (i % 2 == 0 ? 1 : -1), scale: 2),
            .decimal(unscaled: Int128(i % 1000 - 500), scale: 3),
            .uuid((0..<16).map { UInt8(truncatingIfNeeded: $0 * 17 + i) }),
            i % 6 == 0 ? .null : .list((0..<(i % 4)).map { j in j == 1 ? .null : .string("t\(j)") }),
            i % 8 == 0 ? .null : .map((0..<(i % 3)).map { j in ParquetMapEntry(key: .string("k\(j)"), value: j == 0 ? .null : .int32(Int32(i * j))) }),
            i % 9 == 0 ? .null : .record([.double(Double(i)), .list((0..<(i % 3)).map { j in j == 1 ? .null : .list((0..<j + 1).map { .int32(Int32($0 + i)) }) })]),
            .int32(Int32(bitPattern: UInt32(truncatingIfNeeded: i) &* 2_654_435_761)),
            .float(Float(i % 50) * 0.25),
        ]
    }

    static func normalized(_ rows: [[ParquetValue]]) -> [[ParquetValue]] {
        func norm(_ v: ParquetValue) -> ParquetValue {
            if case .float(let f) = v, f.isNaN { return .string("NaN") }
            return v
        }
        return rows.map { $0.map(norm) }
    }

    static func write(_ rows: [[ParquetValue]], codec: CompressionCodec = .uncompressed, dictionary: Bool = true, maxDictionaryBytes: Int = 1 << 20,
                      rowGroupBytes: Int = 16 << 10, pageBytes: Int = 2 << 10, schema: ParquetSchemaNode = schema) throws -> (file: [UInt8], writer: ParquetWriter) {
        var options = ParquetWriterOptions()
        options.codec = codec
        options.dictionary = dictionary
        options.maxDictionaryBytes = maxDictionaryBytes
        options.rowGroupBytes = rowGroupBytes
        options.pageBytes = pageBytes
        var writer = try ParquetWriter(schema: schema, options: options)
        var file = writer.start()
        var i = 0
        while i < rows.count {
            file += try writer.write(Array(rows[i..<min(rows.count, i + 37)]))
            i += 37
        }
        file += try writer.finish()
        return (file, writer)
    }

    @Test(arguments: [CompressionCodec.uncompressed, .snappy, .gzip, .zstd, .lz4Raw, .brotli])
    func roundTripNested(codec: CompressionCodec) throws {
        guard Codec.isAvailable(codec) else { return }
        let rows = (0..<700).map(Self.row)
        let (file, writer) = try Self.write(rows, codec: codec)
        let back = try WholeFile.rows(file)
        #expect(Self.normalized(back) == Self.normalized(rows))
        let meta = try WholeFile.metadata(file)
        #expect(meta.rowGroups.count > 1)
        #expect(writer.rowCount == 700 && meta.numRows == 700)
        #expect(writer.rowGroupOffsets.first == 4)
        #expect(writer.rowGroupOffsets == meta.rowGroups.map { $0.columns[0].byteRange.lowerBound })
        #expect(meta.rowGroups.allSatisfy { $0.columns.allSatisfy { $0.codec == codec } })
    }

    @Test(arguments: [(true, 1 << 20), (true, 64), (false, 0)])
    func dictionaryAndPlainAgree(dictionary: Bool, limit: Int) throws {
        let rows = (0..<500).map(Self.row)
        let (file, _) = try Self.write(rows, dictionary: dictionary, maxDictionaryBytes: limit)
        #expect(Self.normalized(try WholeFile.rows(file)) == Self.normalized(rows))
    }

    @Test func metricsAndFooterStatistics() throws {
        let rows = (0..<300).map(Self.row)
        let (file, writer) = try Self.write(rows, rowGroupBytes: 1 << 30)
        let metrics = writer.columnMetrics
        #expect(metrics.count == 16)
        let byPath = Dictionary(uniqueKeysWithValues: metrics.map { ($0.path.joined(separator: "."), $0) })
        #expect(byPath["id"]?.min == .int64(0) && byPath["id"]?.max == .int64(299) && byPath["id"]?.fieldID == 1)
        #expect(byPath["name"]?.nullCount == 43 && byPath["name"]?.valueCount == 300)
        #expect(byPath["f"]?.nanCount == 27)
        #expect(byPath["f"]?.min == .float(-0.0) && byPath["f"]?.max == .float(149.5))
        #expect(byPath["dec"]?.min == .decimal(unscaled: -299 * 123_456_789, scale: 2))
        #expect(byPath["dec"]?.max == .decimal(unscaled: 298 * 123_456_789, scale: 2))
        #expect(byPath["small"]?.min == .decimal(unscaled: -500, scale: 3))
        #expect(byPath["day"]?.max == .date(18299))
        #expect(byPath["u32"]?.max.map { if case .int32(let v) = $0 { UInt32(bitPattern: v) > 4_000_000_000 } else { false } } == true)
        #expect(byPath["h"]?.min == nil)  // FLOAT16 has no byte order worth writing
        #expect(byPath["tags.list.element"]?.valueCount ?? 0 > 300)
        #expect(metrics.allSatisfy { $0.compressedBytes > 0 })

        let meta = try WholeFile.metadata(file)
        #expect(meta.rowGroups.count == 1)
        let stats = meta.rowGroups[0].columns.map(\.statistics)
        #expect(stats[0]?.min == .int64(0) && stats[0]?.max == .int64(299) && stats[0]?.nullCount == 0)
        #expect(stats[1]?.min == .string("name-0-é") && stats[1]?.max == .string("name-9-é"))
        #expect(stats[5]?.min == .timestamp(1_700_000_000_000_000, .micros, utc: true))
    }

    @Test func stringsOrderBytewiseUnsigned() throws {
        let schema = ParquetSchemaNode.group("t", .required, [.primitive("s", .byteArray, .required, logicalType: .string)])
        let (_, writer) = try Self.write([[.string("z")], [.string("é")], [.string("A")]], schema: schema)
        #expect(writer.columnMetrics[0].min == .string("A") && writer.columnMetrics[0].max == .string("é"))
    }

    @Test func badRowsThrowAndLeaveTheWriterUsable() throws {
        var writer = try ParquetWriter(schema: Self.schema, options: ParquetWriterOptions())
        var file = writer.start()
        file += try writer.write([Self.row(1)])
        var wrongArity = Self.row(2)
        wrongArity.removeLast()
        var nullRequired = Self.row(2)
        nullRequired[0] = .null
        var badType = Self.row(2)
        badType[11] = .record([.double(1), .string("not a list")])
        var badDecimal = Self.row(2)
        badDecimal[6] = .decimal(unscaled: Int128.max, scale: 2)
        for bad in [wrongArity, nullRequired, badType, badDecimal] {
            #expect(throws: ParquetError.self) { _ = try writer.write([bad]) }
        }
        file += try writer.write([Self.row(3)])
        file += try writer.finish()
        #expect(Self.normalized(try WholeFile.rows(file)) == Self.normalized([Self.row(1), Self.row(3)]))
    }

    @Test func emptyFileAndProjection() throws {
        let (empty, writer) = try Self.write([])
        #expect(writer.rowCount == 0 && writer.rowGroupOffsets.isEmpty)
        let meta = try WholeFile.metadata(empty)
        #expect(meta.numRows == 0 && meta.rowGroups.isEmpty && meta.leaves.count == 16)

        let rows = (0..<50).map(Self.row)
        let (file, _) = try Self.write(rows, rowGroupBytes: 1 << 30)
        let m = try WholeFile.metadata(file)
        let projection = ParquetProjection(topLevelFields: [11, 1])
        let leaves = projection.leafIndices(in: m)
        #expect(leaves == [12, 13, 1])
        var chunks: [Int: [UInt8]] = [:]
        for l in leaves {
            let r = m.rowGroups[0].columns[l].byteRange
            chunks[l] = Array(file[Int(r.lowerBound)..<Int(r.upperBound)])
        }
        let projected = try ParquetRowGroupReader.readRows(m, rowGroup: 0, projection: projection, chunks: chunks)
        #expect(projected == rows.map { [$0[11], $0[1]] })
        #expect(throws: ParquetError.self) { try ParquetRowGroupReader.readRows(m, rowGroup: 0, projection: ParquetProjection(topLevelFields: [0]), chunks: chunks) }
        #expect(throws: ParquetError.self) { try ParquetRowGroupReader.readRows(m, rowGroup: 1, projection: projection, chunks: chunks) }
    }

    @Test func invalidSchemasAndOptions() {
        #expect(throws: ParquetError.self) { try ParquetWriter(schema: .primitive("x", .int32), options: ParquetWriterOptions()) }
        #expect(throws: ParquetError.self) { try ParquetWriter(schema: .group("t", .required, [.group("g", .optional, [])]), options: ParquetWriterOptions()) }
        #expect(throws: ParquetError.self) { try ParquetWriter(schema: .group("t", .required, [.primitive("f", .fixedLenByteArray)]), options: ParquetWriterOptions()) }
        var options = ParquetWriterOptions()
        options.codec = .deflate
        #expect(throws: ParquetError.self) { try ParquetWriter(schema: .group("t", .required, [.primitive("a", .int32)]), options: options) }
    }

    @Test func limitsAreEnforcedOnRead() throws {
        let rows = (0..<200).map(Self.row)
        let (file, _) = try Self.write(rows, rowGroupBytes: 1 << 30, pageBytes: 1 << 20)
        #expect(throws: ParquetError.self) { try WholeFile.rows(file, limits: ParquetLimits(maxPageBytes: 64, maxRowGroupValues: 1 << 20)) }
        #expect(throws: ParquetError.self) { try WholeFile.rows(file, limits: ParquetLimits(maxPageBytes: 1 << 20, maxRowGroupValues: 100)) }
    }
}
