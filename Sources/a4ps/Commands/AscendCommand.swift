import A4PS
import ArgumentParser
import Foundation
import Inference
import LivingImage

/// `a4ps ascend ...`: the philosophical loop's ascension — the candidate base models of a persona,
/// BABS's evaluation of one on the persona's golden hold-out (on a clone, judged blind by ALFRED),
/// and the ascensions it led to (rejected, failed, proposed, applied).
struct AscendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ascend",
        abstract: "Try a better base model for a persona on a clone; a validated one becomes a proposal for the Architect.",
        subcommands: [Candidates.self, Evaluate.self, List.self, Show.self],
        defaultSubcommand: List.self
    )

    struct Candidates: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The models a persona could ascend to: its model server's and [ascension] candidates, with sizes and the VRAM budget.")
        @OptionGroup var options: ImageOptions
        @Argument(help: "The persona (default: BRICK, ROBIN and BABS, the genesis ascension_allowed).") var persona: String?
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let (persona, json) = (persona, json)
            try await options.withRuntime { runtime in
                let personas = persona.map { [$0.uppercased()] } ?? runtime.image.governanceRules.ascensionAllowed.sorted()
                var all: [JSONValue] = []
                for name in personas {
                    guard let proto = runtime.image.memory.proto(named: name) else { throw ValidationError("there is no persona \(name) (see `a4ps inspect`)") }
                    let binding = PersonaPrimitives.binding(for: proto, models: runtime.models)
                    let current = binding.model ?? runtime.models.model(for: binding.persona)
                    let (candidates, problem) = await runtime.ascension.catalog.candidates(for: name, current: current)
                    let budget = runtime.models.vramBudgetBytes(for: name)
                    let managed = runtime.models.schedulesResidency(for: name)
                    if json {
                        all.append(["persona": .string(name), "current": current.map { .string($0) } ?? .null,
                                    "server": .string(runtime.models.backend(for: name).displayName), "vram_budget_bytes": .int(Int(budget)),
                                    "candidates": .array(candidates.map(\.json)), "problem": problem.map { .string($0) } ?? .null])
                        continue
                    }
                    emitLine("\(name) thinks with \(current ?? "?") on \(runtime.models.backend(for: name).displayName)"
                        + (managed ? String(format: " (VRAM budget %.2f GB)", Double(budget) / 1e9) : ""))
                    if let problem { emitLine("  (\(problem))") }
                    for candidate in candidates {
                        var line = "  \(candidate.isCurrent ? "*" : " ") \(candidate.name)  \(candidate.availability.rawValue)"
                        if let size = candidate.sizeBytes {
                            line += String(format: "  %.2f GB", Double(size) / 1e9) + (candidate.sizeSource.map { " (\($0))" } ?? "")
                            if managed, size > budget { line += "  — too big for the budget" }
                        } else {
                            line += "  size unknown"
                        }
                        line += "  [\(candidate.origins.joined(separator: ", "))]"
                        emitLine(line)
                    }
                }
                if json { emitLine(JSONValue.array(all).prettyText) }
            }
        }
    }

    struct Evaluate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "BABS evaluates MODEL for PERSONA on its golden hold-out, on a clone; a winner goes through the protocol to a proposal.")
        @OptionGroup var options: ImageOptions
        @Argument(help: "The persona (BRICK, ROBIN, BABS; as ascension_allowed in ALFRED's codex says).") var persona: String
        @Argument(help: "The candidate: a model name, or (embedded server) the path of a GGUF file.") var model: String
        @Flag(help: "Print the ascension as JSON at the end.") var json = false

        func run() async throws {
            let (persona, model, json) = (persona, model, json)
            let record = try await options.withRuntime { runtime in
                let events = runtime.image.events.subscribe()
                let printer = Task { for await event in events { AscendCommand.print(event) } }
                defer { printer.cancel() }
                let record = try await runtime.ascension.evaluate(persona: persona, candidate: model)
                // The bus delivers in order: what was published before the answer is printed before the summary.
                try? await Task.sleep(for: .milliseconds(50))
                return record
            }
            if json { emitLine(record.json.prettyText) } else { AscendCommand.printSummary(record) }
            if record.status == .failed { throw ExitCode.failure }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The ascensions, newest first.")
        @OptionGroup var options: ImageOptions
        @Argument(help: "Only this persona's.") var persona: String?

        func run() async throws {
            let persona = persona
            let records = try await AscendCommand.withStore(options) { try $0.records(of: persona) }
            if records.isEmpty { emitLine("no ascensions yet (`a4ps ascend candidates` lists what to try, `a4ps ascend evaluate PERSONA MODEL` tries one)") }
            for record in records {
                var line = "\(record.id)  \(record.persona)  \(record.current) → \(record.candidate)  \(record.status.rawValue)"
                if let phase = record.phase { line += " (\(phase))" }
                if let proposal = record.proposal { line += "  proposal \(proposal)" }
                if let scores = record.scores { line += String(format: "  old %.2f new %.2f", scores.old, scores.new) }
                if let reason = record.reason, record.status != .proposed { line += "  — " + String(reason.prefix(120)) }
                emitLine(line)
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One ascension as JSON: evaluation, validation, evidence, decision.")
        @OptionGroup var options: ImageOptions
        @Argument(help: "The ascension's id.") var id: Int64

        func run() async throws {
            let id = id
            guard let record = try await AscendCommand.withStore(options, { try $0.record(id) }) else {
                throw AscensionError(.noSuchAscension, "there is no ascension \(id) (see `a4ps ascend list`)")
            }
            emitLine(record.json.prettyText)
        }
    }

    /// Opens the image and its ascensions (no model server), runs `body`, closes.
    static func withStore<T>(_ options: ImageOptions, _ body: (AscensionStore) throws -> T) async throws -> T {
        let image = try await options.open(writes: false)
        defer { image.close() }
        return try body(try AscensionStore(image: image))
    }

    /// One line per ascension event as it happens.
    static func print(_ event: ImageEvent) {
        guard case .emitted(let proto, let name, let payload) = event else { return }
        let field = { (key: String) in payload[key]?.stringValue ?? payload[key].map(\.jsonText) ?? "?" }
        switch name {
        case "philosophical.ascension.started": emitLine("ascension \(field("ascension")): BABS evaluates \(field("candidate")) for \(proto)")
        case "philosophical.ascension.pulling": emitLine("  pulling \(field("candidate")) on \(field("server"))")
        case "philosophical.ascension.progress":
            let fraction = payload["fraction"]?.doubleValue.map { String(format: " %.0f%%", $0 * 100) } ?? ""
            emitLine("  \(field("status"))\(fraction)")
        case "philosophical.ascension.loaded": emitLine("  \(field("candidate")) loaded from \(field("file"))")
        case "philosophical.ascension.evaluated", "philosophical.ascension.validated":
            let step = name.hasSuffix("evaluated") ? "evaluated" : "validated"
            emitLine(String(format: "  %@: new mean %.2f vs old %.2f on %d prompt(s), gain %.2f (min_gain %.2f)", step,
                            payload["new_mean"]?.doubleValue ?? 0, payload["old_mean"]?.doubleValue ?? 0, payload["prompts"]?.intValue ?? 0,
                            payload["gain"]?.doubleValue ?? 0, payload["min_gain"]?.doubleValue ?? 0))
        case "characterological_dissonance": emitLine("  characterological dissonance: \(proto) could be better with \(field("candidate"))")
        case "philosophical.ascension.training": emitLine("  training a temporary adapter for the clone on \(field("examples")) golden example(s)")
        case "philosophical.ascension.proposed": emitLine("  proposed: ascension proposal \(field("proposal"))")
        default: break
        }
    }

    static func printSummary(_ record: AscensionRecord) {
        emitLine("ascension \(record.id) of \(record.persona) to \(record.candidate): \(record.status.rawValue)")
        if let reason = record.reason { emitLine("  " + reason) }
        if let timings = record.evidence["timings"]?.objectValue, !timings.isEmpty {
            emitLine("  timings: " + timings.sorted { $0.key < $1.key }
                .compactMap { key, value in value.doubleValue.map { String(format: "%@ %.1f s", key, $0) } }.joined(separator: ", "))
        }
        switch record.status {
        case .proposed:
            let id = record.proposal ?? 0
            emitLine("  the Architect decides: `a4ps proposals show \(id)`, `a4ps proposals approve \(id)` or `a4ps proposals reject \(id) --note …`")
        case .applied:
            emitLine("  \(record.persona) now thinks with \(record.candidate)" + (record.rollbackTo.map { "; undo with `a4ps image rollback \(record.persona) --to \($0)`" } ?? ""))
        default: break
        }
    }
}
