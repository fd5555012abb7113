import Codecs

public enum AvroCodec: String, Sendable {
    case null, deflate, snappy, zstandard
}

public struct AvroHeader: Sendable {
    public var schema: AvroSchema
    public var codec: AvroCodec
    /// Every metadata entry, "avro.schema" and "avro.codec" included.
    public var metadata: [String: [UInt8]]
    /// The 16-byte marker that follows the header and every block.
    public var syncMarker: [UInt8]

    public init(schema: AvroSchema, codec: AvroCodec, metadata: [String: [UInt8]], syncMarker: [UInt8]) {
        self.schema = schema
        self.codec = codec
        self.metadata = metadata
        self.syncMarker = syncMarker
    }
}

/// The framing shared by the container reader and writer.
enum AvroContainerFormat {
    static let magic: [UInt8] = [0x4F, 0x62, 0x6A, 0x01]
    static let syncSize = 16

    /// Parses the header at the cursor; a truncated header leaves `cursor.truncated` set.
    static func readHeader(_ cursor: inout AvroBinaryCursor) throws(AvroError) -> AvroHeader {
        guard try cursor.readRaw(4) == magic else { throw .malformed("not an Avro object container file") }
        var metadata: [String: [UInt8]] = [:]
        while true {
            let count = try cursor.readBlockCount()
            if count == 0 { break }
            // Each entry has at least two length bytes.
            guard count <= cursor.remaining / 2 else { throw cursor.endOfInput() }
            for _ in 0..<count {
                let key = try cursor.readString()
                metadata[key] = try cursor.readBytes()
            }
        }
        let sync = try cursor.readRaw(syncSize)
        guard let schemaBytes = metadata["avro.schema"] else { throw .malformed("header has no avro.schema") }
        let schema = try AvroSchema.parse(String(decoding: schemaBytes, as: UTF8.self))
        let codec: AvroCodec
        if let name = metadata["avro.codec"].map({ String(decoding: $0, as: UTF8.self) }), !name.isEmpty {
            guard let known = AvroCodec(rawValue: name) else { throw .unsupportedCodec(name) }
            codec = known
        } else {
            codec = .null
        }
        return AvroHeader(schema: schema, codec: codec, metadata: metadata, syncMarker: sync)
    }

    static func writeHeader(schema: AvroSchema, codec: AvroCodec, metadata: [String: [UInt8]], sync: [UInt8]) -> [UInt8] {
        var entries = metadata
        entries["avro.schema"] = AvroJSONText.bytes(schema.json)
        entries["avro.codec"] = Array(codec.rawValue.utf8)
        var out = magic
        AvroBinary.writeLong(Int64(entries.count), to: &out)
        for key in entries.keys.sorted() {
            let value = entries[key] ?? []
            AvroBinary.writeLong(Int64(key.utf8.count), to: &out)
            out.append(contentsOf: key.utf8)
            AvroBinary.writeLong(Int64(value.count), to: &out)
            out.append(contentsOf: value)
        }
        out.append(0)
        out.append(contentsOf: sync)
        return out
    }

    static func decompress(_ data: [UInt8], codec: AvroCodec, limit: Int) throws(AvroError) -> [UInt8] {
        do {
            switch codec {
            case .null:
                guard data.count <= limit else { throw AvroError.limitExceeded("block larger than \(limit) bytes") }
                return data
            case .deflate:
                return try Codec.decompress(.deflate, data, expectedSize: nil, limit: limit)
            case .zstandard:
                return try Codec.decompress(.zstd, data, expectedSize: nil, limit: limit)
            case .snappy:
                guard data.count >= 4 else { throw AvroError.malformed("snappy block without its checksum") }
                let body = Array(data[..<(data.count - 4)])
                let output = try Codec.decompress(.snappy, body, expectedSize: nil, limit: limit)
                let stored = data[(data.count - 4)...].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
                guard CRC32.checksum(output) == stored else { throw AvroError.malformed("snappy block checksum mismatch") }
                return output
            }
        } catch let error as AvroError {
            throw error
        } catch let error as CodecError {
            throw error.avroError
        } catch {
            throw .malformed("\(error)")
        }
    }

    static func compress(_ data: [UInt8], codec: AvroCodec) throws(AvroError) -> [UInt8] {
        do {
            switch codec {
            case .null: return data
            case .deflate: return try Codec.compress(.deflate, data)
            case .zstandard: return try Codec.compress(.zstd, data)
            case .snappy:
                var out = try Codec.compress(.snappy, data)
                let crc = CRC32.checksum(data)
                for shift: UInt32 in [24, 16, 8, 0] { out.append(UInt8(truncatingIfNeeded: crc >> shift)) }
                return out
            }
        } catch {
            throw error.avroError
        }
    }
}

extension CodecError {
    var avroError: AvroError {
        switch self {
        case .corrupt(let message): .malformed("compressed block: \(message)")
        case .unavailable(let message): .unsupportedCodec(message)
        case .tooLarge(let limit): .limitExceeded("block decompresses to more than \(limit) bytes")
        }
    }
}
