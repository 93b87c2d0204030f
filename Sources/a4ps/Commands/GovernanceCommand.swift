import ArgumentParser
import Foundation
import LivingImage

/// `a4ps governance ...`: the rules the governor enforces, as ALFRED's codex holds them, and its
/// audit trail of refusals.
struct GovernanceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "governance",
        abstract: "Show the rules of ALFRED's codex the governor enforces, and the changes it vetoed.",
        subcommands: [Show.self, Vetoes.self]
    )

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the rules in force: each one's value, what it governs and the paths of change it applies to.")
        @OptionGroup var options: ImageOptions
        @Flag(help: "Print JSON instead of text.") var json = false

        func run() async throws {
            let image = try await options.open(writes: false)
            defer { image.close() }
            let codex = image.memory.proto(named: GovernanceRules.keeper)?.codex
            let rules = GovernanceRules.inForce(codex: codex)
            if json {
                emitLine(JSONValue.object(["keeper": .string(GovernanceRules.keeper), "rules": .array(rules.map(\.json))]).prettyText)
                return
            }
            emitLine("The rules of \(GovernanceRules.keeper)'s codex (governance), as the governor applies them at every change:")
            for rule in rules {
                let origin = rule.setByCodex ? "" : "  (default)"
                emitLine("")
                emitLine("\(rule.key) = \(rule.value.jsonText)\(origin)")
                emitLine("    governs: \(rule.governs)")
                emitLine("    paths:   \(rule.paths.joined(separator: ", "))")
                if rule.enforcedBy != "governor" { emitLine("    read by: \(rule.enforcedBy)") }
            }
            emitLine("")
            emitLine("A veto refuses the whole change, names the rule, is published as governor.veto and kept in the audit trail "
                + "(`a4ps governance vetoes`, `a4ps image history`). The rules change only by an amendment the Architect approves "
                + "(`a4ps codex propose \(GovernanceRules.keeper)`).")
        }
    }

    struct Vetoes: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the governor's audit trail: every change it refused, and why.")
        @OptionGroup var options: ImageOptions
        @Argument(help: "Only refusals of changes to this proto.") var proto: String?
        @Option(help: "How many of the latest refusals to list.") var limit = 50
        @Flag(help: "Print JSON instead of text.") var json = false

        func run() async throws {
            let image = try await options.open(writes: false)
            defer { image.close() }
            let vetoes = try image.vetoes(proto: proto, limit: limit)
            if json {
                emitLine(JSONValue.array(vetoes.map(\.json)).prettyText)
            } else {
                for veto in vetoes { emitLine(ChangeFormatting.text(veto)) }
                if vetoes.isEmpty { emitLine("no vetoes") }
            }
        }
    }
}
