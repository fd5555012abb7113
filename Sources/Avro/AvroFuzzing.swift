/// Entry point for the libFuzzer harness: arbitrary bytes as a container file (whole and fed in
/// pieces) and as a schema; errors are expected and ignored, crashes and hangs are bugs.
public enum AvroFuzzing {
    public static func exercise(_ data: [UInt8]) {
        if let (header, records) = try? AvroContainerReader.readAll(data) {
            _ = try? AvroResolver(writer: header.schema, reader: header.schema)
            for record in records.prefix(64) { _ = try? AvroBinary.encode(record, as: header.schema) }
        }

        var reader = AvroContainerReader(maxBlockBytes: 1 << 20)
        var offset = 0
        var pieceSize = 1
        do {
            while offset < data.count {
                let end = min(offset + pieceSize, data.count)
                try reader.feed(Array(data[offset..<end]))
                offset = end
                pieceSize = pieceSize * 2 + 1
                while try reader.next() != nil {}
            }
            try reader.finish()
            while try reader.next() != nil {}
        } catch {}

        if let schema = try? AvroSchema.parse(String(decoding: data, as: UTF8.self)) {
            _ = try? AvroSchema.parse(schema.json)
            _ = try? AvroBinary.decode(data, as: schema)
        }
    }
}
