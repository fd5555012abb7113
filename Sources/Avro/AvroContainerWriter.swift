/// Writes an object container file: `start()` gives the header, `append` gives each block as it fills,
/// `finish()` the last one.
public struct AvroContainerWriter: Sendable {
    public let schema: AvroSchema
    public let codec: AvroCodec
    public let metadata: [String: [UInt8]]
    public let blockBytes: Int
    public let syncMarker: [UInt8]
    public private(set) var recordCount = 0

    private var started = false
    private var pending: [UInt8] = []
    private var pendingCount = 0

    /// `syncMarker` (16 bytes) is random unless given.
    public init(schema: AvroSchema, codec: AvroCodec, metadata: [String: [UInt8]] = [:], blockBytes: Int = 1 << 20, syncMarker: [UInt8]? = nil) {
        self.schema = schema
        self.codec = codec
        self.metadata = metadata
        self.blockBytes = max(blockBytes, 1)
        if let syncMarker, syncMarker.count == AvroContainerFormat.syncSize {
            self.syncMarker = syncMarker
        } else {
            var generator = SystemRandomNumberGenerator()
            self.syncMarker = (0..<AvroContainerFormat.syncSize).map { _ in UInt8.random(in: 0...255, using: &generator) }
        }
    }

    /// The header; written before the first block if not asked for.
    public mutating func start() -> [UInt8] {
        guard !started else { return [] }
        started = true
        return AvroContainerFormat.writeHeader(schema: schema, codec: codec, metadata: metadata, sync: syncMarker)
    }

    /// A finished block once about `blockBytes` of records are pending, else [].
    public mutating func append(_ record: AvroValue) throws(AvroError) -> [UInt8] {
        let mark = pending.count
        do {
            try AvroBinary.encode(record, as: schema, into: &pending)
        } catch {
            pending.removeSubrange(mark...)
            throw error
        }
        pendingCount += 1
        recordCount += 1
        return pending.count >= blockBytes ? try flush() : start()
    }

    /// The last block (and the header if `start()` was never called).
    public mutating func finish() throws(AvroError) -> [UInt8] {
        try flush()
    }

    private mutating func flush() throws(AvroError) -> [UInt8] {
        var out = start()
        guard pendingCount > 0 else { return out }
        let data = try AvroContainerFormat.compress(pending, codec: codec)
        AvroBinary.writeLong(Int64(pendingCount), to: &out)
        AvroBinary.writeLong(Int64(data.count), to: &out)
        out.append(contentsOf: data)
        out.append(contentsOf: syncMarker)
        pending.removeAll(keepingCapacity: true)
        pendingCount = 0
        return out
    }
}
