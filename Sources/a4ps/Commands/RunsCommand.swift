import A4PS
import ArgumentParser
import Foundation
import LivingImage

/// `a4ps runs ...`: deliberation runs — their checkpoints, resuming, forking.
struct RunsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List, start, resume and fork deliberation runs; show their checkpoints.",
        subcommands: [List.self, Show.self, Start.self, Resume.self, History.self, Prompts.self, Fork.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The latest runs, with what paused ones are waiting for.")
        @OptionGroup var options: ImageOptions
        @Option(help: "How many.") var limit = 20

        func run() async throws {
            let limit = limit
            let runs = try await options.withRuntime(writes: false) { try await $0.runner.runs(limit: limit) }
            if runs.isEmpty { emitLine("no runs") }
            for run in runs { emitLine(RunFormatting.text(run)) }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One run: its status, task and answer, and the Oracle's scores.")
        @OptionGroup var options: ImageOptions
        @Argument(help: "The run.") var id: String
        @Flag(help: "Print it as JSON.") var json = false

        func run() async throws {
            let id = id
            let (run, state, scores) = try await options.withRuntime(writes: false) { runtime in
                guard let run = try await runtime.runner.run(id) else {
                    throw ValidationError("there is no run \(id) (see `a4ps runs list`)")
                }
                return (run, try await runtime.runner.history(id).last?.state ?? .null, try await runtime.runner.scores(id))
            }
            if json {
                emitLine(JSONValue.object([
                    "id": .string(run.id), "graph": .string(run.graph), "status": .string(run.status.rawValue), "step": .int(run.step),
                    "task": state["task"] ?? .null, "answer": state["answer"] ?? .null, "error": run.error.map { .string($0) } ?? .null,
                    "scores": .array(scores.map(\.json)),
                ]).prettyText)
                return
            }
            emitLine(RunFormatting.text(run))
            if let task = state["task"]?.stringValue { emitLine("task: \(task)") }
            if let answer = state["answer"]?.stringValue { emitLine("answer: \(answer)") }
            if scores.isEmpty { emitLine("not scored by the Oracle (a4ps oracle score \(run.id))") }
            for score in scores { emitLine(RunFormatting.text(score)) }
        }
    }

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run the graph kept in PROTO.slot on an initial state.")
        @OptionGroup var options: ImageOptions
        @Argument(help: "Where the graph is, e.g. Persona.graph.") var graph: String
        @Option(help: "The initial state (a JSON object).") var state = "{}"

        func run() async throws {
            let initial = try parseJSONArgument(state, what: "--state")
            let graph = graph
            let run = try await options.withRuntime { try await $0.runner.start(graph: graph, state: initial) }
            emitLine(RunFormatting.text(run))
            if run.status == .failed { throw ExitCode(1) }
        }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Continue a run from its last checkpoint (with --input for a paused one).")
        @OptionGroup var options: ImageOptions
        @Argument(help: "The run.") var id: String
        @Option(help: "The human's answer to a paused run, as JSON.") var input: String?

        func run() async throws {
            let answer = try input.map { try parseJSONArgument($0, what: "--input") }
            let id = id
            let run = try await options.withRuntime { try await $0.runner.resume(id, input: answer) }
            emitLine(RunFormatting.text(run))
            if run.status == .failed { throw ExitCode(1) }
        }
    }

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A run's checkpoints: step, node, next node, state.")
        @OptionGroup var options: ImageOptions
        @Argument(help: "The run.") var id: String
        @Flag(help: "Print the full states as JSON.") var json = false

        func run() async throws {
            let id = id
            let checkpoints = try await options.withRuntime(writes: false) { try await $0.runner.history(id) }
            if json {
                emitLine(JSONValue.array(checkpoints.map { c in
                    ["step": .int(c.step), "node": c.node.map { .string($0) } ?? .null, "next": .string(c.next), "state": c.state,
                     "duration_ms": .number(c.durationMs), "model_loads": .int(c.modelLoads)]
                }).prettyText)
                return
            }
            for c in checkpoints {
                let state = c.state.jsonText
                let cost = c.node == nil ? "" : String(format: "  %.1f ms, %d loads", c.durationMs, c.modelLoads)
                emitLine("step \(c.step)  \(c.node ?? "(start)") → \(c.next)\(cost)  \(state.count > 100 ? String(state.prefix(97)) + "…" : state)")
            }
        }
    }

    struct Fork: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Start a new run from a past checkpoint (optionally with another state); the original is untouched.")
        @OptionGroup var options: ImageOptions
        @Argument(help: "The run.") var id: String
        @Option(name: .customLong("from"), help: "The checkpoint step.") var step: Int
        @Option(help: "Replace the checkpoint's state (a JSON object).") var state: String?

        func run() async throws {
            let replacement = try state.map { try parseJSONArgument($0, what: "--state") }
            let (id, step) = (id, step)
            let run = try await options.withRuntime { try await $0.runner.fork(id, fromStep: step, state: replacement) }
            emitLine(RunFormatting.text(run))
            if run.status == .failed { throw ExitCode(1) }
        }
    }
}

/// A run, as one line (two when it waits or failed).
enum RunFormatting {
    static func text(_ run: RunRecord) -> String {
        var line = "\(run.id)  \(run.status.rawValue)  step \(run.step), next \(run.next)  graph \(run.graph)"
        if let from = run.forkedFrom { line += "  (forked from \(from))" }
        if run.status == .paused { line += "\n    waiting for: \(run.interrupt?.jsonText ?? "null")   resume with: a4ps runs resume \(run.id) --input JSON" }
        if run.status == .failed, let error = run.error { line += "\n    failed: \(error)   retry with: a4ps runs resume \(run.id)" }
        return line
    }

    /// The Oracle's scoring: overall, then each criterion with its reason.
    static func text(_ score: OracleScore) -> String {
        var lines = [String(format: "Oracle %.2f / 5", score.overall) + "  (\(score.model ?? "?"), \(ISO8601DateFormatter().string(from: score.at)))"]
        for (name, value) in (score.scores.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            lines.append("    \(name): \(value["score"]?.intValue.map(String.init) ?? "?")  \(value["reason"]?.stringValue ?? "")")
        }
        return lines.joined(separator: "\n")
    }
}
