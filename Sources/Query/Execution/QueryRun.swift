import IcebergData

public struct QueryStats: Sendable {
    public var rowsRead = 0
    public var rowsOut = 0
    public var dataFiles = 0
    public var rowGroupsRead = 0
    public var rowGroupsSkipped = 0
    public var bytesRead: Int64 = 0
}

extension PreparedQuery {
    /// Runs the query, streaming rows to `emit` (false stops it). Memory: one row group per table
    /// being read, the build side of each join, the groups of an aggregation, and the rows held for
    /// ORDER BY or DISTINCT — each bounded by `QueryLimits`.
    public func run(_ emit: ([IcebergValue]) throws -> Bool) async throws -> QueryStats {
        var stats = QueryStats()
        // Build sides: the joined tables, hashed on their keys.
        var tables: [[[IcebergValue]: [[IcebergValue]]]] = []
        for join in joins {
            var table: [[IcebergValue]: [[IcebergValue]]] = [:]
            var held = 0
            let read = try await inputs[join.input].rows { row in
                let key = try join.rightKeys.map { try $0.evaluate(row) }
                if key.contains(.null) { return true }
                held += 1
                guard held <= limits.maxBuildRows else {
                    throw QueryError("the joined table \(inputs[join.input].qualifier) has more than \(limits.maxBuildRows) rows to hold; join the larger table first (it is streamed) or filter the smaller one")
                }
                table[key, default: []].append(row)
                return true
            }
            tables.append(table)
            collect(read, into: &stats)
        }

        var groups: [[IcebergValue]: [AggregateState]] = [:]
        var held: [(row: [IcebergValue], keys: [IcebergValue])] = []
        var distinct: Set<[IcebergValue]> = []
        let streaming = !plan.aggregated && plan.sortKeys.isEmpty
        var skipped = 0
        var emitted = 0
        let offset = statement.offset ?? 0
        let limit = statement.limit

        /// A finished output row: straight out when nothing needs the whole result, else held.
        func deliver(_ row: [IcebergValue], keys: [IcebergValue]) throws -> Bool {
            if statement.distinct {
                guard distinct.insert(row).inserted else { return true }
                guard distinct.count <= limits.maxHeldRows else { throw QueryError("more than \(limits.maxHeldRows) distinct rows to hold") }
            }
            if streaming {
                if skipped < offset {
                    skipped += 1
                    return true
                }
                if let limit, emitted >= limit { return false }
                emitted += 1
                guard try emit(row) else { return false }
                return limit.map { emitted < $0 } ?? true
            }
            held.append((row, keys))
            guard held.count <= limits.maxHeldRows else { throw QueryError("more than \(limits.maxHeldRows) rows to sort; add a LIMIT or a filter") }
            return true
        }

        func consume(_ row: [IcebergValue]) throws -> Bool {
            if let filter, try filter.evaluate(row) != .boolean(true) { return true }
            if plan.aggregated {
                let key = try plan.groupKeys.map { try $0.evaluate(row) }
                if groups[key] == nil {
                    guard groups.count < limits.maxGroups else { throw QueryError("more than \(limits.maxGroups) groups") }
                    groups[key] = plan.aggregates.map { $0.function.makeState() }
                }
                for (index, aggregate) in plan.aggregates.enumerated() {
                    let value = try aggregate.argument?.evaluate(row) ?? .boolean(true)
                    try groups[key]![index].add(value)
                }
                return true
            }
            let output = try plan.outputs.map { try $0.evaluate(row) }
            let keys = try plan.sortKeys.map { try $0.expression.evaluate(row) }
            return try deliver(output, keys: keys)
        }

        /// The row so far joined with each table in turn (inner: matches only; left: NULLs when none).
        func expand(_ row: [IcebergValue], from join: Int) throws -> Bool {
            guard join < joins.count else { return try consume(row) }
            let spec = joins[join]
            let key = try spec.leftKeys.map { try $0.evaluate(row) }
            var matched = false
            if !key.contains(.null), let candidates = tables[join][key] {
                for candidate in candidates {
                    let combined = row + candidate
                    if let residual = spec.residual, try residual.evaluate(combined) != .boolean(true) { continue }
                    matched = true
                    guard try expand(combined, from: join + 1) else { return false }
                }
            }
            if !matched && spec.kind == .left {
                return try expand(row + Array(repeating: .null, count: spec.width), from: join + 1)
            }
            return true
        }

        let read = try await inputs[0].rows { row in
            stats.rowsRead += 1
            return try expand(row, from: 0)
        }
        collect(read, into: &stats)

        if plan.aggregated {
            // No GROUP BY: one group, even over no rows (count(*) = 0).
            if groups.isEmpty && plan.groupKeys.isEmpty { groups[[]] = plan.aggregates.map { $0.function.makeState() } }
            for (key, states) in groups {
                let aggregatedRow = key + states.map { $0.result() }
                if let having = plan.having, try having.evaluate(aggregatedRow) != .boolean(true) { continue }
                let output = try plan.outputs.map { try $0.evaluate(aggregatedRow) }
                let keys = try plan.sortKeys.map { try $0.expression.evaluate(aggregatedRow) }
                guard try deliver(output, keys: keys) else { break }
            }
        }
        if !streaming {
            let order = plan.sortKeys.map { ($0.ascending, $0.nullsFirst) }
            if !order.isEmpty {
                held.sort { a, b in Self.precedes(a.keys, b.keys, order) }
            }
            for (row, _) in held.dropFirst(offset).prefix(limit ?? Int.max) {
                emitted += 1
                guard try emit(row) else { break }
            }
        }
        stats.rowsOut = emitted
        return stats
    }

    func collect(_ read: TableReader.ReadStats, into stats: inout QueryStats) {
        stats.dataFiles += read.dataFiles
        stats.rowGroupsRead += read.rowGroupsRead
        stats.rowGroupsSkipped += read.rowGroupsSkipped
        stats.bytesRead += read.bytesRead
    }

    /// ORDER BY: NULLs last unless NULLS FIRST (DuckDB's default), values of one type by their order.
    static func precedes(_ a: [IcebergValue], _ b: [IcebergValue], _ order: [(ascending: Bool, nullsFirst: Bool)]) -> Bool {
        for (index, (ascending, nullsFirst)) in order.enumerated() {
            let x = a[index]
            let y = b[index]
            switch (x == .null, y == .null) {
            case (true, true): continue
            case (true, false): return nullsFirst
            case (false, true): return !nullsFirst
            case (false, false):
                let c = QueryOrdering.compare(x, y)
                if c == 0 { continue }
                return ascending ? c < 0 : c > 0
            }
        }
        return false
    }
}

enum QueryOrdering {
    /// Same-type values by IcebergValue's order; numbers of different types by their numeric value.
    static func compare(_ a: IcebergValue, _ b: IcebergValue) -> Int {
        if let c = IcebergValue.compare(a, b) { return c }
        if let x = number(a), let y = number(b) { return x < y ? -1 : (x > y ? 1 : 0) }
        return 0
    }

    static func number(_ v: IcebergValue) -> Double? {
        switch v {
        case .int(let x): return Double(x)
        case .long(let x): return Double(x)
        case .float(let x): return Double(x)
        case .double(let x): return x
        case .decimal(let unscaled, let scale): return Double(unscaled) / pow10(scale)
        default: return nil
        }
    }

    static func pow10(_ n: Int) -> Double {
        var r = 1.0
        for _ in 0..<max(0, n) { r *= 10 }
        return r
    }
}
