import Foundation
import Identity

/// Root credentials: from FLOE_ROOT_USER / FLOE_ROOT_PASSWORD when set; otherwise generated on
/// first start, stored (0600) in `meta/root-credentials` and printed once.
enum RootCredentials {
    struct Loaded {
        var key: AccessKey
        /// True only on the start that generated them: the one time they are printed.
        var generated: Bool
    }

    static func load(configuration: ServerConfiguration, metaDirectory: String) throws -> Loaded {
        if let user = configuration.rootUser, let password = configuration.rootPassword {
            guard user.count >= 3 else { throw ConfigurationError(description: "FLOE_ROOT_USER must be at least 3 characters") }
            guard password.count >= 8 else { throw ConfigurationError(description: "FLOE_ROOT_PASSWORD must be at least 8 characters") }
            return Loaded(key: AccessKey(accessKeyID: user, secretKey: password, owner: user), generated: false)
        }
        if configuration.rootUser != nil || configuration.rootPassword != nil {
            throw ConfigurationError(description: "set both FLOE_ROOT_USER and FLOE_ROOT_PASSWORD, or neither")
        }
        let path = metaDirectory + "/root-credentials"
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            let lines = text.split(separator: "\n").map(String.init)
            guard lines.count >= 2 else { throw ConfigurationError(description: "\(path) is damaged: expected two lines") }
            return Loaded(key: AccessKey(accessKeyID: lines[0], secretKey: lines[1], owner: lines[0]), generated: false)
        }
        let (user, password) = CredentialGenerator.make()
        let created = FileManager.default.createFile(
            atPath: path, contents: Data("\(user)\n\(password)\n".utf8), attributes: [.posixPermissions: 0o600])
        guard created else { throw ConfigurationError(description: "cannot write \(path)") }
        return Loaded(key: AccessKey(accessKeyID: user, secretKey: password, owner: user), generated: true)
    }
}
