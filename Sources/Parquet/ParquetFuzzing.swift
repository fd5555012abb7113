/// Entry point for fuzzers: treats the bytes as a whole file and reads everything, ignoring errors.
public enum ParquetFuzzing {
    public static func exercise(_ data: [UInt8]) {
        guard data.count >= 12 else { return }
        guard let length = try? ParquetFooter.metadataLength(trailer: Array(data.suffix(8))), length <= data.count - 12 else { return }
        let footerStart = data.count - 8 - length
        guard let metadata = try? ParquetFooter.parse(Array(data[footerStart..<data.count - 8])) else { return }
        let limits = ParquetLimits(maxPageBytes: 1 << 20, maxRowGroupValues: 1 << 16)
        let projection = ParquetProjection.all(metadata)
        for (g, group) in metadata.rowGroups.enumerated() {
            var chunks: [Int: [UInt8]] = [:]
            var ok = true
            for (i, c) in group.columns.enumerated() {
                guard c.byteRange.lowerBound >= 0, c.byteRange.upperBound <= Int64(data.count) else {
                    ok = false
                    break
                }
                chunks[i] = Array(data[Int(c.byteRange.lowerBound)..<Int(c.byteRange.upperBound)])
            }
            guard ok else { continue }
            _ = try? ParquetRowGroupReader.readRows(metadata, rowGroup: g, projection: projection, chunks: chunks, limits: limits)
        }
    }
}
