import Avro
import IcebergModel
import Parquet
import Testing

@testable import IcebergData

@Suite struct ModelTestsConversions {
    @Test func parquetPromotionsAndUnits() throws {
        #expect(try IcebergValue(ParquetValue.int32(5), as: .long) == .long(5))
        #expect(try IcebergValue(ParquetValue.float(1.5), as: .double) == .double(1.5))
        #expect(try IcebergValue(ParquetValue.timestamp(1500, .millis, utc: true), as: .timestamptz) == .timestamptz(1_500_000))
        #expect(try IcebergValue(ParquetValue.timestamp(1999, .nanos, utc: false), as: .timestamp) == .timestamp(1))
        #expect(try IcebergValue(ParquetValue.decimal(unscaled: 142, scale: 1), as: .decimal(precision: 10, scale: 2)) == .decimal(unscaled: 1420, scale: 2))
        #expect(throws: IcebergDataError.self) { try IcebergValue(ParquetValue.string("x"), as: .int) }
        #expect(throws: IcebergDataError.self) { try IcebergValue(ParquetValue.binary([0xFF]), as: .string) }
        let v = IcebergValue.structValue([.long(1), .list([.string("a")])])
        let t = IcebergType.structType([
            IcebergField(id: 1, name: "a", required: true, type: .long),
            IcebergField(id: 2, name: "b", required: false, type: .list(elementID: 3, elementRequired: false, element: .string)),
        ])
        #expect(try IcebergValue(v.parquetValue, as: t) == v)
    }

    @Test func avroRoundTrips() throws {
        let mapType = IcebergType.map(keyID: 1, key: .int, valueID: 2, valueRequired: false, value: .string)
        let cases: [(IcebergValue, IcebergType)] = [
            (.decimal(unscaled: -1420, scale: 2), .decimal(precision: 9, scale: 2)),
            (.uuid(Array(0..<16)), .uuid),
            (.timestamptz(123), .timestamptz),
            (.map([IcebergMapEntry(key: .int(1), value: .string("x"))]), mapType),
            (.map([IcebergMapEntry(key: .string("k"), value: .long(2))]), .map(keyID: 1, key: .string, valueID: 2, valueRequired: true, value: .long)),
            (.null, .long),
        ]
        for (value, type) in cases {
            #expect(try IcebergValue(value.avroValue(as: type), as: type) == value)
        }
        #expect(IcebergValue.decimal(unscaled: 1, scale: 2).avroValue(as: .decimal(precision: 9, scale: 2)) == .fixed([0, 0, 0, 1]))
    }

    @Test func jsonSingleValues() throws {
        let cases: [(JSONValue, IcebergType, IcebergValue)] = [
            ("14.20", .decimal(precision: 9, scale: 2), .decimal(unscaled: 1420, scale: 2)),
            ("2017-11-16", .date, .date(17486)),
            ("000102ff", .binary, .binary([0, 1, 2, 255])),
            (1, .long, .long(1)),
            ("1970-01-01T00:00:00.000001+00:00", .timestamptz, .timestamptz(1)),
        ]
        for (json, type, value) in cases {
            #expect(try IcebergValue(json: json, as: type) == value)
            #expect(try IcebergValue(json: value.jsonValue(as: type), as: type) == value)
        }
    }
}
