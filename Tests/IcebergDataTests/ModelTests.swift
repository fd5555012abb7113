import IcebergModel
import Testing

@testable import IcebergData

@Suite struct ModelTests {
    static func days(_ s: String) -> Int32 { Int32(LiteralText.date(s)!) }
    static func micros(_ s: String) -> Int64 { LiteralText.timestamp(s)!.nanos / 1000 }
    static let uuidBytes = LiteralText.uuid("f79c3e09-677c-4bbd-a479-3f349cb785e7")!

    // Spec Appendix B: 32-bit hash requirements.
    @Test(arguments: [
        (IcebergValue.int(34), Int32(2_017_239_379)),
        (.long(34), 2_017_239_379),
        (.decimal(unscaled: 1420, scale: 2), -500_754_589),
        (.date(days("2017-11-16")), -653_330_422),
        (.time(LiteralText.time("22:31:08")! / 1000), -662_762_989),
        (.timestamp(micros("2017-11-16T22:31:08")), -2_047_944_441),
        (.timestamptz(micros("2017-11-16T14:31:08-08:00")), -2_047_944_441),
        (.string("iceberg"), 1_210_000_089),
        (.uuid(uuidBytes), 1_488_055_340),
        (.fixed([0, 1, 2, 3]), -188_683_207),
        (.binary([0, 1, 2, 3]), -188_683_207),
    ])
    func bucketHashVectors(value: IcebergValue, hash: Int32) {
        #expect(Transform.hash(value) == hash)
    }

    @Test func bucketTransform() {
        #expect(Transform.bucket(100).apply(.int(34)) == .int(79))
        #expect(Transform.bucket(100).apply(.decimal(unscaled: 1420, scale: 2)) == .int(59))
        #expect(Transform.bucket(16).apply(.null) == .null)
    }

    @Test func truncateTransform() {
        #expect(Transform.truncate(10).apply(.int(1)) == .int(0))
        #expect(Transform.truncate(10).apply(.int(-1)) == .int(-10))
        #expect(Transform.truncate(10).apply(.long(-1)) == .long(-10))
        #expect(Transform.truncate(50).apply(.decimal(unscaled: 1065, scale: 2)) == .decimal(unscaled: 1050, scale: 2))
        #expect(Transform.truncate(3).apply(.string("iceberg")) == .string("ice"))
        #expect(Transform.truncate(2).apply(.string("😀😁😂")) == .string("😀😁"))  // code points, not bytes
        #expect(Transform.truncate(2).apply(.binary([1, 2, 3])) == .binary([1, 2]))
    }

    @Test func temporalTransforms() {
        let d = Self.days("2017-11-16")
        let ts = Self.micros("2017-11-16T22:31:08")
        #expect(Transform.year.apply(.date(d)) == .int(47))
        #expect(Transform.month.apply(.date(d)) == .int(47 * 12 + 10))
        #expect(Transform.day.apply(.timestamp(ts)) == .date(d))
        #expect(Transform.hour.apply(.timestamp(ts)) == .int(Int32(ts / 3_600_000_000)))
        #expect(Transform.day.apply(.timestamp(-1)) == .date(-1))
        #expect(Transform.year.apply(.date(-1)) == .int(-1))
        #expect(Transform.month.apply(.timestampNs(-1)) == .int(-1))
        #expect(Transform.void.apply(.int(3)) == .null)
        #expect(Transform.day.resultType(source: .timestamptz) == .date)
        #expect(Transform.bucket(4).resultType(source: .string) == .int)
    }

    @Test func transformText() {
        for text in ["identity", "bucket[16]", "truncate[4]", "year", "month", "day", "hour", "void"] {
            #expect(Transform(text).description == text)
        }
        #expect(Transform("zorder") == .unknown("zorder"))
    }

