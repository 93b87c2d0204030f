import A4PS
import ArgumentParser
import Foundation
import LivingImage

/// `a4ps oracle ...`: ALFRED's Oracle — score a finished deliberation (again).
struct OracleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "oracle",
        abstract: "ALFRED's Oracle: score finished deliberations on the rubric of his codex.",
        subcommands: [Score.self]
    )

    struct Score: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Score a finished run (again): each criterion 1–5 with its reason, and the overall.")
        @OptionGroup var options: ImageOptions
        @Argument(help: "The run.") var id: String
        @Flag(help: "Print the scoring as JSON.") var json = false

        func run() async throws {
            let id = id
            let score = try await options.withRuntime { try await $0.oracle.score(run: id) }
            emitLine(json ? score.json.prettyText : RunFormatting.text(score))
        }
    }
}
