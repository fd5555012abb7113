import IcebergModel

/// Writer → reader schema resolution (Avro's rules, with Iceberg's field ids): record fields are matched
/// by field id when both sides have one, else by name or the reader field's aliases; reader fields the
/// writer lacks take their default, or null when optional; writer fields the reader lacks are dropped;
/// int→long/float/double, long→float/double, float→double and string↔bytes are promoted; enums map by symbol.
public struct AvroResolver: Sendable {
    public let writer: AvroSchema
    public let reader: AvroSchema
    private let plan: ResolutionPlan

    public init(writer: AvroSchema, reader: AvroSchema) throws(AvroError) {
        self.writer = writer
        self.reader = reader
        self.plan = try ResolutionPlan.make(writer, reader, depth: 0)
    }

    /// Whether values of the writer schema are already values of the reader schema.
    public var isIdentity: Bool {
        if case .identity = plan { return true }
        return false
    }

    /// Turns a value decoded with the writer schema into one of the reader schema.
    public func resolve(_ value: AvroValue) throws(AvroError) -> AvroValue {
        try plan.apply(value)
    }
}

enum Promotion: Sendable {
    case intToLong, intToFloat, intToDouble, longToFloat, longToDouble, floatToDouble, stringToBytes, bytesToString
}

enum RecordStep: Sendable {
    case take(Int, ResolutionPlan)
    case constant(AvroValue)
}

