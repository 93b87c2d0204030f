@testable import A4PS
import Foundation
import Inference
import LivingImage
import ScriptedModelServer
import Testing

/// The philosophical loop's ascension against the scripted Ollama server, with a fake trainer:
/// BABS evaluates a candidate on BRICK's golden hold-out (on a clone, judged blind by ALFRED), a
/// winner is pulled (progress on the bus), gets a temporary adapter (Ollama create from the
/// candidate), is validated and proposed in the one proposal id space; the Architect approves —
/// the binding swapped by author `ascension`, a fine-tune job for the new base, the re-curation of
/// BRICK's past — and a rollback restores the old binding. A loser is rejected and what was
/// pulled for it deleted; bad candidates end `failed` with the reason, production untouched.
@Suite struct AscensionTests {
    /// BRICK's base answers "OLD MIND"; qwen2.5:7b (pullable) "NEW MIND", its temporary adapter
    /// "NEW MIND, adapted"; mistral-nemo:12b (pullable) "WORSE MIND". ALFRED judges NEW 5, WORSE 1, else 3.
    static func script(extraModels: [Script.Model] = [], extraRules: [Script.Rule] = []) -> Script {
        Script(models: Script.personaModels + [
            Script.Model(name: "qwen2.5:7b", sizeGB: 4.7, pulled: false, family: "qwen2", parameterSize: "7.6B", quantization: "Q4_K_M"),
            Script.Model(name: "mistral-nemo:12b", sizeGB: 7.1, pulled: false, family: "llama", parameterSize: "12B", quantization: "Q4_0"),
        ] + extraModels, rules: extraRules + [
            .init(model: "qwen2.5:7b", reply: "NEW MIND answer."),
            .init(model: "brick-ascension-1", reply: "NEW MIND, adapted."),
            .init(model: "mistral-nemo:12b", reply: "WORSE MIND answer."),
            .init(contains: "It answered:\nNEW MIND", json: JSONText(#"{"score": 5, "reason": "clear and correct"}"#)),
            .init(contains: "It answered:\nWORSE MIND", json: JSONText(#"{"score": 1, "reason": "off the point"}"#)),
            .init(contains: "It answered:\n", json: JSONText(#"{"score": 3, "reason": "adequate"}"#)),
        ], defaultReply: "OLD MIND answer.")
    }

    /// A runtime on the scripted server with a fake trainer and `[ascension]` for these tests.
    func withAscensionRuntime(_ script: Script = AscensionTests.script(), configure: @escaping (inout A4PSConfig) -> Void = { _ in },
                              _ body: @escaping (Runtime, ScriptedModelServer) async throws -> Void) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("a4ps-ascension-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let trainer = try FinetuneJobTests.fakeTrainer(FinetuneLoopTests.trainer, in: dir)
        try await withRuntime(script, configure: { config in
            config.strategic.trainer = trainer
            config.ascension.candidates = [.init(name: "qwen2.5:7b", sizeBytes: 4_700_000_000, trainerBase: "Qwen/Qwen2.5-7B-Instruct")]
            config.ascension.validationPrompts = 2
            config.ascension.adapterExamples = 4
            config.ascension.recurateLimit = 3
            configure(&config)
        }) { runtime, server in
            defer {
                try? FileManager.default.removeItem(atPath: runtime.finetune.jobsDirectory)
                try? FileManager.default.removeItem(atPath: runtime.ascension.workDirectory)
            }
            try FinetuneJobTests.seedGolden(runtime, turns: 12)
            try await body(runtime, server)
        }
    }

    @Test func aBetterBaseIsProposedInTheOneProposalListApprovedFineTunedRecuratedAndRolledBack() async throws {
        try await withAscensionRuntime { runtime, server in
            // A codex amendment first: the ascension's proposal takes the next id of the same space.
            let amendments = try CodexProposalStore(image: runtime.image)
            let amendment = try amendments.propose(persona: "BRICK", diff: CodexDiff(set: ["principles": ["Prove it."]]), proposer: .architect)
            // A past deliberation of BRICK, for the re-curation.
            try await Self.seedFinishedRun(runtime)
            let events = runtime.image.events.subscribe()

            let record = try await runtime.ascension.evaluate(persona: "BRICK", candidate: "qwen2.5:7b")
            #expect(record.status == .proposed, "\(record.reason ?? "")")
            let proposal = try #require(record.proposal)
            #expect(proposal == amendment.id + 1)
            #expect(try amendments.propose(persona: "BRICK", diff: CodexDiff(set: ["tone": "dry"]), proposer: .architect).id == proposal + 1)
            // Production untouched while the proposal waits; the clone lives in the record.
            #expect(runtime.image.memory.proto(named: "BRICK")?.slots["model"] == nil)
            #expect(record.clone?["model"] == "qwen2.5:7b" && record.clone?["golden"]?["train"]?.intValue ?? 0 > 0)
            // The evaluation, then the clone with its temporary adapter, judged blind.
            #expect(record.evaluation?["old_mean"]?.doubleValue == 3 && record.evaluation?["new_mean"]?.doubleValue == 5)
            #expect(record.validation?["new_mean"]?.doubleValue == 5)
            #expect(record.validation?["new"]?.arrayValue?.count == record.validation?["prompts"]?.intValue)
            #expect(record.evidence["adapter"]?["name"] == "brick-ascension-1")
            #expect(record.evaluation?["new"]?.arrayValue?.first?["answer"] == "NEW MIND answer.")
            let requests = await server.requests()
            #expect(requests.contains { $0.path == "/api/pull" && $0.body.contains("qwen2.5:7b") })
            let create = try #require(requests.first { $0.path == "/api/create" })
            #expect(try JSONValue(parsing: create.body)["from"] == "qwen2.5:7b")
            // The temporary adapter is gone again; the pulled candidate stays for the proposal.
            #expect(requests.contains { $0.path == "/api/delete" && $0.body.contains("brick-ascension-1") })
            #expect(!requests.contains { $0.path == "/api/delete" && $0.body.contains("qwen2.5:7b") })

            let seen = await readEvents(events, "the proposal on the bus") { eventName($0) == "philosophical.proposal.created" }.compactMap(eventName)
            for name in ["philosophical.ascension.started", "philosophical.ascension.pulling", "philosophical.ascension.progress",
                         "philosophical.ascension.evaluated", "characterological_dissonance", "philosophical.ascension.dissonance",
                         "philosophical.ascension.training", "philosophical.ascension.validated", "philosophical.ascension.proposed"] {
                #expect(seen.contains(name), "missing \(name) in \(seen)")
            }

            // The Architect approves: the binding is swapped by the author ascension, with the proposal and the evidence's digest.
            let applied = try await runtime.ascension.approve(proposal: proposal, note: "agreed")
            #expect(applied.status == .applied && applied.note == "agreed")
            #expect(runtime.image.memory.proto(named: "BRICK")?.slots["model"] == "qwen2.5:7b")
            let change = try #require(try runtime.image.history(proto: "BRICK", limit: 1).last)
            #expect(change.author == .ascension && change.kind == "ascension" && change.id == applied.changeID)
            #expect(change.reason.contains("ascension proposal \(proposal) approved by the Architect") && change.reason.contains("evidence sha256:"))
            // A fine-tune of the new base on the whole golden dataset is queued (the strategic loop).
            let jobID = try #require(applied.finetuneJob)
            let job = try #require(try runtime.finetune.store.job(jobID))
            #expect(job.status == .queued && job.trigger == "ascension" && job.persona == "BRICK")
            // The past through the new mind: re-answered, re-scored, golden.
            let recuration = try #require(applied.recuration)
            #expect(recuration["requests"]?.intValue == 2 && recuration["golden_added"]?.intValue == 2, "\(recuration.jsonText)")
            #expect(try runtime.golden.examples(of: "BRICK").contains { $0.run.hasPrefix("ascension-\(applied.id):") })
            #expect(try await AscensionTests.pending(runtime, proposal) == .alreadyDecided)

            // The queued job trains for the new base: the candidate's trainer_base, registered from it.
            let ran = try await runtime.finetune.run(job.id)
            #expect(ran.provenance["base"] == "Qwen/Qwen2.5-7B-Instruct")
            let creates = await server.requests().filter { $0.path == "/api/create" }
            #expect(try JSONValue(parsing: try #require(creates.last).body)["from"] == "qwen2.5:7b")

            // Rollback restores the old binding.
            let back = try #require(applied.rollbackTo)
            try await runtime.image.rollback("BRICK", toChange: back, reason: "back to the old base")
            #expect(runtime.image.memory.proto(named: "BRICK")?.slots["model"] == nil)
        }
    }

    @Test func aWorseCandidateIsRejectedAndWhatWasPulledForItDeleted() async throws {
        try await withAscensionRuntime(configure: { $0.ascension.candidates.append(.init(name: "mistral-nemo:12b", sizeBytes: 7_100_000_000)) }) { runtime, server in
            let events = runtime.image.events.subscribe()
            let record = try await runtime.ascension.evaluate(persona: "BRICK", candidate: "mistral-nemo:12b")
            #expect(record.status == .rejected && record.proposal == nil)
            #expect(record.reason?.contains("mistral-nemo:12b scored 1.00 against 3.00") == true, "\(record.reason ?? "")")
            #expect(record.clone == nil && record.served["deleted"] == "mistral-nemo:12b")
            #expect(runtime.image.memory.proto(named: "BRICK")?.slots["model"] == nil)
            #expect(await server.requests().contains { $0.path == "/api/delete" && $0.body.contains("mistral-nemo:12b") })
            let seen = await readEvents(events, "the rejection") { eventName($0) == "philosophical.ascension.rejected" }.compactMap(eventName)
            #expect(!seen.contains("characterological_dissonance") && !seen.contains("philosophical.ascension.training"))
        }
    }

    @Test func theArchitectRejectsAProposalAndNothingChanges() async throws {
        try await withAscensionRuntime { runtime, server in
            let record = try await runtime.ascension.evaluate(persona: "BRICK", candidate: "qwen2.5:7b")
            let proposal = try #require(record.proposal)
            let declined = try await runtime.ascension.reject(proposal: proposal, note: "not now")
            #expect(declined.status == .declined && declined.note == "not now" && declined.clone == nil)
            #expect(runtime.image.memory.proto(named: "BRICK")?.slots["model"] == nil)
            #expect(await server.requests().contains { $0.path == "/api/delete" && $0.body.contains("qwen2.5:7b") })
            #expect(try await AscensionTests.pending(runtime, proposal, approve: true) == .alreadyDecided)
            #expect(try await AscensionTests.pending(runtime, 999, approve: true) == .noSuchAscension)
        }
    }

    @Test func aBindingChangedMeanwhileIsAConflictAnExpiredProposalChangesNothing() async throws {
        try await withAscensionRuntime { runtime, _ in
            let first = try #require(try await runtime.ascension.evaluate(persona: "BRICK", candidate: "qwen2.5:7b").proposal)
            try await runtime.image.setSlot("model", of: "BRICK", to: "llama3.1:8b-instruct")
            #expect(try await AscensionTests.pending(runtime, first, approve: true) == .conflict)
            #expect(runtime.image.memory.proto(named: "BRICK")?.slots["model"] == "llama3.1:8b-instruct")
            try await runtime.image.setSlot("model", of: "BRICK", to: nil)

            let expired = try await runtime.ascension.expire(now: Date().addingTimeInterval(8 * 86_400))
            #expect(expired.map(\.proposal) == [first])
            #expect(try await AscensionTests.pending(runtime, first, approve: true) == .expired)
            #expect(runtime.image.memory.proto(named: "BRICK")?.slots["model"] == nil)
        }
    }

    @Test func underTheAutoPolicyAValidatedAscensionAppliesItself() async throws {
        try await withAscensionRuntime { runtime, _ in
            var codex = try #require(runtime.image.memory.proto(named: "ALFRED")?.codex.objectValue)
            var governance = codex["governance"]?.objectValue ?? [:]
            governance["ascension_policy"] = "auto"
            codex["governance"] = .object(governance)
            let amended = JSONValue.object(codex)
            try await runtime.image.memory.update("ALFRED", author: .architect, reason: "auto ascension") { $0.codex = amended }
            let record = try await runtime.ascension.evaluate(persona: "BRICK", candidate: "qwen2.5:7b")
            #expect(record.status == .applied && record.note?.contains("auto") == true)
            #expect(runtime.image.memory.proto(named: "BRICK")?.slots["model"] == "qwen2.5:7b")
            #expect(try runtime.image.history(proto: "BRICK", limit: 1).last?.author == .ascension)
        }
    }

    // MARK: Bad input: the ascension ends with the reason, production untouched, the clone removed

    @Test func aModelThatDoesNotExistEndsWithTheReason() async throws {
        try await withAscensionRuntime { runtime, server in
            let record = try await runtime.ascension.evaluate(persona: "BRICK", candidate: "no-such-model:7b")
            #expect(record.status == .failed && record.reason?.contains("file does not exist") == true, "\(record.reason ?? "")")
            #expect(record.clone == nil && runtime.image.memory.proto(named: "BRICK")?.slots["model"] == nil)
            #expect(try await !Self.pulled(runtime).contains("no-such-model:7b"))
        }
    }

    @Test func aCandidateTooBigForTheVRAMBudgetIsRefusedBeforeItIsPulled() async throws {
        let big = Script.Model(name: "llama3.1:70b", sizeGB: 42, pulled: false)
        try await withAscensionRuntime(Self.script(extraModels: [big]), configure: { config in
            config.ascension.candidates.append(.init(name: "qwen2.5:72b", sizeBytes: 47_000_000_000))
        }) { runtime, server in
            // Known from the name (70b at ~4.8 bits), and declared in config.toml.
            let estimated = try await runtime.ascension.evaluate(persona: "BRICK", candidate: "llama3.1:70b")
            #expect(estimated.status == .failed && estimated.reason?.contains("refused before pulling it") == true, "\(estimated.reason ?? "")")
            #expect(estimated.reason?.contains("estimated from the name") == true)
            let declared = try await runtime.ascension.evaluate(persona: "BRICK", candidate: "qwen2.5:72b")
            #expect(declared.status == .failed && declared.reason?.contains("model_fits_vram_budget") == true, "\(declared.reason ?? "")")
            #expect(declared.reason?.contains("declared in config.toml") == true)
            // A size nobody knows is refused too: pulling it to find out is what the check is for.
            let unknown = try await runtime.ascension.evaluate(persona: "BRICK", candidate: "mystery-model")
            #expect(unknown.status == .failed && unknown.reason?.contains("size_gb") == true, "\(unknown.reason ?? "")")
            #expect(await !server.requests().contains { $0.path == "/api/pull" })
            #expect(runtime.image.memory.proto(named: "BRICK")?.slots["model"] == nil)
            // The governor judged them (its rule, in its audit trail): the loop has no rules of its own.
            let vetoes = try runtime.image.vetoes(proto: "BRICK")
            #expect(vetoes.filter { $0.veto.rule == "model_fits_vram_budget" && $0.veto.author == .ascension }.count == 3, "\(vetoes)")
        }
    }

    @Test func aPullThatFailsMidStreamEndsWithTheReason() async throws {
        let flaky = Script.Model(name: "granite3.1-moe:3b", sizeGB: 6, pulled: false, pullError: "read: connection reset by peer", pullErrorAfter: 2)
        try await withAscensionRuntime(Self.script(extraModels: [flaky])) { runtime, server in
            let events = runtime.image.events.subscribe()
            let record = try await runtime.ascension.evaluate(persona: "BRICK", candidate: "granite3.1-moe:3b")
            #expect(record.status == .failed && record.reason?.contains("connection reset by peer") == true, "\(record.reason ?? "")")
            let seen = await readEvents(events, "the failure") { eventName($0) == "philosophical.ascension.failed" }.compactMap(eventName)
            #expect(seen.contains("philosophical.ascension.progress"))
            #expect(try await !Self.pulled(runtime).contains("granite3.1-moe:3b"))
            #expect(runtime.image.memory.proto(named: "BRICK")?.slots["model"] == nil)
        }
    }

    @Test func aCandidateThatDoesNotLoadOrAnswersGarbageEndsWithTheReason() async throws {
        let broken = Script.Model(name: "broken:1b", sizeGB: 1)
        let babbler = Script.Model(name: "babbler:1b", sizeGB: 1)
        let script = Self.script(extraModels: [broken, babbler], extraRules: [
            .init(model: "broken:1b", fault: .init(kind: .http500, message: "llama runner process has terminated: error loading model")),
            .init(model: "babbler:1b", reply: "\u{FFFD}\u{FFFD}\u{0001}\u{0002}\u{FFFD}\u{FFFD}"),
        ])
        try await withAscensionRuntime(script) { runtime, _ in
            let unloadable = try await runtime.ascension.evaluate(persona: "BRICK", candidate: "broken:1b")
            #expect(unloadable.status == .failed && unloadable.reason?.contains("error loading model") == true, "\(unloadable.reason ?? "")")
            let garbage = try await runtime.ascension.evaluate(persona: "BRICK", candidate: "babbler:1b")
            #expect(garbage.status == .failed && garbage.reason?.contains("answers garbage") == true, "\(garbage.reason ?? "")")
            for record in [unloadable, garbage] { #expect(record.clone == nil && record.evaluation == nil) }
            #expect(runtime.image.memory.proto(named: "BRICK")?.slots["model"] == nil)
            // Present before, so left pulled.
            #expect(unloadable.served["deleted"] == nil)
        }
    }

    @Test func refusalsBeforeAnythingStarts() async throws {
        try await withAscensionRuntime { runtime, _ in
            // ALFRED judges: the genesis ascension_allowed leaves him out.
            await #expect(throws: AscensionError.self) { try await runtime.ascension.evaluate(persona: "ALFRED", candidate: "qwen2.5:7b") }
            await #expect(throws: AscensionError.self) { try await runtime.ascension.evaluate(persona: "NOBODY", candidate: "qwen2.5:7b") }
            await #expect(throws: AscensionError.self) {
                try await runtime.ascension.evaluate(persona: "BRICK", candidate: runtime.models.model(for: "brick")!)
            }
            let records = try runtime.ascension.store.records()
            #expect(records.isEmpty)
        }
    }

    @Test func theCandidatesAreTheServersAndTheConfiguredOnes() async throws {
        try await withAscensionRuntime(configure: { $0.ascension.candidates.append(.init(name: "llama3.1:70b")) }) { runtime, _ in
            let (candidates, problem) = await runtime.ascension.catalog.candidates(for: "BRICK", current: runtime.models.model(for: "brick"))
            #expect(problem == nil)
            let byName = Dictionary(candidates.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            #expect(byName["phi3:mini-4k-instruct"]?.isCurrent == true && byName["phi3:mini-4k-instruct"]?.availability == .present)
            #expect(byName["phi3:mini-4k-instruct"]?.sizeSource == "the server")
            #expect(byName["qwen2.5:7b"]?.availability == .pullable && byName["qwen2.5:7b"]?.sizeSource == "declared in config.toml")
            #expect(byName["llama3.1:70b"]?.sizeSource?.hasPrefix("estimated from the name") == true)
            #expect((byName["llama3.1:70b"]?.sizeBytes ?? 0) > 40_000_000_000)
        }
    }

    @Test func onAVLLMServerTheCandidatesAreWhatItServesAndNothingIsPulled() async throws {
        try await withAscensionRuntime(configure: { config in
            let host = config.backends["ollama"]!.host
            config.backends["vllm"] = BackendSettings(name: "vllm", kind: .openai, host: host)
            config.personas["brick"] = PersonaRouting(backend: "vllm")
            config.ascension.adapterExamples = 0
            config.ascension.candidates.append(.init(name: "mistral:7b-instruct", sizeBytes: 4_500_000_000))
        }) { runtime, server in
            let (candidates, _) = await runtime.ascension.catalog.candidates(for: "BRICK", current: runtime.models.model(for: "brick"))
            let byName = Dictionary(candidates.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            #expect(byName["mistral:7b-instruct"]?.availability == .present && byName["qwen2.5:7b"]?.availability == .notServed)
            let unserved = try await runtime.ascension.evaluate(persona: "BRICK", candidate: "qwen2.5:7b")
            #expect(unserved.status == .failed && unserved.reason?.contains("vllm serve qwen2.5:7b") == true, "\(unserved.reason ?? "")")
            // vLLM reports no sizes: a model whose size nobody declared cannot pass the governor's VRAM rule…
            let sizeless = try await runtime.ascension.evaluate(persona: "BRICK", candidate: "llama3.1:8b-instruct")
            #expect(sizeless.status == .failed && sizeless.reason?.contains("model_fits_vram_budget") == true, "\(sizeless.reason ?? "")")
            // …one declared in config.toml is evaluated and judged like any other.
            let served = try await runtime.ascension.evaluate(persona: "BRICK", candidate: "mistral:7b-instruct")
            #expect(served.status == .rejected && served.scores?.old == 3 && served.scores?.new == 3, "\(served.reason ?? "")")
            #expect(await !server.requests().contains { $0.path == "/api/pull" })
        }
    }

    @Test func sizesComeFromNamesAndGarbageIsToldFromText() {
        #expect(ModelSizeEstimate.bytes(fromName: "llama3.1:70b")?.bytes == 42_300_000_000)
        #expect(ModelSizeEstimate.bytes(fromName: "mixtral:8x7b")?.bytes == 33_900_000_000)
        #expect(ModelSizeEstimate.bytes(fromName: "gemma-3-270m-q4_k_m")?.bytes == 462_000_000)
        #expect(ModelSizeEstimate.bytes(fromName: "qwen2.5:7b-instruct-q8_0")?.bytes == 7_790_000_000)
        #expect(ModelSizeEstimate.bytes(fromName: "phi3:mini") == nil && ModelSizeEstimate.bytes(fromName: "qwen2.5") == nil)
        #expect(AscensionWorker.garbage("  \n ") == "an empty answer")
        #expect(AscensionWorker.garbage("\u{FFFD}\u{FFFD}\u{0007}ab")?.contains("unreadable") == true)
        #expect(AscensionWorker.garbage("Plain text, a newline\nand a tab\t — fine. 日本語も。") == nil)
    }

    // MARK: Helpers

    /// The models the scripted Ollama has pulled (its `/api/tags`).
    static func pulled(_ runtime: Runtime) async throws -> [String] {
        try await runtime.models.backend(for: "brick").listModels().map(\.name)
    }

    /// The error code of approving (or rejecting) `proposal` now.
    static func pending(_ runtime: Runtime, _ proposal: Int64, approve: Bool = true) async throws -> AscensionError.Code? {
        do {
            if approve { try await runtime.ascension.approve(proposal: proposal) } else { try await runtime.ascension.reject(proposal: proposal) }
            return nil
        } catch let error as AscensionError {
            return error.code
        }
    }

    /// A finished run whose final state holds a conversation of BRICK's (two turns).
    static func seedFinishedRun(_ runtime: Runtime) async throws {
        try await runtime.image.defineMethod("keepState", on: "BRICK", source: "return {}")
        try await runtime.image.setSlot("pastGraph", of: "BRICK", to: [
            "entry": "keep", "nodes": ["keep": ["proto": "BRICK", "selector": "keepState"]], "edges": ["keep": "END"],
        ])
        let history: JSONValue = [["role": "user", "content": "Why survey first?"], ["role": "assistant", "content": "Old answer one."],
                                  ["role": "user", "content": "And then?"], ["role": "assistant", "content": "Old answer two."]]
        let run = try await runtime.runner.start(graph: "BRICK.pastGraph", state: ["brick_history": history])
        #expect(run.status == .done)
    }
}
