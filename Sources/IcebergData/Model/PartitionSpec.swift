public import IcebergModel

public struct PartitionField: Sendable, Hashable {
    public var sourceID: Int
    public var fieldID: Int
    public var name: String
    public var transform: Transform

    public init(sourceID: Int, fieldID: Int, name: String, transform: Transform) {
        self.sourceID = sourceID
        self.fieldID = fieldID
        self.name = name
        self.transform = transform
    }
}

/// A partition spec: how a table's rows map to partition tuples.
public struct PartitionSpec: Sendable, Hashable {
    public var specID: Int
    public var fields: [PartitionField]

    public init(specID: Int, fields: [PartitionField]) {
        self.specID = specID
        self.fields = fields
    }

    public static let unpartitioned = PartitionSpec(specID: 0, fields: [])

    /// `{"spec-id": 0, "fields": [{"source-id": 1, "field-id": 1000, "name": "ts_day", "transform": "day"}]}`;
    /// also accepts the bare v1 field array.
    public init(json: JSONValue) throws(IcebergDataError) {
        let fieldsJSON: [JSONValue]
        if let array = json.arrayValue {
            fieldsJSON = array
            specID = 0
        } else {
            guard let array = json["fields"]?.arrayValue else { throw .malformed("partition spec without \"fields\"") }
            fieldsJSON = array
            specID = Int(json["spec-id"]?.intValue ?? 0)
        }
        var fields: [PartitionField] = []
        fields.reserveCapacity(fieldsJSON.count)
        var nextID = 1000
        for f in fieldsJSON {
            let source = f["source-id"]?.intValue ?? f["source-ids"]?.arrayValue?.first?.intValue
            guard let source, let name = f["name"]?.stringValue, let transform = f["transform"]?.stringValue else {
                throw .malformed("partition field without source-id/name/transform")
            }
            let id = f["field-id"]?.intValue.map(Int.init) ?? nextID
            nextID = max(nextID, id) + 1
            fields.append(PartitionField(sourceID: Int(source), fieldID: id, name: name, transform: Transform(transform)))
        }
        self.fields = fields
    }

    public var json: JSONValue {
        [
            "spec-id": .int(Int64(specID)),
            "fields": .array(
                fields.map {
                    [
                        "source-id": .int(Int64($0.sourceID)), "field-id": .int(Int64($0.fieldID)), "name": .string($0.name),
                        "transform": .string($0.transform.description),
                    ]
                }),
        ]
    }

    public var isUnpartitioned: Bool { fields.allSatisfy { $0.transform == .void } }

    /// The partition tuple's struct fields: result types, ids = partition field ids, all optional.
    public func partitionType(_ schema: IcebergSchema) -> [IcebergField] {
        fields.map { f in
            let source = schema.field(id: f.sourceID)?.type ?? .unknown
            return IcebergField(id: f.fieldID, name: f.name, required: false, type: f.transform.resultType(source: source))
        }
    }

    /// The partition tuple of a row: `lookup` gives the value of a source field id.
    public func partition(of lookup: (Int) -> IcebergValue) -> [IcebergValue] {
        fields.map { $0.transform.apply(lookup($0.sourceID)) }
    }

    /// "ts_day=2024-01-02/id_bucket=3": names and human values escaped like Java's URLEncoder.
    public func partitionPath(_ values: [IcebergValue]) -> String {
        var parts: [String] = []
        parts.reserveCapacity(fields.count)
        for (i, f) in fields.enumerated() {
            let value = i < values.count ? values[i] : .null
            parts.append(Self.urlEncode(f.name) + "=" + Self.urlEncode(f.transform.humanString(value)))
        }
        return parts.joined(separator: "/")
    }

    /// application/x-www-form-urlencoded as java.net.URLEncoder with UTF-8.
    static func urlEncode(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for b in text.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "*"), UInt8(ascii: "_"):
                out.append(b)
            case UInt8(ascii: " "): out.append(UInt8(ascii: "+"))
            default:
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(b >> 4)])
                out.append(hex[Int(b & 0xF)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