indirect enum ResolutionPlan: Sendable {
    case identity
    case promote(Promotion)
    case record([RecordStep])
    case array(ResolutionPlan)
    case map(ResolutionPlan)
    case enumeration([Int?])
    /// The writer wrote a union: its branch is recognised from the decoded value; nil where that branch cannot be read.
    case writerUnion([AvroSchema], [ResolutionPlan?])

    static func make(_ writer: AvroSchema, _ reader: AvroSchema, depth: Int) throws(AvroError) -> ResolutionPlan {
        guard depth < AvroSchema.maxDepth else { throw .limitExceeded("schemas nested too deep") }
        if writer.type == reader.type { return .identity }
        if case .union(let writerBranches) = writer.type {
            var plans: [ResolutionPlan?] = []
            var readable = false
            for branch in writerBranches {
                let plan = try? make(branch, reader, depth: depth + 1)
                readable = readable || plan != nil
                plans.append(plan)
            }
            guard readable || writerBranches.isEmpty else { throw .mismatch("no branch of the writer's union can be read as \(reader.unionKey)") }
            return .writerUnion(writerBranches, plans)
        }
        if case .union(let readerBranches) = reader.type {
            let sameName = readerBranches.first { $0.unionKey == writer.unionKey && $0.sameKind(writer) }
            if let exact = sameName ?? readerBranches.first(where: { $0.sameKind(writer) }), let plan = try? make(writer, exact, depth: depth + 1) {
                return plan
            }
            for branch in readerBranches {
                if let plan = try? make(writer, branch, depth: depth + 1) { return plan }
            }
            throw .mismatch("no branch of the reader's union can read \(writer.unionKey)")
        }
        switch (writer.type, reader.type) {
        case (.null, .null), (.boolean, .boolean), (.int, .int), (.long, .long), (.float, .float), (.double, .double),
            (.bytes, .bytes), (.string, .string):
            return .identity
        case (.int, .long): return .promote(.intToLong)
        case (.int, .float): return .promote(.intToFloat)
        case (.int, .double): return .promote(.intToDouble)
        case (.long, .float): return .promote(.longToFloat)
        case (.long, .double): return .promote(.longToDouble)
        case (.float, .double): return .promote(.floatToDouble)
        case (.string, .bytes): return .promote(.stringToBytes)
        case (.bytes, .string): return .promote(.bytesToString)
        case (.fixed(let writerName, let writerSize), .fixed(let readerName, let readerSize)):
            guard writerSize == readerSize else { throw .mismatch("fixed \(writerName) of \(writerSize) bytes read as \(readerName) of \(readerSize)") }
            return .identity
        case (.enumeration(_, let writerSymbols), .enumeration(_, let readerSymbols)):
            if writerSymbols == readerSymbols { return .identity }
            let fallback = reader.properties["default"]?.stringValue.flatMap { readerSymbols.firstIndex(of: $0) }
            return .enumeration(writerSymbols.map { readerSymbols.firstIndex(of: $0) ?? fallback })
        case (.array(let writerItems), .array(let readerItems)):
            let inner = try make(writerItems, readerItems, depth: depth + 1)
            if case .identity = inner { return .identity }
            return .array(inner)
        case (.map(let writerValues), .map(let readerValues)):
            let inner = try make(writerValues, readerValues, depth: depth + 1)
            if case .identity = inner { return .identity }
            return .map(inner)
        case (.record(let writerRecord), .record(let readerRecord)):
            return try record(writerRecord, readerRecord, depth: depth)
        default:
            throw .mismatch("\(writer.unionKey) cannot be read as \(reader.unionKey)")
        }
    }

    private static func record(_ writer: AvroRecordSchema, _ reader: AvroRecordSchema, depth: Int) throws(AvroError) -> ResolutionPlan {
        var steps: [RecordStep] = []
        steps.reserveCapacity(reader.fields.count)
        var isIdentity = writer.fields.count == reader.fields.count
        for (position, field) in reader.fields.enumerated() {
            if let index = writerIndex(for: field, in: writer) {
                let plan = try make(writer.fields[index].schema, field.schema, depth: depth + 1)
                if index != position { isIdentity = false }
                if case .identity = plan {} else { isIdentity = false }
                steps.append(.take(index, plan))
                continue
            }
            isIdentity = false
            if let defaultJSON = field.defaultValue {
                steps.append(.constant(try AvroValue(defaultJSON: defaultJSON, schema: field.schema)))
            } else if field.schema.isNullable {
                steps.append(.constant(.null))
            } else {
                throw .mismatch("field \(field.name) of \(reader.name) is not written and has no default")
            }
        }
        return isIdentity ? .identity : .record(steps)
    }

    private static func writerIndex(for field: AvroField, in writer: AvroRecordSchema) -> Int? {
        if let id = field.fieldID, let index = writer.fields.firstIndex(where: { $0.fieldID == id }) { return index }
        let names = [field.name] + field.aliases
        return writer.fields.firstIndex { candidate in
            if let id = field.fieldID, let writerID = candidate.fieldID, id != writerID { return false }
            return names.contains(candidate.name)
        }
    }

    func apply(_ value: AvroValue) throws(AvroError) -> AvroValue {
        switch self {
        case .identity:
            return value
        case .promote(let promotion):
            return try promotion.apply(value)
        case .record(let steps):
            guard case .record(let values) = value else { throw .mismatch("expected a record, got \(value.kindName)") }
            var out: [AvroValue] = []
            out.reserveCapacity(steps.count)
            for step in steps {
                switch step {
                case .constant(let constant): out.append(constant)
                case .take(let index, let plan):
                    guard index < values.count else { throw .mismatch("record has \(values.count) values, expected more") }
                    out.append(try plan.apply(values[index]))
                }
            }
            return .record(out)
        case .array(let plan):
            guard case .array(let values) = value else { throw .mismatch("expected an array, got \(value.kindName)") }
            var out: [AvroValue] = []
            out.reserveCapacity(values.count)
            for element in values { out.append(try plan.apply(element)) }
            return .array(out)
        case .map(let plan):
            guard case .map(let values) = value else { throw .mismatch("expected a map, got \(value.kindName)") }
            var out: [String: AvroValue] = [:]
            out.reserveCapacity(values.count)
            for (key, element) in values { out[key] = try plan.apply(element) }
            return .map(out)
        case .enumeration(let mapping):
            guard case .enumeration(let index) = value, index >= 0, index < mapping.count else {
                throw .mismatch("expected an enum symbol, got \(value.kindName)")
            }
            guard let mapped = mapping[index] else { throw .mismatch("enum symbol \(index) is unknown to the reader") }
            return .enumeration(mapped)
        case .writerUnion(let branches, let plans):
            guard let index = value.branchIndex(in: branches), index < plans.count else {
                throw .mismatch("\(value.kindName) is not a branch of the writer's union")
            }
            guard let plan = plans[index] else { throw .mismatch("the writer's \(branches[index].unionKey) branch cannot be read") }
            return try plan.apply(value)
        }
    }
}

extension Promotion {
    func apply(_ value: AvroValue) throws(AvroError) -> AvroValue {
        switch (self, value) {
        case (.intToLong, .int(let v)): return .long(Int64(v))
        case (.intToFloat, .int(let v)): return .float(Float(v))
        case (.intToDouble, .int(let v)): return .double(Double(v))
        case (.longToFloat, .long(let v)): return .float(Float(v))
        case (.longToDouble, .long(let v)): return .double(Double(v))
        case (.floatToDouble, .float(let v)): return .double(Double(v))
        case (.stringToBytes, .string(let v)): return .bytes(Array(v.utf8))
        case (.bytesToString, .bytes(let v)): return .string(String(decoding: v, as: UTF8.self))
        default: throw .mismatch("cannot promote \(value.kindName) (\(self))")
        }
    }
}

extension AvroSchema {
    /// Same kind of schema, ignoring names (a record is a record).
    func sameKind(_ other: AvroSchema) -> Bool {
        switch (type, other.type) {
        case (.record, .record), (.enumeration, .enumeration), (.fixed, .fixed), (.array, .array), (.map, .map), (.union, .union):
            return true
        default:
            return unionKey == other.unionKey
        }
    }
}
