@testable import A4PS
import Foundation
import Inference
import LivingImage
import ScriptedModelServer
import Testing

/// The governor on the paths the running system takes: a method the forge grew, the forge's
/// budget, the strategic loop's rebinding (model facts from the real model server and the
/// registered adapters), an ascension's rebinding, a codex amendment's approval, and a method
/// trying to approve one. Every refusal is an error naming the rule, an audit entry and a
/// `governor.veto` event, and leaves the image as it was.
@Suite struct GovernanceEnforcementTests {
    /// Expects `body` to be refused under `rule` (an ``ImageError`` `vetoed` naming it), with an
    /// audit entry of `proto` by `author` and a `governor.veto` event, and `unchanged` protos as they were.
    @discardableResult
    func expectVeto(_ rule: String, in image: Image, proto: String, author: ChangeAuthor, unchanged: [String]? = nil,
                    sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void) async throws -> VetoRecord? {
        let events = image.events.subscribe()
        let watched = unchanged ?? [proto]
        let before = watched.map { image.memory.proto(named: $0) }
        let audited = try image.vetoes(limit: 1_000_000).count
        let error = await #expect(throws: ImageError.self, sourceLocation: sourceLocation) { try await body() }
        #expect(error?.code == .vetoed && error?.description.contains("rule \(rule)") == true, "\(error?.description ?? "")",
                sourceLocation: sourceLocation)
        #expect(watched.map { image.memory.proto(named: $0) } == before, "a refused change left a trace", sourceLocation: sourceLocation)
        let entry = try image.vetoes(limit: 1_000_000).dropFirst(audited).first { $0.veto.rule == rule }
        #expect(entry?.veto.proto == proto && entry?.veto.author == author, "audit: \(String(describing: entry))", sourceLocation: sourceLocation)
        _ = await readEvents(events, "a governor.veto for \(rule)", sourceLocation: sourceLocation) { event in
            if case .governorVeto(let veto) = event { return veto.rule == rule && veto.proto == proto }
            return false
        }
        return entry
    }

    /// Changes ALFRED's governance table as the Architect does.
    func amendGovernance(_ image: Image, _ change: (inout [String: JSONValue]) -> Void) async throws {
        let alfred = try #require(image.memory.proto(named: "ALFRED"))
        var clone = alfred.clone()
        var codex = clone.codex.objectValue ?? [:]
        var governance = codex["governance"]?.objectValue ?? [:]
        change(&governance)
        codex["governance"] = .object(governance)
        clone.codex = .object(codex)
        try await image.memory.swap(clone, expecting: alfred.version, author: .architect, reason: "governance for a test")
    }

    @Test func aForgedMethodThatWritesTheCodexIsVetoedWhenItRuns() async throws {
        let usurp = ToolForgeTests.answer("-- BRICK>>usurp: crowns BRICK\nself:set('codex', {name = 'BRICK', role = 'king'})\nreturn 'crowned'",
                                          "assert(true)")
        try await withRuntime(Script(rules: [.init(model: "phi3:mini-4k-instruct", replies: [usurp])])) { runtime, _ in
            let image = runtime.image
            let codex = image.memory.proto(named: "BRICK")?.codex
            let result = try await runtime.forge.forge(proto: "BRICK", selector: "usurp", description: "crown BRICK")
            #expect(result.succeeded, "\(result.attempts.flatMap(\.errors))")
            #expect(try image.history(proto: "BRICK", subject: "method:usurp").last?.author == .forge)
            let refused = try await expectVeto("protected_slots", in: image, proto: "BRICK", author: .architect) {
                _ = try await image.send("BRICK", "usurp")
            }
            #expect(refused?.veto.subject == "slot:codex" && refused?.veto.evidence["path"] == "method")
            // Sent by the system (a deliberation), the same method is refused the same way.
            try await expectVeto("protected_slots", in: image, proto: "BRICK", author: .system) {
                _ = try await image.send("BRICK", "usurp", author: .system)
            }
            #expect(image.memory.proto(named: "BRICK")?.codex == codex && image.memory.proto(named: "BRICK")?.slots["codex"] == nil)
        }
    }

    @Test func theForgeBudgetRefusesBeforeAnyModelIsAsked() async throws {
        try await withRuntime(Script(rules: [.init(model: "phi3:mini-4k-instruct", replies: [ToolForgeTests.right])])) { runtime, server in
            let image = runtime.image
            try await amendGovernance(image) { $0["forge_attempts_per_hour"] = 1 }
            #expect(try await image.send("BRICK", "double", ["n": 21]) == 42)
            #expect(try image.forgesStarted() == 1)
            let asked = try await chatRequests(server).count

            // doesNotUnderstand asks ALFRED, who allows it; the governor refuses the forge over budget.
            let events = image.events.subscribe()
            let answer = try await image.send("BRICK", "triple", ["n": 1])
            #expect(answer["status"] == "not understood")
            #expect(answer["forge"]?.stringValue?.contains("rule forge_attempts_per_hour") == true, "\(answer)")
            _ = await readEvents(events, "the budget's veto") { event in
                if case .governorVeto(let veto) = event { return veto.rule == "forge_attempts_per_hour" }
                return false
            }
            let entry = try #require(try image.vetoes(proto: "BRICK").last)
            #expect(entry.veto.rule == "forge_attempts_per_hour" && entry.veto.subject == "method:triple" && entry.veto.author == .forge)
            // `a4ps forge` takes the same door.
            try await expectVeto("forge_attempts_per_hour", in: image, proto: "ROBIN", author: .forge) {
                _ = try await runtime.forge.forge(proto: "ROBIN", selector: "soothe", description: "soothe")
            }
            #expect(try await chatRequests(server).count == asked, "a refused forge asked a model")
            #expect(image.memory.proto(named: "BRICK")?.methods["triple"] == nil)
        }
    }

    @Test(arguments: ["allowed_model_families", "model_fits_vram_budget"])
    func theStrategicLoopBindsOnlyAModelTheCodexAdmits(_ rule: String) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("a4ps-governed-ft-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let trainer = try FinetuneJobTests.fakeTrainer(FinetuneLoopTests.trainer, in: dir)
        try await withRuntime(FinetuneLoopTests.script, configure: { config in
            config.strategic.trainer = trainer
            config.strategic.validationPrompts = 2
            // BRICK's phi3 (2.5 GB) and its adapter do not fit 2 GB. (The scheduler loads one model at a
            // time, over budget, so that the validation before the swap can run at all.)
            if rule == "model_fits_vram_budget" {
                config.scheduler.vramGB = 2
                config.scheduler.policy = .sequential
            }
        }) { runtime, _ in
            defer { try? FileManager.default.removeItem(atPath: runtime.finetune.jobsDirectory) }
            if rule == "allowed_model_families" { try await amendGovernance(runtime.image) { $0["allowed_model_families"] = ["llama", "gemma"] } }
            try FinetuneJobTests.seedGolden(runtime)
            let job = try runtime.finetune.enqueue(persona: "BRICK")
            let refused = try await expectVeto(rule, in: runtime.image, proto: "BRICK", author: .strategic) {
                _ = try await runtime.finetune.run(job.id)
            }
            #expect(refused?.veto.evidence["model"] == "brick-golden-1" && refused?.veto.evidence["family"] == "phi3")
            #expect(runtime.image.memory.proto(named: "BRICK")?.slots["model"] == nil)
            let ended = try #require(try runtime.finetune.store.job(job.id))
            #expect(ended.status == .failed && ended.reason?.contains("rule \(rule)") == true, "\(ended.reason ?? "")")
            // The refused adapter does not stay registered.
            #expect(try runtime.finetune.store.adapters().isEmpty)
        }
    }

    @Test func theRuntimeTellsTheGovernorAboutModelsAndAdapters() async throws {
        try await withRuntime(configure: { $0.scheduler.vramGB = 5 }) { runtime, _ in
            let image = runtime.image
            let facts = ServedModelFacts(models: runtime.models, config: runtime.config, adapters: runtime.finetune.store)
            try runtime.finetune.store.recordAdapter(name: "brick-golden-9", persona: "BRICK", job: 9,
                                                     files: LoRAAdapter(ggufPath: "/nowhere.gguf", peftDirectory: "/nowhere", baseModel: "phi3:mini-4k-instruct"))
            guard case .known(let adapter) = await facts.facts(about: "brick-golden-9", for: "BRICK") else {
                Issue.record("the registered adapter is unknown")
                return
            }
            #expect(adapter.baseModel == "phi3:mini-4k-instruct" && adapter.family == "phi3" && adapter.sizeBytes == 2_500_000_000)
            #expect(adapter.budgetBytes == 5_000_000_000 && adapter.server.contains("Ollama"))
            guard case .unknown(let reason) = await facts.facts(about: "nobody:1b", for: "BRICK") else {
                Issue.record("an unknown model is known")
                return
            }
            #expect(reason.contains("does not have nobody:1b"))

            // The philosophical loop's rebinding, judged by the server's own sizes: 5.5 GB does not fit 5 GB, 5 GB does.
            let refused = try await expectVeto("model_fits_vram_budget", in: image, proto: "BRICK", author: .ascension) {
                try await rebind(image, "BRICK", to: "gemma2:9b-instruct", author: .ascension)
            }
            #expect(refused?.veto.evidence["size_bytes"] == 5_500_000_000)
            try await expectVeto("model_known", in: image, proto: "BRICK", author: .ascension) {
                try await rebind(image, "BRICK", to: "nobody:1b", author: .ascension)
            }
            try await rebind(image, "BRICK", to: "llama3.1:8b-instruct", author: .ascension)
            #expect(image.memory.proto(named: "BRICK")?.slots["model"] == "llama3.1:8b-instruct")
            #expect(try image.history(proto: "BRICK", limit: 1).last?.author == .ascension)

            // Before a pull: the same check, by the resolver or by the caller's facts.
            #expect(try await image.admitModel("brick-golden-9", for: "BRICK", author: .strategic).baseModel == "phi3:mini-4k-instruct")
            try await expectVeto("model_fits_vram_budget", in: image, proto: "ROBIN", author: .ascension) {
                try await image.admitModel("gemma2:27b", for: "ROBIN",
                                           facts: ModelFacts(model: "gemma2:27b", family: "gemma2", sizeBytes: 16_000_000_000,
                                                             budgetBytes: adapter.budgetBytes, server: adapter.server))
            }
        }
    }

    @Test func anApprovedAmendmentMustStillNameThePersona() async throws {
        try await withRuntime { runtime, _ in
            let store = try CodexProposalStore(image: runtime.image)
            let unnaming = try store.propose(persona: "ROBIN", diff: CodexDiff(set: ["system_prompt": "You are the empathetic synthesizer."]),
                                             reasoning: "a shorter prompt", proposer: .alfred)
            let refused = try await expectVeto("system_prompt_names_persona", in: runtime.image, proto: "ROBIN", author: .architect) {
                _ = try await store.approve(unnaming.id, note: "fine")
            }
            #expect(refused?.veto.evidence["name"] == "ROBIN")
            // Refused, the proposal waits for the Architect still: he may reject it.
            #expect(try store.proposal(unnaming.id)?.status == .pending)
            try store.reject(unnaming.id, note: "ROBIN keeps her name")

            let naming = try store.propose(persona: "ROBIN", diff: CodexDiff(set: ["system_prompt": "You are ROBIN, the empathetic synthesizer."]),
                                           proposer: .alfred)
            #expect(try await store.approve(naming.id).status == .approved)
            #expect(runtime.image.memory.proto(named: "ROBIN")?.codex["system_prompt"] == "You are ROBIN, the empathetic synthesizer.")
        }
    }

    @Test func noMethodApprovesAProposal() async throws {
        try await withRuntime { runtime, _ in
            let image = runtime.image
            let store = try CodexProposalStore(image: runtime.image)
            let proposal = try store.propose(persona: "BRICK", diff: CodexDiff(set: ["motto": "Crown me."]), proposer: .alfred)
            let before = image.memory.proto(named: "BRICK")?.codex
            try await image.defineMethod("approveIt", on: "BRICK", source: "return approve(\(proposal.id))")
            let error = await #expect(throws: ImageError.self) { try await image.send("BRICK", "approveIt") }
            #expect(error?.code == .methodFailed)
            // Asking ALFRED does not help: he has no such method, and the forge may not grow one on him.
            try await image.defineMethod("askAlfred", on: "BRICK", source: "return send('ALFRED', 'approveProposal', {id = \(proposal.id)})")
            let answer = try await image.send("BRICK", "askAlfred")
            #expect(answer["status"] == "not understood")
            #expect(image.memory.proto(named: "ALFRED")?.methods["approveProposal"] == nil)
            #expect(image.memory.proto(named: "BRICK")?.codex == before)
            #expect(try store.proposal(proposal.id)?.status == .pending)
        }
    }

    /// Swaps in `persona` with its `model` slot set to `model`, by `author`.
    func rebind(_ image: Image, _ persona: String, to model: String, author: ChangeAuthor) async throws {
        let current = try #require(image.memory.proto(named: persona))
        var clone = current.clone()
        clone.slots["model"] = .string(model)
        try await image.memory.swap(clone, expecting: current.version, author: author, reason: "rebinding for a test")
    }
}
