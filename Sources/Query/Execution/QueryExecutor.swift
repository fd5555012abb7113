import IcebergData
import IcebergModel

/// Where the tables of a query come from: the catalog and the object store, behind the CLI.
public protocol QueryTableProvider: Sendable {
    /// `warehouse.namespace.table` (the CLI also accepts `namespace.table` in its default warehouse).
    func table(_ name: [String]) async throws -> (metadata: TableMetadata, io: any TableFileIO)
    /// Files named by a path or glob (`FROM 'data/*.parquet'`): Parquet as a table, CSV and JSON lines as rows.
    func files(_ path: String) async throws -> QuerySource
}

/// What a `FROM 'path'` reads: Parquet files seen as a table (pruning and projection apply), or
/// rows of a schema streamed by the provider (CSV and JSON lines, typed as `floe ingest` types them).
public enum QuerySource: Sendable {
    case table(metadata: TableMetadata, io: any TableFileIO)
    case rows(schema: IcebergSchema, read: @Sendable (_ emit: ([IcebergValue]) throws -> Bool) async throws -> Void)
}

public struct QueryLimits: Sendable {
    /// Rows of the right side of a join held in memory (the hash table's build side).
    public var maxBuildRows = 5_000_000
    public var maxGroups = 5_000_000
    /// Rows held to sort, or to make DISTINCT, when there is no LIMIT to bound them.
    public var maxHeldRows = 10_000_000
    public init() {}
}

/// One table of a query: what is read from it and how its rows are filtered while reading.
struct TableInput {
    var reference: TableReference
    var qualifier: String
    var metadata: TableMetadata
    var io: any TableFileIO
    var snapshotID: Int64?
    var schema: IcebergSchema
    /// Columns read, in schema order; their values form this input's part of the combined row.
    var columns: [IcebergField] = []
    var pushed: [IcebergData.Expression] = []
    /// Rows streamed by the provider instead of a table reader (CSV and JSON-lines files).
    var rowSource: (@Sendable (([IcebergValue]) throws -> Bool) async throws -> Void)?

    /// Every row of this input, projected to `columns`.
    func rows(_ emit: ([IcebergValue]) throws -> Bool) async throws -> TableReader.ReadStats {
        if let rowSource {
            let indices = columns.map { column in schema.fields.firstIndex { $0.id == column.id } ?? 0 }
            try await rowSource { row in try emit(indices.map { $0 < row.count ? row[$0] : .null }) }
            return TableReader.ReadStats()
        }
        let reader = try reader()
        try await reader.rows(io: io, emit)
        return reader.stats
    }

    var pushedFilter: IcebergData.Expression { pushed.reduce(IcebergData.Expression.alwaysTrue) { $0 == .alwaysTrue ? $1 : .and($0, $1) } }

    func reader() throws -> TableReader {
        do {
            return try TableReader(metadata: metadata, snapshotID: snapshotID, columns: columns.map(\.name), filter: pushedFilter)
        } catch {
            throw QueryError("\(reference.name.joined(separator: ".")): \(error)", at: reference.location)
        }
    }
}

/// A SELECT ready to run: its tables resolved, expressions type-checked, the output columns known.
public final class PreparedQuery {
    public let columns: [IcebergField]
    let statement: SelectStatement
    let sql: String
    let limits: QueryLimits
    var inputs: [TableInput]
    let inputSchema: RowSchema
    let filter: CompiledExpression?
    let joins: [PreparedJoin]
    let plan: OutputPlan

    init(statement: SelectStatement, sql: String, limits: QueryLimits, inputs: [TableInput], inputSchema: RowSchema, filter: CompiledExpression?, joins: [PreparedJoin], plan: OutputPlan, columns: [IcebergField]) {
        self.statement = statement
        self.sql = sql
        self.limits = limits
        self.inputs = inputs
        self.inputSchema = inputSchema
        self.filter = filter
        self.joins = joins
        self.plan = plan
        self.columns = columns
    }
}

struct PreparedJoin {
    var kind: JoinKind
    var input: Int
    /// Keys evaluated on the row so far (left) and on the joined table's own row (right).
    var leftKeys: [CompiledExpression]
    var rightKeys: [CompiledExpression]
    var residual: CompiledExpression?
    var width: Int
}

