import A4PS
import ArgumentParser
import Foundation
import LivingImage
import Synchronization

/// `a4ps finetune ...`: the strategic loop's fine-tunes — start one for a persona and watch it
/// train, register, validate and swap (or discard); list, show and cancel jobs; run queued ones;
/// list and prune the adapters they made.
struct FinetuneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finetune",
        abstract: "Fine-tune a persona on its golden dataset (LoRA), validate it against the old mind and swap it in.",
        subcommands: [Start.self, List.self, Show.self, Cancel.self, Run.self, Adapters.self, Prune.self],
        defaultSubcommand: Start.self
    )

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Queue a fine-tune of PERSONA and run it now, printing its progress (`a4ps finetune BRICK`).")
        @OptionGroup var options: ImageOptions
        @Argument(help: "The persona (BRICK, ROBIN, BABS; ALFRED when his codex allows it).") var persona: String
        @Flag(help: "Only queue it (a running `a4ps serve` or `a4ps finetune run` runs it).") var queue = false

        func run() async throws {
            let (persona, queue) = (persona, queue)
            let ended = try await options.withRuntime { runtime in
                let job = try runtime.finetune.enqueue(persona: persona)
                emitLine("queued fine-tune job \(job.id) of \(job.persona): \(job.examples) training and \(job.holdout) hold-out example(s), "
                    + "adapter \(job.adapterName)")
                if queue { return job }
                return try await runtime.finetune.run(job.id, progress: FinetuneCommand.printer())
            }
            if !queue { FinetuneCommand.printSummary(ended) }
        }
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run the queued jobs one after another (and find again those a crash left).")
        @OptionGroup var options: ImageOptions

        func run() async throws {
            let ran = try await options.withRuntime { runtime in await runtime.finetune.runQueued(progress: FinetuneCommand.printer()) }
            if ran.isEmpty { emitLine("no queued fine-tune job") }
            ran.forEach(FinetuneCommand.printSummary)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The fine-tune jobs, newest first.")
        @OptionGroup var options: ImageOptions
        @Argument(help: "Only this persona's.") var persona: String?

        func run() async throws {
            let persona = persona
            let jobs = try await options.withRuntime(writes: false) { try $0.finetune.store.jobs(of: persona) }
            if jobs.isEmpty { emitLine("no fine-tune jobs yet (`a4ps finetune PERSONA` starts one)") }
            for job in jobs {
                var line = "\(job.id)  \(job.persona)  \(job.status.rawValue)"
                if let phase = job.phase { line += " (\(phase) \(job.step)/\(job.maxSteps))" }
                if let decision = job.decision { line += "  \(decision.rawValue)" }
                line += "  \(job.adapterName)  \(job.examples) example(s)"
                if let reason = job.reason { line += "  — " + String(reason.prefix(100)) }
                emitLine(line)
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One job, as JSON: progress, log tail, timings, validation scores, decision.")
        @OptionGroup var options: ImageOptions
        @Argument(help: "The job's id.") var id: Int64

        func run() async throws {
            let id = id
            guard let job = try await options.withRuntime(writes: false, { try $0.finetune.store.job(id) }) else {
                throw ValidationError("there is no fine-tune job \(id) (see `a4ps finetune list`)")
            }
            emitLine(job.json.prettyText)
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel a job: a queued one at once, a running one within seconds (its trainer is stopped).")
        @OptionGroup var options: ImageOptions
        @Argument(help: "The job's id.") var id: Int64

        func run() async throws {
            let id = id
            let status = try await options.withRuntime { try $0.finetune.store.cancel(id) }
            switch status {
            case .cancelled: emitLine("fine-tune job \(id) cancelled")
            case .running: emitLine("fine-tune job \(id) is asked to stop; its worker stops the trainer within seconds")
            default: emitLine("fine-tune job \(id) has already ended (\(status.rawValue))")
            }
        }
    }

    struct Adapters: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The adapters fine-tunes registered (live ones; --all for pruned too).")
        @OptionGroup var options: ImageOptions
        @Flag(help: "Include pruned adapters.") var all = false

        func run() async throws {
            let all = all
            let (adapters, bound) = try await options.withRuntime(writes: false) { runtime in
                (try runtime.finetune.store.adapters(all: all),
                 Dictionary(runtime.image.memory.snapshot().values.compactMap { proto in
                     proto.slots[GovernanceRules.modelSlot]?.stringValue.map { ($0, proto.name) } }, uniquingKeysWith: { a, _ in a }))
            }
            if adapters.isEmpty { emitLine("no adapters") }
            for adapter in adapters {
                var line = "\(adapter.name)  \(adapter.persona)  job \(adapter.job)  \(adapter.adapter.ggufPath)"
                if let persona = bound[adapter.name] { line += "  (bound: \(persona) thinks with it)" }
                if adapter.prunedAt != nil { line += "  (pruned)" }
                emitLine(line)
            }
        }
    }

    struct Prune: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Unregister an adapter no persona is bound to (its files stay in the job's directory).")
        @OptionGroup var options: ImageOptions
        @Argument(help: "The adapter's name (brick-golden-3).") var name: String

        func run() async throws {
            let name = name
            try await options.withRuntime { try await $0.finetune.prune(name) }
            emitLine("pruned \(name)")
        }
    }

    /// Prints a job's progress as it changes (phase changes and each training step).
    static func printer() -> @Sendable (FinetuneJob) -> Void {
        let last = LastLine()
        return { job in
            var line = "job \(job.id): \(job.status.rawValue)"
            if let phase = job.phase {
                line += " — \(phase)"
                if phase == "training", job.maxSteps > 0 {
                    line += " step \(job.step)/\(job.maxSteps)" + (job.loss.map { String(format: ", loss %.3f", $0) } ?? "")
                }
            }
            if last.changed(to: line) { emitLine(line) }
        }
    }

    static func printSummary(_ job: FinetuneJob) {
        emitLine("fine-tune job \(job.id) of \(job.persona): \(job.status.rawValue)" + (job.decision.map { ", \($0.rawValue)" } ?? ""))
        if let reason = job.reason { emitLine("  " + reason) }
        if let validation = job.provenance["validation"] {
            let old = validation["old"]?.arrayValue?.compactMap { $0["score"]?.intValue } ?? []
            let new = validation["new"]?.arrayValue?.compactMap { $0["score"]?.intValue } ?? []
            emitLine("  Oracle scores, old mind \(old) → new mind \(new)")
        }
        if let timings = job.provenance["training"]?["timings"]?.objectValue {
            emitLine("  trainer timings: " + timings.sorted { $0.key < $1.key }
                .compactMap { key, value in value.doubleValue.map { String(format: "%@ %.1f s", key, $0) } }.joined(separator: ", "))
        }
        if job.decision == .swapped {
            let undo = job.provenance["rollback_to"]?.intValue.map { "`a4ps image rollback \(job.persona) --to \($0)`" }
                ?? "`a4ps image rollback \(job.persona) --to N` (N: the change before the swap, `a4ps image history \(job.persona)`)"
            emitLine("  \(job.persona) now thinks with \(job.adapterName); undo with " + undo)
        }
    }
}

/// The last line a progress printer wrote (it prints only changes).
private final class LastLine: Sendable {
    private let line = Mutex<String>("")
    func changed(to new: String) -> Bool { line.withLock { old in defer { old = new }; return old != new } }
}
