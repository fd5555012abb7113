import Codecs
import Testing
@testable import Parquet

/// Files of apache/parquet-testing decoded and compared with pyarrow's reading of the same files: row counts and an
/// FNV-1a hash of the rendering (see `Rendering`), generated with pyarrow's `read_table` through the same rendering.
@Suite struct CorpusTests {
    static let expected: [(String, Int, UInt64)] = [
        ("alltypes_dictionary.parquet", 2, 0x217f9e44ed2a2d05),
        ("alltypes_plain.parquet", 8, 0x750b417a1aa9b139),
        ("alltypes_plain.snappy.parquet", 2, 0xa5525988dc9a6711),
        ("alltypes_tiny_pages.parquet", 7300, 0xf1627429559f0f41),
        ("alltypes_tiny_pages_plain.parquet", 7300, 0xf1627429559f0f41),
        ("binary.parquet", 12, 0x169fd6a3cd363355),
        ("binary_truncated_min_max.parquet", 12, 0x3e51ab2a5474fe4e),
        ("byte_array_decimal.parquet", 24, 0xd4775e3d0ce10cdd),
        ("byte_stream_split.zstd.parquet", 300, 0x39e6765fb4e10bbb),
        ("byte_stream_split_extended.gzip.parquet", 200, 0x2d6b4893aa816bbb),
        ("column_chunk_key_value_metadata.parquet", 0, 0xcbf29ce484222325),
        ("concatenated_gzip_members.parquet", 513, 0xa17c147f06875890),
        ("data_index_bloom_encoding_stats.parquet", 14, 0x828cebb5f29488fa),
        ("data_index_bloom_encoding_with_length.parquet", 14, 0x828cebb5f29488fa),
        ("datapage_v1-corrupt-checksum.parquet", 5120, 0xa82fe28df1716346),
        ("datapage_v1-snappy-compressed-checksum.parquet", 5120, 0x2b03de81b4dcb155),
        ("datapage_v1-uncompressed-checksum.parquet", 5120, 0x2b03de81b4dcb155),
        ("datapage_v2.snappy.parquet", 5, 0xaba586b666827977),
        ("datapage_v2_empty_datapage.snappy.parquet", 1, 0x2ab8369a31422c6a),
        ("delta_binary_packed.parquet", 200, 0x86c77a284d42b81c),
        ("delta_byte_array.parquet", 1000, 0x4d21d76191cc9e12),
        ("delta_encoding_optional_column.parquet", 100, 0x684bea8303194f29),
        ("delta_encoding_required_column.parquet", 100, 0x296e2feb3545b975),
        ("delta_length_byte_array.parquet", 1000, 0xd6d94d3ff5835f6c),
        ("dict-page-offset-zero.parquet", 39, 0xd106a3534a814f80),
        ("fixed_length_byte_array.parquet", 1000, 0x63d60d819e9cd7d6),
        ("fixed_length_decimal.parquet", 24, 0xd4775e3d0ce10cdd),
        ("fixed_length_decimal_legacy.parquet", 24, 0xd4775e3d0ce10cdd),
        ("float16_nonzeros_and_nans.parquet", 8, 0x18fcacae28117f5e),
        ("float16_zeros_and_nans.parquet", 3, 0xb9861b92055027f7),
        ("floating_orders_nan_count.parquet", 50, 0x57067428e47a7089),
        ("hadoop_lz4_compressed.parquet", 4, 0xeeb5b6a682d74d2b),
        ("hadoop_lz4_compressed_larger.parquet", 10000, 0x3c0cb79bf9718ea8),
        ("int32_decimal.parquet", 24, 0xd4775e3d0ce10cdd),
        ("int32_with_null_pages.parquet", 1000, 0xe8d34e6fd52c824e),
        ("int64_decimal.parquet", 24, 0xd4775e3d0ce10cdd),
        ("int96_from_spark.parquet", 6, 0x801ad6972af00fcd),
        ("list_columns.parquet", 3, 0x3b31e0ba372bb6c8),
        ("lz4_raw_compressed.parquet", 4, 0xeeb5b6a682d74d2b),
        ("lz4_raw_compressed_larger.parquet", 10000, 0x3c0cb79bf9718ea8),
        ("nan_in_stats.parquet", 2, 0x02035623e068addd),
        ("nested_lists.snappy.parquet", 3, 0x8911baa7835dc78c),
        ("nested_maps.snappy.parquet", 6, 0xb6e25eff7be62e9c),
        ("nested_structs.rust.parquet", 1, 0xee3233e6b757448a),
        ("non_hadoop_lz4_compressed.parquet", 4, 0xeeb5b6a682d74d2b),
        ("nonnullable.impala.parquet", 1, 0x042eb2873bc4a453),
        ("null_list.parquet", 1, 0xdcd1cd1a2138b85d),
        ("nullable.impala.parquet", 7, 0x0f130cdfd182ed86),
        ("nulls.snappy.parquet", 8, 0x9ba8ed338dc01125),
        ("old_list_structure.parquet", 1, 0x3c6669ee6e00252d),
        ("overflow_i16_page_cnt.parquet", 40000, 0xa7c7d6f5e238a125),
        ("page_v2_empty_compressed.parquet", 10, 0x6ea77f91c0f0354b),
        ("plain-dict-uncompressed-checksum.parquet", 1000, 0xc55a627f01d6d9bd),
        ("repeated_no_annotation.parquet", 6, 0xc04c27575040e341),
        ("repeated_primitive_no_list.parquet", 4, 0xa7e9a8f6dab1f3f7),
        ("rle-dict-snappy-checksum.parquet", 1000, 0x6248a0304cd8be25),
        ("rle-dict-uncompressed-corrupt-checksum.parquet", 1000, 0x22d5608392c4ef8d),
        ("rle_boolean_encoding.parquet", 68, 0x23c228e57a9f7b71),
        ("single_nan.parquet", 1, 0x2ab8369a31422c6a),
        ("sort_columns.parquet", 6, 0x724ba83914dd7abd),
        ("unknown-logical-type.parquet", 3, 0x693e42757669cd51),
    ]

