/// The one error type of the IcebergData target.
public enum IcebergDataError: Error, Sendable, Equatable {
    /// The input is well formed but not acceptable (an unknown column, a bad literal, a wrong type).
    case invalid(String)
    /// Valid Iceberg that this implementation does not handle.
    case unsupported(String)
    /// Bytes or JSON that do not follow the format.
    case malformed(String)
}

extension IcebergDataError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .invalid(let m), .unsupported(let m), .malformed(let m): return m
        }
    }
}

extension Expression: CustomStringConvertible {
    /// SQL-like text: `id > 5 AND name STARTS WITH 'a'`.
    public var description: String {
        switch self {
        case .alwaysTrue: return "TRUE"
        case .alwaysFalse: return "FALSE"
        case .and(let a, let b): return "(\(a) AND \(b))"
        case .or(let a, let b): return "(\(a) OR \(b))"
        case .not(let e): return "NOT \(e)"
        case .predicate(let p):
            let values = p.literals.map(\.jsonText)
            switch p.op {
            case .isNull: return "\(p.column) IS NULL"
            case .notNull: return "\(p.column) IS NOT NULL"
            case .isNaN: return "\(p.column) IS NAN"
            case .notNaN: return "\(p.column) IS NOT NAN"
            case .lessThan: return "\(p.column) < \(values.first ?? "")"
            case .lessThanOrEqual: return "\(p.column) <= \(values.first ?? "")"
            case .greaterThan: return "\(p.column) > \(values.first ?? "")"
            case .greaterThanOrEqual: return "\(p.column) >= \(values.first ?? "")"
            case .equal: return "\(p.column) = \(values.first ?? "")"
            case .notEqual: return "\(p.column) <> \(values.first ?? "")"
            case .in: return "\(p.column) IN (\(values.joined(separator: ", ")))"
            case .notIn: return "\(p.column) NOT IN (\(values.joined(separator: ", ")))"
            case .startsWith: return "\(p.column) STARTS WITH \(values.first ?? "")"
            case .notStartsWith: return "\(p.column) NOT STARTS WITH \(values.first ?? "")"
            }
        }
    }
}
