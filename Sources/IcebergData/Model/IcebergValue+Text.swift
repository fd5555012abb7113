import Foundation

/// Display text: `jsonText` is a JSON literal for the CLI; `humanText` is the partition-path form (as Java's toHumanString).
extension IcebergValue {
    /// A JSON literal: numbers, quoted strings, booleans, null; decimals as plain number text with their scale (14.20);
    /// dates "2017-11-16"; times "22:31:08[.ffffff]"; timestamps "2017-11-16T22:31:08[.ffffff]" (+ "+00:00" with a zone);
    /// uuids canonical; binary/fixed base64. Structs without a type render as arrays (see `json(_:)`).
    public var jsonText: String {
        var out = ""
        writeJSON(into: &out, type: nil, depth: 0)
        return out
    }

    /// What a person reads in a cell: strings as they are, NULL, dates and times unquoted, nested
    /// values as JSON (the CLI's table and CSV output, the console's row preview).
    public func displayText(_ type: IcebergType) -> String {
        switch self {
        case .null: return "NULL"
        case .string(let s): return s
        default:
            let json = json(type)
            guard json.utf8.first == UInt8(ascii: "\""), json.utf8.last == UInt8(ascii: "\"") else { return json }
            // Dates, times, uuids, base64: quoted JSON with nothing escaped in all but rare cases.
            if !json.utf8.contains(UInt8(ascii: "\\")) { return String(decoding: json.utf8.dropFirst().dropLast(), as: UTF8.self) }
            return (try? JSONDecoder().decode(String.self, from: Data(json.utf8))) ?? json
        }
    }

    /// Like `jsonText`, with structs as objects keyed by the type's field names and maps with string keys as objects.
    public func json(_ type: IcebergType) -> String {
        var out = ""
        writeJSON(into: &out, type: type, depth: 0)
        return out
    }

    private func writeJSON(into out: inout String, type: IcebergType?, depth: Int) {
        guard depth <= IcebergType.maxDepth else { out += "null"; return }
        switch self {
        case .null: out += "null"
        case .boolean(let v): out += v ? "true" : "false"
        case .int(let v): out += String(v)
        case .long(let v): out += String(v)
        case .float(let v): out += v.isFinite ? Self.floatText(Double(v), isFloat: true) : Self.quoted(Self.nonFinite(Double(v)))
        case .double(let v): out += v.isFinite ? Self.floatText(v, isFloat: false) : Self.quoted(Self.nonFinite(v))
        case .decimal(let u, let s): out += Decimal128.text(u, scale: s)
        case .date(let d): out += Self.quoted(CivilTime.dateText(Int64(d)))
        case .time(let us): out += Self.quoted(CivilTime.timeText(us, perSecond: 1_000_000, fractionDigits: 6))
        case .timestamp(let us): out += Self.quoted(CivilTime.timestampText(us, perSecond: 1_000_000, fractionDigits: 6))
        case .timestamptz(let us): out += Self.quoted(CivilTime.timestampText(us, perSecond: 1_000_000, fractionDigits: 6) + "+00:00")
        case .timestampNs(let ns): out += Self.quoted(CivilTime.timestampText(ns, perSecond: 1_000_000_000, fractionDigits: 9))
        case .timestamptzNs(let ns): out += Self.quoted(CivilTime.timestampText(ns, perSecond: 1_000_000_000, fractionDigits: 9) + "+00:00")
        case .string(let s): out += Self.quoted(s)
        case .uuid(let b): out += Self.quoted(Self.uuidText(b))
        case .fixed(let b), .binary(let b): out += Self.quoted(Base64.encode(b))
        case .structValue(let values):
            if case .structType(let fields)? = type, fields.count == values.count {
                out += "{"
                for (i, f) in fields.enumerated() {
                    if i > 0 { out += "," }
                    out += Self.quoted(f.name) + ":"
                    values[i].writeJSON(into: &out, type: f.type, depth: depth + 1)
                }
                out += "}"
            } else {
                Self.writeArray(values, into: &out, type: nil, depth: depth)
            }
        case .list(let values):
            var elementType: IcebergType?
            if case .list(_, _, let e)? = type { elementType = e }
            Self.writeArray(values, into: &out, type: elementType, depth: depth)
        case .map(let entries):
            var keyType: IcebergType?, valueType: IcebergType?
            if case .map(_, let k, _, _, let v)? = type { keyType = k; valueType = v }
            if entries.allSatisfy({ if case .string = $0.key { return true } else { return false } }) {
                out += "{"
                for (i, e) in entries.enumerated() {
                    if i > 0 { out += "," }
                    if case .string(let k) = e.key { out += Self.quoted(k) }
                    out += ":"
                    e.value.writeJSON(into: &out, type: valueType, depth: depth + 1)
                }
                out += "}"
            } else {
                out += "["
                for (i, e) in entries.enumerated() {
                    if i > 0 { out += "," }
                    out += "{\"key\":"
                    e.key.writeJSON(into: &out, type: keyType, depth: depth + 1)
                    out += ",\"value\":"
                    e.value.writeJSON(into: &out, type: valueType, depth: depth + 1)
                    out += "}"
                }
                out += "]"
            }
        }
    }

