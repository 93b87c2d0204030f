import A4PS
import ArgumentParser
import Foundation
import Inference
import LivingImage

/// `a4ps ask "task"`: the four personas deliberate on a task, live, and ALFRED answers.
struct AskCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ask",
        abstract: "Give the personas a task: BABS researches, BRICK and ROBIN deliberate, ALFRED answers (streamed live)."
    )
    @OptionGroup var options: ImageOptions
    @Argument(help: "The task.") var task: String
    @Option(name: .customLong("max-turns"), help: "Most BRICK/ROBIN turns.") var maxTurns = 5
    @Flag(help: "Print the run's final state as JSON instead of streaming.") var json = false

    func run() async throws {
        let (task, maxTurns, json) = (task, maxTurns, json)
        if let claim = options.servingClaim {
            // A server holds the image: the personas deliberate there (watch it live in its UI).
            let answer = try await ServedImage(image: options.imagePath, claim: claim).call(
                .POST, "/invoke", body: ["task": .string(task), "max_turns": .int(maxTurns)])
            if json { emitLine(answer.prettyText) } else {
                emitLine("run \(answer["run"]?.stringValue ?? "?") on the server at \(claim.url): \(answer["status"]?.stringValue ?? "?")")
                emitLine(answer["response"]?.stringValue ?? answer["error"]?.stringValue ?? "")
            }
            if answer["status"]?.stringValue == "failed" { throw ExitCode(1) }
            return
        }
        let run = try await options.asArchitect("ask") { runtime in
            let printer = json ? nil : Task { await LiveTranscript(runtime: runtime).follow() }
            let state = runtime.deliberationState(task: task, maxTurns: maxTurns)
            let before = await runtime.models.metrics()
            let run = try await runtime.runner.start(graph: CodexAmendments.deliberation, state: state)
            printer?.cancel()
            let final = try await runtime.runner.history(run.id).last?.state ?? .null
            let cost = DeliberationCost(from: before, to: await runtime.models.metrics())
            return (run, final, cost, try await runtime.runner.scores(run.id).last)
        }
        if json {
            emitLine(run.1.prettyText)
        } else {
            emitLine("")
            emitLine(RunFormatting.text(run.0))
            if let d = run.1["dissonance"]?.doubleValue { emitLine(String(format: "dissonance %.2f", d)) }
            emitLine(run.2.summary)
            if let score = run.3 { emitLine(RunFormatting.text(score)) }
        }
        if run.0.status == .failed { throw ExitCode(1) }
    }
}

/// What one deliberation cost the model layer: calls, loads, tokens and the prompt-cache share.
struct DeliberationCost {
    var calls: Int
    var loads: Int
    var promptTokens: Int
    var cachedPromptTokens: Int
    var completionTokens: Int

    init(from before: ModelMetrics, to after: ModelMetrics) {
        calls = after.calls - before.calls
        loads = after.loads - before.loads
        promptTokens = after.promptTokens - before.promptTokens
        cachedPromptTokens = after.cachedPromptTokens - before.cachedPromptTokens
        completionTokens = after.completionTokens - before.completionTokens
    }

    var summary: String {
        let share = promptTokens > 0 ? String(format: " (%.0f %% from the prompt cache)", 100 * Double(cachedPromptTokens) / Double(promptTokens)) : ""
        return "\(calls) model calls, \(loads) loads, \(promptTokens) prompt tokens\(share), \(completionTokens) generated"
    }
}

/// Prints a deliberation as it happens: each persona's turn labelled (coloured on a terminal)
/// as its tokens arrive, and a short line while a model loads.
struct LiveTranscript {
    let runtime: Runtime

    func follow() async {
        let colour = isatty(STDOUT_FILENO) != 0
        var speaking: String?
        for await event in runtime.models.events() {
            switch event {
            case .loading(let model, _, _):
                write(colour ? "\u{1B}[2m  … loading \(model)\u{1B}[0m\n" : "  … loading \(model)\n")
            case .delta(let delta):
                if speaking != delta.persona {
                    speaking = delta.persona
                    let name = delta.persona.uppercased()
                    write(colour ? "\n\u{1B}[1;\(Self.colourCode(name))m\(name)\u{1B}[0m: " : "\n\(name): ")
                }
                write(delta.text)
            default: break
            }
        }
    }

    private func write(_ text: String) { FileHandle.standardOutput.write(Data(text.utf8)) }

    static func colourCode(_ persona: String) -> Int {
        switch persona {
        case "ALFRED": 34
        case "BRICK": 31
        case "ROBIN": 32
        case "BABS": 35
        default: 37
        }
    }
}