/// After the rows are read, joined and filtered: either a projection or an aggregation, then
/// DISTINCT, ORDER BY, OFFSET and LIMIT.
struct OutputPlan {
    var groupKeys: [CompiledExpression] = []
    var aggregates: [(function: AggregateFunction, argument: CompiledExpression?)] = []
    var aggregated = false
    var having: CompiledExpression?
    var outputs: [CompiledExpression] = []
    var sortKeys: [(expression: CompiledExpression, ascending: Bool, nullsFirst: Bool)] = []
}

public enum QueryExecutor {
    public static func prepare(_ statement: SelectStatement, sql: String, provider: some QueryTableProvider, limits: QueryLimits = .init()) async throws -> PreparedQuery {
        do {
            return try await prepareUnchecked(statement, sql: sql, provider: provider, limits: limits)
        } catch let error as QueryError {
            throw error.sql == nil ? error.withSQL(sql) : error
        }
    }

    static func open(_ reference: TableReference, provider: some QueryTableProvider) async throws -> TableInput {
        let (metadata, io): (TableMetadata, any TableFileIO)
        var rowSource: (@Sendable (([IcebergValue]) throws -> Bool) async throws -> Void)?
        var fileSchema: IcebergSchema?
        if let path = reference.path {
            switch try await provider.files(path) {
            case .table(let m, let i): (metadata, io) = (m, i)
            case .rows(let schema, let read):
                (metadata, io) = (try RowSourceMetadata.make(schema), RowSourceMetadata.NoFiles())
                rowSource = read
                fileSchema = schema
            }
        } else {
            (metadata, io) = try await provider.table(reference.name)
        }
        if reference.path != nil, reference.timeTravel != nil { throw QueryError("files have no history to travel in", at: reference.location) }
        var snapshot: Int64?
        switch reference.timeTravel {
        case .version(let id)?:
            guard metadata.snapshot(id) != nil else { throw QueryError("the table has no snapshot \(id)", at: reference.location) }
            snapshot = id
        case .timestamp(let text)?:
            guard let millis = TimeTravelText.epochMillis(text) else { throw QueryError("\"\(text)\" is not a timestamp", at: reference.location) }
            guard let id = TableScan.snapshotID(asOf: millis, metadata: metadata) else { throw QueryError("the table has no snapshot as of \(text)", at: reference.location) }
            snapshot = id
        case nil:
            snapshot = nil
        }
        let schema: IcebergSchema
        do {
            schema = try TableReader.readSchema(metadata, explicitSnapshot: snapshot)
        } catch {
            throw QueryError("\(error)", at: reference.location)
        }
        var input = TableInput(
            reference: reference, qualifier: (reference.alias ?? reference.name.last ?? reference.path.map(fileQualifier) ?? "t").lowercased(), metadata: metadata, io: io,
            snapshotID: snapshot, schema: fileSchema ?? schema)
        input.rowSource = rowSource
        return input
    }

