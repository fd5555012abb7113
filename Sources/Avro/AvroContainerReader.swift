/// Incremental reader of an object container file: feed bytes as they arrive, pull records;
/// memory is bounded by one block (compressed and decompressed, each at most `maxBlockBytes`)
/// plus the bytes fed and not yet consumed.
public struct AvroContainerReader: Sendable {
    public let maxBlockBytes: Int
    public private(set) var header: AvroHeader?

    private var buffer: [UInt8] = []
    private var start = 0
    private var block: [UInt8] = []
    private var blockPosition = 0
    private var blockRecordsLeft = 0
    private var recordsTakeBytes = true
    private var finished = false
    /// Shared by every record of the file (see `AvroBinaryCursor.emptyItemBudget`).
    private var emptyItemBudget = AvroBinary.maxEmptyItems
    /// Decompressed block bytes so far, for `readAll`'s whole-file bound.
    private(set) var decodedBytes = 0

    public init(maxBlockBytes: Int = 64 << 20) {
        self.maxBlockBytes = max(maxBlockBytes, 1)
    }

    /// Largest header accepted (the schema and user metadata).
    private var maxHeaderBytes: Int { maxBlockBytes }

    public mutating func feed(_ bytes: [UInt8]) throws(AvroError) {
        guard !finished else { throw .malformed("bytes fed after finish()") }
        if start > 0 && start >= buffer.count / 2 {
            buffer.removeFirst(start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
        if header == nil { _ = try readHeaderIfComplete() }
    }

    /// Next record; nil when more bytes are needed or, after `finish()`, at the end of the file.
    public mutating func next() throws(AvroError) -> AvroValue? {
        while true {
            if blockRecordsLeft > 0 { return try decodeRecord() }
            guard let header else {
                if try readHeaderIfComplete() { continue }
                if finished { throw .malformed("file ends inside its header") }
                return nil
            }
            guard try loadBlock(header) else {
                if finished && start < buffer.count { throw .malformed("file ends inside a block") }
                return nil
            }
        }
    }

    /// No more input: throws if the file is truncated (inside the header or a block).
    public mutating func finish() throws(AvroError) {
        finished = true
        if header == nil {
            guard try readHeaderIfComplete() else { throw .malformed("file ends inside its header") }
        }
        // Walk the framing of the blocks not yet read.
        try buffer.withUnsafeBufferPointer { bytes throws(AvroError) in
            var cursor = AvroBinaryCursor(bytes, position: start)
            while !cursor.isAtEnd {
                do throws(AvroError) {
                    let count = try cursor.readLong()
                    let size = try cursor.readLong()
                    guard count >= 0, size >= 0 else { throw AvroError.malformed("negative block count or size") }
                    guard size <= Int64(cursor.remaining) else { throw cursor.endOfInput() }
                    try cursor.skip(Int(size))
                    try cursor.skip(AvroContainerFormat.syncSize)
                } catch {
                    throw cursor.truncated ? .malformed("file ends inside a block") : error
                }
            }
        }
    }

    /// Reads a whole (small) file at once.
    /// Most decompressed bytes `readAll` decodes: every record of the file is held at once.
    public static let maxReadAllBytes = 128 << 20

    public static func readAll(_ bytes: [UInt8]) throws(AvroError) -> (header: AvroHeader, records: [AvroValue]) {
        var reader = AvroContainerReader()
        try reader.feed(bytes)
        try reader.finish()
        var records: [AvroValue] = []
        while let record = try reader.next() {
            guard reader.decodedBytes <= maxReadAllBytes else { throw .limitExceeded("file decompresses past \(maxReadAllBytes) bytes") }
            records.append(record)
            if !reader.recordsTakeBytes && records.count > AvroBinary.maxEmptyItems {
                throw .limitExceeded("more than \(AvroBinary.maxEmptyItems) empty records")
            }
        }
        guard let header = reader.header else { throw .malformed("file ends inside its header") }
        return (header, records)
    }

    private mutating func readHeaderIfComplete() throws(AvroError) -> Bool {
        let limit = maxHeaderBytes
        let parsed: (AvroHeader, Int)? = try buffer.withUnsafeBufferPointer { bytes throws(AvroError) in
            var cursor = AvroBinaryCursor(bytes, position: start)
            do throws(AvroError) {
                let header = try AvroContainerFormat.readHeader(&cursor)
                return (header, cursor.position)
            } catch {
                guard cursor.truncated else { throw error }
                guard bytes.count - start <= limit else { throw .limitExceeded("header larger than \(limit) bytes") }
                return nil
            }
        }
        guard let (header, end) = parsed else { return false }
        self.header = header
        recordsTakeBytes = header.schema.encodesToAtLeastOneByte
        start = end
        return true
    }

    /// Moves the next complete block out of the buffer; false when it has not all arrived yet.
    private mutating func loadBlock(_ header: AvroHeader) throws(AvroError) -> Bool {
        let limit = maxBlockBytes
        let found: (count: Int, data: Range<Int>, end: Int)? = try buffer.withUnsafeBufferPointer { bytes throws(AvroError) in
            var cursor = AvroBinaryCursor(bytes, position: start)
            do throws(AvroError) {
                let count = try cursor.readLong()
                let size = try cursor.readLong()
                guard count >= 0, size >= 0 else { throw AvroError.malformed("negative block count or size") }
                guard size <= Int64(limit) else { throw AvroError.limitExceeded("block of \(size) bytes exceeds \(limit)") }
                let dataStart = cursor.position
                try cursor.skip(Int(size))
                let sync = UnsafeBufferPointer(rebasing: bytes[cursor.position...])
                guard sync.count >= AvroContainerFormat.syncSize else { throw cursor.endOfInput() }
                guard sync.prefix(AvroContainerFormat.syncSize).elementsEqual(header.syncMarker) else {
                    throw AvroError.malformed("block sync marker does not match the header's")
                }
                guard count <= Int64(AvroBinary.maxEmptyItems) || count <= size else {
                    throw AvroError.malformed("block claims \(count) records in \(size) bytes")
                }
                return (Int(count), dataStart..<(dataStart + Int(size)), cursor.position + AvroContainerFormat.syncSize)
            } catch {
                if cursor.truncated { return nil }
                throw error
            }
        }
        guard let found else { return false }
        let data = try AvroContainerFormat.decompress(Array(buffer[found.data]), codec: header.codec, limit: limit)
        decodedBytes += data.count
        start = found.end
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        if recordsTakeBytes {
            guard found.count <= data.count else { throw .malformed("block claims \(found.count) records in \(data.count) bytes") }
        }
        block = data
        blockPosition = 0
        blockRecordsLeft = found.count
        if found.count == 0 && !data.isEmpty { throw .malformed("block has bytes but no records") }
        return true
    }

    private mutating func decodeRecord() throws(AvroError) -> AvroValue {
        guard let schema = header?.schema else { throw .malformed("no header") }
        let position = blockPosition
        let (value, end, budget) = try block.withUnsafeBufferPointer { bytes throws(AvroError) in
            var cursor = AvroBinaryCursor(bytes, position: position)
            cursor.emptyItemBudget = emptyItemBudget
            let value = try AvroBinary.decodeValue(schema, &cursor, depth: 0)
            return (value, cursor.position, cursor.emptyItemBudget)
        }
        blockPosition = end
        emptyItemBudget = budget
        blockRecordsLeft -= 1
        if blockRecordsLeft == 0 {
            guard blockPosition == block.count else { throw .malformed("\(block.count - blockPosition) bytes left over in a block") }
            block = []
            blockPosition = 0
        }
        return value
    }
}
