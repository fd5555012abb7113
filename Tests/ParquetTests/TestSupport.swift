import Foundation
@testable import Parquet

/// Locates the shared parquet-testing corpus and renders decoded rows the way /tmp tooling rendered pyarrow's
/// reading of the same files (hex for strings/binaries, unscaled decimals as text, temporal values as raw integers),
/// so a row count plus an FNV-1a hash of the rendering pins every value.
enum Corpus {
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/parquet-testing")

    static func file(_ folder: String, _ name: String) -> [UInt8]? {
        FileManager.default.contents(atPath: root.appendingPathComponent(folder).appendingPathComponent(name).path).map { [UInt8]($0) }
    }

    static func files(in folder: String, suffix: String = ".parquet") -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(folder).path)) ?? [])
            .filter { $0.hasSuffix(suffix) }.sorted()
    }
}

/// Reads a whole in-memory file the way a caller of the public API would.
enum WholeFile {
    static func metadata(_ file: [UInt8]) throws -> ParquetFileMetadata {
        guard file.count >= 12 else { throw ParquetError.malformed("short file") }
        let length = try ParquetFooter.metadataLength(trailer: Array(file.suffix(ParquetFooter.trailerLength)))
        guard length <= file.count - 12 else { throw ParquetError.malformed("footer length") }
        return try ParquetFooter.parse(Array(file[(file.count - 8 - length)..<(file.count - 8)]))
    }

    static func rows(_ file: [UInt8], limits: ParquetLimits = .init()) throws -> [[ParquetValue]] {
        let meta = try metadata(file)
        var rows: [[ParquetValue]] = []
        for g in meta.rowGroups.indices {
            var chunks: [Int: [UInt8]] = [:]
            for (i, c) in meta.rowGroups[g].columns.enumerated() {
                guard c.byteRange.upperBound <= Int64(file.count) else { throw ParquetError.malformed("chunk past end of file") }
                chunks[i] = Array(file[Int(c.byteRange.lowerBound)..<Int(c.byteRange.upperBound)])
            }
            rows += try ParquetRowGroupReader.readRows(meta, rowGroup: g, projection: .all(meta), chunks: chunks, limits: limits)
        }
        return rows
    }
}

enum Rendering {
    static func fnv(_ s: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in s.utf8 {
            h ^= UInt64(b)
            h = h &* 0x100_0000_01b3
        }
        return h
    }

    static func rows(_ rows: [[ParquetValue]]) -> String {
        var s = ""
        for r in rows {
            s += r.map(render).joined(separator: "|")
            s += "\n"
        }
        return s
    }

    static func hex(_ b: [UInt8]) -> String {
        let d = Array("0123456789abcdef")
        var s = ""
        for x in b { s.append(d[Int(x >> 4)]); s.append(d[Int(x & 15)]) }
        return s
    }

    static func decimalString(_ u: Int128, _ scale: Int32) -> String {
        let neg = u < 0
        var digits = String(u.magnitude)
        if scale > 0 {
            let s = Int(scale)
            while digits.count <= s { digits = "0" + digits }
            digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -s))
        }
        return (neg ? "-" : "") + digits
    }

    static func render(_ v: ParquetValue) -> String {
        switch v {
        case .null: return "null"
        case .boolean(let b): return b ? "true" : "false"
        case .int32(let x): return "\(x)"
        case .int64(let x): return "\(x)"
        case .float(let f): return Double(f).description
        case .double(let d): return d.description
        case .string(let s): return "s:" + hex(Array(s.utf8))
        case .binary(let b), .uuid(let b): return "b:" + hex(b)
        case .decimal(let u, let s): return "dec:" + decimalString(u, s)
        case .date(let d): return "\(d)"
        case .time(let t, _): return "\(t)"
        case .timestamp(let t, _, _): return "\(t)"
        case .list(let xs): return "[" + xs.map(render).joined(separator: ",") + "]"
        case .map(let es): return "{" + es.map { render($0.key) + ":" + render($0.value) }.joined(separator: ",") + "}"
        case .record(let xs): return "(" + xs.map(render).joined(separator: ",") + ")"
        }
    }

}
