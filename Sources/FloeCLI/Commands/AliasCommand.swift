import ArgumentParser
import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import FloeClient

struct AliasCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alias",
        abstract: "Manage named endpoints (stored in ~/.config/floe/config.json, mode 0600).",
        discussion: "An alias names a server and the keys to use; remote paths start with it: ALIAS/BUCKET/KEY. FLOE_ALIAS_<NAME>=url,accessKey,secretKey[,catalogURL] defines or overrides an alias for one run.",
        subcommands: [Set.self, List.self, Remove.self])

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set", abstract: "Add or replace an alias.")
        @Argument(help: "Alias name (letters, digits, - and _).") var name: String
        @Argument(help: "S3 URL, e.g. http://127.0.0.1:9000.") var url: String
        @Argument(help: "Access key.") var accessKey: String
        @Argument(help: "Secret key.") var secretKey: String
        @Option(help: "Iceberg catalog URL (default: the same host on port 8181).") var catalog: String?
        @Option(help: "Region to sign for.") var region = "us-east-1"
        @Flag(help: "Save without checking that the server answers.") var skipCheck = false
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await Session.with { session in
                guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
                    throw CLIError("\"\(url)\" is not a URL", hint: "write it as http://HOST:PORT or https://HOST:PORT")
                }
                let endpoint = Endpoint(url: url, accessKey: accessKey, secretKey: secretKey, region: region, catalogURL: catalog)
                if !skipCheck {
                    _ = try await S3Client(endpoint: endpoint, http: session.http).listBuckets()
                }
                try session.aliases.set(name, endpoint)
                Printer(options: output).done(["alias": name, "url": endpoint.url, "status": "saved"], "Added alias \(name) → \(endpoint.url)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List aliases (secrets are not shown).")
        @Argument(help: "Only this alias.") var name: String?
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await Session.with { session in
                let printer = Printer(options: output)
                let names = name.map { [$0] } ?? session.aliases.names
                var rows: [[String]] = []
                for alias in names {
                    let endpoint = try session.endpoint(alias)
                    let source = session.aliases.isFromEnvironment(alias) ? "env" : "config"
                    if output.json {
                        printer.json(["alias": alias, "url": endpoint.url, "accessKey": endpoint.accessKey, "catalog": endpoint.resolvedCatalogURL, "source": source])
                    }
                    rows.append([alias, endpoint.url, endpoint.accessKey, endpoint.resolvedCatalogURL, source])
                }
                printer.text(Format.table(rows))
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove an alias from the config file.")
        @Argument(help: "Alias name.") var name: String
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await Session.with { session in
                guard try session.aliases.remove(name) else {
                    throw CLIError("no alias \"\(name)\" in \(session.aliases.path)", hint: "list them with `floe alias ls`")
                }
                Printer(options: output).done(["alias": name, "status": "removed"], "Removed alias \(name)")
            }
        }
    }
}
