import IcebergData
import IcebergModel

/// Text and JSON values converted to one Iceberg type; failures name the column and the value.
enum ValueConversion {
    static func bad(_ column: String, _ shown: String, _ type: IcebergType, _ why: String = "") -> IngestError {
        .invalid("column \(column): cannot read \(shown) as \(type)\(why.isEmpty ? "" : " (\(why))")")
    }

    static func trimmed(_ text: String) -> Substring {
        var s = Substring(text)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return s
    }

    /// Text (a CSV field, or a JSON string for a non-string type) as a value of `type`.
    static func fromText(_ raw: String, _ type: IcebergType, column: String, depth: Int) throws(IngestError) -> IcebergValue {
        if case .string = type { return .string(raw) }
        let text = trimmed(raw)
        func fail(_ why: String = "") -> IngestError { bad(column, TextLiteral.shown(raw), type, why) }
        switch type {
        case .string: return .string(raw)
        case .unknown: return .null
        case .boolean:
            guard let v = TextLiteral.boolean(text) else { throw fail() }
            return .boolean(v)
        case .int:
            guard let v = Int32(String(text.hasPrefix("+") ? text.dropFirst() : text)) else { throw fail() }
            return .int(v)
        case .long:
            guard let v = Int64(String(text.hasPrefix("+") ? text.dropFirst() : text)) else { throw fail() }
            return .long(v)
        case .float, .double:
            guard let d = double(text) else { throw fail() }
            if case .float = type {
                let f = Float(d)
                guard f.isFinite || !d.isFinite else { throw fail("out of range") }
                return .float(f)
            }
            return .double(d)
        case .decimal(let precision, let scale):
            guard let u = TextLiteral.decimal(text.utf8, precision: precision, scale: scale) else {
                throw fail("more digits than the type holds, or not a plain decimal")
            }
            return .decimal(unscaled: u, scale: scale)
        case .date:
            guard case .date(let days)? = TextLiteral.temporal(String(text)), let d = Int32(exactly: days) else { throw fail() }
            return .date(d)
        case .time:
            guard let nanos = TextLiteral.timeOfDay(String(text)) else { throw fail() }
            guard nanos % 1000 == 0 else { throw fail("sub-microsecond digits") }
            return .time(nanos / 1000)
        case .timestamp, .timestamptz, .timestampNs, .timestamptzNs:
            let zoned: Bool
            switch type {
            case .timestamptz, .timestamptzNs: zoned = true
            default: zoned = false
            }
            let nanos: Int64
            switch TextLiteral.temporal(String(text)) {
            case .date(let days)?:
                let (r, o) = days.multipliedReportingOverflow(by: 86_400_000_000_000)
                guard !o else { throw fail("out of range") }
                nanos = r
            case .timestamp(let n, let hasOffset, _)?:
                guard zoned || !hasOffset else { throw fail("a zone offset in a timestamp without time zone") }
                nanos = n
            case nil: throw fail()
            }
            switch type {
            case .timestamp, .timestamptz:
                guard nanos % 1000 == 0 else { throw fail("sub-microsecond digits") }
                return type == .timestamp ? .timestamp(nanos / 1000) : .timestamptz(nanos / 1000)
            default:
                return type == .timestampNs ? .timestampNs(nanos) : .timestamptzNs(nanos)
            }
        case .uuid:
            guard let b = TextLiteral.uuid(String(text)) else { throw fail() }
            return .uuid(b)
        case .binary:
            guard let b = TextLiteral.hex(String(text)) else { throw fail("expected hex digits") }
            return .binary(b)
        case .fixed(let n):
            guard let b = TextLiteral.hex(String(text)), b.count == n else { throw fail("expected \(n) bytes in hex") }
            return .fixed(b)
        case .structType, .list, .map:
            let json: JSONValue
            do { json = try JSONText.parse(String(text)) } catch { throw fail("not JSON") }
            return try fromJSON(json, type, column: column, ignoreExtra: false, depth: depth)
        }
    }

    /// Plain or exponent decimal text, NaN and ±Infinity; no hex floats or other spellings.
    static func double(_ text: Substring) -> Double? {
        switch text {
        case "NaN": return .nan
        case "Infinity", "+Infinity": return .infinity
        case "-Infinity": return -.infinity
        default:
            let allowed = text.utf8.allSatisfy { TextLiteral.isDigit($0) || $0 == 46 || $0 == 45 || $0 == 43 || $0 == 101 || $0 == 69 }
            guard allowed, text.utf8.contains(where: TextLiteral.isDigit) else { return nil }
            return Double(String(text))
        }
    }