    private static func writeArray(_ values: [IcebergValue], into out: inout String, type: IcebergType?, depth: Int) {
        out += "["
        for (i, v) in values.enumerated() {
            if i > 0 { out += "," }
            v.writeJSON(into: &out, type: type, depth: depth + 1)
        }
        out += "]"
    }

    static func floatText(_ v: Double, isFloat: Bool) -> String {
        let text = isFloat ? String(Float(v)) : String(v)
        // Swift writes "1e+20"-style exponents, which are valid JSON; nothing else to adjust.
        return text
    }

    static func nonFinite(_ v: Double) -> String { v.isNaN ? "NaN" : (v < 0 ? "-Infinity" : "Infinity") }

    static func quoted(_ s: String) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(s.utf8.count + 2)
        let hex = Array("0123456789abcdef".utf8)
        bytes.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): bytes += [92, 34]
            case UInt8(ascii: "\\"): bytes += [92, 92]
            case 0x0A: bytes += [92, UInt8(ascii: "n")]
            case 0x0D: bytes += [92, UInt8(ascii: "r")]
            case 0x09: bytes += [92, UInt8(ascii: "t")]
            case ..<0x20: bytes += [92, UInt8(ascii: "u"), 48, 48, hex[Int(b >> 4)], hex[Int(b & 0xF)]]
            default: bytes.append(b)
            }
        }
        bytes.append(UInt8(ascii: "\""))
        return String(decoding: bytes, as: UTF8.self)
    }

    static func uuidText(_ b: [UInt8]) -> String {
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(36)
        for (i, byte) in b.enumerated() {
            if i == 4 || i == 6 || i == 8 || i == 10 { out.append(UInt8(ascii: "-")) }
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Java's `Transform.toHumanString` form of an identity value (partition paths).
    var humanText: String {
        switch self {
        case .null: return "null"
        case .boolean(let v): return v ? "true" : "false"
        case .int(let v): return String(v)
        case .long(let v): return String(v)
        case .float(let v): return v.isFinite ? String(v) : Self.nonFinite(Double(v))
        case .double(let v): return v.isFinite ? String(v) : Self.nonFinite(v)
        case .decimal(let u, let s): return Decimal128.text(u, scale: s)
        case .date(let d): return CivilTime.dateText(Int64(d))
        case .time(let us): return Self.javaTime(us * 1000)
        case .timestamp(let us): return Self.javaTimestamp(us, perSecond: 1_000_000)
        case .timestamptz(let us): return Self.javaTimestamp(us, perSecond: 1_000_000) + "Z"
        case .timestampNs(let ns): return Self.javaTimestamp(ns, perSecond: 1_000_000_000)
        case .timestamptzNs(let ns): return Self.javaTimestamp(ns, perSecond: 1_000_000_000) + "Z"
        case .string(let s): return s
        case .uuid(let b): return Self.uuidText(b)
        case .fixed(let b), .binary(let b): return Base64.encode(b)
        case .structValue, .list, .map: return jsonText
        }
    }

    /// java.time.LocalTime.toString: HH:mm, then :ss if needed, then the fraction in groups of 3 digits.
    static func javaTime(_ nanosOfDay: Int64) -> String {
        let seconds = nanosOfDay / 1_000_000_000
        let nanos = nanosOfDay % 1_000_000_000
        var s = "\(CivilTime.pad(seconds / 3600, 2)):\(CivilTime.pad(seconds / 60 % 60, 2))"
        if seconds % 60 != 0 || nanos != 0 {
            s += ":" + CivilTime.pad(seconds % 60, 2)
            if nanos != 0 {
                if nanos % 1_000_000 == 0 {
                    s += "." + CivilTime.pad(nanos / 1_000_000, 3)
                } else if nanos % 1000 == 0 {
                    s += "." + CivilTime.pad(nanos / 1000, 6)
                } else {
                    s += "." + CivilTime.pad(nanos, 9)
                }
            }
        }
        return s
    }

    static func javaTimestamp(_ value: Int64, perSecond: Int64) -> String {
        let perDay = perSecond * 86_400
        let days = CivilTime.floorDiv(value, perDay)
        let rest = value - days * perDay
        return CivilTime.dateText(days) + "T" + javaTime(rest * (1_000_000_000 / perSecond))
    }
}

enum Base64 {
    static func encode(_ bytes: [UInt8]) -> String {
        let table = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out += [table[Int(n >> 18 & 63)], table[Int(n >> 12 & 63)], table[Int(n >> 6 & 63)], table[Int(n & 63)]]
            i += 3
        }
        let rest = bytes.count - i
        if rest == 1 {
            let n = UInt32(bytes[i]) << 16
            out += [table[Int(n >> 18 & 63)], table[Int(n >> 12 & 63)], 61, 61]
        } else if rest == 2 {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            out += [table[Int(n >> 18 & 63)], table[Int(n >> 12 & 63)], table[Int(n >> 6 & 63)], 61]
        }
        return String(decoding: out, as: UTF8.self)
    }
}
