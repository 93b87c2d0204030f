import A4PS
import ArgumentParser
import Foundation
import LivingImage

/// `a4ps golden ...`: the personas' golden datasets — training examples from interactions the
/// Oracle found golden.
struct GoldenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "golden",
        abstract: "The personas' golden datasets: list, show, export (ChatML JSONL) and remove examples.",
        subcommands: [List.self, Show.self, Export.self, Remove.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A persona's examples (every persona's counts without one).")
        @OptionGroup var options: ImageOptions
        @Argument(help: "The persona (BRICK, ROBIN, ALFRED, BABS).") var persona: String?

        func run() async throws {
            let persona = persona
            let (counts, examples) = try await options.withRuntime(writes: false) { runtime in
                (try runtime.golden.counts(), try persona.map { try runtime.golden.examples(of: $0) } ?? [])
            }
            guard persona != nil else {
                if counts.isEmpty { emitLine("no golden examples yet (interactions the Oracle scores at or above [strategic] golden_threshold)") }
                for (name, count) in counts.sorted(by: { $0.key < $1.key }) { emitLine("\(name)  \(count) example(s)") }
                return
            }
            if examples.isEmpty { emitLine("no golden examples for \(persona!.uppercased())") }
            for example in examples {
                emitLine(String(format: "%d  %@  %@  %.2f  ", example.id, example.split.rawValue, example.run, example.overall)
                    + String(example.asked.replacingOccurrences(of: "\n", with: " ").prefix(80)))
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One example, as JSON.")
        @OptionGroup var options: ImageOptions
        @Argument(help: "The example's id.") var id: Int64

        func run() async throws {
            let id = id
            guard let example = try await options.withRuntime(writes: false, { try $0.golden.example(id) }) else {
                throw ValidationError("there is no golden example \(id) (see `a4ps golden list PERSONA`)")
            }
            emitLine(example.json.prettyText)
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A persona's examples as ChatML JSONL ({\"messages\": [...]} per line), as TRL and Unsloth load them.")
        @OptionGroup var options: ImageOptions
        @Argument(help: "The persona.") var persona: String
        @Option(help: "Which split: train or holdout.") var split = "train"
        @Option(help: "Write to this file instead of standard output.") var out: String?

        func run() async throws {
            guard let chosen = GoldenExample.Split(rawValue: split) else { throw ValidationError("--split is train or holdout, not \(split)") }
            let persona = persona
            let text = try await options.withRuntime(writes: false) { try $0.golden.jsonl(of: persona, split: chosen) }
            if let out {
                try text.write(toFile: out, atomically: true, encoding: .utf8)
                emitLine("wrote \(text.split(separator: "\n").count) example(s) to \(out)")
            } else {
                FileHandle.standardOutput.write(Data(text.utf8))
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove an example from its persona's dataset.")
        @OptionGroup var options: ImageOptions
        @Argument(help: "The example's id.") var id: Int64

        func run() async throws {
            let id = id
            guard try await options.withRuntime({ try $0.golden.remove(id) }) else {
                throw ValidationError("there is no golden example \(id)")
            }
            emitLine("removed golden example \(id)")
        }
    }
}
