import ArgumentParser
import S3Model

/// `--id ID` or `--all`: which of a bucket's configured rules (lifecycle rules, notification
/// configurations) a removal takes.
struct RuleSelection: ParsableArguments {
    @Option(help: "The id of the one to remove.") var id: String?
    @Flag(help: "Remove them all.") var all = false

    func validate() throws {
        guard (id != nil) != all else { throw ValidationError("give --id ID or --all") }
    }

    /// The rules left after the removal; an id that names none is the user's error.
    /// - Parameter idElement: the element that holds a rule's id (`ID`, `Id`).
    func remaining(_ rules: [XMLElement], idElement: String, target: String, listCommand: String) throws -> [XMLElement] {
        let kept = all ? [] : rules.filter { $0.value(idElement) != id }
        if let id, kept.count == rules.count { throw CLIError("\(target) has no rule \(id)", hint: "\(listCommand) \(target)") }
        return kept
    }
}
