import IcebergData
import Testing

@testable import Ingest

/// Random and mutated inputs must only ever throw or succeed.
struct FuzzTests {
    struct Rng {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
    }

    @Test func randomBytesNeverCrash() {
        var rng = Rng(state: 42)
        let alphabet = Array("a1,\"\\\n\r\t{}[]:-.eE0 NTZ\u{7F}".utf8) + [0xEF, 0xBB, 0xBF, 0xC3, 0xFF]
        for _ in 0..<3000 {
            let n = Int(rng.next() % 64)
            let bytes = (0..<n).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            var csv = CSVParser()
            let records = (try? csv.feed(bytes)).map { $0 + ((try? csv.finish()) ?? []) } ?? []
            var inference = SchemaInference()
            for r in records { inference.observe(header: csv.header ?? [], record: r) }
            let schema = inference.schema()
            for r in records { _ = try? RowConverter.row(r, header: csv.header ?? [], schema: schema) }
            var json = JSONLinesParser(maxLineBytes: 32)
            for r in ((try? json.feed(bytes)) ?? []) + ((try? json.finish()) ?? []) {
                if case .success(let o) = r.value {
                    inference.observe(o)
                    _ = try? RowConverter.row(o, schema: inference.schema(), ignoreExtra: true)
                }
            }
            let text = String(decoding: bytes, as: UTF8.self)
            _ = try? PartitionSpecText.parse(text, schema: schema)
            _ = try? SortOrderText.parse(text, schema: schema)
        }
    }
}
