import IcebergModel

extension AvroSchema {
    /// The full JSON form, with all properties (what goes into a container header). A named type
    /// used again after its definition is written as a reference to its full name.
    public var json: JSONValue {
        var defined: Set<String> = []
        return render(enclosingNamespace: nil, defined: &defined)
    }

    /// `json` as compact text with sorted keys, so equal schemas give equal bytes.
    public var jsonText: String { String(decoding: AvroJSONText.bytes(json), as: UTF8.self) }

    private func render(enclosingNamespace: String?, defined: inout Set<String>) -> JSONValue {
        var object = properties
        if let logicalType { object["logicalType"] = .string(logicalType) }
        switch type {
        case .null, .boolean, .int, .long, .float, .double, .bytes, .string:
            if object.isEmpty { return .string(unionKey) }
            object["type"] = .string(unionKey)
        case .union(let branches):
            return .array(branches.map { $0.render(enclosingNamespace: enclosingNamespace, defined: &defined) })
        case .array(let items):
            object["type"] = "array"
            object["items"] = items.render(enclosingNamespace: enclosingNamespace, defined: &defined)
        case .map(let values):
            object["type"] = "map"
            object["values"] = values.render(enclosingNamespace: enclosingNamespace, defined: &defined)
        case .enumeration(let name, let symbols):
            guard defined.insert(name).inserted else { return .string(name) }
            object["type"] = "enum"
            Self.renderName(name, namespace: nil, enclosing: enclosingNamespace, into: &object)
            object["symbols"] = .array(symbols.map { .string($0) })
        case .fixed(let name, let size):
            guard defined.insert(name).inserted else { return .string(name) }
            object["type"] = "fixed"
            Self.renderName(name, namespace: nil, enclosing: enclosingNamespace, into: &object)
            object["size"] = .int(Int64(size))
        case .record(let record):
            let fullName = record.fullName
            guard defined.insert(fullName).inserted else { return .string(fullName) }
            object["type"] = "record"
            Self.renderName(record.name, namespace: record.namespace, enclosing: enclosingNamespace, into: &object)
            let inner = fullName.lastIndex(of: ".").map { String(fullName[..<$0]) }
            var fields: [JSONValue] = []
            fields.reserveCapacity(record.fields.count)
            for field in record.fields {
                var member = field.properties
                member["name"] = .string(field.name)
                member["type"] = field.schema.render(enclosingNamespace: inner, defined: &defined)
                if let defaultValue = field.defaultValue { member["default"] = defaultValue }
                if let fieldID = field.fieldID { member["field-id"] = .int(Int64(fieldID)) }
                fields.append(.object(member))
            }
            object["fields"] = .array(fields)
        }
        return .object(object)
    }

    /// Writes "name" (and "namespace" where needed) so that parsing inside `enclosing` gives back the same full name.
    private static func renderName(_ name: String, namespace: String?, enclosing: String?, into object: inout [String: JSONValue]) {
        object["name"] = .string(name)
        object["namespace"] = nil
        if name.contains(".") { return }
        if let namespace, !namespace.isEmpty {
            object["namespace"] = .string(namespace)
        } else if let enclosing, !enclosing.isEmpty {
            object["namespace"] = ""
        }
    }
}

/// Compact JSON text with object keys sorted.
enum AvroJSONText {
    static func bytes(_ value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        write(value, to: &out)
        return out
    }

    static func write(_ value: JSONValue, to out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let v): out.append(contentsOf: (v ? "true" : "false").utf8)
        case .int(let v): out.append(contentsOf: String(v).utf8)
        case .double(let v):
            out.append(contentsOf: (v.isFinite ? String(v) : "null").utf8)
        case .string(let v): writeString(v, to: &out)
        case .array(let values):
            out.append(UInt8(ascii: "["))
            for (index, element) in values.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                write(element, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                writeString(key, to: &out)
                out.append(UInt8(ascii: ":"))
                if let member = members[key] { write(member, to: &out) }
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static let hex = Array("0123456789abcdef".utf8)

    static func writeString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                out.append(UInt8(ascii: "\\"))
                out.append(byte)
            case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case ..<0x20:
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
