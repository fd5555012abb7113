import IcebergData
import IcebergModel

/// A column's type as seen so far, widened as values arrive.
indirect enum InferredType: Sendable {
    case empty  // only NULLs
    case boolean
    case number(NumberStats)
    case date, timestamp, timestamptz
    case string
    case structure(InferredStruct)
    case list(InferredType)

    struct NumberStats: Sendable {
        var needsLong = false
        var isDecimal = false
        var isDouble = false
        var integerDigits = 0
        var scale = 0

        mutating func merge(_ o: NumberStats) {
            needsLong = needsLong || o.needsLong
            isDecimal = isDecimal || o.isDecimal
            isDouble = isDouble || o.isDouble
            integerDigits = max(integerDigits, o.integerDigits)
            scale = max(scale, o.scale)
        }

        init(_ shape: TextLiteral.NumberShape) {
            switch shape {
            case .integer(let digits, let fitsInt, let fitsLong):
                integerDigits = digits
                needsLong = !fitsInt
                isDecimal = !fitsLong
            case .decimal(let digits, let s):
                integerDigits = digits
                scale = s
                isDecimal = true
            case .double:
                isDouble = true
            }
        }

        var type: IcebergType {
            if isDouble { return .double }
            // A sample sees only the first rows: numbers get room for what follows (integers as
            // long, decimals at precision 38 with the sample's scale), as DuckDB and Spark do.
            if isDecimal {
                let precision = max(integerDigits + scale, 1)
                return precision <= 38 ? .decimal(precision: 38, scale: scale) : .double
            }
            return .long
        }
    }

    /// The join of two observations: the narrowest type both fit, or string when they conflict.
    static func join(_ a: InferredType, _ b: InferredType) -> InferredType {
        switch (a, b) {
        case (.empty, _): return b
        case (_, .empty): return a
        case (.string, _), (_, .string): return .string
        case (.boolean, .boolean): return .boolean
        case (.number(var x), .number(let y)):
            x.merge(y)
            return .number(x)
        case (.date, .date): return .date
        case (.timestamp, .timestamp), (.date, .timestamp), (.timestamp, .date): return .timestamp
        case (.timestamptz, .timestamptz): return .timestamptz
        case (.structure(var x), .structure(let y)):
            x.merge(y)
            return .structure(x)
        case (.list(let x), .list(let y)): return .list(join(x, y))
        default: return .string
        }
    }

    /// CSV text: typed by its content.
    static func of(text: String) -> InferredType {
        let lower = text.lowercased()
        if lower == "true" || lower == "false" { return .boolean }
        if let shape = TextLiteral.numberShape(text.utf8) { return .number(NumberStats(shape)) }
        return temporal(text) ?? .string
    }

    static func temporal(_ text: String) -> InferredType? {
        switch TextLiteral.temporal(text) {
        case .date?: return .date
        case .timestamp(_, let hasOffset, let fractionDigits)?:
            guard fractionDigits <= 6 else { return nil }  // nanosecond text stays a string rather than losing digits
            return hasOffset ? .timestamptz : .timestamp
        case nil: return nil
        }
    }

    /// JSON: typed by the JSON kind (strings may still be dates or timestamps).
    static func of(json: JSONValue, depth: Int = 0) -> InferredType {
        guard depth <= JSONValue.maxDepth else { return .string }
        switch json {
        case .null: return .empty
        case .bool: return .boolean
        case .int(let v):
            return .number(NumberStats(.integer(digits: TextLiteral.digitCount(Int128(v)), fitsInt: Int32(exactly: v) != nil, fitsLong: true)))
        case .double(let d):
            return .number(NumberStats(TextLiteral.numberShape(String(d).utf8) ?? .double))
        case .string(let s): return temporal(s) ?? .string
        case .array(let values):
            var element = InferredType.empty
            for v in values { element = join(element, of(json: v, depth: depth + 1)) }
            return .list(element)
        case .object(let members):
            var s = InferredStruct()
            s.observe(members, depth: depth + 1)
            return .structure(s)
        }
    }
}

/// Struct members in first-seen order.
struct InferredStruct: Sendable {
    var names: [String] = []
    var members: [String: InferredType] = [:]

    mutating func observe(_ name: String, _ type: InferredType) {
        if let old = members[name] {
            members[name] = InferredType.join(old, type)
        } else {
            names.append(name)
            members[name] = type
        }
    }

    /// New keys of one object are added in sorted order (a dictionary does not keep the file's order).
    mutating func observe(_ object: [String: JSONValue], depth: Int) {
        for key in object.keys.sorted() {
            guard let v = object[key] else { continue }
            observe(key, InferredType.of(json: v, depth: depth))
        }
    }

    mutating func merge(_ other: InferredStruct) {
        for name in other.names {
            if let t = other.members[name] { observe(name, t) }
        }
    }
}
