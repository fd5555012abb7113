/// How CSV text is split into fields.
public struct CSVOptions: Sendable {
    public var delimiter: UInt8 = UInt8(ascii: ",")
    public var quote: UInt8 = UInt8(ascii: "\"")
    /// nil: a quote inside quotes is doubled (RFC 4180); else e.g. a backslash escapes the next byte inside quotes.
    /// A doubled quote is accepted in both modes.
    public var escape: UInt8? = nil
    /// false: columns are named col_1, col_2, …
    public var header: Bool = true
    /// Unquoted fields equal to one of these are NULL ("" quoted stays an empty string).
    public var nullMarkers: Set<String> = ["", "NULL", "null", "\\N"]
    public var maxFieldBytes: Int = 16 << 20
    /// All fields of one record together (many fields each under maxFieldBytes are bounded too).
    public var maxRecordBytes: Int = 64 << 20
    public init() {}
}

/// A record of text fields (nil = NULL) with the 1-based line its record starts on.
public struct TextRecord: Sendable, Equatable {
    public var fields: [String?]
    public var line: Int
    public init(fields: [String?], line: Int) {
        self.fields = fields
        self.line = line
    }
}
