/// Streaming RFC 4180 parser: feed any chunks (a UTF-8 BOM at the very start is skipped; CRLF, LF and CR line ends;
/// quoted fields may span lines); memory bounded by one record (maxFieldBytes per field, a record of at most
/// 100,000 fields). Lenient where RFC 4180 is silent: a quote inside an unquoted field is literal, bytes after a
/// closing quote are appended to the field, and completely empty lines are skipped. Invalid UTF-8 is repaired (U+FFFD).
public struct CSVParser: Sendable {
    public static let maxFieldsPerRecord = 100_000

    private enum State: UInt8 { case fieldStart, unquoted, quoted, quotedAfterQuote, quotedEscape, afterQuoted }

    public let options: CSVOptions
    /// The header's names once the first record was read (when `options.header`); empty names become col_<n>.
    public private(set) var header: [String]?

    private var state = State.fieldStart
    private var field: [UInt8] = []
    /// Bytes of the fields of the current record so far.
    private var recordBytes = 0
    private var fieldQuoted = false
    private var fields: [String?] = []
    private var recordHasContent = false
    private var line = 1
    private var recordLine = 1
    private var lastByte: UInt8 = 0
    private var endedRecordOnCR = false
    private var bomChecked = false
    private var bomBuffer: [UInt8] = []
    private var finished = false

    public init(options: CSVOptions = .init()) {
        self.options = options
    }

    /// Names of a header-less file's columns: col_1, col_2, …
    public static func columnNames(count: Int) -> [String] {
        (0..<max(0, count)).map { "col_\($0 + 1)" }
    }

    /// Complete records only; a record still open at the end of `bytes` is kept for the next call.
    public mutating func feed(_ bytes: [UInt8]) throws(IngestError) -> [TextRecord] {
        guard !finished else { throw .invalid("CSV parser fed after finish()") }
        var out: [TextRecord] = []
        if !bomChecked {
            let combined = bomBuffer + bytes
            let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
            if combined.count < 3 && bom.starts(with: combined) {
                bomBuffer = combined  // could still be a BOM
                return []
            }
            bomChecked = true
            bomBuffer = []
            try consume(combined[(combined.starts(with: bom) ? 3 : 0)...], into: &out)
            return out
        }
        try consume(bytes[...], into: &out)
        return out
    }

    /// The last record without a line end; an unterminated quote throws `.malformed` naming the line it opened on.
    public mutating func finish() throws(IngestError) -> [TextRecord] {
        guard !finished else { return [] }
        var out: [TextRecord] = []
        if !bomChecked {
            bomChecked = true
            let pending = bomBuffer
            bomBuffer = []
            let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
            try consume(pending.starts(with: bom) ? pending[3...] : pending[...], into: &out)
        }
        finished = true
        switch state {
        case .quoted, .quotedEscape:
            throw .malformed("unterminated quoted field in the record starting on line \(recordLine)")
        default:
            if recordHasContent { try endRecord(into: &out) }
        }
        return out
    }

    private mutating func consume(_ bytes: ArraySlice<UInt8>, into out: inout [TextRecord]) throws(IngestError) {
        let cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")
        let delimiter = options.delimiter, quote = options.quote
        let escape = options.escape.flatMap { $0 == quote ? nil : $0 }
        for b in bytes {
            let previous = lastByte
            lastByte = b
            if endedRecordOnCR {
                endedRecordOnCR = false
                if b == lf { continue }  // the LF of a CRLF record end
            }
            switch state {
            case .fieldStart:
                if b == quote {
                    state = .quoted
                    fieldQuoted = true
                    recordHasContent = true
                } else if b == delimiter {
                    recordHasContent = true
                    try endField()
                } else if b == cr || b == lf {
                    try endRecord(into: &out)
                    endedRecordOnCR = b == cr
                } else {
                    recordHasContent = true
                    try append(b)
                    state = .unquoted
                }
            case .unquoted, .afterQuoted:
                if b == delimiter {
                    try endField()
                } else if b == cr || b == lf {
                    try endRecord(into: &out)
                    endedRecordOnCR = b == cr
                } else {
                    try append(b)
                }
            case .quoted:
                if let escape, b == escape {
                    state = .quotedEscape
                } else if b == quote {
                    state = .quotedAfterQuote
                } else {
                    if b == cr || (b == lf && previous != cr) { line += 1 }
                    try append(b)
                }
            case .quotedEscape:
                if b == cr || (b == lf && previous != cr) { line += 1 }
                try append(b)
                state = .quoted
            case .quotedAfterQuote:
                if b == quote {
                    try append(quote)
                    state = .quoted
                } else if b == delimiter {
                    try endField()
                } else if b == cr || b == lf {
                    try endRecord(into: &out)
                    endedRecordOnCR = b == cr
                } else {
                    try append(b)
                    state = .afterQuoted
                }
            }
        }
    }

    @inline(__always) private mutating func append(_ b: UInt8) throws(IngestError) {
        guard field.count < options.maxFieldBytes else {
            throw .limitExceeded("a field of the record starting on line \(recordLine) is longer than \(options.maxFieldBytes) bytes")
        }
        guard recordBytes < options.maxRecordBytes else {
            throw .limitExceeded("the record starting on line \(recordLine) is longer than \(options.maxRecordBytes) bytes")
        }
        recordBytes += 1
        field.append(b)
    }

    private mutating func endField() throws(IngestError) {
        guard fields.count < Self.maxFieldsPerRecord else {
            throw .limitExceeded("the record starting on line \(recordLine) has more than \(Self.maxFieldsPerRecord) fields")
        }
        let text = String(decoding: field, as: UTF8.self)
        let readingHeader = options.header && header == nil
        if !fieldQuoted && !readingHeader && options.nullMarkers.contains(text) {
            fields.append(nil)
        } else {
            fields.append(text)
        }
        field.removeAll(keepingCapacity: true)
        fieldQuoted = false
        state = .fieldStart
    }

    /// Ends the record at a line end (or the end of input); its last field is still open unless the line is blank.
    private mutating func endRecord(into out: inout [TextRecord]) throws(IngestError) {
        if recordHasContent {
            try endField()
            emit(into: &out)
        }
        line += 1
        recordLine = line
        recordHasContent = false
        state = .fieldStart
    }

    private mutating func emit(into out: inout [TextRecord]) {
        let record = TextRecord(fields: fields, line: recordLine)
        fields.removeAll(keepingCapacity: true)
        recordBytes = 0
        if options.header && header == nil {
            header = record.fields.enumerated().map { i, name in
                guard let name, !name.isEmpty else { return "col_\(i + 1)" }
                return name
            }
        } else {
            out.append(record)
        }
    }
}