    static func prepareUnchecked(_ statement: SelectStatement, sql: String, provider: some QueryTableProvider, limits: QueryLimits) async throws -> PreparedQuery {
        guard let from = statement.from else { throw QueryError("a query needs FROM (a table)") }
        var inputs = [try await open(from, provider: provider)]
        for join in statement.joins { inputs.append(try await open(join.table, provider: provider)) }

        // Every column of every table, to resolve names; then only the referenced ones are read.
        let full = RowSchema(inputs.flatMap { input in input.schema.fields.map { RowSchema.Column(qualifier: input.qualifier, name: $0.name.lowercased(), type: $0.type) } })
        let owners = inputs.enumerated().flatMap { index, input in input.schema.fields.map { (index, $0) } }
        var referenced: Set<Int> = []
        var expressions: [SQLExpression] = statement.items.compactMap(\.expression) + statement.groupBy + statement.orderBy.map(\.expression)
        expressions += [statement.filter, statement.having].compactMap { $0 } + statement.joins.map(\.condition)
        let aliases = Set(statement.items.compactMap(\.alias).map { $0.lowercased() })
        for expression in expressions {
            for (name, location) in expression.columns() {
                if name.count == 1, aliases.contains(name[0].lowercased()), (try? full.resolve(name, at: location)) == nil { continue }
                referenced.insert(try full.resolve(name, at: location))
            }
        }
        for item in statement.items where item.isStar {
            for (index, column) in full.columns.enumerated() where item.starQualifier == nil || item.starQualifier?.last?.lowercased() == column.qualifier {
                referenced.insert(index)
            }
        }
        for index in inputs.indices {
            inputs[index].columns = owners.enumerated().filter { referenced.contains($0.offset) && $0.element.0 == index }.map(\.element.1)
            // Nothing referenced (count(*)): read the narrowest column to count rows.
            if inputs[index].columns.isEmpty, let first = inputs[index].schema.fields.first(where: { $0.type.isPrimitive }) ?? inputs[index].schema.fields.first {
                inputs[index].columns = [first]
            }
        }
        let inputSchema = RowSchema(inputs.flatMap { input in input.columns.map { RowSchema.Column(qualifier: input.qualifier, name: $0.name.lowercased(), type: $0.type) } })

        // WHERE conjuncts of one table prune its files and row groups (the whole WHERE still runs on every row).
        if let filter = statement.filter {
            for conjunct in Pushdown.conjuncts(filter) {
                let tables = Set(conjunct.columns().compactMap { name, location in (try? inputSchema.resolve(name, at: location)).map { inputIndex(of: $0, inputs) } })
                guard tables.count == 1, let table = tables.first else { continue }
                if table > 0 && statement.joins[table - 1].kind == .left { continue }
                if let pushed = Pushdown.icebergExpression(conjunct, schema: inputs[table].schema) { inputs[table].pushed.append(pushed) }
            }
        }

        let filter = try statement.filter.map { e throws(QueryError) in try ExpressionCompiler.compile(e, schema: inputSchema) }
        var joins: [PreparedJoin] = []
        var leftWidth = inputs[0].columns.count
        for (index, join) in statement.joins.enumerated() {
            let input = index + 1
            let rightSchema = RowSchema(Array(inputSchema.columns[leftWidth..<(leftWidth + inputs[input].columns.count)]))
            let leftSchema = RowSchema(Array(inputSchema.columns[0..<leftWidth]))
            let combined = RowSchema(Array(inputSchema.columns[0..<(leftWidth + inputs[input].columns.count)]))
            var leftKeys: [CompiledExpression] = []
            var rightKeys: [CompiledExpression] = []
            var rest: [SQLExpression] = []
            /// `a = b` with one side over the rows so far and the other over the joined table: a key
            /// pair, both in one type (hashed as values, 2 (int) would otherwise miss 2 (bigint)).
            func keyPair(_ a: SQLExpression, _ b: SQLExpression, _ location: SourceLocation) throws(QueryError) -> (CompiledExpression, CompiledExpression)? {
                for (leftSide, rightSide) in [(a, b), (b, a)] {
                    guard let l = try? ExpressionCompiler.compile(leftSide, schema: leftSchema), let r = try? ExpressionCompiler.compile(rightSide, schema: rightSchema) else { continue }
                    if l.type == r.type { return (l, r) }
                    guard let common = JoinKeys.commonType(l.type, r.type) else { throw QueryError("cannot join \(l.type) with \(r.type)", at: location) }
                    return (try ExpressionCompiler.compile(.cast(leftSide, common, location), schema: leftSchema),
                            try ExpressionCompiler.compile(.cast(rightSide, common, location), schema: rightSchema))
                }
                return nil
            }
            for conjunct in Pushdown.conjuncts(join.condition) {
                if case .binary(.equal, let a, let b, let location) = conjunct, let (l, r) = try keyPair(a, b, location) {
                    leftKeys.append(l)
                    rightKeys.append(r)
                } else {
                    rest.append(conjunct)
                }
            }
            guard !leftKeys.isEmpty else {
                throw QueryError("a join needs an equality between the two sides (e.g. ON a.id = b.id)", at: join.condition.location)
            }
            let residual = try rest.isEmpty ? nil : ExpressionCompiler.compile(Pushdown.and(rest), schema: combined)
            joins.append(PreparedJoin(kind: join.kind, input: input, leftKeys: leftKeys, rightKeys: rightKeys, residual: residual, width: inputs[input].columns.count))
            leftWidth += inputs[input].columns.count
        }

        let (plan, columns) = try OutputPlanner.plan(statement, input: inputSchema, full: full)
        return PreparedQuery(statement: statement, sql: sql, limits: limits, inputs: inputs, inputSchema: inputSchema, filter: filter, joins: joins, plan: plan, columns: columns)
    }