    @Test(arguments: expected.indices)
    func decodesLikePyarrow(index: Int) throws {
        let (name, rowCount, hash) = Self.expected[index]
        guard let file = Corpus.file("data", name) else { return }
        let meta = try WholeFile.metadata(file)
        if meta.rowGroups.flatMap(\.columns).contains(where: { !Codec.isAvailable($0.codec) }) { return }
        let rows = try WholeFile.rows(file)
        #expect(rows.count == rowCount, "\(name)")
        #expect(Rendering.fnv(Rendering.rows(rows)) == hash, "\(name)")
    }

    /// Files pyarrow reads differently or not at all, and the files our reader refuses on purpose.
    @Test func documentedDifferences() throws {
        // A MAP whose key_value group has only a key: pyarrow reads a list of keys, we read a map with null values.
        if let file = Corpus.file("data", "map_no_value.parquet") {
            let rows = try WholeFile.rows(file)
            #expect(rows.count == 3)
            #expect(rows.first?[1] == .map([1, 2, 3].map { ParquetMapEntry(key: .int32($0), value: .null) }))
            #expect(rows.first?[2] == .list([.int32(1), .int32(2), .int32(3)]))
        }
        // Map keys not annotated required: pyarrow refuses, we read it.
        if let file = Corpus.file("data", "incorrect_map_schema.parquet"), Codec.isAvailable(.gzip) {
            #expect(try WholeFile.rows(file).count == 1)
        }
        // total_compressed_size one byte short of the page it holds.
        if let file = Corpus.file("data", "nation.dict-malformed.parquet") {
            #expect(throws: ParquetError.self) { try WholeFile.rows(file) }
        }
        // A page that decompresses to over 1 GiB stops at the page limit.
        if let file = Corpus.file("data", "large_string_map.brotli.parquet") {
            #expect(throws: ParquetError.self) { try WholeFile.rows(file) }
        }
    }

    @Test func encryptedFilesAreUnsupported() throws {
        for name in Corpus.files(in: "data", suffix: ".encrypted") {
            guard let file = Corpus.file("data", name) else { continue }
            #expect(throws: ParquetError.self) { try WholeFile.rows(file) }
        }
        if let file = Corpus.file("data", "uniform_encryption.parquet.encrypted") {
            #expect(throws: ParquetError.unsupported("encrypted footer")) { try WholeFile.metadata(file) }
        }
    }

    @Test func badDataThrows() throws {
        for name in Corpus.files(in: "bad_data") {
            guard let file = Corpus.file("bad_data", name) else { continue }
            ParquetFuzzing.exercise(file)
            if name == "ARROW-GH-43605.parquet" {
                // Dictionary indices with bit width 0: pyarrow reads it (all index 0) and so do we.
                if Codec.isAvailable(.zstd) { #expect(try WholeFile.rows(file).count == 21186) }
                continue
            }
            #expect(throws: (any Error).self, "\(name)") { try WholeFile.rows(file) }
        }
    }

    @Test func statisticsOfCorpusFiles() throws {
        guard let file = Corpus.file("data", "alltypes_plain.parquet") else { return }
        let meta = try WholeFile.metadata(file)
        #expect(meta.numRows == 8)
        #expect(meta.leaves.map { $0.path.joined(separator: ".") }.first == "id")
        // int96_from_spark and friends: INT96 has no usable order; nothing to check there.
        if let f = Corpus.file("data", "int32_decimal.parquet") {
            let m = try WholeFile.metadata(f)
            let s = m.rowGroups[0].columns[0].statistics
            #expect(s?.min == .decimal(unscaled: 100, scale: 2))
            #expect(s?.max == .decimal(unscaled: 2400, scale: 2))
        }
        if let f = Corpus.file("data", "binary_truncated_min_max.parquet") {
            let m = try WholeFile.metadata(f)
            #expect(m.rowGroups[0].columns.contains { $0.statistics?.min != nil })
        }
    }

    @Test func mutatedCorpusFilesNeverCrash() {
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        for name in ["alltypes_plain.parquet", "nested_lists.snappy.parquet", "nullable.impala.parquet", "delta_byte_array.parquet", "datapage_v2.snappy.parquet"] {
            guard let original = Corpus.file("data", name) else { continue }
            for _ in 0..<60 {
                var d = original
                for _ in 0..<4 {
                    seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                    d[Int((seed >> 17) % UInt64(d.count))] = UInt8(truncatingIfNeeded: seed >> 40)
                }
                ParquetFuzzing.exercise(d)
                ParquetFuzzing.exercise(Array(d.prefix(Int(seed % UInt64(d.count)))))
            }
        }
    }
}
