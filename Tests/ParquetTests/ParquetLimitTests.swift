import Codecs
import Testing

@testable import Parquet

/// Footers and pages that are small on the wire but that the reader must refuse or bound.
@Suite struct ParquetLimitTests {
    static func isMalformed(_ error: ParquetError?) -> Bool {
        if case .malformed? = error { return true }
        return false
    }

    static func isLimitExceeded(_ error: ParquetError?) -> Bool {
        if case .limitExceeded? = error { return true }
        return false
    }

    // MARK: - FIXED_LEN_BYTE_ARRAY length

    /// A footer without row groups whose schema is `root { leaf }`.
    static func footer(_ leaf: ParquetSchemaNode) -> [UInt8] {
        FooterWriter.encode(schema: .group("root", .required, [leaf]), numRows: 0, rowGroups: [], keyValue: [:], createdBy: "test", leafCount: 1)
    }

    @Test func fixedLenByteArrayNeedsAPositiveLength() throws {
        // A zero-width value takes no bytes, so a page could claim any number of them.
        let zero = #expect(throws: ParquetError.self) { try ParquetFooter.parse(Self.footer(.primitive("c", .fixedLenByteArray, .required, typeLength: 0))) }
        #expect(Self.isMalformed(zero), "\(String(describing: zero))")
        let missing = #expect(throws: ParquetError.self) { try ParquetFooter.parse(Self.footer(.primitive("c", .fixedLenByteArray, .required))) }
        #expect(Self.isMalformed(missing), "\(String(describing: missing))")
        let one = try ParquetFooter.parse(Self.footer(.primitive("c", .fixedLenByteArray, .required, typeLength: 1)))
        #expect(one.leaves.count == 1)
        #expect(one.leaves.first?.node.typeLength == 1)
    }

    // MARK: - Dictionary pages

