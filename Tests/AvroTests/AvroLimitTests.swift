import IcebergModel
import Testing

@testable import Avro

/// Inputs that are small on the wire but expand without bound unless the decoder limits them.
@Suite struct AvroLimitTests {
    static func isLimitExceeded(_ error: AvroError?) -> Bool {
        if case .limitExceeded? = error { return true }
        return false
    }

    /// R0 = record{x: null}; R_k = record{a: R_{k-1} (defined inline), b: "R_{k-1}" (a reference to it)}.
    /// The JSON grows linearly with k, the expanded tree doubles with every level: 3·2^k − 1 nodes.
    static func chain(_ k: Int) -> JSONValue {
        var schema: JSONValue = .object([
            "type": .string("record"), "name": .string("R0"),
            "fields": .array([.object(["name": .string("x"), "type": .string("null")])]),
        ])
        for level in stride(from: 1, through: k, by: 1) {
            schema = .object([
                "type": .string("record"), "name": .string("R\(level)"),
                "fields": .array([
                    .object(["name": .string("a"), "type": schema]),
                    .object(["name": .string("b"), "type": .string("R\(level - 1)")]),
                ]),
            ])
        }
        return schema
    }

    static func expandedNodes(_ k: Int) -> Int { 3 * (1 << k) - 1 }

    @Test func schemaExpansionOfReusedRecordsIsBounded() {
        // 2^41 nodes once expanded: refused (the count stops at the limit, so this is quick).
        let error = #expect(throws: AvroError.self) { try AvroSchema.parse(Self.chain(40)) }
        #expect(Self.isLimitExceeded(error), "\(String(describing: error))")
        // Just past the limit is refused too; just under it parses.
        #expect(Self.expandedNodes(15) > AvroSchema.maxExpandedNodes)
        let pastLimit = #expect(throws: AvroError.self) { try AvroSchema.parse(Self.chain(15)) }
        #expect(Self.isLimitExceeded(pastLimit), "\(String(describing: pastLimit))")
        #expect(Self.expandedNodes(14) <= AvroSchema.maxExpandedNodes)
        #expect(throws: Never.self) { try AvroSchema.parse(Self.chain(14)) }
    }

    @Test func modestReuseOfNamedRecordsStillParses() throws {
        let schema = try AvroSchema.parse(Self.chain(5))
        guard case .record(let top) = schema.type else {
            Issue.record("not a record: \(schema)")
            return
        }
        #expect(top.fullName == "R5")
        #expect(top.fields.map(\.name) == ["a", "b"])
        // The reference resolves to the same definition as the inline field.
        #expect(top.fields[0].schema == top.fields[1].schema)
        // And a value of it round-trips: record{x: null} has no bytes, so 2^5 of them take none either.
        var value = AvroValue.record([.null])
        for _ in 0..<5 { value = .record([value, value]) }
        let bytes = try AvroBinary.encode(value, as: schema)
        #expect(bytes.isEmpty)
        #expect(try AvroBinary.decode(bytes, as: schema) == value)
    }

    // MARK: - Items that encode to no bytes

    /// record{a: array<array<null>>}: each inner array of nulls is a few bytes for any count.
    static let nestedNulls = AvroSchema(.record(AvroRecordSchema(name: "r", fields: [
        AvroField(name: "a", schema: AvroSchema(.array(AvroSchema(.array(AvroSchema(.null)))))),
    ])))

    /// A container (codec null, one block) of `records` records, each one inner array of `nulls` nulls.
    static func nestedNullsFile(records: Int, nulls: Int) throws -> [UInt8] {
        let record = AvroValue.record([.array([.array(Array(repeating: .null, count: nulls))])])
        var writer = AvroContainerWriter(schema: nestedNulls, codec: .null)
        var file = writer.start()
        for _ in 0..<records { file += try writer.append(record) }
        file += try writer.finish()
        return file
    }

    @Test func emptyItemsShareOneBudgetAcrossTheContainer() throws {
        // Each array alone is under the per-array bound; together they pass the file's budget.
        let nulls = 600_000
        #expect(nulls < AvroBinary.maxEmptyItems && 2 * nulls > AvroBinary.maxEmptyItems)
        let file = try Self.nestedNullsFile(records: 2, nulls: nulls)
        #expect(file.count < 1000)
        let error = #expect(throws: AvroError.self) { try AvroContainerReader.readAll(file) }
        #expect(Self.isLimitExceeded(error), "\(String(describing: error))")
    }

    @Test func oneRecordOfManyNullsStillReads() throws {
        let file = try Self.nestedNullsFile(records: 1, nulls: 600_000)
        let (_, records) = try AvroContainerReader.readAll(file)
        #expect(records.count == 1)
        guard case .record(let fields)? = records.first, case .array(let outer)? = fields.first, case .array(let inner)? = outer.first else {
            Issue.record("unexpected shape")
            return
        }
        #expect(outer.count == 1)
        #expect(inner.count == 600_000)
    }

    @Test func emptyItemsShareOneBudgetWithinOneValue() throws {
        let schema = AvroSchema(.array(AvroSchema(.array(AvroSchema(.null)))))
        let inner = AvroValue.array(Array(repeating: .null, count: 600_000))
        let two = try AvroBinary.encode(.array([inner, inner]), as: schema)
        #expect(two.count < 20)
        let error = #expect(throws: AvroError.self) { try AvroBinary.decode(two, as: schema) }
        #expect(Self.isLimitExceeded(error), "\(String(describing: error))")
        let one = try AvroBinary.encode(.array([inner]), as: schema)
        #expect(try AvroBinary.decode(one, as: schema) == .array([inner]))
    }

    // MARK: - readAll's whole-file bound

    @Test func readAllBoundsTheDecompressedFile() throws {
        // Three deflate blocks of one all-zero bytes value each: each block is under `maxBlockBytes`,
        // the three together pass `maxReadAllBytes`. Each compresses to well under 1 MiB.
        let payload = AvroContainerReader.maxReadAllBytes / 3 + (1 << 20)
        #expect(payload < AvroContainerReader().maxBlockBytes)
        var writer = AvroContainerWriter(schema: AvroSchema(.bytes), codec: .deflate)
        let header = writer.start()
        let block = try writer.append(.bytes([UInt8](repeating: 0, count: payload)))
        #expect(!block.isEmpty && block.count < 1 << 20)
        let file = header + block + block + block
        let error = #expect(throws: AvroError.self) { try AvroContainerReader.readAll(file) }
        #expect(Self.isLimitExceeded(error), "\(String(describing: error))")
    }
}
