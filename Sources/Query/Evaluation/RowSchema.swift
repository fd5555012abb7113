public import IcebergData

/// The columns of the rows an expression is evaluated against (a table's projected columns, or a join's two sides).
public struct RowSchema: Sendable {
    public struct Column: Sendable, Hashable {
        public var qualifier: String?
        public var name: String
        public var type: IcebergType
        public init(qualifier: String?, name: String, type: IcebergType) {
            self.qualifier = qualifier
            self.name = name
            self.type = type
        }
    }

    public var columns: [Column]

    public init(_ columns: [Column]) { self.columns = columns }

    /// ["id"] or ["t", "id"] → index; case-insensitive; ambiguous or unknown names throw with the location.
    public func resolve(_ name: [String], at location: SourceLocation) throws(QueryError) -> Int {
        guard let last = name.last, name.count <= 2 else {
            throw QueryError("unknown column \"\(name.joined(separator: "."))\"", at: location)
        }
        let wanted = last.lowercased()
        let qualifier = name.count == 2 ? name[0].lowercased() : nil
        var found: Int?
        for (i, c) in columns.enumerated() where c.name.lowercased() == wanted {
            if let qualifier, c.qualifier?.lowercased() != qualifier { continue }
            if found != nil { throw QueryError("ambiguous column \"\(name.joined(separator: "."))\"", at: location) }
            found = i
        }
        guard let found else { throw QueryError("unknown column \"\(name.joined(separator: "."))\"", at: location) }
        return found
    }
}