    /// `'data/orders.parquet'` is qualified as `orders`.
    static func fileQualifier(_ path: String) -> String {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        return name.split(separator: ".").first.map(String.init) ?? name
    }

    static func inputIndex(of column: Int, _ inputs: [TableInput]) -> Int {
        var start = 0
        for (index, input) in inputs.enumerated() {
            if column < start + input.columns.count { return index }
            start += input.columns.count
        }
        return inputs.count - 1
    }
}

/// A placeholder table for rows streamed by the provider: it has a schema and no files.
enum RowSourceMetadata {
    static func make(_ schema: IcebergSchema) throws -> TableMetadata {
        try TableMetadata(json: [
            "format-version": 2, "table-uuid": "00000000-0000-0000-0000-000000000000", "location": "floe-rows://source", "last-sequence-number": 0,
            "last-updated-ms": 0, "last-column-id": .int(Int64(SchemaRules.maxFieldID(schema.json))), "current-schema-id": .int(Int64(schema.schemaID)),
            "schemas": [schema.json], "default-spec-id": 0, "partition-specs": [["spec-id": 0, "fields": []]], "last-partition-id": 999,
            "default-sort-order-id": 0, "sort-orders": [["order-id": 0, "fields": []]],
        ])
    }

    struct NoFiles: TableFileIO {
        func read(_ path: String) async throws -> [UInt8] { throw QueryError("\(path) is not a file of this source") }
        func read(_ path: String, range: Range<Int64>) async throws -> [UInt8] { throw QueryError("\(path) is not a file of this source") }
        func size(_ path: String) async throws -> Int64 { throw QueryError("\(path) is not a file of this source") }
    }
}

enum JoinKeys {
    /// The type both sides of an equi-join key are compared in, as WHERE would compare them.
    static func commonType(_ a: IcebergType, _ b: IcebergType) -> IcebergType? {
        switch (a, b) {
        case (.int, .long), (.long, .int): return .long
        case (.decimal(_, let s1), .decimal(_, let s2)): return .decimal(precision: 38, scale: max(s1, s2))
        case (.decimal(_, let s), .int), (.decimal(_, let s), .long), (.int, .decimal(_, let s)), (.long, .decimal(_, let s)): return .decimal(precision: 38, scale: s)
        case (.float, _), (.double, _), (_, .float), (_, .double):
            let numeric: Set<IcebergType> = [.int, .long, .float, .double]
            if case .decimal = a { return .double }
            if case .decimal = b { return .double }
            return numeric.contains(a) && numeric.contains(b) ? .double : nil
        case (.date, .timestamp), (.timestamp, .date): return .timestamp
        case (.date, .timestamptz), (.timestamptz, .date), (.timestamp, .timestamptz), (.timestamptz, .timestamp): return .timestamptz
        case (.string, let other), (let other, .string): return other.isPrimitive ? other : nil
        default: return nil
        }
    }
}

enum TimeTravelText {
    /// `2026-11-30 12:00:00`, `2026-11-30T12:00:00Z`, `…+01:00`, a date, or epoch milliseconds.
    static func epochMillis(_ text: String) -> Int64? {
        if let millis = Int64(text) { return millis }
        let normalized = String(text.map { $0 == " " ? "T" : $0 })
        if let value = try? IcebergValue(json: .string(normalized), as: .timestamptz), case .timestamptz(let micros) = value { return micros / 1000 }
        if let value = try? IcebergValue(json: .string(normalized), as: .timestamp), case .timestamp(let micros) = value { return micros / 1000 }
        if let value = try? IcebergValue(json: .string(text), as: .date), case .date(let days) = value { return Int64(days) * 86_400_000 }
        return nil
    }
}