    @Test func appendixDRoundTrips() throws {
        let cases: [(IcebergValue, IcebergType, [UInt8]?)] = [
            (.boolean(true), .boolean, [1]),
            (.int(-2), .int, [0xFE, 0xFF, 0xFF, 0xFF]),
            (.long(1), .long, [1, 0, 0, 0, 0, 0, 0, 0]),
            (.float(1.5), .float, [0, 0, 0xC0, 0x3F]),
            (.double(-0.5), .double, nil),
            (.date(Self.days("2017-11-16")), .date, nil),
            (.time(1), .time, nil),
            (.timestamp(Self.micros("2017-11-16T22:31:08")), .timestamp, nil),
            (.timestamptzNs(-5), .timestamptzNs, nil),
            (.string("héllo"), .string, Array("héllo".utf8)),
            (.uuid(Self.uuidBytes), .uuid, Self.uuidBytes),
            (.fixed([1, 2]), .fixed(2), [1, 2]),
            (.binary([]), .binary, []),
            (.decimal(unscaled: 1420, scale: 2), .decimal(precision: 9, scale: 2), [0x05, 0x8C]),
            (.decimal(unscaled: -1, scale: 2), .decimal(precision: 9, scale: 2), [0xFF]),
            (.decimal(unscaled: 128, scale: 0), .decimal(precision: 9, scale: 0), [0x00, 0x80]),
            (.decimal(unscaled: -129, scale: 0), .decimal(precision: 9, scale: 0), [0xFF, 0x7F]),
        ]
        for (value, type, bytes) in cases {
            let encoded = value.toBound()
            if let bytes { #expect(encoded == bytes, "\(value)") }
            #expect(try IcebergValue(bound: encoded, as: type) == value)
        }
        // Promoted types read narrower bounds.
        #expect(try IcebergValue(bound: IcebergValue.int(-7).toBound(), as: .long) == .long(-7))
        #expect(try IcebergValue(bound: IcebergValue.float(2.5).toBound(), as: .double) == .double(2.5))
        #expect(try IcebergValue(bound: IcebergValue.date(1).toBound(), as: .timestamp) == .timestamp(86_400_000_000))
    }

    @Test func malformedBoundsThrow() {
        #expect(throws: IcebergDataError.self) { try IcebergValue(bound: [1, 2, 3], as: .int) }
        #expect(throws: IcebergDataError.self) { try IcebergValue(bound: [1], as: .uuid) }
        #expect(throws: IcebergDataError.self) { try IcebergValue(bound: [0xFF, 0xFE], as: .string) }
        #expect(throws: IcebergDataError.self) { try IcebergValue(bound: [UInt8](repeating: 1, count: 17), as: .decimal(precision: 38, scale: 0)) }
    }

    @Test func jsonText() {
        #expect(IcebergValue.decimal(unscaled: 1420, scale: 2).jsonText == "14.20")
        #expect(IcebergValue.decimal(unscaled: -5, scale: 3).jsonText == "-0.005")
        #expect(IcebergValue.date(Self.days("2017-11-16")).jsonText == "\"2017-11-16\"")
        #expect(IcebergValue.time(81_068_000_001).jsonText == "\"22:31:08.000001\"")
        #expect(IcebergValue.time(81_068_000_000).jsonText == "\"22:31:08\"")
        #expect(IcebergValue.timestamp(Self.micros("2017-11-16T22:31:08")).jsonText == "\"2017-11-16T22:31:08\"")
        #expect(IcebergValue.timestamptz(Self.micros("2017-11-16T22:31:08.123456")).jsonText == "\"2017-11-16T22:31:08.123456+00:00\"")
        #expect(IcebergValue.uuid(Self.uuidBytes).jsonText == "\"f79c3e09-677c-4bbd-a479-3f349cb785e7\"")
        #expect(IcebergValue.binary([0, 1, 2, 3]).jsonText == "\"AAECAw==\"")
        #expect(IcebergValue.string("a\"b").jsonText == "\"a\\\"b\"")
        #expect(IcebergValue.null.jsonText == "null")
        let type = IcebergType.structType([
            IcebergField(id: 1, name: "a", required: true, type: .int), IcebergField(id: 2, name: "b", required: false, type: .string),
        ])
        #expect(IcebergValue.structValue([.int(1), .null]).json(type) == "{\"a\":1,\"b\":null}")
    }

    @Test func typeJSONRoundTrip() throws {
        let json: JSONValue = [
            "type": "struct", "schema-id": 3, "identifier-field-ids": [1],
            "fields": [
                ["id": 1, "name": "id", "required": true, "type": "long"],
                ["id": 2, "name": "price", "required": false, "type": "decimal(9, 2)"],
                ["id": 3, "name": "tags", "required": false, "type": ["type": "list", "element-id": 4, "element-required": false, "element": "string"]],
                [
                    "id": 5, "name": "props", "required": false,
                    "type": ["type": "map", "key-id": 6, "key": "string", "value-id": 7, "value-required": true, "value": "fixed[16]"],
                ],
                ["id": 8, "name": "loc", "required": false, "type": ["type": "struct", "fields": [["id": 9, "name": "lat", "required": false, "type": "double"]]]],
                ["id": 10, "name": "t", "required": false, "type": "timestamptz_ns"],
            ],
        ]
        let schema = try IcebergSchema(json: json)
        #expect(schema.schemaID == 3)
        #expect(schema.identifierFieldIDs == [1])
        #expect(schema.field(id: 9)?.name == "lat")
        #expect(schema.field(id: 7)?.type == .fixed(16))
        #expect(schema.field(path: "loc.lat", caseSensitive: true)?.id == 9)
        #expect(schema.field(path: "LOC.LAT", caseSensitive: false)?.id == 9)
        #expect(schema.field(path: "LOC.LAT", caseSensitive: true) == nil)
        #expect(schema.field(id: 2)?.type == .decimal(precision: 9, scale: 2))
        #expect(try IcebergSchema(json: schema.json) == schema)
        #expect(throws: IcebergDataError.self) { try IcebergType(json: "decimal(40,2)") }
        #expect(throws: IcebergDataError.self) { try IcebergType(json: ["type": "list"]) }
    }

    @Test func partitionSpecAndPath() throws {
        let spec = try PartitionSpec(json: [
            "spec-id": 1,
            "fields": [
                ["source-id": 2, "field-id": 1000, "name": "ts_day", "transform": "day"],
                ["source-id": 1, "field-id": 1001, "name": "id_bucket", "transform": "bucket[16]"],
                ["source-id": 3, "field-id": 1002, "name": "name", "transform": "identity"],
            ],
        ])
        #expect(spec.fields.map(\.transform) == [.day, .bucket(16), .identity])
        #expect(try PartitionSpec(json: spec.json) == spec)
        let path = spec.partitionPath([.date(Self.days("2024-01-02")), .int(3), .string("a/b c")])
        #expect(path == "ts_day=2024-01-02/id_bucket=3/name=a%2Fb+c")
        #expect(spec.partitionPath([.null, .int(0), .null]) == "ts_day=null/id_bucket=0/name=null")
        let schema = IcebergSchema(schemaID: 0, fields: [
            IcebergField(id: 1, name: "id", required: true, type: .long),
            IcebergField(id: 2, name: "ts", required: false, type: .timestamp),
            IcebergField(id: 3, name: "name", required: false, type: .string),
        ])
        #expect(spec.partitionType(schema).map(\.type) == [.date, .int, .string])
        #expect(Transform.hour.humanString(.int(0)) == "1970-01-01-00")
        #expect(Transform.month.humanString(.int(-1)) == "1969-12")
    }

    @Test func compareOrdering() {
        #expect(IcebergValue.compare(.binary([0x80]), .binary([0x7F])) == 1)  // unsigned bytes
        #expect(IcebergValue.compare(.string("é"), .string("z")) == 1)  // code points
        #expect(IcebergValue.compare(.double(.nan), .double(.infinity)) == 1)
        #expect(IcebergValue.compare(.decimal(unscaled: 15, scale: 1), .decimal(unscaled: 150, scale: 2)) == 0)
        #expect(IcebergValue.compare(.int(1), .string("1")) == nil)
    }
}