    static func fromJSON(_ json: JSONValue, _ type: IcebergType, column: String, ignoreExtra: Bool, depth: Int) throws(IngestError) -> IcebergValue {
        guard depth <= JSONValue.maxDepth else { throw .invalid("column \(column): nested deeper than \(JSONValue.maxDepth)") }
        if case .null = json { return .null }
        if case .string(let s) = json { return try fromText(s, type, column: column, depth: depth) }
        func fail(_ why: String = "") -> IngestError { bad(column, TextLiteral.shown(JSONText.text(json)), type, why) }
        switch type {
        case .string: return .string(JSONText.text(json))
        case .unknown: return .null
        case .boolean:
            guard case .bool(let v) = json else { throw fail() }
            return .boolean(v)
        case .int, .long:
            let v: Int64
            switch json {
            case .int(let i): v = i
            case .double(let d) where d.rounded() == d && abs(d) < 9.2e18: v = Int64(d)
            default: throw fail()
            }
            if case .int = type {
                guard let i = Int32(exactly: v) else { throw fail("out of range") }
                return .int(i)
            }
            return .long(v)
        case .float, .double:
            let d: Double
            switch json {
            case .int(let i): d = Double(i)
            case .double(let x): d = x
            default: throw fail()
            }
            if case .float = type {
                guard Float(d).isFinite else { throw fail("out of range") }
                return .float(Float(d))
            }
            return .double(d)
        case .decimal:
            switch json {
            case .int(let i): return try fromText(String(i), type, column: column, depth: depth)
            case .double(let d): return try fromText(String(d), type, column: column, depth: depth)
            default: throw fail()
            }
        case .date, .time, .timestamp, .timestamptz, .timestampNs, .timestamptzNs, .uuid, .binary, .fixed:
            throw fail("expected a string")
        case .structType(let fields):
            guard case .object(let members) = json else { throw fail("expected an object") }
            return .structValue(try structValues(members, fields, prefix: column + ".", ignoreExtra: ignoreExtra, depth: depth + 1))
        case .list(_, let elementRequired, let element):
            guard case .array(let values) = json else { throw fail("expected an array") }
            var out: [IcebergValue] = []
            out.reserveCapacity(values.count)
            for v in values {
                let converted = try fromJSON(v, element, column: column + ".element", ignoreExtra: ignoreExtra, depth: depth + 1)
                if elementRequired && converted.isNull { throw .invalid("column \(column): a list element is NULL but required") }
                out.append(converted)
            }
            return .list(out)
        case .map(_, let keyType, _, let valueRequired, let valueType):
            var entries: [IcebergMapEntry] = []
            func add(_ key: IcebergValue, _ value: JSONValue) throws(IngestError) {
                guard !key.isNull else { throw .invalid("column \(column): a map key is NULL") }
                let v = try fromJSON(value, valueType, column: column + ".value", ignoreExtra: ignoreExtra, depth: depth + 1)
                if valueRequired && v.isNull { throw .invalid("column \(column): a map value is NULL but required") }
                entries.append(IcebergMapEntry(key: key, value: v))
            }
            switch json {
            case .object(let members):
                entries.reserveCapacity(members.count)
                for (k, v) in members.sorted(by: { $0.key < $1.key }) {
                    try add(try fromText(k, keyType, column: column + ".key", depth: depth + 1), v)
                }
            case .array(let pairs):
                entries.reserveCapacity(pairs.count)
                for pair in pairs {
                    guard case .object(let kv) = pair, let k = kv["key"] else { throw fail("expected an object or [{\"key\":…,\"value\":…}]") }
                    try add(try fromJSON(k, keyType, column: column + ".key", ignoreExtra: ignoreExtra, depth: depth + 1), kv["value"] ?? .null)
                }
            default: throw fail("expected an object")
            }
            return .map(entries)
        }
    }

    /// Struct fields from an object's members, by name (exact, else ignoring case); absent members are NULL.
    static func structValues(
        _ members: [String: JSONValue], _ fields: [IcebergField], prefix: String, ignoreExtra: Bool, depth: Int
    ) throws(IngestError) -> [IcebergValue] {
        var out: [IcebergValue] = []
        out.reserveCapacity(fields.count)
        var used = 0
        var lowered: [String: String]?
        for f in fields {
            var member = members[f.name]
            if member == nil {
                if lowered == nil {
                    var map: [String: String] = [:]
                    for k in members.keys { map[k.lowercased()] = map[k.lowercased()] ?? k }
                    lowered = map
                }
                if let k = lowered?[f.name.lowercased()] { member = members[k] }
            }
            if member != nil { used += 1 }
            let v = try fromJSON(member ?? .null, f.type, column: prefix + f.name, ignoreExtra: ignoreExtra, depth: depth)
            try checkRequired(v, f, prefix + f.name)
            out.append(v)
        }
        if used < members.count && !ignoreExtra {
            let known = Set(fields.map { $0.name.lowercased() })
            let extra = members.keys.sorted().filter { !known.contains($0.lowercased()) }
            if let first = extra.first { throw .invalid("column \(prefix + first) is not in the table schema") }
        }
        return out
    }

    static func checkRequired(_ v: IcebergValue, _ f: IcebergField, _ column: String) throws(IngestError) {
        if f.required && v.isNull { throw .invalid("column \(column) is required but the value is NULL") }
    }
}
