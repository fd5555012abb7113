import FloeClient
import Foundation

/// Named endpoints (`floe alias set`), kept in `~/.config/floe/config.json` (0600) and
/// overridable per alias by `FLOE_ALIAS_<NAME>=url,accessKey,secretKey[,catalogURL]`.
public struct AliasStore {
    public struct Saved: Codable, Equatable {
        var url: String
        var accessKey: String
        var secretKey: String
        var catalog: String?
        var region: String?
    }

    struct File: Codable {
        var version = 1
        var aliases: [String: Saved] = [:]
    }

    public let path: String
    let environment: [String: String]
    var file: File

    /// The config file: `$FLOE_CONFIG_DIR/config.json`, else `$XDG_CONFIG_HOME/floe/config.json`, else `~/.config/floe/config.json`.
    public static func defaultPath(environment: [String: String]) -> String {
        if let directory = environment["FLOE_CONFIG_DIR"], !directory.isEmpty { return directory + "/config.json" }
        let base = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.config")
        return base + "/floe/config.json"
    }

    public init(path: String, environment: [String: String]) throws {
        self.path = path
        self.environment = environment
        if let data = FileManager.default.contents(atPath: path) {
            do {
                file = try JSONDecoder().decode(File.self, from: data)
            } catch {
                throw CLIError("\(path) is not a valid Floe config file", hint: "fix or remove it, then run `floe alias set` again")
            }
        } else {
            file = File()
        }
    }

    static func validName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64 && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
    }

    /// An alias from the environment (it wins) or the config file.
    public func endpoint(_ name: String) -> Endpoint? {
        if let value = environment["FLOE_ALIAS_" + name.uppercased().replacingOccurrences(of: "-", with: "_")] {
            let parts = value.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard parts.count >= 3 else { return nil }
            return Endpoint(url: parts[0], accessKey: parts[1], secretKey: parts[2], catalogURL: parts.count > 3 && !parts[3].isEmpty ? parts[3] : nil)
        }
        guard let saved = file.aliases[name] else { return nil }
        return Endpoint(url: saved.url, accessKey: saved.accessKey, secretKey: saved.secretKey, region: saved.region ?? "us-east-1", catalogURL: saved.catalog)
    }

    /// Every alias name, from the file and the environment.
    public var names: [String] {
        var names = Set(file.aliases.keys)
        for key in environment.keys where key.hasPrefix("FLOE_ALIAS_") {
            names.insert(String(key.dropFirst("FLOE_ALIAS_".count)).lowercased().replacingOccurrences(of: "_", with: "-"))
        }
        return names.sorted()
    }

    public func isFromEnvironment(_ name: String) -> Bool {
        environment["FLOE_ALIAS_" + name.uppercased().replacingOccurrences(of: "-", with: "_")] != nil
    }

    public mutating func set(_ name: String, _ endpoint: Endpoint) throws {
        guard Self.validName(name) else { throw CLIError("invalid alias name \"\(name)\"", hint: "use letters, digits, - and _") }
        file.aliases[name] = Saved(url: endpoint.url, accessKey: endpoint.accessKey, secretKey: endpoint.secretKey, catalog: endpoint.catalogURL,
                                   region: endpoint.region == "us-east-1" ? nil : endpoint.region)
        try save()
    }

    public mutating func remove(_ name: String) throws -> Bool {
        guard file.aliases.removeValue(forKey: name) != nil else { return false }
        try save()
        return true
    }

    /// Written to a temporary file with 0600 permissions, then renamed over the config.
    func save() throws {
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let temporary = path + ".tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: temporary, contents: try encoder.encode(file), attributes: [.posixPermissions: 0o600]) else {
            throw CLIError("cannot write \(temporary)", hint: "check the permissions of \(directory)")
        }
        if rename(temporary, path) != 0 {
            try? FileManager.default.removeItem(atPath: temporary)
            throw CLIError("cannot replace \(path)", hint: "check the permissions of \(directory)")
        }
    }
}
