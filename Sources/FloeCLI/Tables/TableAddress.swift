import FloeClient
import Foundation
import IcebergData
import IcebergModel
import NIOHTTP1

/// `ALIAS/WAREHOUSE/NAMESPACE.TABLE`: where a table lives, in the CLI's path style.
struct TableAddress: CustomStringConvertible {
    var alias: String
    var warehouse: String
    var namespace: [String]
    var name: String

    static func parse(_ text: String, session: Session) throws -> TableAddress {
        let parts = text.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, session.aliases.endpoint(parts[0]) != nil, !parts[1].isEmpty else {
            throw CLIError("\"\(text)\" is not ALIAS/WAREHOUSE/NAMESPACE.TABLE", hint: "write e.g. local/lakehouse/bronze.events; " + session.aliasHint)
        }
        let (namespace, name) = try Self.split(parts[2])
        return TableAddress(alias: parts[0], warehouse: parts[1], namespace: namespace, name: name)
    }

    static func split(_ text: String) throws -> ([String], String) {
        guard let dot = text.lastIndex(of: "."), dot != text.startIndex, text.index(after: dot) != text.endIndex else {
            throw CLIError("\"\(text)\" is not NAMESPACE.TABLE", hint: "write e.g. bronze.events")
        }
        return (text[..<dot].split(separator: ".").map(String.init), String(text[text.index(after: dot)...]))
    }

    var description: String { "\(alias)/\(warehouse)/\((namespace + [name]).joined(separator: "."))" }
    var catalogPath: String { "namespaces/\(CatalogClient.namespacePath(namespace))/tables/\(name)" }
}

/// A table loaded through the catalog, with what reading its files needs.
struct LoadedTable {
    var address: TableAddress
    var metadataLocation: String
    var metadata: TableMetadata
    /// The caller's S3 access, for writing the table's files.
    var s3: S3TableFileIO
    /// Reading the table's files: only below its location (a manifest may name any path).
    var io: ConfinedFileIO { ConfinedFileIO(s3, location: metadata.location) }
    /// Staged (stage-create): not in the catalog until the first commit creates it with its data.
    var staged = false

    static func load(_ address: TableAddress, session: Session) async throws -> LoadedTable {
        let catalog = try session.catalog(address.alias, warehouse: address.warehouse)
        let answer = try await catalog.call(.GET, address.catalogPath) as? [String: Any] ?? [:]
        guard let document = answer["metadata"] else { throw CLIError("the catalog answered no metadata for \(address)") }
        let data = try JSONSerialization.data(withJSONObject: document)
        let metadata: TableMetadata
        do {
            metadata = try TableMetadata(json: try JSONDecoder().decode(JSONValue.self, from: data))
        } catch {
            throw CLIError("the metadata of \(address) does not parse: \(error)")
        }
        return LoadedTable(
            address: address, metadataLocation: answer["metadata-location"] as? String ?? "", metadata: metadata,
            s3: S3TableFileIO(client: try session.s3(address.alias)))
    }

    /// The table named by `text` and the snapshot the options select (nil: the table has none).
    static func resolve(_ text: String, id: Int64?, asOf: String?, session: Session) async throws -> (table: LoadedTable, snapshot: Int64?) {
        let table = try await load(try TableAddress.parse(text, session: session), session: session)
        return (table, try table.snapshotID(id: id, asOf: asOf))
    }

    /// `--snapshot ID`, `--as-of TIME` (ISO-8601 or epoch milliseconds) or the current snapshot.
    func snapshotID(id: Int64?, asOf: String?) throws -> Int64? {
        if let id {
            guard metadata.snapshot(id) != nil else { throw CLIError("\(address) has no snapshot \(id)", hint: "list them with `floe table snapshots \(address)`") }
            return id
        }
        guard let asOf else { return nil }
        guard let millis = TimeText.epochMillis(asOf) else {
            throw CLIError("\"\(asOf)\" is not a time", hint: "write e.g. 2026-11-30T12:00:00Z or epoch milliseconds")
        }
        guard let id = TableScan.snapshotID(asOf: millis, metadata: metadata) else {
            throw CLIError("\(address) has no snapshot as of \(asOf)")
        }
        return id
    }
}

enum TimeText {
    static func epochMillis(_ text: String) -> Int64? {
        if let millis = Int64(text) { return millis }
        let formatter = ISO8601DateFormatter()
        for options: ISO8601DateFormatter.Options in [[.withInternetDateTime, .withFractionalSeconds], [.withInternetDateTime], [.withFullDate]] {
            formatter.formatOptions = options
            if let date = formatter.date(from: text) { return Int64((date.timeIntervalSince1970 * 1000).rounded()) }
        }
        return nil
    }

    static func iso(millis: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: Double(millis) / 1000))
    }
}
