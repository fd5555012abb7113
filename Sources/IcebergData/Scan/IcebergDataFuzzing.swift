import IcebergModel

/// Entry point for the fuzzer: every parser of untrusted manifest and delete bytes, errors ignored.
public enum IcebergDataFuzzing {
    public static func exercise(_ data: [UInt8]) {
        for version in 1...3 { _ = try? ManifestList.read(data, formatVersion: version) }
        let file = ManifestFile(path: "fuzz", length: Int64(data.count), partitionSpecID: -1, sequenceNumber: 1, addedSnapshotID: 1, firstRowID: 0)
        _ = try? Manifest.read(data, file: file, specs: [:], schema: IcebergSchema(schemaID: 0, fields: []))
        _ = try? Puffin.readFooter(data)
        _ = try? DeletionVector.decode(data)
        _ = try? RoaringBitmap.deserialize(data)
        _ = try? RoaringBitmap64.deserialize(data)
        _ = try? LZ4Frame.decode(data, limit: 1 << 20)
    }
}
