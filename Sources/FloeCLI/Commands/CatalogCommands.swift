import ArgumentParser
import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import FloeClient
import Foundation

struct CatalogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog", abstract: "Browse and manage the Iceberg catalog: namespaces and tables.",
        subcommands: [Namespace.self, Table.self])

    struct Target: ParsableArguments {
        @Argument(help: "ALIAS") var alias: String
        @Option(help: "Warehouse (the bucket holding the tables).") var warehouse = "lakehouse"
    }

    /// `a.b` → ["a", "b"].
    static func levels(_ namespace: String) -> [String] { namespace.split(separator: ".").map(String.init) }

    /// `ns.table` (the namespace may itself have dots) → (namespace path, table).
    static func table(_ text: String) throws -> (namespace: String, name: String) {
        guard let dot = text.lastIndex(of: "."), dot != text.startIndex, text.index(after: dot) != text.endIndex else {
            throw CLIError("\"\(text)\" is not NAMESPACE.TABLE", hint: "write e.g. bronze.events")
        }
        return (CatalogClient.namespacePath(levels(String(text[..<dot]))), String(text[text.index(after: dot)...]))
    }

    struct Namespace: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ns", abstract: "Namespaces.", subcommands: [List.self, Create.self, Drop.self, Props.self])

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "ls", abstract: "List namespaces (below a parent when given).")
            @OptionGroup var target: Target
            @Argument(help: "Parent namespace (a.b).") var parent: String?
            @OptionGroup var output: OutputOptions
            func run() async throws {
                try await Session.with { session in
                    let catalog = try session.catalog(target.alias, warehouse: target.warehouse)
                    let printer = Printer(options: output)
                    let query = parent.map { [("parent", CatalogCommand.levels($0).joined(separator: "\u{1F}"))] } ?? []
                    try await catalog.eachPage("namespaces", query: query) { page in
                        for namespace in page["namespaces"] as? [[String]] ?? [] {
                            printer.record(["namespace": namespace], namespace.joined(separator: "."))
                        }
                    }
                }
            }
        }

        struct Create: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a namespace.")
            @OptionGroup var target: Target
            @Argument(help: "Namespace (a.b for nested).") var namespace: String
            @Option(name: .customLong("property"), help: "KEY=VALUE (repeatable).") var properties: [String] = []
            @OptionGroup var output: OutputOptions
            func run() async throws {
                try await Session.with { session in
                    var props: [String: String] = [:]
                    for pair in properties {
                        let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                        guard parts.count == 2 else { throw CLIError("--property \(pair) is not KEY=VALUE", hint: nil) }
                        props[parts[0]] = parts[1]
                    }
                    _ = try await session.catalog(target.alias, warehouse: target.warehouse).call(
                        .POST, "namespaces", json: ["namespace": CatalogCommand.levels(namespace), "properties": props])
                    Printer(options: output).done(["namespace": CatalogCommand.levels(namespace), "status": "created"], "Namespace \(namespace) created")
                }
            }
        }

        struct Drop: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "drop", abstract: "Drop an empty namespace.")
            @OptionGroup var target: Target
            @Argument(help: "Namespace.") var namespace: String
            @OptionGroup var output: OutputOptions
            func run() async throws {
                try await Session.with { session in
                    _ = try await session.catalog(target.alias, warehouse: target.warehouse).call(.DELETE, "namespaces/" + CatalogClient.namespacePath(CatalogCommand.levels(namespace)))
                    Printer(options: output).done(["namespace": CatalogCommand.levels(namespace), "status": "dropped"], "Namespace \(namespace) dropped")
                }
            }
        }

        struct Props: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "props", abstract: "Show, set (KEY=VALUE) or remove (--remove KEY) namespace properties.")
            @OptionGroup var target: Target
            @Argument(help: "Namespace.") var namespace: String
            @Argument(help: "KEY=VALUE to set; none to only show.") var changes: [String] = []
            @Option(name: .customLong("remove"), help: "Property to remove (repeatable).") var removals: [String] = []
            @OptionGroup var output: OutputOptions
            func run() async throws {
                try await Session.with { session in
                    let catalog = try session.catalog(target.alias, warehouse: target.warehouse)
                    let path = "namespaces/" + CatalogClient.namespacePath(CatalogCommand.levels(namespace))
                    if !changes.isEmpty || !removals.isEmpty {
                        var updates: [String: String] = [:]
                        for change in changes {
                            let parts = change.split(separator: "=", maxSplits: 1).map(String.init)
                            guard parts.count == 2 else { throw CLIError("\(change) is not KEY=VALUE", hint: "remove a property with --remove KEY") }
                            updates[parts[0]] = parts[1]
                        }
                        _ = try await catalog.call(.POST, path + "/properties", json: ["updates": updates, "removals": removals])
                    }
                    let loaded = try await catalog.call(.GET, path) as? [String: Any] ?? [:]
                    let properties = loaded["properties"] as? [String: String] ?? [:]
                    Printer(options: output).record(["namespace": CatalogCommand.levels(namespace), "properties": properties],
                                                    Format.table(properties.keys.sorted().map { [$0, properties[$0]!] }).joined(separator: "\n"))
                }
            }
        }
    }

    struct Table: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "table", abstract: "Tables.", subcommands: [List.self, Show.self, History.self, Drop.self])

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "ls", abstract: "List the tables of a namespace.")
            @OptionGroup var target: Target
            @Argument(help: "Namespace.") var namespace: String
            @OptionGroup var output: OutputOptions
            func run() async throws {
                try await Session.with { session in
                    let catalog = try session.catalog(target.alias, warehouse: target.warehouse)
                    let printer = Printer(options: output)
                    try await catalog.eachPage("namespaces/\(CatalogClient.namespacePath(CatalogCommand.levels(namespace)))/tables") { page in
                        for identifier in page["identifiers"] as? [[String: Any]] ?? [] {
                            let name = ((identifier["namespace"] as? [String] ?? []) + [identifier["name"] as? String ?? ""]).joined(separator: ".")
                            printer.record(identifier, name)
                        }
                    }
                }
            }
        }

        static func load(_ session: Session, _ target: Target, _ table: String) async throws -> [String: Any] {
            let (namespace, name) = try CatalogCommand.table(table)
            return try await session.catalog(target.alias, warehouse: target.warehouse).call(.GET, "namespaces/\(namespace)/tables/\(name)") as? [String: Any] ?? [:]
        }

        struct Show: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "show", abstract: "Schema, partition spec, current snapshot, properties and metadata location.")
            @OptionGroup var target: Target
            @Argument(help: "NAMESPACE.TABLE") var table: String
            @OptionGroup var output: OutputOptions
            func run() async throws {
                try await Session.with { session in
                    let loaded = try await Table.load(session, target, table)
                    let metadata = loaded["metadata"] as? [String: Any] ?? [:]
                    let schemaID = metadata["current-schema-id"] as? Int ?? 0
                    let schema = (metadata["schemas"] as? [[String: Any]] ?? []).first { $0["schema-id"] as? Int == schemaID } ?? [:]
                    let specID = metadata["default-spec-id"] as? Int ?? 0
                    let spec = (metadata["partition-specs"] as? [[String: Any]] ?? []).first { $0["spec-id"] as? Int == specID } ?? [:]
                    let properties = metadata["properties"] as? [String: String] ?? [:]
                    var lines = ["Table:              \(table)", "Location:           \(metadata["location"] as? String ?? "")",
                                 "Metadata location:  \(loaded["metadata-location"] as? String ?? "")",
                                 "Format version:     \(metadata["format-version"] ?? "")",
                                 "Current snapshot:   \(metadata["current-snapshot-id"].map { "\($0)" } ?? "none")", "", "Schema (id \(schemaID)):"]
                    var rows: [[String]] = []
                    for field in schema["fields"] as? [[String: Any]] ?? [] {
                        let type = field["type"].map { $0 as? String ?? "struct" } ?? ""
                        rows.append(["  \(field["id"] ?? "")", field["name"] as? String ?? "", type, (field["required"] as? Bool ?? false) ? "required" : "optional"])
                    }
                    lines += Format.table(rows)
                    let fields = spec["fields"] as? [[String: Any]] ?? []
                    lines.append("")
                    lines.append("Partition spec (id \(specID)): " + (fields.isEmpty ? "unpartitioned" : fields.map { "\($0["transform"] ?? "")(\($0["source-id"] ?? "")) as \($0["name"] ?? "")" }.joined(separator: ", ")))
                    if !properties.isEmpty {
                        lines.append("")
                        lines.append("Properties:")
                        lines += Format.table(properties.keys.sorted().map { ["  " + $0, properties[$0]!] })
                    }
                    Printer(options: output).record([
                        "table": table, "metadataLocation": loaded["metadata-location"] ?? "", "location": metadata["location"] ?? "",
                        "schema": schema, "partitionSpec": spec, "properties": properties, "currentSnapshotId": metadata["current-snapshot-id"] ?? NSNull(),
                    ], lines.joined(separator: "\n"))
                }
            }
        }

        struct History: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "history", abstract: "Snapshots, oldest first, with the current one marked.")
            @OptionGroup var target: Target
            @Argument(help: "NAMESPACE.TABLE") var table: String
            @OptionGroup var output: OutputOptions
            func run() async throws {
                try await Session.with { session in
                    let metadata = try await Table.load(session, target, table)["metadata"] as? [String: Any] ?? [:]
                    let current = metadata["current-snapshot-id"].map { "\($0)" }
                    let printer = Printer(options: output)
                    var rows: [[String]] = []
                    for snapshot in (metadata["snapshots"] as? [[String: Any]] ?? []).sorted(by: { ($0["timestamp-ms"] as? Int ?? 0) < ($1["timestamp-ms"] as? Int ?? 0) }) {
                        let id = "\(snapshot["snapshot-id"] ?? "")"
                        let when = Date(timeIntervalSince1970: Double(snapshot["timestamp-ms"] as? Int ?? 0) / 1000)
                        let summary = snapshot["summary"] as? [String: Any] ?? [:]
                        printer.json(["snapshotId": snapshot["snapshot-id"] ?? 0, "timestamp": Format.iso(when), "operation": summary["operation"] ?? "",
                                      "parentId": snapshot["parent-snapshot-id"] ?? NSNull(), "current": id == current])
                        rows.append([Format.date(when), id, summary["operation"] as? String ?? "", "records: \(summary["total-records"] ?? "?")", id == current ? "← current" : ""])
                    }
                    printer.text(Format.table(rows))
                }
            }
        }

        struct Drop: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "drop", abstract: "Drop a table (with --purge, its files too).")
            @OptionGroup var target: Target
            @Argument(help: "NAMESPACE.TABLE") var table: String
            @Flag(help: "Delete the table's data and metadata files as well.") var purge = false
            @OptionGroup var output: OutputOptions
            func run() async throws {
                try await Session.with { session in
                    let (namespace, name) = try CatalogCommand.table(table)
                    _ = try await session.catalog(target.alias, warehouse: target.warehouse).call(
                        .DELETE, "namespaces/\(namespace)/tables/\(name)", query: purge ? [("purgeRequested", "true")] : [])
                    Printer(options: output).done(["table": table, "status": "dropped", "purged": purge], "Table \(table) dropped\(purge ? " and purged" : "")")
                }
            }
        }
    }
}