    @Test func aSecondDictionaryPageIsMalformed() throws {
        var options = ParquetWriterOptions()
        options.codec = .uncompressed
        options.dictionary = true
        var writer = try ParquetWriter(schema: .group("root", .required, [.primitive("c", .int32, .required)]), options: options)
        let rows: [[ParquetValue]] = (0..<50).map { [.int32(Int32($0 % 5))] }
        var file = writer.start()
        file += try writer.write(rows)
        file += try writer.finish()
        let meta = try WholeFile.metadata(file)
        let info = meta.rowGroups[0].columns[0]
        let chunk = Array(file[Int(info.byteRange.lowerBound)..<Int(info.byteRange.upperBound)])

        // The writer's chunk: a dictionary page, then data pages.
        var r = ThriftCompactReader(chunk)
        let header = try PageHeader(&r)
        #expect(PageType(rawValue: header.type) == .dictionaryPage)
        let dictionaryPage = Array(chunk[..<(r.position + Int(header.compressedPageSize))])

        let plain = try ColumnChunkReader.read(chunk, info: info, limits: ParquetLimits())
        #expect(plain.count == 50)
        #expect(plain.values == rows.map { $0[0] })

        // The same dictionary page twice before the data pages.
        let error = #expect(throws: ParquetError.self) {
            try ColumnChunkReader.read(dictionaryPage + chunk, info: info, limits: ParquetLimits())
        }
        #expect(Self.isMalformed(error), "\(String(describing: error))")
    }

    // MARK: - DELTA_BYTE_ARRAY expansion

    static func zigZag(_ v: Int64) -> UInt64 { UInt64(bitPattern: (v << 1) ^ (v >> 63)) }

    /// DELTA_BINARY_PACKED: blocks of 128 values in 4 miniblocks of 32, only the miniblocks holding values written.
    static func deltaBinaryPacked(_ values: [Int64]) -> [UInt8] {
        var out: [UInt8] = []
        writeULEB(128, into: &out)
        writeULEB(4, into: &out)
        writeULEB(UInt64(values.count), into: &out)
        writeULEB(zigZag(values.first ?? 0), into: &out)
        let deltas = zip(values.dropFirst(), values).map { $0 - $1 }
        var blockStart = 0
        while blockStart < deltas.count {
            let block = Array(deltas[blockStart..<min(blockStart + 128, deltas.count)])
            let minDelta = block.min()!
            writeULEB(zigZag(minDelta), into: &out)
            var widths = [UInt8](repeating: 0, count: 4)
            var data: [UInt8] = []
            for m in 0..<4 where m * 32 < block.count {
                var mini = block[(m * 32)..<min(m * 32 + 32, block.count)].map { UInt64($0 - minDelta) }
                mini += [UInt64](repeating: 0, count: 32 - mini.count)
                let width = mini.map { 64 - $0.leadingZeroBitCount }.max()!
                widths[m] = UInt8(width)
                var packed = [UInt8](repeating: 0, count: 32 * width / 8)
                for (j, v) in mini.enumerated() {
                    for bit in 0..<width where (v >> UInt64(bit)) & 1 == 1 {
                        let at = j * width + bit
                        packed[at / 8] |= UInt8(1) << UInt8(at % 8)
                    }
                }
                data += packed
            }
            out += widths
            out += data
            blockStart += 128
        }
        return out
    }

    static func deltaByteArray(prefixes: [Int], suffixes: [Int], data: [UInt8]) -> [UInt8] {
        deltaBinaryPacked(prefixes.map { Int64($0) }) + deltaBinaryPacked(suffixes.map { Int64($0) }) + data
    }

    static func decodeDeltaByteArray(_ page: [UInt8], count: Int) throws(ParquetError) -> [ParquetValue] {
        var out: [ParquetValue] = []
        try withBytes(page) { (b) throws(ParquetError) in
            try ValueDecoding.decode(
                Encoding.deltaByteArray.rawValue, b, start: 0, end: b.count, count: count,
                type: ColumnType(.primitive("c", .byteArray, .required)), dictionary: nil, into: &out)
        }
        return out
    }

    @Test func deltaByteArrayExpansionIsBoundedPerPage() throws {
        // Value 0 is 64 KiB; values 1...99 repeat it whole through their prefix (6.25 MiB produced
        // from a few hundred bytes); value 100 then claims a suffix of the limit less 4 MiB.
        // The suffixes alone stay under the limit, so only counting the re-used prefixes passes it;
        // the page's bound is checked before the suffix is looked for, so nothing near the limit is allocated.
        let long = 64 << 10
        let repeats = 99
        let last = DeltaDecoding.maxExpandedPageBytes - (4 << 20)
        #expect(long + last <= DeltaDecoding.maxExpandedPageBytes)
        #expect(long * (repeats + 1) + last > DeltaDecoding.maxExpandedPageBytes)
        let prefixes = [0] + Array(repeating: long, count: repeats) + [0]
        let data = [UInt8](repeating: 0x41, count: long)
        let page = Self.deltaByteArray(prefixes: prefixes, suffixes: [long] + Array(repeating: 0, count: repeats) + [last], data: data)
        let error = #expect(throws: ParquetError.self) { try Self.decodeDeltaByteArray(page, count: repeats + 2) }
        #expect(Self.isLimitExceeded(error), "\(String(describing: error))")

        // The same page with a last value that is there decodes.
        let fine = Self.deltaByteArray(prefixes: prefixes, suffixes: [long] + Array(repeating: 0, count: repeats) + [1], data: data + [0x42])
        let values = try Self.decodeDeltaByteArray(fine, count: repeats + 2)
        #expect(values.count == repeats + 2)
        #expect(values.dropLast().allSatisfy { $0 == .binary(data) })
        #expect(values.last == .binary([0x42]))
    }

    // MARK: - One value budget per row group

    @Test func rowGroupValueBudgetCoversEveryProjectedLeaf() throws {
        var options = ParquetWriterOptions()
        options.codec = .uncompressed
        options.rowGroupBytes = 16 << 20
        let schema = ParquetSchemaNode.group("root", .required, [
            .primitive("a", .int64, .required), .primitive("b", .int64, .required), .primitive("c", .int64, .required),
        ])
        var writer = try ParquetWriter(schema: schema, options: options)
        let rows: [[ParquetValue]] = (0..<1000).map { i in [.int64(Int64(i)), .int64(Int64(2 * i)), .int64(Int64(3 * i))] }
        var file = writer.start()
        file += try writer.write(rows)
        file += try writer.finish()
        let meta = try WholeFile.metadata(file)
        #expect(meta.rowGroups.count == 1)
        var chunks: [Int: [UInt8]] = [:]
        for (i, c) in meta.rowGroups[0].columns.enumerated() {
            chunks[i] = Array(file[Int(c.byteRange.lowerBound)..<Int(c.byteRange.upperBound)])
        }
        let tight = ParquetLimits(maxPageBytes: 1 << 20, maxRowGroupValues: 2_500)

        // Every column alone, and any two, fit in 2,500 values; all three (3,000) do not.
        for field in 0..<3 {
            let one = try ParquetRowGroupReader.readRows(meta, rowGroup: 0, projection: ParquetProjection(topLevelFields: [field]), chunks: chunks, limits: tight)
            #expect(one == rows.map { [$0[field]] })
        }
        let two = try ParquetRowGroupReader.readRows(meta, rowGroup: 0, projection: ParquetProjection(topLevelFields: [0, 2]), chunks: chunks, limits: tight)
        #expect(two.count == 1000)
        let error = #expect(throws: ParquetError.self) { try WholeFile.rows(file, limits: tight) }
        #expect(Self.isLimitExceeded(error), "\(String(describing: error))")

        #expect(try WholeFile.rows(file, limits: ParquetLimits(maxPageBytes: 1 << 20, maxRowGroupValues: 3_000)) == rows)
    }
}
