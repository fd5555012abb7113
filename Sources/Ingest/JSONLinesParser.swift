public import IcebergModel

/// A line's object, or why it is not one (a bad line is a reject, not a failure of the run).
public struct JSONRecord: Sendable {
    public var line: Int
    public var value: Result<[String: JSONValue], IngestError>
    public init(line: Int, value: Result<[String: JSONValue], IngestError>) {
        self.line = line
        self.value = value
    }
}

/// JSON lines: one JSON value (an object) per line; blank lines skipped. A UTF-8 BOM at the start is skipped; a
/// line longer than `maxLineBytes` is a reject (`.limitExceeded`) and is skipped without being held in memory.
public struct JSONLinesParser: Sendable {
    public let maxLineBytes: Int
    private var pending: [UInt8] = []
    private var line = 1
    private var overlong = false
    private var firstLine = true
    private var finished = false

    public init(maxLineBytes: Int = 16 << 20) {
        self.maxLineBytes = maxLineBytes
    }

    public mutating func feed(_ bytes: [UInt8]) throws(IngestError) -> [JSONRecord] {
        guard !finished else { throw .invalid("JSON lines parser fed after finish()") }
        var out: [JSONRecord] = []
        var start = 0
        while start < bytes.count {
            guard let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) else {
                hold(bytes[start...])
                break
            }
            hold(bytes[start..<end])
            endLine(into: &out)
            start = end + 1
        }
        return out
    }

    public mutating func finish() throws(IngestError) -> [JSONRecord] {
        guard !finished else { return [] }
        finished = true
        var out: [JSONRecord] = []
        if !pending.isEmpty || overlong { endLine(into: &out) }
        return out
    }

    private mutating func hold(_ bytes: ArraySlice<UInt8>) {
        guard !overlong else { return }
        if pending.count + bytes.count > maxLineBytes {
            overlong = true
            pending = []
        } else {
            pending.append(contentsOf: bytes)
        }
    }

    private mutating func endLine(into out: inout [JSONRecord]) {
        defer {
            pending.removeAll(keepingCapacity: pending.count <= 1 << 20)
            overlong = false
            firstLine = false
            line += 1
        }
        if overlong {
            out.append(JSONRecord(line: line, value: .failure(.limitExceeded("line \(line) is longer than \(maxLineBytes) bytes"))))
            return
        }
        var text = pending[...]
        if firstLine && text.starts(with: [0xEF, 0xBB, 0xBF]) { text = text.dropFirst(3) }
        while let last = text.last, last == 0x20 || last == 0x09 || last == 0x0D { text = text.dropLast() }
        while let first = text.first, first == 0x20 || first == 0x09 || first == 0x0D { text = text.dropFirst() }
        if text.isEmpty { return }
        do {
            let value = try JSONText.parse(text)
            guard case .object(let members) = value else {
                out.append(JSONRecord(line: line, value: .failure(.invalid("line \(line) is not a JSON object"))))
                return
            }
            out.append(JSONRecord(line: line, value: .success(members)))
        } catch {
            let why: String
            switch error {
            case .malformed(let m), .invalid(let m), .unsupported(let m), .limitExceeded(let m): why = m
            }
            out.append(JSONRecord(line: line, value: .failure(.malformed("line \(line): \(why)"))))
        }
    }
}
