public import IcebergData

/// Evaluates one compiled node against a row.
typealias Evaluator = @Sendable ([IcebergValue]) throws(QueryError) -> IcebergValue

/// A type-checked expression, compiled into a tree of closures: each node knows its operand types,
/// so evaluation does no name lookups or type dispatch beyond matching the value's case.
public struct CompiledExpression: Sendable {
    public let type: IcebergType
    let run: Evaluator
    /// Set when the expression does not depend on the row (folded at compile time).
    let constant: IcebergValue?

    init(type: IcebergType, run: @escaping Evaluator) {
        self.type = type
        self.run = run
        self.constant = nil
    }

    init(constant: IcebergValue, type: IcebergType) {
        self.type = type
        self.run = { _ throws(QueryError) in constant }
        self.constant = constant
    }

    /// Runtime errors (overflow, bad casts) carry the location of the failing expression.
    public func evaluate(_ row: [IcebergValue]) throws(QueryError) -> IcebergValue { try run(row) }

    var isNullConstant: Bool { constant?.isNull ?? false }
}
