import IcebergModel

/// One JSON text of a data file into a `JSONValue`, by the strict RFC 8259 rules of the shared
/// parser (`JSONValue.ParseRules.rfc8259`): integers that fit in 64 bits stay integers, nesting is
/// bounded by `JSONValue.maxDepth`, duplicate keys keep the last value.
enum JSONText {
    static func parse(_ bytes: ArraySlice<UInt8>) throws(IngestError) -> JSONValue {
        do {
            return try bytes.withUnsafeBufferPointer { buffer throws(JSONValue.ParseError) in try JSONValue(parsing: buffer, rules: .rfc8259) }
        } catch {
            throw .malformed("JSON: \(error.reason) at byte \(error.offset)")
        }
    }

    static func parse(_ text: String) throws(IngestError) -> JSONValue {
        try parse(Array(text.utf8)[...])
    }

    /// Compact JSON text of a value (for string columns that receive objects, arrays or numbers).
    static func text(_ value: JSONValue) -> String {
        String(decoding: value.jsonBytes, as: UTF8.self)
    }
}
