import IcebergData

/// The select list, GROUP BY, HAVING and ORDER BY compiled: for an aggregation, against the
/// aggregated row (group keys, then aggregate results); otherwise against the input row.
enum OutputPlanner {
    static let groupQualifier = "__group"
    static let aggregateQualifier = "__aggregate"

    static func plan(_ statement: SelectStatement, input: RowSchema, full: RowSchema) throws(QueryError) -> (OutputPlan, [IcebergField]) {
        // `*` expands to the input columns (a qualifier picks one table's).
        var items: [(expression: SQLExpression, alias: String?)] = []
        for item in statement.items {
            if item.isStar {
                let qualifier = item.starQualifier?.last?.lowercased()
                let matching = input.columns.filter { qualifier == nil || $0.qualifier == qualifier }
                guard !matching.isEmpty else { throw QueryError("no table \(qualifier ?? "") to expand * from") }
                for column in matching { items.append((.column([column.qualifier ?? "", column.name], SQLExpression.nowhere), column.name)) }
            } else if let expression = item.expression {
                items.append((expression, item.alias))
            }
        }
        let aliases = Dictionary(items.compactMap { item in item.alias.map { ($0.lowercased(), item.expression) } }, uniquingKeysWith: { first, _ in first })

        /// GROUP BY / ORDER BY: a 1-based position or a select alias names a select item. ORDER BY
        /// sees the output's names first (an alias hides an input column of the same name);
        /// GROUP BY sees the input's.
        func resolveReference(_ expression: SQLExpression, preferAlias: Bool = false) throws(QueryError) -> SQLExpression {
            if case .literal(.long(let position), let location) = expression {
                guard position >= 1, position <= items.count else { throw QueryError("position \(position) is not in the select list", at: location) }
                return items[Int(position) - 1].expression
            }
            if case .column(let parts, let location) = expression, parts.count == 1, let aliased = aliases[parts[0].lowercased()],
                preferAlias || (try? input.resolve(parts, at: location)) == nil
            {
                return aliased
            }
            return expression
        }
        let groupBy = try statement.groupBy.map { e throws(QueryError) in try resolveReference(e) }
        let orderBy = try statement.orderBy.map { item throws(QueryError) in (try resolveReference(item.expression, preferAlias: true), item.ascending, item.nullsFirst ?? false) }

        var plan = OutputPlan()
        let all = items.map(\.expression) + [statement.having].compactMap { $0 } + orderBy.map(\.0)
        plan.aggregated = !groupBy.isEmpty || all.contains { !$0.aggregateCalls.isEmpty }
        if statement.having != nil && !plan.aggregated { throw QueryError("HAVING needs GROUP BY or an aggregate", at: statement.having?.location) }

        let outputSchema: RowSchema
        var rewrite: (SQLExpression) throws(QueryError) -> SQLExpression = { $0 }
        if plan.aggregated {
            var columns: [RowSchema.Column] = []
            var table: [SQLExpression: SQLExpression] = [:]
            for (index, expression) in groupBy.enumerated() {
                let compiled = try ExpressionCompiler.compile(expression, schema: input)
                plan.groupKeys.append(compiled)
                columns.append(RowSchema.Column(qualifier: groupQualifier, name: "g\(index)", type: compiled.type))
                table[expression.shape] = .column([groupQualifier, "g\(index)"], expression.location)
            }
            var seen: [SQLExpression] = []
            for call in all.flatMap(\.aggregateCalls) where !seen.contains(call.shape) {
                seen.append(call.shape)
                guard case .function(let name, let arguments, let distinct, let star, let location) = call else { continue }
                guard star || arguments.count == 1 else { throw QueryError("\(name) takes one argument", at: location) }
                if let argument = arguments.first, !argument.aggregateCalls.isEmpty { throw QueryError("aggregates cannot be nested", at: location) }
                let argument = try arguments.first.map { e throws(QueryError) in try ExpressionCompiler.compile(e, schema: input) }
                let function = try AggregateFunction.make(name: name, distinct: distinct, star: star, argumentType: argument?.type, at: location)
                table[call.shape] = .column([aggregateQualifier, "a\(plan.aggregates.count)"], location)
                columns.append(RowSchema.Column(qualifier: aggregateQualifier, name: "a\(plan.aggregates.count)", type: function.resultType))
                plan.aggregates.append((function, argument))
            }
            outputSchema = RowSchema(columns)
            rewrite = { expression throws(QueryError) in
                let rewritten = expression.replacing(table)
                for (parts, location) in rewritten.columns() where parts.first != groupQualifier && parts.first != aggregateQualifier {
                    throw QueryError("column \(parts.joined(separator: ".")) must appear in GROUP BY or be used in an aggregate function", at: location)
                }
                return rewritten
            }
            plan.having = try statement.having.map { e throws(QueryError) in try ExpressionCompiler.compile(try rewrite(e), schema: outputSchema) }
        } else {
            outputSchema = input
        }
        var fields: [IcebergField] = []
        var names: Set<String> = []
        for (index, item) in items.enumerated() {
            let compiled = try ExpressionCompiler.compile(try rewrite(item.expression), schema: outputSchema)
            plan.outputs.append(compiled)
            // Output names are unique (JSON objects, CSV headers and new tables need that): `v`, `v_2`.
            let base = item.alias ?? item.expression.displayName
            var name = base
            var suffix = 1
            while names.contains(name.lowercased()) {
                suffix += 1
                name = "\(base)_\(suffix)"
            }
            names.insert(name.lowercased())
            fields.append(IcebergField(id: index + 1, name: name, required: false, type: compiled.type))
        }
        for (expression, ascending, nullsFirst) in orderBy {
            plan.sortKeys.append((try ExpressionCompiler.compile(try rewrite(expression), schema: outputSchema), ascending, nullsFirst))
        }
        return (plan, fields)
    }
}
